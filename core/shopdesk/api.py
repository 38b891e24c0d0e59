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

from .auth.permissions import PUBLIC, requires

API_PREFIX = "/api/v1"
STORE_HEADER = "Shopdesk-Store"


class Api(flask_smorest.Api):
    """flask-smorest's Api, documenting each blueprint when the spec is first read.

    Documenting a blueprint (apispec resolving and deep-copying every schema) was half the
    cost of ``create_app`` with the first-party plugins installed, paid by every process and
    every test even though only ``/api/openapi.json`` and the docs page read the result.
    """

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


def init_api(app) -> Api:
    app.config.setdefault("API_TITLE", "Shopdesk")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = Api(app, spec_kwargs={"marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name)})
    api.spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "session"})
    api.spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    app.register_blueprint(docs_bp)
    return api


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
        "message": message or exc.description,
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


def sort_argument(names: list[str], default: str):
    """A documented ``sort`` query field: one of ``names``, ``-`` in front for descending."""
    from marshmallow import fields, validate

    choices = [n for name in names for n in (name, f"-{name}")]
    return fields.String(load_default=default, validate=validate.OneOf(choices),
                         metadata={"description": f"Sort by one of {', '.join(names)}; prefix - for descending."})


def page_of(query, pagination, sort: str, columns: dict):
    """Apply the client's sort and one page of pagination to a select; the page's rows."""
    from .db import db

    descending = sort.startswith("-")
    order = [columns[sort.lstrip("-")]] + ([columns["id"]] if "id" in columns else [])  # id breaks ties
    return db.session.scalars(one_page(query, pagination, *(c.desc() if descending else c.asc() for c in order))).all()


def one_page(query, pagination, *order_by):
    """``query`` in ``order_by`` order, cut to the requested page: a select to execute. Sets
    the item count for flask-smorest's pagination headers (one count query)."""
    import sqlalchemy as sa

    from .db import db

    pagination.item_count = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    return query.order_by(*order_by).offset(pagination.first_item).limit(pagination.page_size)

