"""The append-only audit log: who changed what, when, in which store, before and after.

A plugin reports a sensitive action with one line, in the transaction that makes the change::

    from shopdesk import audit

    audit.record("notes.deleted", object_type="note", object_id=note.id, before={"title": note.title})

The entry is stamped with the current store (the one of the page or API call, or of
``use_store``), the signed-in user (``cli:<login>`` on the command line), the time, the
client's IP address and the request id (``X-Request-Id``, echoed on every response). Pass
``store_id=None`` for an instance-wide entry, such as a sign-in. ``before`` and ``after`` are
stored as JSON: dates and decimals become strings. Never put a secret in them.

Entries join the caller's transaction, so a change that rolls back leaves no audit entry
behind, and one that commits always has one. There is deliberately no update or delete
helper, and the database refuses UPDATE and DELETE of ``audit_log`` rows with a trigger
(migration ``host_0003``). The table's owner could still TRUNCATE or DROP it or disable the
trigger, so a PostgreSQL deployment runs the app as a role that owns nothing and may only
SELECT and INSERT here (``database_roles``). ``audit_log.store_id`` has no foreign key: the log outlives stores.

Reading: :func:`entries` builds the filtered query that the UI page, the API and
``shopdesk audit`` share; :func:`csv_lines` streams a query as CSV.
"""

import getpass
import io
import itertools
import json
import re
import uuid
from contextlib import nullcontext
from datetime import date, datetime, timezone

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy.orm import Mapped, mapped_column

from . import csv_safety
from .db import UTCDateTime, current_store_id, db, utcnow

REQUEST_ID_HEADER = "X-Request-Id"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# ``store_id`` left out means "the current store"; None means "no store".
CURRENT_STORE = object()
CSV_COLUMNS = ["id", "at", "actor", "store", "action", "object_type", "object_id", "before", "after", "ip",
               "request_id"]


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(sa.String(255))
    user_id: Mapped[int | None] = mapped_column(index=True)
    store_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(sa.String(100), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(100))
    object_id: Mapped[str | None] = mapped_column(sa.String(100))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))


def _who():
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            token = g.get("api_token")  # which token acted: a leaked one can be traced and revoked
            if token is not None:
                return f"{current_user.email} via token #{token.id} ({token.name})"[:255], current_user.id
            return current_user.email, current_user.id
        return "anonymous", None
    try:
        return f"cli:{getpass.getuser()}", None
    except Exception:  # no login name in some containers
        return "cli", None


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)  # Decimal, UUID, Money...


def _jsonable(value):
    """``before``/``after`` as plain JSON, so a plugin's dates or decimals cannot break the write."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_json_default))


def request_id() -> str | None:
    """The id of the current request, or None outside a request: the client's ``X-Request-Id``
    when it is valid (at most 64 of ``A-Z a-z 0-9 . _ -``), else a new one. Kept in
    ``g.request_id``; ``audit_web`` sets it first thing and echoes it on the response."""
    if not has_request_context():
        return None
    if not g.get("request_id"):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    return g.request_id


def record(action, *, store_id=CURRENT_STORE, object_type=None, object_id=None, before=None, after=None,
           actor=None, user_id=None):
    """Add one audit entry to the current transaction. The one-line helper plugins use."""
    who, uid = (actor, user_id) if actor else _who()
    if store_id is CURRENT_STORE:
        store_id = current_store_id.get()
    entry = AuditEntry(
        actor=who, user_id=uid, store_id=store_id, action=action, object_type=object_type,
        object_id=None if object_id is None else str(object_id), before=_jsonable(before), after=_jsonable(after),
        ip=request.remote_addr if has_request_context() else None,
        request_id=request_id(),
    )
    db.session.add(entry)
    return entry


# --- reading -------------------------------------------------------------------------------


def action_filter(action: str):
    """``plugin.*`` matches every action starting with ``plugin.``; anything else is exact."""
    if action.endswith(".*"):
        return AuditEntry.action.startswith(action[:-1], autoescape=True)
    return AuditEntry.action == action


def entries(*, store_id=CURRENT_STORE, action=None, actor=None, object_type=None, object_id=None, since=None,
            until=None):
    """A select of audit entries: ``since`` <= at < ``until``; ``store_id`` CURRENT_STORE by
    default, None for every store (instance-wide, the command line only)."""
    query = sa.select(AuditEntry)
    if store_id is CURRENT_STORE:
        store_id = current_store_id.get()
        if store_id is None:
            raise RuntimeError("no current store: pass store_id=None to read every store's entries")
    if store_id is not None:
        query = query.where(AuditEntry.store_id == store_id)
    if action:
        query = query.where(action_filter(action))
    if actor:
        query = query.where(sa.func.lower(AuditEntry.actor) == actor.strip().lower())
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == str(object_id))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return query


def iso_utc(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat()


def csv_lines(query, store_slugs: dict, *, batch: int = 500, app=None):
    """The entries of ``query`` as CSV text, header first, oldest first, ``batch`` rows per
    query (keyset by id, so an export of millions of rows never holds them all).

    With ``app`` (a streamed web response) each batch runs in an app context of its own and
    none is held between chunks: the response may be read after the request has ended, or
    dropped unread, without unbalancing Flask's context stack. The export stops at the entries
    that existed when it was asked for.

    The text starts with a byte-order mark: without it Excel reads UTF-8 as the local code
    page and garbles Chinese names; CSV readers that know UTF-8 skip it.
    """
    upto = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0  # now, not when first read
    return itertools.chain(["\ufeff"], _csv_chunks(query, store_slugs, batch, app, upto))


def _csv_chunks(query, store_slugs, batch, app, upto):
    buffer = io.StringIO()
    writer = csv_safety.writer(buffer)  # a failed sign-in's email is whatever was typed

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    last_id = 0
    while last_id < upto:
        with app.app_context() if app is not None else nullcontext():
            rows = db.session.scalars(query.where(AuditEntry.id > last_id, AuditEntry.id <= upto)
                                      .order_by(AuditEntry.id).limit(batch)).all()
            for e in rows:
                writer.writerow([
                    e.id, iso_utc(e.at), e.actor,
                    "" if e.store_id is None else store_slugs.get(e.store_id, str(e.store_id)),
                    e.action, e.object_type or "", e.object_id or "",
                    "" if e.before is None else json.dumps(e.before, ensure_ascii=False, sort_keys=True),
                    "" if e.after is None else json.dumps(e.after, ensure_ascii=False, sort_keys=True),
                    e.ip or "", e.request_id or "",
                ])
            last_id = rows[-1].id if len(rows) == batch else upto
        if rows:
            yield flush()
