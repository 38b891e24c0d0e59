"""The import and export pages, mounted at /s/<store>/catalog/imports/.

Upload a file with its options (dry run, mode, create categories); a small file is imported
in the request, a large one (more rows than the ``import_background_rows`` setting) is
queued for the background job. Each run has a page with its progress, counts and problems.
"""

import math

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice

from shopdesk.plugin import allowed, db, plugin_settings, requires

from .. import imports
from ..models import PRODUCT_STATUSES, ImportRun
from .api import export_response, start
from .files import FORMATS, UnreadableFile, format_of
from .rows import COLUMNS, REQUIRED

bp = Blueprint("catalog_imports", __name__, url_prefix="/catalog/imports", template_folder="templates")

PROBLEMS_PER_PAGE = 200


def mode_choices():
    return [SelectChoice("all_or_nothing", lazy_gettext("All or nothing: one bad row and nothing is written")),
            SelectChoice("valid_rows", lazy_gettext("Valid rows: write the good rows, report the bad ones"))]


class UploadForm(FlaskForm):
    file = FileField(lazy_gettext("CSV or XLSX file"), validators=[FileRequired()])
    dry_run = BooleanField(lazy_gettext("Dry run: only check the file and report"), default=True)
    mode = SelectField(lazy_gettext("Mode"), choices=mode_choices())
    create_categories = BooleanField(lazy_gettext("Create unknown categories"), default=True)
    submit = SubmitField(lazy_gettext("Upload"))


class RunForm(FlaskForm):
    mode = SelectField(lazy_gettext("Mode"), choices=mode_choices())
    submit = SubmitField(lazy_gettext("Import this file"))


def _index(form, status=200):
    runs = db.session.scalars(sa.select(ImportRun).order_by(ImportRun.id.desc()).limit(20)).all()
    return render_template("catalog/imports/index.html", form=form, runs=runs, columns=COLUMNS, required=REQUIRED,
                           statuses=PRODUCT_STATUSES,
                           threshold=plugin_settings("catalog")["import_background_rows"],
                           can_write=allowed("catalog.write", g.store, current_user)), status


@bp.route("/", methods=["GET"])
@requires("catalog.read")
def index():
    return _index(UploadForm(formdata=None))


@bp.route("/", methods=["POST"])
@requires("catalog.write")
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _index(form, 400)
    try:
        file_format = format_of(form.file.data.filename)
    except UnreadableFile as exc:
        form.file.errors = [str(exc)]
        return _index(form, 400)
    path = imports.keep_upload(g.store.id, form.file.data.stream, file_format)
    options = {"mode": form.mode.data, "dry_run": form.dry_run.data,
               "create_categories": form.create_categories.data}
    run, ran = start(path, form.file.data.filename, file_format, options, user_id=current_user.id)
    if not ran:
        flash(gettext("The file has %(rows)s rows: it is imported in the background. This page follows it.",
                      rows=run.total_rows), "info")
    return redirect(url_for("catalog_imports.detail", import_id=run.id))


@bp.route("/<int:import_id>")
@requires("catalog.read")
def detail(import_id):
    run = db.one_or_404(sa.select(ImportRun).filter_by(id=import_id))
    errors = run.errors or []
    pages = max(1, math.ceil(len(errors) / PROBLEMS_PER_PAGE))
    page = request.args.get("page", 1, type=int)
    if page < 1 or page > pages:
        abort(404)
    shown = errors[(page - 1) * PROBLEMS_PER_PAGE:page * PROBLEMS_PER_PAGE]
    return render_template("catalog/imports/detail.html", run=run, problems=shown, page=page, pages=pages,
                           form=RunForm(formdata=None, mode=run.mode),
                           can_write=allowed("catalog.write", g.store, current_user))


@bp.route("/<int:import_id>/run", methods=["POST"])
@requires("catalog.write")
def run_again(import_id):
    earlier = db.one_or_404(sa.select(ImportRun).filter_by(id=import_id))
    form = RunForm()
    if not form.validate_on_submit():
        abort(400, description=gettext("mode: must be all_or_nothing or valid_rows"))
    run, ran = start(earlier.stored_path, earlier.filename, earlier.file_format,
                     {"mode": form.mode.data, "dry_run": False, "create_categories": earlier.create_categories},
                     user_id=current_user.id)
    if not ran:
        flash(gettext("The file has %(rows)s rows: it is imported in the background. This page follows it.",
                      rows=run.total_rows), "info")
    return redirect(url_for("catalog_imports.detail", import_id=run.id))


@bp.route("/export")
@requires("catalog.read")
def download():
    file_format = request.args.get("format", "csv")
    status = request.args.get("status") or None
    if file_format not in FORMATS or (status is not None and status not in PRODUCT_STATUSES):
        abort(400, description=gettext("format must be csv or xlsx; status draft, active or archived"))
    return export_response(file_format, status)
