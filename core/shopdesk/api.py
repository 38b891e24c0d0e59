"""The REST API: one flask-smorest Api per app at /api/v1, OpenAPI 3 at /api/openapi.json.

Plugins contribute flask-smorest blueprints through ``register_api``; the host mounts them
under /api/v1 and answers 404 for a plugin's routes in stores where it is not enabled. The
store of a request is named by the ``Shopdesk-Store`` header (a store slug).
"""

import swagger_ui_bundle
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
import flask_smorest
from flask import Blueprint, render_template, send_from_directory
from marshmallow import Schema, fields

from . import openapi
from .auth.permissions import PUBLIC, requires

API_PREFIX = "/api/v1"
STORE_HEADER = "Shopdesk-Store"


class ErrorSchema(Schema):
    """The one error format of the API (see :func:`error_body`)."""

    status = fields.Integer(required=True, metadata={"description": "The HTTP status code."})
    code = fields.String(required=True, metadata={"description": "A stable, machine-readable error code."})
    message = fields.String(required=True, metadata={"description": "What went wrong, for a person."})
    errors = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True, metadata={
        "description": "Per refused field (or header): its messages, nested by index and field "
                       "inside lists and objects. Empty when no field is to blame."})


class Api(flask_smorest.Api):
    """flask-smorest's Api, documenting each blueprint when the spec is first read.

    Documenting a blueprint (apispec resolving and deep-copying every schema) was half the
    cost of ``create_app`` with the first-party plugins installed, paid by every process and
    every test even though only ``/api/openapi.json`` and the docs page read the result.
    """

    ERROR_SCHEMA = ErrorSchema

    def register_blueprint(self, blp, *, parameters=None, **options):
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self.__dict__.setdefault("_undocumented", []).append((blp, name, parameters))

    @property
    def spec(self):
        undocumented, self._undocumented = self.__dict__.get("_undocumented", []), []
        for blp, name, parameters in undocumented:
            blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
            self._spec.tag({"name": name, "description": blp.description})
        return self._spec

    @spec.setter
    def spec(self, value):
        self._spec = value

    def _register_pagination_header(self):
        """X-Pagination as Shopdesk sends it (see :func:`paginate`), next_cursor included."""
        self.spec.components.header("PAGINATION", page_metadata_header(), lazy=True)


def init_api(app) -> Api:
    app.config.setdefault("API_TITLE", "Shopdesk")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = Api(app, spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
                                "extra_plugins": [openapi.ShopdeskPlugin(app)]})
    openapi.register_components(api.spec, api.ma_plugin)
    app.register_blueprint(docs_bp)
    app.after_request(_no_content_type_without_content)
    return api


def _no_content_type_without_content(response):
    """flask-smorest labels an empty 204 application/json; a client would try to parse it."""
    if response.status_code in (204, 304):
        response.headers.pop("Content-Type", None)
    return response


def schema_name(schema) -> str:
    """The OpenAPI component name of a schema: a plugin's carry the plugin's name in front
    (``shopdesk_catalog.api.BulkResultSchema`` → ``CatalogBulkResult``), so two plugins'
    schemas of the same class name never collide in the one spec."""
    cls = resolve_schema_cls(schema)
    cls = cls[0] if isinstance(cls, list) else cls
    name = cls.__name__.removesuffix("Schema") or cls.__name__
    package = cls.__module__.split(".")[0]
    if package.startswith("shopdesk_"):
        prefix = "".join(part.title() for part in package.removeprefix("shopdesk_").split("_"))
        if not name.startswith(prefix):
            name = prefix + name
    return name


ERROR_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "validation_error", 429: "rate_limited", 500: "server_error", 503: "unavailable",
}


def _own_message(exc) -> str | None:
    """Shopdesk's words for the refusals Werkzeug would otherwise explain in its own."""
    from flask import request

    if exc.code == 401:
        return ("Send an API token (Authorization: Bearer sdk_...), or sign in and name the "
                "store in the Shopdesk-Store header.")
    if exc.code == 404:
        if request.url_rule is None:
            return f"There is no API operation at {request.path}: see /api/openapi.json."
        return f"Nothing at {request.path} in this store."
    if exc.code == 405:
        allowed = ", ".join(m for m in sorted(getattr(exc, "valid_methods", None) or ()) if m != "OPTIONS")
        return f"{request.method} is not allowed on {request.path}" + (f"; use {allowed}." if allowed else ".")
    return None


def challenge(exc) -> dict:
    """``WWW-Authenticate`` on a 401, as RFC 6750 asks: which scheme to use, and whether the
    token that was sent is the problem."""
    from flask import request

    if exc.code != 401:
        return {}
    sent = request.headers.get("Authorization", "").lower().startswith("bearer ")
    return {"WWW-Authenticate": 'Bearer realm="Shopdesk"' + (', error="invalid_token"' if sent else "")}


