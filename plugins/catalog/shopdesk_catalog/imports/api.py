"""REST API of product import and export, mounted at /api/v1/catalog/imports and /export.

``POST /catalog/imports`` takes a CSV or XLSX file (multipart ``file``) with the options; a
file of up to ``import_background_rows`` rows is imported in the request (201, finished),
a larger one is queued for the background job (202; follow ``GET /catalog/imports/<id>``).
"""

import io

import sqlalchemy as sa
from flask import g, send_file
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from shopdesk.plugin import db, one_page, paginate, plugin_settings, requires

from .. import imports
from ..models import IMPORT_STATUSES, PRODUCT_STATUSES, ImportRun
from .exports import export
from .files import CSV_MEDIA_TYPE, FORMATS, XLSX_MEDIA_TYPE, UnreadableFile, format_of

api = Blueprint("catalog_imports_api", __name__, url_prefix="/catalog",
                description="Import and export products and variants as CSV or XLSX.")


class UploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "The CSV (UTF-8) or XLSX file, one row per variant."})


class ImportOptionsSchema(Schema):
    mode = fields.String(load_default="all_or_nothing", validate=validate.OneOf(imports.MODES),
                         metadata={"description": "all_or_nothing: one bad row and nothing is written; "
                                                  "valid_rows: the good rows are written."})
    dry_run = fields.Boolean(load_default=True, metadata={"description": "Only check and report (the default)."})
    create_categories = fields.Boolean(load_default=True,
                                       metadata={"description": "Create unknown category paths (else refuse the row)."})


class SummarySchema(Schema):
    rows = fields.Integer()
    rows_refused = fields.Integer()
    problems = fields.Integer()
    products_created = fields.Integer()
    products_updated = fields.Integer()
    variants_created = fields.Integer()
    variants_updated = fields.Integer()
    categories_created = fields.Integer()
    brands_created = fields.Integer()
    tags_created = fields.Integer()


class ImportRunSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    file_format = fields.String()
    mode = fields.String()
    dry_run = fields.Boolean()
    create_categories = fields.Boolean()
    status = fields.String(metadata={"description": "queued, running, done or failed."})
    total_rows = fields.Integer()
    processed_rows = fields.Integer(metadata={"description": "Rows checked so far."})
    written_rows = fields.Integer()
    error_count = fields.Method("count_errors", metadata={"type": "integer"})
    summary = fields.Nested(SummarySchema, metadata={"description": "What was written (dry run: would be)."})
    message = fields.String()
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)

    def count_errors(self, run):
        return len(run.errors or [])


class ImportFilterSchema(Schema):
    status = fields.String(validate=validate.OneOf(IMPORT_STATUSES))


class RunAgainSchema(Schema):
    mode = fields.String(load_default="all_or_nothing", validate=validate.OneOf(imports.MODES))


class ProblemSchema(Schema):
    line = fields.Integer(metadata={"description": "The row as a spreadsheet numbers it (the header is 1)."})
    field = fields.String(metadata={"description": "The column (or 'file')."})
    message = fields.String()


class ExportQuerySchema(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(FORMATS))
    status = fields.String(validate=validate.OneOf(PRODUCT_STATUSES),
                           metadata={"description": "Only products with this status."})


def run_or_404(import_id) -> ImportRun:
    return db.one_or_404(sa.select(ImportRun).filter_by(id=import_id))


def start(path, filename, file_format, options, *, user_id) -> tuple[ImportRun, bool]:
    """Create the run; import it now when it is small, else leave it queued. (run, ran now?)"""
    threshold = plugin_settings("catalog")["import_background_rows"]
    run = imports.new_run(filename=filename, path=path, file_format=file_format, user_id=user_id, **options)
    db.session.commit()
    if run.total_rows > threshold:
        return run, False
    return imports.execute(run, g.store), True


@api.route("/imports")
class Imports(MethodView):
    @requires("catalog.read")
    @api.arguments(ImportFilterSchema, location="query")
    @api.response(200, ImportRunSchema(many=True))
    @paginate(api)
    def get(self, filters, pagination_parameters):
        """The store's imports, newest first."""
        query = sa.select(ImportRun).filter_by(**filters)
        return db.session.scalars(one_page(query, pagination_parameters, ImportRun.id.desc())).all()

    @requires("catalog.write")
    @api.arguments(UploadSchema, location="files")
    @api.arguments(ImportOptionsSchema, location="form")
    @api.response(201, ImportRunSchema)
    @api.alt_response(202, schema=ImportRunSchema, description="Queued: a large file, imported in the background.")
    def post(self, files, options):
        """Check (``dry_run``, the default) or import a product file. Bad rows are listed at
        ``/catalog/imports/<id>/errors`` with their line, column and message."""
        upload = files["file"]
        try:
            file_format = format_of(upload.filename)
        except UnreadableFile as exc:
            abort(422, errors={"file": [str(exc)]})
        path = imports.keep_upload(g.store.id, upload.stream, file_format)
        run, ran = start(path, upload.filename, file_format, options, user_id=current_user.id)
        return run, 201 if ran else 202


@api.route("/imports/<int:import_id>")
class ImportById(MethodView):
    @requires("catalog.read")
    @api.response(200, ImportRunSchema)
    def get(self, import_id):
        """An import's status and progress: rows checked of the total, rows written, counts."""
        return run_or_404(import_id)


@api.route("/imports/<int:import_id>/errors")
class ImportErrors(MethodView):
    @requires("catalog.read")
    @api.response(200, ProblemSchema(many=True))
    @paginate(api)
    def get(self, import_id, pagination_parameters):
        """Every problem of an import, by line: the row, the column and what is wrong."""
        errors = run_or_404(import_id).errors or []
        pagination_parameters.item_count = len(errors)
        first = pagination_parameters.first_item
        return errors[first:first + pagination_parameters.page_size]


@api.route("/imports/<int:import_id>/run")
class RunImport(MethodView):
    @requires("catalog.write")
    @api.arguments(RunAgainSchema)
    @api.response(201, ImportRunSchema)
    @api.alt_response(202, schema=ImportRunSchema, description="Queued for the background job.")
    def post(self, data, import_id):
        """Import, for real, the file an earlier run (usually a dry run) checked; a new run."""
        earlier = run_or_404(import_id)
        run, ran = start(earlier.stored_path, earlier.filename, earlier.file_format,
                         {"mode": data["mode"], "dry_run": False, "create_categories": earlier.create_categories},
                         user_id=current_user.id)
        return run, 201 if ran else 202


@api.route("/export")
class Export(MethodView):
    @requires("catalog.read")
    @api.arguments(ExportQuerySchema, location="query")
    @api.response(200, description="The file: text/csv or XLSX, one row per variant.")
    def get(self, query):
        """Download the store's products and variants in the import's columns."""
        return export_response(query["format"], query.get("status"))


def export_response(file_format: str, status: str | None):
    out = io.BytesIO()
    export(out, file_format, g.store.currency, status)
    db.session.commit()  # the audit entry
    out.seek(0)
    return send_file(out, mimetype=CSV_MEDIA_TYPE if file_format == "csv" else XLSX_MEDIA_TYPE,
                     as_attachment=True, download_name=f"{g.store.slug}-products.{file_format}")
