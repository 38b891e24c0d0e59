"""What every part of the service layer shares: its error, who acts, the settings, the timeline.

Service functions take the store's hooks object (``g.hooks`` in a request,
``current_app.extensions["shopdesk"].for_store(store)`` elsewhere) so the same code runs
from the API, the pages, the CLI, jobs and demo data. They never commit: the caller does,
and rolls back on an ``OrderError`` so that nothing is half-written.
"""

from flask import has_request_context

from shopdesk import audit
from shopdesk.db import db

from .models import TimelineEntry
from .states import IllegalTransition


class OrderError(Exception):
    """A refusal with its HTTP status: 404, 409 (state, stock, limits) or 422 (input)."""

    def __init__(self, status: int, message: str, errors: dict | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.errors, self.code = status, message, errors or {}, code


def as_order_error(exc: Exception) -> OrderError:
    if isinstance(exc, OrderError):
        return exc
    if isinstance(exc, IllegalTransition):
        return OrderError(409, str(exc), {"status": [exc.current]}, code="invalid_transition")
    raise exc


def actor() -> str:
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.email
    return "system"


def settings(hooks) -> dict:
    return hooks.context("orders").settings


def note(order, kind: str, message: str, **data):
    """Add a line to the order's timeline (shown on its page, newest last)."""
    entry = TimelineEntry(order_id=order.id, kind=kind, message=message, actor=actor(), data=data)
    db.session.add(entry)
    return entry


def audited(action: str, order, before=None, after=None):
    audit.record(f"orders.{action}", object_type="order", object_id=order.id, before=before, after=after)