def error_body(exc) -> dict:
    """One error format for every API error: status, code, message and per-field errors.

    webargs puts validation messages under ``data["messages"][location]``; they are merged
    into ``errors`` keyed by field, and the message names the fields.
    """
    data = getattr(exc, "data", None) or {}
    errors = {}
    for location_errors in (data.get("messages") or {}).values():
        if isinstance(location_errors, dict):
            errors.update(location_errors)
    errors.update(data.get("errors") or {})
    message = data.get("message")
    if not message and errors:
        message = "Invalid input: " + ", ".join(sorted(map(str, errors)))
    return {
        "status": exc.code,
        "code": data.get("code") or ERROR_CODES.get(exc.code, "error"),
        "message": message or _own_message(exc) or exc.description,
        "errors": errors,
    }


docs_bp = Blueprint("api_docs", __name__, url_prefix="/api/docs")


@docs_bp.route("")
@requires(PUBLIC)
def page():
    """Interactive API documentation (Swagger UI), served from local files."""
    return render_template("shell/api_docs.html")


@docs_bp.route("/assets/<path:filename>")
@requires(PUBLIC)
def asset(filename):
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)


def register_plugin_api(api, blueprint):
    api.register_blueprint(blueprint, url_prefix=API_PREFIX + (blueprint.url_prefix or ""))


# --- lists: one way to page, filter for sync and refuse unknown query parameters ----------------
#
# Every list answers one page and puts the page's metadata in the ``X-Pagination`` header
# (JSON: total, total_pages, first_page, last_page, page, previous_page, next_page, and on
# keyset lists next_cursor). A list view is written as:
#
#     @blp.arguments(MyQuery, location="query")       # MyQuery may extend SyncQuery
#     @blp.response(200, MySchema(many=True))
#     @paginate(blp)                                   # keyset=True for big lists
#     def get(self, query, pagination_parameters):
#         return page_of(sync_filters(sa.select(Row), Row, query), pagination_parameters, query["sort"], COLUMNS)

PAGE_HEADER = "X-Pagination"
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 100
MAX_IDS = 100


def sort_argument(names: list[str], default: str):
    """A documented ``sort`` query field: one of ``names``, ``-`` in front for descending."""
    from marshmallow import fields, validate

    choices = [n for name in names for n in (name, f"-{name}")]
    return fields.String(load_default=default, validate=validate.OneOf(choices),
                         metadata={"description": f"Sort by one of {', '.join(names)}; prefix - for descending."})


def _id_list_field():
    """``ids=1,2,3`` or ``ids=1&ids=2`` (both mixed too): at most MAX_IDS whole numbers."""
    from marshmallow import ValidationError, fields

    class IdList(fields.List):
        is_multiple = True  # webargs reads every ``ids`` of the query string

        def _deserialize(self, value, attr, data, **kwargs):
            values = value if isinstance(value, (list, tuple)) else [value]
            parts = [part.strip() for item in values for part in str(item).split(",") if part.strip()]
            if not parts:
                raise ValidationError("Give at least one id.")
            if len(parts) > MAX_IDS:
                raise ValidationError(f"At most {MAX_IDS} ids at a time.")
            ids = []
            for part in parts:
                if not part.isascii() or not part.isdigit() or not 0 < int(part) < 2**31:
                    raise ValidationError(f"Not an id: {part[:40]!r}.")
                ids.append(int(part))
            return ids

    return IdList(fields.Integer(), metadata={
        "description": f"Only these ids: comma-separated or repeated, at most {MAX_IDS}.",
        "style": "form", "explode": False})


def _sync_query_schema():
    from datetime import timezone

    from marshmallow import Schema, fields

    class SyncQuery(Schema):
        """``updated_since`` and ``ids``: what a storefront needs to sync a list incrementally."""

        updated_since = fields.AwareDateTime(default_timezone=timezone.utc, metadata={
            "description": "Only rows changed at or after this ISO 8601 time (inclusive). A time "
                           "without an offset is read as UTC; write + as %2B in a URL."})
        ids = _id_list_field()

    return SyncQuery


SyncQuery = _sync_query_schema()


def sync_filters(select, model, query: dict):
    """``select`` narrowed by the client's ``updated_since`` and ``ids`` (see SyncQuery)."""
    if query.get("updated_since") is not None:
        select = select.where(model.updated_at >= query["updated_since"])
    if query.get("ids"):
        select = select.where(model.id.in_(query["ids"]))
    return select


