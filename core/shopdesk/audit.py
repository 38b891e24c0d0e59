"""The append-only audit log: who changed what, when, in which store, before and after.

There is deliberately no update or delete helper. Entries join the caller's transaction,
so a change that rolls back leaves no audit entry behind, and one that commits always has one.
"""

import getpass
from datetime import datetime

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Mapped, mapped_column

from .db import UTCDateTime, db, utcnow


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
            return current_user.email, current_user.id
        return "anonymous", None
    try:
        return f"cli:{getpass.getuser()}", None
    except Exception:  # no login name in some containers
        return "cli", None


def record(action, *, store_id=None, object_type=None, object_id=None, before=None, after=None,
           actor=None, user_id=None):
    """Add one audit entry to the current transaction. The one-line helper plugins use."""
    who, uid = (actor, user_id) if actor else _who()
    entry = AuditEntry(
        actor=who, user_id=uid, store_id=store_id, action=action, object_type=object_type,
        object_id=None if object_id is None else str(object_id), before=before, after=after,
        ip=request.remote_addr if has_request_context() else None,
        request_id=request.headers.get("X-Request-Id") if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
