"""Probes for load balancers and orchestrators; no login, no store, no rate limit.

``/healthz`` (liveness) answers as long as the process serves requests: it touches nothing,
so a database outage never gets healthy processes restarted. ``/readyz`` (readiness) says
whether this process can do useful work: the database answers and has every migration this
code needs (``shopdesk db upgrade`` has run for it). Migrations newer than the code (a rolling
upgrade, the new release migrated first) keep it ready and are named in the answer. A plugin
enabled in a store but not loaded by this process (installed after it started) makes it not
ready until it is reloaded. Both answer JSON; a failure names the part
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
    if current_app.extensions.get("shopdesk_rate_limit_warning"):  # worth knowing, not a reason to stop
        answer["rate_limits"] = current_app.extensions["shopdesk_rate_limit_warning"]
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except Exception as exc:
        log.warning("readiness: the database does not answer: %s", _first_line(exc))
        answer.update(status="not ready", database="unreachable", migrations="unknown")
        return answer, 503
    try:
        pending, newer = migrate.schema_state(current_app._get_current_object())
    except Exception as exc:
        log.warning("readiness: cannot compare migrations: %s", _first_line(exc))
        answer.update(status="not ready", migrations="cannot be checked (see the log)")
        return answer, 503
    if pending:
        answer.update(status="not ready",
                      migrations=f"pending: {', '.join(pending)} (run `shopdesk db upgrade`)")
        return answer, 503
    unloaded = unloaded_plugins(current_app.extensions["shopdesk"])
    if unloaded:
        answer.update(status="not ready", plugins="not loaded by this process: " + "; ".join(
            f"{name} (enabled in {', '.join(stores)})" for name, stores in unloaded.items())
            + " (reload it: the plugin was installed after it started)")
        return answer, 503
    if newer:
        # A rolling upgrade: the new release migrated first; this one keeps serving until reloaded.
        answer["migrations"] = (f"at head, and the database has newer revisions this process does not know: "
                                f"{', '.join(newer)} (reload it onto the new release)")
    return answer


def unloaded_plugins(registry) -> dict[str, list[str]]:
    """Plugins enabled in some store that this process does not know: ``{plugin: [store slugs]}``."""
    from .stores import Store, StorePlugin

    rows = db.session.execute(
        sa.select(StorePlugin.plugin, Store.slug).join(Store, Store.id == StorePlugin.store_id)
        .where(StorePlugin.enabled.is_(True), StorePlugin.plugin.not_in(sorted(registry.plugins)))
        .order_by(StorePlugin.plugin, Store.slug)).all()
    found: dict[str, list[str]] = {}
    for plugin, slug in rows:
        found.setdefault(plugin, []).append(slug)
    return found


def _first_line(exc) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
