"""The audit log on the web: request ids, the UI page, the API and the CSV export.

* Every request has an id: the client's valid ``X-Request-Id``, else a new one. It is in
  ``g.request_id``, in every audit entry the request writes and in the response's
  ``X-Request-Id`` header, so a support question can be matched to its entries.
* ``/s/<store>/audit`` (UI) and ``GET /api/v1/audit`` list the current store's entries, newest
  first, with filters; ``/s/<store>/audit/export.csv`` and ``GET /api/v1/audit/export.csv``
  stream the same entries as CSV. All need ``audit.read``; a store sees only its own entries
  (instance-wide ones such as sign-ins are on the command line: ``shopdesk audit list``).
"""

import json
import re
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from . import audit
from .api import page_of, paginate, sort_argument
from .audit import AuditEntry
from .auth.permissions import requires
from .db import utcnow
from .ui import page_of_rows

PAGE_SIZE = 50

# --- request ids -------------------------------------------------------------------------------


def assign_request_id():
    audit.request_id()


def echo_request_id(response):
    rid = audit.request_id()
    if rid:
        response.headers[audit.REQUEST_ID_HEADER] = rid
    return response


def init_request_id(app):
    """Register first, so that even a request refused by a later check gets its id."""
    app.before_request(assign_request_id)
    app.after_request(echo_request_id)


# --- CSV ---------------------------------------------------------------------------------------


def csv_response(query, store_slugs: dict, name: str) -> Response:
    """Stream ``query`` as a CSV download named ``audit-<name>-<UTC time>.csv``."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    filename = f"audit-{safe}-{utcnow().strftime('%Y%m%dT%H%M%SZ')}.csv"
    chunks = audit.csv_lines(query, store_slugs, app=current_app._get_current_object())
    return Response(chunks, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


# --- API ---------------------------------------------------------------------------------------

blp = ApiBlueprint("audit", __name__, url_prefix="",
                   description="The store's append-only audit log: who did what, when, before and after.")


class AuditFilterSchema(Schema):
    action = fields.String(validate=validate.Length(min=1, max=100),
                           metadata={"description": "An action (role.updated), or a prefix ending in .* (plugin.*)."})
    actor = fields.String(validate=validate.Length(min=1, max=255),
                          metadata={"description": "Who: a user's email (or cli:<login>)."})
    object_type = fields.String(validate=validate.Length(min=1, max=100))
    object_id = fields.String(validate=validate.Length(min=1, max=100))
    since = fields.AwareDateTime(metadata={"description": "Entries at or after this time (ISO 8601 with offset)."})
    until = fields.AwareDateTime(metadata={"description": "Entries before this time (ISO 8601 with offset)."})


class AuditListQuerySchema(AuditFilterSchema):
    sort = sort_argument(["at", "action", "id"], "-at")


class UTCDateTimeField(fields.DateTime):
    """ISO 8601 in UTC, whatever time zone the database connection answered in."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(value and value.astimezone(timezone.utc), attr, obj, **kwargs)


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = UTCDateTimeField(metadata={"description": "When, in UTC."})
    actor = fields.String(metadata={"description": "Who: a user's email, cli:<login> or anonymous."})
    user_id = fields.Integer(allow_none=True)
    store_id = fields.Integer(allow_none=True)
    action = fields.String()
    object_type = fields.String(allow_none=True)
    object_id = fields.String(allow_none=True)
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    ip = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)


def _store_entries(filters: dict):
    """The current store's entries only: AuditEntry is not StoreScoped, so say it here."""
    return audit.entries(store_id=g.store.id, **filters)


