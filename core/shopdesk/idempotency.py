"""``Idempotency-Key`` on every POST of the API.

The same key with the same body replays the first answer; the same key with a different body
is a 422 (``idempotency_key_reused``). The body is compared parsed (JSON: keys in any order,
any spacing; forms: fields and each file's content), not as raw bytes.

The key is claimed (a unique row) before the work runs, so two concurrent requests with one key
cannot both do it: the second gets a 409 (``idempotency_key_in_progress``) until the first
finishes. The claim holds a lease (``SHOPDESK_IDEMPOTENCY_LEASE_SECONDS``, longer than a worker
may run): a claim whose process died is taken over once the lease ends, and the work runs
again, unless the dead request had already committed work, which the view's own commits mark
in the same transaction (``work_committed``). Then a retry cannot know the answer and must not
do the work twice: it gets a 409 (``idempotency_key_outcome_unknown``).

The host applies this to every POST under ``/api/v1`` (:func:`apply_to_api`); a handler whose
answer must not be stored (it carries a secret) or that changes nothing says so with
:func:`not_idempotent`. Answers below 500 are remembered (refusals that may change on their own,
401, 403, 409, 422 and 429, are not, unless the view had committed work), for ``SHOPDESK_IDEMPOTENCY_HOURS`` (24), per store and
caller.
"""

import hashlib
import json
from datetime import datetime, timedelta
from functools import wraps

import sqlalchemy as sa
from flask import current_app, g, make_response, request
from flask_login import current_user
from flask_smorest import abort as api_abort
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.exceptions import HTTPException

from .db import StoreScoped, UTCDateTime, db, utcnow
from .kit.refusals import Refusal, handle_refusal

HEADER = "Idempotency-Key"
NOT_REMEMBERED = {401, 403, 409, 422, 429}


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
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    work_committed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


def not_idempotent(reason: str):
    """Keep a POST handler out of :func:`apply_to_api`; ``reason`` says why, for reviewers."""

    def mark(handler):
        handler.shopdesk_not_idempotent = reason
        return handler

    return mark


def apply_to_api(app):
    """Make every POST handler of the API's class-based views idempotent (once)."""
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        if not rule.rule.startswith("/api/v1/") or view_class is None or "POST" not in rule.methods:
            continue
        handler = getattr(view_class, "post", None)
        if handler is None or getattr(handler, "shopdesk_not_idempotent", None) \
                or getattr(handler, "shopdesk_idempotent", False):
            continue
        view_class.post = idempotent(handler)


def _caller() -> str:
    token = g.get("api_token")
    return f"token:{token.id}" if token is not None else f"user:{current_user.id}"