def _page_query_schema(keyset: bool):
    from flask_smorest.pagination import PaginationParameters
    from marshmallow import Schema, fields, post_load, validate

    class PageQuery(Schema):
        page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=2**31 - 1),
                              metadata={"description": "Page number (from 1)."})
        page_size = fields.Integer(load_default=DEFAULT_PAGE_SIZE, validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
                                   metadata={"description": f"Rows a page (at most {MAX_PAGE_SIZE})."})
        if keyset:
            cursor = fields.String(validate=validate.Length(min=1, max=1000), metadata={
                "description": "Continue after the page that gave this ``next_cursor`` (stable while "
                               "rows are added; instead of ``page``, with the same filters and sort)."})

        @post_load
        def make_page(self, data, **kwargs):
            params = PaginationParameters(data["page"], data["page_size"])
            params.keyset, params.cursor, params.next_cursor = keyset, data.get("cursor"), None
            return params

    PageQuery.__name__ = "KeysetPageQuery" if keyset else "PageQuery"
    return PageQuery


_PAGE_SCHEMAS = {keyset: _page_query_schema(keyset) for keyset in (False, True)}


def paginate(blp, *, keyset: bool = False):
    """The one pagination of every list: ``page``/``page_size`` (and ``cursor`` when ``keyset``)
    parsed into ``pagination_parameters``, the page's metadata in the X-Pagination header.

    The view returns the page's rows: through :func:`page_of` (a select), :func:`one_page`
    (a select in a fixed order) or :func:`page_of_items` (a list built in Python).
    """
    import http
    import json
    from copy import deepcopy
    from functools import wraps

    from flask import current_app, request
    from flask_smorest.utils import unpack_tuple_response
    from webargs.flaskparser import FlaskParser

    schema = _PAGE_SCHEMAS[keyset]
    parser = FlaskParser()

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            params = parser.parse(schema, request, location="query", unknown="exclude")
            if params.cursor is not None and "page" in request.args:
                from flask_smorest import abort

                abort(422, message="cursor: give a cursor or a page, not both.",
                      errors={"cursor": ["Give a cursor or a page, not both."]})
            kwargs["pagination_parameters"] = params
            result, status, headers = unpack_tuple_response(current_app.ensure_sync(func)(*args, **kwargs))
            if params.item_count is None and params.cursor is None:
                raise RuntimeError(f"{request.endpoint}: a paginated view must page with page_of, "
                                   "one_page or page_of_items")
            headers = dict(headers or {})
            headers[PAGE_HEADER] = json.dumps(page_metadata(blp, params))
            return result, status, headers

        wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
        wrapper._apidoc["pagination"] = {"parameters": {"in": "query", "schema": schema},
                                         "response": {422: http.HTTPStatus(422).name}}
        return wrapper

    return decorator


def page_metadata(blp, params) -> dict:
    """What X-Pagination says: flask-smorest's page numbers, and ``next_cursor`` on keyset lists
    (a cursor page reports only ``next_cursor``: counting would defeat the point)."""
    metadata = {} if params.cursor is not None else blp._make_pagination_metadata(
        params.page, params.page_size, params.item_count)
    if params.next_cursor is not None:
        metadata["next_cursor"] = params.next_cursor
    return metadata


def page_metadata_header() -> dict:
    """The OpenAPI description of the X-Pagination header."""
    from flask_smorest.pagination import PaginationMetadataSchema
    from marshmallow import fields

    class PageMetadata(PaginationMetadataSchema):
        next_cursor = fields.String(metadata={"description": "On keyset lists: pass as ``cursor`` for the "
                                                             "next page; absent on the last page."})

    return {"description": "Page metadata (JSON): total, total_pages, first_page, last_page, page, "
                           "previous_page, next_page; next_cursor on keyset lists.",
            "schema": PageMetadata}


def page_of(query, pagination, sort: str, columns: dict):
    """Apply the client's sort and one page (a page number, or on keyset lists a cursor) to a
    select; the page's rows. ``columns`` maps sort names to columns and must hold ``id``,
    which breaks ties."""
    from .db import db

    descending = sort.startswith("-")
    name = sort.lstrip("-")
    key = [columns[name]] + ([columns["id"]] if name != "id" else [])
    order = [c.desc() if descending else c.asc() for c in key]
    if not getattr(pagination, "keyset", False) or any(_nullable(column) for column in key):
        if getattr(pagination, "cursor", None) is not None:
            from flask_smorest import abort

            abort(422, message=f"cursor: sort={name} pages by page number only.",
                  errors={"cursor": [f"sort={name} pages by page number only (its values may be empty)."]})
        return db.session.scalars(one_page(query, pagination, *order)).all()
    if pagination.cursor is None:
        statement = one_page(query, pagination, *order)
        more = lambda rows: pagination.first_item + len(rows) < pagination.item_count  # noqa: E731
    else:
        after = _read_cursor(pagination.cursor, sort, key)
        statement = query.where(_after(key, after, descending)).order_by(*order).limit(pagination.page_size + 1)
        more = lambda rows: len(rows) > pagination.page_size  # noqa: E731
    rows = db.session.execute(statement.add_columns(*key)).all()
    if more(rows):
        rows = rows[:pagination.page_size]
        pagination.next_cursor = _make_cursor(sort, rows[-1][1:])
    return [row[0] for row in rows]


