"""Account lockout: too many failed sign-ins for one email refuse it for a while.

The count comes from the audit log, which already records every attempt ("auth.login_failed"
with the email as actor, "auth.login" on success), so every process and machine agrees
without a counter of its own. After ``SHOPDESK_LOGIN_MAX_FAILURES`` failures (default 5)
within ``SHOPDESK_LOGIN_LOCKOUT_MINUTES`` (default 15) and no success since, sign-ins for
that email are refused without checking the password until the oldest of those failures
leaves the window. Refused attempts are audited as "auth.login_locked" and do not count as
failures, so waiting always ends a lockout. Unknown emails lock like known ones, so the
answer does not tell whether an account exists.
"""

import math
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import ngettext

from ..audit import AuditEntry
from ..db import db, utcnow
from ..security import setting

MAX_FAILURES = 5
LOCKOUT_MINUTES = 15


def locked_for(email: str) -> timedelta | None:
    """How much longer sign-ins for ``email`` are refused, or None if they are allowed."""
    max_failures = int(setting(current_app, "SHOPDESK_LOGIN_MAX_FAILURES", MAX_FAILURES))
    minutes = float(setting(current_app, "SHOPDESK_LOGIN_LOCKOUT_MINUTES", LOCKOUT_MINUTES))
    window = timedelta(minutes=minutes)
    now = utcnow()
    since = now - window
    last_success = db.session.scalar(
        sa.select(sa.func.max(AuditEntry.at))
        .where(AuditEntry.action == "auth.login", AuditEntry.actor == email)
    )
    if last_success is not None and last_success > since:
        since = last_success
    recent_failures = db.session.scalars(
        sa.select(AuditEntry.at)
        .where(AuditEntry.action == "auth.login_failed", AuditEntry.actor == email,
               AuditEntry.at > since)
        .order_by(AuditEntry.at.desc()).limit(max_failures)
    ).all()
    if len(recent_failures) < max_failures:
        return None
    return recent_failures[-1] + window - now


def seconds(wait: timedelta) -> str:
    """The wait in whole seconds, for a Retry-After header."""
    return str(max(1, math.ceil(wait.total_seconds())))


def message(wait: timedelta) -> str:
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    return ngettext("Too many failed sign-ins for this account. Try again in %(num)d minute.",
                    "Too many failed sign-ins for this account. Try again in %(num)d minutes.", minutes)
