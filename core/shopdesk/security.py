"""Browser-facing hardening: response headers and session cookie flags.

The UI serves Bootstrap from the app itself, so the Content-Security-Policy allows scripts,
styles, images and fonts from our own origin only. Two exceptions, each for a reason:
``data:`` images (Bootstrap's CSS draws its select arrows, check marks and close buttons
as inline SVG ``data:`` URLs) and inline ``style="..."`` attributes (``style-src-attr``;
templates use a few for widths). Inline ``<script>`` and ``<style>`` elements stay blocked.
"""

import os

from flask import request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
}

HSTS = "max-age=31536000"


def setting(app, key, default=None):
    """A Shopdesk setting: the app's config key, else the environment variable of that name."""
    if app.config.get(key) is not None:
        return app.config[key]
    return os.environ.get(key, default)


def init_security(app):
    """Cookie flags and security headers on every response (a view may set its own first).

    The session cookie is HttpOnly and SameSite=Lax always, and Secure when
    ``SESSION_COOKIE_SECURE`` is true (``SHOPDESK_SESSION_COOKIE_SECURE=1`` in the
    environment). It is off by default because ``make run`` serves plain http on
    127.0.0.1, where a browser would drop a Secure cookie; production behind HTTPS sets it.
    """
    # Flask's defaults hold these keys with None, so setdefault() would never apply.
    for cookie in ("SESSION", "REMEMBER"):
        if app.config.get(f"{cookie}_COOKIE_SAMESITE") is None:
            app.config[f"{cookie}_COOKIE_SAMESITE"] = "Lax"
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SECURE", bool(app.config.get("SESSION_COOKIE_SECURE")))

    # Behind N proxies (load balancer, nginx), trust their X-Forwarded-For/-Proto, so that
    # rate limits see the client's address and HSTS sees https. Never more than are there:
    # a client could then claim any address.
    proxies = int(setting(app, "SHOPDESK_TRUSTED_PROXIES", 0))
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.after_request
    def security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
