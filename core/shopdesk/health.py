"""Probes for load balancers and orchestrators; no login, no store, no rate limit.

``/healthz`` (liveness) answers as long as the process serves requests: it touches nothing,
so a database outage never gets healthy processes restarted. ``/readyz`` (readiness) says
whether this process can do useful work: the database answers and its schema is at head
(``shopdesk db upgrade`` has run for this code). Both answer JSON; a failure names the part
that failed, and its details go to the log, not to whoever asks.
"""

import logging

import sqlalchemy as sa
from flask import Blueprint, current_app

from . import migrate
from .auth.permissions import PUBLIC, requires
from .db import db
from .scheduler import scheduler_state

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
@requires(PUBLIC)
def healthz():
    return {"status": "ok"}


@bp.get("/readyz")
@requires(PUBLIC)
def readyz():
    answer = {"status": "ready", "database": "ok", "migrations": "at head",
              **scheduler_state(current_app._get_current_object())}
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        log.warning("readiness: the database does not answer: %s", _first_line(exc))
        answer.update(status="not ready", database="unreachable", migrations="unknown")
        return answer, 503
    try:
        pending = migrate.pending_heads(current_app._get_current_object())
    except Exception as exc:  # e.g. the database has a revision no installed code knows
        log.warning("readiness: cannot compare migrations: %s", _first_line(exc))
        answer.update(status="not ready", migrations="cannot be checked (see the log)")
        return answer, 503
    if pending:
        answer.update(status="not ready",
                      migrations=f"pending: {', '.join(pending)} (run `shopdesk db upgrade`)")
        return answer, 503
    return answer


def _first_line(exc) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