def _fingerprint() -> str:
    """The request as parsed: what a client means, whatever its serialiser's spacing or order."""
    digest = hashlib.sha256(f"{request.method} {request.path}?{request.query_string.decode()}\n".encode())
    if request.is_json:
        parsed = request.get_json(silent=True, cache=True)
        if parsed is not None:
            digest.update(json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode())
            return digest.hexdigest()
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        digest.update(json.dumps(sorted(request.form.items(multi=True))).encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            digest.update(f"\n{name} {upload.filename}\n".encode())
            digest.update(hashlib.sha256(upload.stream.read()).digest())
            upload.stream.seek(0)
        return digest.hexdigest()
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def idempotent(view):
    """Wrap a POST handler (outermost, so it sees the finished response)."""

    @wraps(view)
    def handle(*args, **kwargs):
        key = request.headers.get(HEADER)
        if not key:
            return view(*args, **kwargs)
        if len(key) > 255:
            api_abort(400, message=f"{HEADER}: at most 255 characters", errors={HEADER: ["At most 255 characters."]})
        fingerprint, caller, now = _fingerprint(), _caller(), utcnow()
        config = current_app.config
        horizon = now - timedelta(hours=config.get("SHOPDESK_IDEMPOTENCY_HOURS", 24))
        lease = now + timedelta(seconds=config.get("SHOPDESK_IDEMPOTENCY_LEASE_SECONDS", 120))
        db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < horizon))
        db.session.commit()
        found = db.session.scalar(sa.select(IdempotencyKey).filter_by(caller=caller, key=key))
        if found is None:
            claim = IdempotencyKey(caller=caller, key=key, request_hash=fingerprint, lease_expires_at=lease)
            db.session.add(claim)
            try:
                db.session.commit()
            except sa.exc.IntegrityError:  # claimed meanwhile: answer as the row now says
                db.session.rollback()
                return handle(*args, **kwargs)
            return _run_and_remember(view, claim.id, args, kwargs)
        if found.request_hash != fingerprint:
            api_abort(422, message=f"{HEADER}: this key was used with a different request body",
                      code="idempotency_key_reused", errors={HEADER: ["reused with a different request"]})
        if found.status is not None:
            response = current_app.response_class(found.body, status=found.status, headers=found.headers)
            response.headers["Idempotent-Replayed"] = "true"
            return response
        if found.lease_expires_at is None or found.lease_expires_at > now:
            _in_progress(found.lease_expires_at and found.lease_expires_at - now)
        if found.work_committed:
            api_abort(409, code="idempotency_key_outcome_unknown",
                      message=f"{HEADER}: the first request with this key stopped after saving its work, "
                              "and its answer was lost. Look the result up instead of retrying.")
        taken = db.session.execute(  # the lease ended, nothing was saved: run again, once
            sa.update(IdempotencyKey)
            .where(IdempotencyKey.id == found.id, IdempotencyKey.status.is_(None),
                   IdempotencyKey.work_committed.is_(False), IdempotencyKey.lease_expires_at <= now)
            .values(lease_expires_at=lease))
        db.session.commit()
        if taken.rowcount != 1:
            _in_progress()
        return _run_and_remember(view, found.id, args, kwargs)

    handle.shopdesk_idempotent = True
    return handle


def _in_progress(left: timedelta | None = None):
    seconds = max(1, int(left.total_seconds())) if left else 1
    api_abort(409, code="idempotency_key_in_progress", headers={"Retry-After": str(seconds)},
              message=f"{HEADER}: a request with this key is still being processed")


def _run_and_remember(view, claim_id, args, kwargs):
    """Run the view; remember its answer, unless it is a refusal that may change on its own
    and nothing was committed (then the key is free again)."""
    session = db.session()

    def mark_work_committed(session):  # part of whatever the view commits, savepoints included
        session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.id == claim_id).values(work_committed=True))

    sa.event.listen(session, "before_commit", mark_work_committed)
    try:
        try:
            response = make_response(view(*args, **kwargs))
        except HTTPException as exc:  # a refusal: the app's own JSON error answer
            response = make_response(current_app.handle_http_exception(exc))
        except Refusal as exc:  # a service's refusal: remembered like the one above
            response = make_response(handle_refusal(exc))
    except Exception:
        _give_up(claim_id)
        raise
    finally:
        sa.event.remove(session, "before_commit", mark_work_committed)
    db.session.rollback()  # whatever the view left open; it commits its own work
    committed = db.session.scalar(sa.select(IdempotencyKey.work_committed).where(IdempotencyKey.id == claim_id))
    if not committed and (response.status_code >= 500 or response.status_code in NOT_REMEMBERED):
        _give_up(claim_id)
        return response
    db.session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.id == claim_id).values(
        status=response.status_code, body=response.get_data(as_text=True), lease_expires_at=None,
        headers={"Content-Type": response.content_type, **({"Location": response.location} if response.location else {})}))
    db.session.commit()
    return response


def _give_up(claim_id):
    """Free the key for a retry, unless the attempt committed work before it failed: then the
    claim stays, its lease ended, and retries are told the outcome is unknown."""
    db.session.rollback()
    db.session.execute(sa.delete(IdempotencyKey).where(
        IdempotencyKey.id == claim_id, IdempotencyKey.work_committed.is_(False)))
    db.session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.id == claim_id).values(lease_expires_at=utcnow()))
    db.session.commit()