@blp.route("/audit")
class AuditLog(MethodView):
    @requires("audit.read")
    @blp.arguments(AuditListQuerySchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @paginate(blp, keyset=True)
    def get(self, query, pagination_parameters):
        """The store's audit entries, newest first by default."""
        sort = query.pop("sort")
        return page_of(_store_entries(query), pagination_parameters, sort,
                       {"at": AuditEntry.at, "action": AuditEntry.action, "id": AuditEntry.id})


@blp.route("/audit/export.csv")
class AuditExport(MethodView):
    @requires("audit.read")
    @blp.arguments(AuditFilterSchema, location="query")
    @blp.response(200, content_type="text/csv",
                  description="Columns: " + ", ".join(audit.CSV_COLUMNS) + "; oldest first; before/after as JSON.")
    def get(self, filters):
        """The store's audit entries matching the filters, as CSV."""
        return csv_response(_store_entries(filters), {g.store.id: g.store.slug}, g.store.slug)


# --- UI ----------------------------------------------------------------------------------------

bp = Blueprint("audit_log", __name__)


class PageFilterSchema(Schema):
    """The page's form: dates are days in the store's time zone, both ends included."""

    class Meta:
        unknown = EXCLUDE

    action = fields.String(validate=validate.Length(max=100))
    actor = fields.String(validate=validate.Length(max=255))
    object_type = fields.String(validate=validate.Length(max=100))
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))


def _store_zone():
    try:
        return ZoneInfo(g.store.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _page_filters():
    """(filters for audit.entries, page number, field errors) from the query string."""
    raw = {k: v.strip() for k, v in request.args.items() if v.strip()}
    try:
        form = PageFilterSchema().load(raw)
    except ValidationError as exc:
        return None, 1, exc.messages
    zone = _store_zone()
    filters = {k: form[k] for k in ("action", "actor", "object_type") if form.get(k)}
    if form.get("date_from"):
        filters["since"] = datetime.combine(form["date_from"], time.min, tzinfo=zone)
    if form.get("date_to"):
        filters["until"] = datetime.combine(form["date_to"] + timedelta(days=1), time.min, tzinfo=zone)
    if "since" in filters and "until" in filters and filters["since"] >= filters["until"]:
        return None, 1, {"to": [_("The end date is before the start date.")]}
    return filters, form["page"], {}


def _compact(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)


def _row(entry, zone):
    changed = sorted(set(entry.before or {}) | set(entry.after or {})) if (
        isinstance(entry.before or {}, dict) and isinstance(entry.after or {}, dict)) else []
    return {
        "entry": entry,
        "at": entry.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        "at_utc": audit.iso_utc(entry.at),
        "changed": changed,
        "before": None if entry.before is None else _compact(entry.before),
        "after": None if entry.after is None else _compact(entry.after),
    }


def _filter_args(page=None) -> dict:
    """The query string's filters (and a page), to carry into links."""
    args = {k: v for k, v in request.args.items() if k in ("action", "actor", "object_type", "from", "to") and v}
    if page and page > 1:
        args["page"] = page
    return args


@bp.route("/s/<store>/audit")
@requires("audit.read")
def page():
    filters, number, errors = _page_filters()
    rows, total, pages = [], 0, 1
    if not errors:
        found, number, pages, total = page_of_rows(_store_entries(filters), number, PAGE_SIZE,
                                                   AuditEntry.at.desc(), AuditEntry.id.desc())
        zone = _store_zone()
        rows = [_row(e, zone) for e in found]
    return render_template(
        "shell/audit.html", rows=rows, total=total, page=number, pages=pages, errors=errors,
        zone=_store_zone().key, args=request.args,
        newer=url_for("audit_log.page", **_filter_args(number - 1)) if number > 1 else None,
        older=url_for("audit_log.page", **_filter_args(number + 1)) if number < pages else None,
        csv_url=url_for("audit_log.export", **_filter_args()),
    ), 400 if errors else 200


@bp.route("/s/<store>/audit/export.csv")
@requires("audit.read")
def export():
    filters, _number, errors = _page_filters()
    if errors:
        return render_template("shell/audit.html", rows=[], total=0, page=1, pages=1, errors=errors,
                               zone=_store_zone().key, args=request.args, newer=None, older=None,
                               csv_url=None), 400
    return csv_response(_store_entries(filters), {g.store.id: g.store.slug}, g.store.slug)
