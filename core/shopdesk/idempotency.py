"""``Idempotency-Key`` for POSTs that create things.

The same key with the same body replays the first response; the same key with a different
body is a 422. The key is claimed (a unique row) before the work runs, so two concurrent
requests with one key cannot both create: the second gets a 409 until the first finishes.
Keys are per store and per caller, and kept for ``SHOPDESK_IDEMPOTENCY_HOURS`` (24).
"""

import hashlib
from datetime import datetime, timedelta
from functools import wraps

import sqlalchemy as sa
from flask import current_app, g, make_response, request
from flask_login import current_user
from flask_smorest import abort as api_abort
from sqlalchemy.orm import Mapped, mapped_column

from .db import StoreScoped, UTCDateTime, db, utcnow

HEADER = "Idempotency-Key"


class IdempotencyKey(StoreScoped, db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("store_id", "caller", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    caller: Mapped[str] = mapped_column(sa.String(64))
    key: Mapped[str] = mapped_column(sa.String(255))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[int | None]  # None while the first request is still running
    body: Mapped[str | None] = mapped_column(sa.Text)
    headers: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


def _caller() -> str:
    token = g.get("api_token")
    return f"token:{token.id}" if token is not None else f"user:{current_user.id}"


def _fingerprint() -> str:
    body = request.get_data(cache=True)
    return hashlib.sha256(b"%s %s\n%s" % (request.method.encode(), request.path.encode(), body)).hexdigest()


def idempotent(view):
    """Decorate a creating POST handler (outermost, so it sees the finished response)."""

    @wraps(view)
    def handle(*args, **kwargs):
        key = request.headers.get(HEADER)
        if not key:
            return view(*args, **kwargs)
        if len(key) > 255:
            api_abort(400, message=f"{HEADER}: at most 255 characters")
        fingerprint, caller = _fingerprint(), _caller()
        horizon = utcnow() - timedelta(hours=current_app.config.get("SHOPDESK_IDEMPOTENCY_HOURS", 24))
        db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < horizon))
        found = db.session.scalar(sa.select(IdempotencyKey).filter_by(caller=caller, key=key))
        if found is None:
            claim = IdempotencyKey(caller=caller, key=key, request_hash=fingerprint)
            db.session.add(claim)
            try:
                db.session.commit()
            except sa.exc.IntegrityError:
                db.session.rollback()
                api_abort(409, message=f"{HEADER}: a request with this key is still being processed")
            return _run_and_remember(view, claim.id, args, kwargs)
        if found.request_hash != fingerprint:
            api_abort(422, message=f"{HEADER}: this key was used with a different request body",
                      errors={HEADER: ["reused with a different request"]})
        if found.status is None:
            api_abort(409, message=f"{HEADER}: a request with this key is still being processed")
        response = current_app.response_class(found.body, status=found.status, headers=found.headers)
        response.headers["Idempotent-Replayed"] = "true"
        return response

    handle.shopdesk_idempotent = True
    return handle


def _run_and_remember(view, claim_id, args, kwargs):
    try:
        response = make_response(view(*args, **kwargs))
    except Exception:
        _forget(claim_id)
        raise
    if response.status_code >= 500:
        _forget(claim_id)
        return response
    db.session.rollback()  # whatever the view left open; it commits its own work
    db.session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.id == claim_id).values(
        status=response.status_code, body=response.get_data(as_text=True),
        headers={"Content-Type": response.content_type, **({"Location": response.location} if response.location else {})}))
    db.session.commit()
    return response


def _forget(claim_id):
    """A failed first attempt must not block retries with the same key."""
    db.session.rollback()
    db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.id == claim_id))
    db.session.commit()