def _nullable(column) -> bool:
    return bool(getattr(getattr(column, "expression", column), "nullable", True))


def _after(key, values, descending):
    """Rows strictly after ``values`` in the order of ``key`` (written out: row values
    comparisons are not on every SQLite)."""
    import sqlalchemy as sa

    later = [(column < value) if descending else (column > value) for column, value in zip(key, values)]
    clauses = [sa.and_(*[key[j] == values[j] for j in range(i)], later[i]) for i in range(len(key))]
    return sa.or_(*clauses)


def _make_cursor(sort: str, values) -> str:
    import base64
    import json
    from datetime import datetime

    encoded = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps([sort, *encoded], default=str).encode()).decode().rstrip("=")


def _read_cursor(cursor: str, sort: str, key) -> list:
    """The sort key a cursor carries, checked against this request's sort (422 otherwise)."""
    import base64
    import binascii
    import json
    from datetime import datetime

    from flask_smorest import abort

    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(data, list) or len(data) != len(key) + 1:
            raise ValueError
        if data[0] != sort:
            abort(422, message="cursor: it was given for another sort.",
                  errors={"cursor": [f"This cursor continues sort={data[0]}; ask with that sort or start again."]})
        values = []
        for column, value in zip(key, data[1:]):
            python_type = column.type.python_type
            if python_type is datetime:
                value = datetime.fromisoformat(value["t"])
                if value.tzinfo is None:
                    raise ValueError
            elif python_type in (int, str):
                if type(value) is not python_type:
                    raise ValueError
            elif value is not None:
                value = python_type(value)
            if value is None:
                raise ValueError
            values.append(value)
        return values
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError, ArithmeticError):
        abort(422, message="cursor: not a cursor this list gave.",
              errors={"cursor": ["Not a cursor this list gave; start again without one."]})


def one_page(query, pagination, *order_by):
    """``query`` in ``order_by`` order, cut to the requested page: a select to execute. Sets
    the item count for the X-Pagination header (one count query)."""
    import sqlalchemy as sa

    from .db import db

    pagination.item_count = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    return query.order_by(*order_by).offset(pagination.first_item).limit(pagination.page_size)


def page_of_items(items, pagination) -> list:
    """One page of a list built in Python (a report, the rows of a document)."""
    items = list(items)
    pagination.item_count = len(items)
    return items[pagination.first_item:pagination.first_item + pagination.page_size]


def query_parameter_names(view, method: str) -> set[str] | None:
    """The query parameters an API view documents (its query arguments, its pagination and
    manual ``doc`` parameters), or None for a view that is not a flask-smorest one."""
    from marshmallow import Schema

    method = "get" if method.upper() == "HEAD" else method.lower()
    function = getattr(getattr(view, "view_class", None), method, None) or view
    doc = getattr(function, "_apidoc", None)
    if doc is None:
        return None
    names = set()
    parameters = list(doc.get("arguments", {}).get("parameters", []))
    if "pagination" in doc:
        parameters.append(doc["pagination"]["parameters"])
    for parameter in parameters:
        if parameter.get("in") not in ("query", "querystring"):
            continue
        schema = parameter["schema"]
        schema = schema() if isinstance(schema, type) else schema
        if isinstance(schema, Schema):
            names |= {field.data_key or name for name, field in schema.fields.items() if not field.dump_only}
    names |= {p.get("name") for p in doc.get("manual_doc", {}).get("parameters", []) if p.get("in") == "query"}
    return names


def refuse_unknown_query_parameters():
    """Before an API view runs: a query parameter it does not document is a 422 naming it,
    not silently ignored (a misspelled filter would otherwise answer everything)."""
    from flask import current_app, request
    from flask_smorest import abort

    if not request.args or not request.path.startswith(API_PREFIX + "/") or request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    if request.method == "OPTIONS":
        return None
    known = query_parameter_names(view, request.method) or set()
    unknown = sorted(set(request.args) - known)
    if unknown:
        abort(422, message="Unknown query parameter: " + ", ".join(unknown),
              errors={name: ["Unknown query parameter."] for name in unknown})
    return None
