"""Rate limits (Flask-Limiter): sign-in attempts per client address, API calls per caller.

Counters live in memory by default, which is right for one process (``make run``). Several
processes or machines share their counters through Redis: set ``SHOPDESK_REDIS_URL``
(e.g. ``redis://127.0.0.1:6379/0``). If Redis stops answering, each process falls back to
its own in-memory counters and logs a warning, rather than failing every request.
Several workers without Redis each count on their own, so a client gets up to that many
times each limit: the app logs a warning when it starts and ``/readyz`` says so
(:func:`per_process_warning`). The worker count comes from ``SHOPDESK_WORKERS`` (which the
shipped ``contrib/deploy/gunicorn.conf.py`` sets in every worker to gunicorn's real count),
else ``WEB_CONCURRENCY``.

Every answer the API limit counts says where the caller stands, so that a client can slow
down before it is refused: ``RateLimit-Limit`` (calls allowed in the window),
``RateLimit-Remaining`` (left after this one) and ``RateLimit-Reset`` (seconds until the window
starts again), the IETF draft's names; a 429 adds ``Retry-After``. Flask-Limiter's own headers
(``RATELIMIT_HEADERS_ENABLED``) are left off: they put ``Retry-After`` on every answer, 200s
included, and give the reset as a clock time.

``init_limits`` must run after the request pipeline has authenticated the caller (its
before_request functions come first), so that the API limit can be counted per API token.
"""

import logging
import math
import time

from flask import current_app, g, request
from flask_babel import ngettext
from flask_limiter import ApplicationLimit, Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from .security import setting

log = logging.getLogger(__name__)

LOGIN_LIMIT = "10 per minute"
API_LIMIT = "600 per minute"
LOGIN_ENDPOINT = "auth.login"
LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER = "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"


def api_caller() -> str:
    """Who an API call counts against: its token, else its signed-in user, else its address."""
    token = g.get("api_token")
    if token is not None:
        return f"token:{token.id}"
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


def _is_api():
    return request.path.startswith("/api/")


def worker_count(app) -> int:
    """How many processes serve this app side by side (1 when nothing says more)."""
    for key in ("SHOPDESK_WORKERS", "WEB_CONCURRENCY"):
        try:
            return max(1, int(setting(app, key)))
        except (TypeError, ValueError):
            continue
    return 1


def per_process_warning(app) -> str | None:
    """What to tell operators when the limits are counted per process, or None."""
    workers = worker_count(app)
    if workers < 2 or setting(app, "SHOPDESK_REDIS_URL"):
        return None
    return (f"counted per process: {workers} workers and no SHOPDESK_REDIS_URL, so a client gets up to "
            f"{workers} times each limit; set SHOPDESK_REDIS_URL to share the counters")


def init_limits(app) -> Limiter:
    redis_url = setting(app, "SHOPDESK_REDIS_URL")
    warning = app.extensions["shopdesk_rate_limit_warning"] = per_process_warning(app)
    if warning:
        log.warning("rate limits are %s", warning)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "shopdesk")
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    login_limit = setting(app, "SHOPDESK_LOGIN_RATE_LIMIT", LOGIN_LIMIT)
    api_limit = setting(app, "SHOPDESK_API_RATE_LIMIT", API_LIMIT)
    limiter = Limiter(
        get_remote_address,
        storage_uri=redis_url or None,
        # Every request passes through these; an endpoint name is only the scope of
        # per-route limits, and unknown /api/ paths must count too.
        request_identifier=lambda: request.endpoint or request.path,
        application_limits=[
            ApplicationLimit(
                login_limit, key_function=get_remote_address, scope="login", methods=["POST"],
                exempt_when=lambda: request.endpoint != LOGIN_ENDPOINT,
            ),
            ApplicationLimit(
                api_limit, key_function=api_caller, scope="api",
                exempt_when=lambda: not _is_api(),
            ),
        ],
    )
    limiter.init_app(app)
    app.extensions["shopdesk_limiter"] = limiter
    app.register_error_handler(RateLimitExceeded, _rate_limited)
    app.after_request(_rate_limit_headers)
    return limiter


def _seconds_left(window) -> int:
    reset_time, _remaining = window
    return max(1, math.ceil(reset_time - time.time()))


def retry_after(limiter) -> int:
    """Whole seconds until the breached limit's window resets (at least 1)."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    return _seconds_left(breached.window)


def _rate_limit_headers(response):
    counted = current_app.extensions["shopdesk_limiter"].current_limit if _is_api() else None
    if counted is None:
        return response
    try:
        window = counted.window
    except Exception as exc:  # the counters' storage failed since the check: answer without them
        log.warning("rate-limit headers left out: %s", exc)
        return response
    response.headers.update({LIMIT_HEADER: str(counted.limit.amount), REMAINING_HEADER: str(window[1]),
                             RESET_HEADER: str(_seconds_left(window))})
    return response


def _rate_limited(exc: RateLimitExceeded):
    """Say how long to wait, then answer like any other error (JSON under /api/, else a page)."""
    seconds = retry_after(current_app.extensions["shopdesk_limiter"])
    wait = f"{seconds} second{'s' if seconds != 1 else ''}"
    if _is_api():
        exc.description = f"Too many requests ({exc.limit.limit} per caller): retry in {wait}."
    elif request.endpoint == LOGIN_ENDPOINT:
        exc.description = ngettext(
            "Too many sign-in attempts from your network. Please wait %(num)d second and try again.",
            "Too many sign-in attempts from your network. Please wait %(num)d seconds and try again.",
            seconds)
    else:
        exc.description = ngettext("Too many requests. Please wait %(num)d second and try again.",
                                   "Too many requests. Please wait %(num)d seconds and try again.", seconds)
    exc.data = {"message": exc.description, "headers": {"Retry-After": str(seconds)}}
    # The app's HTTPException handler gives every error its shape; this one only adds the wait.
    handler = current_app.error_handler_spec[None][None].get(HTTPException)
    response = current_app.make_response(handler(exc) if handler else exc)
    response.headers["Retry-After"] = str(seconds)
    return response
