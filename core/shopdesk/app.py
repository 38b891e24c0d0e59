"""The application factory. Nothing happens at import time; ``create_app`` builds everything."""

import json
import os
import secrets
from pathlib import Path

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from flask_bootstrap import Bootstrap5
from flask_wtf import CSRFProtect
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from . import api as api_module
from . import idempotency, input_guard, kit, location
from . import jobs_web, scheduler
from . import events  # noqa: F401  (outbox models and commit listeners)
from . import settings as plugin_settings
from . import store_web
from .auth import views as auth_views
from .db import db
from .health import bp as health_bp
from .i18n import init_i18n
from .limits import init_limits
from .registry import Registry
from .security import init_security
from .web import init_request_pipeline


def _instance_path() -> Path:
    return Path(os.environ.get("SHOPDESK_INSTANCE_PATH") or Path.cwd() / "instance").resolve()


def _config_from_environment(app):
    """``SHOPDESK_*`` variables become config keys of the same name (JSON values parsed),
    unlike Flask's from_prefixed_env, which would strip the prefix our keys carry."""
    for key, value in os.environ.items():
        if key.startswith("SHOPDESK_"):
            try:
                app.config[key] = json.loads(value)
            except ValueError:
                app.config[key] = value


def _secret_key(instance: Path) -> str:
    """Generated once into instance/secret_key (git-ignored), so sessions survive restarts."""
    return plugin_settings.read_or_create(instance / "secret_key", lambda: secrets.token_hex(32).encode()).decode()


class DatabaseIntConverter(IntegerConverter):
    """``<int:...>`` in every route stops at the range of the INTEGER id columns: a larger
    number is a 404 like any missing id, not an overflow deep in the driver."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def create_app(config: dict | None = None, *, plugins=(), entry_points=None) -> Flask:
    """Build the app.

    ``plugins`` adds plugin objects directly (tests); ``entry_points`` replaces the installed
    ``shopdesk.plugins`` entry points (tests of discovery). Configuration comes from
    ``instance/config.py``, then ``SHOPDESK_*`` environment variables, then ``config``.
    """
    config = dict(config or {})
    instance = Path(config.pop("INSTANCE_PATH", None) or _instance_path())
    app = Flask("shopdesk", instance_path=str(instance), instance_relative_config=True)
    app.url_map.converters["int"] = DatabaseIntConverter
    app.config.from_pyfile("config.py", silent=True)
    _config_from_environment(app)
    if os.environ.get("SHOPDESK_DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["SHOPDESK_DATABASE_URL"]
    app.config.update(config)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{instance / 'shopdesk.db'}")
    # A request body above this (an import, an image) is refused with 413 before it is read.
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default: no limit at all
        app.config["MAX_CONTENT_LENGTH"] = int(app.config.get("SHOPDESK_MAX_UPLOAD_MB", 64)) * 1024 * 1024
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)
    if not app.config.get("SHOPDESK_SETTINGS_KEY"):
        app.config["SHOPDESK_SETTINGS_KEY"] = plugin_settings.load_or_create_key(instance / "settings.key")
    app.config.setdefault("BOOTSTRAP_SERVE_LOCAL", True)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    init_security(app)

    db.init_app(app)
    registry = Registry.load(entry_points=entry_points, objects=plugins)
    app.extensions["shopdesk"] = registry

    auth_views.login_manager.init_app(app)
    init_i18n(app)
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # web.py checks: cookies only, not tokens
    csrf = CSRFProtect(app)
    Bootstrap5(app)
    from . import audit_web
    from .auth.api import blp as auth_api
    from .auth.pages import bp as account_bp
    from .ui import bp as shell_bp

    audit_web.init_request_id(app)  # first, so every response carries X-Request-Id
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(shell_bp)
    app.register_blueprint(health_bp)
    api = api_module.init_api(app)
    app.extensions["shopdesk_api"] = api
    location.init_app(app)  # Location on the API's 201 answers
    api_module.register_plugin_api(api, auth_api)
    api_module.register_plugin_api(api, store_web.api)
    app.register_blueprint(store_web.bp)
    api_module.register_plugin_api(api, audit_web.blp)
    app.register_blueprint(audit_web.bp)
    from . import webhooks_web  # imports webhooks: its models and the "webhook" event target

    api_module.register_plugin_api(api, webhooks_web.blp)
    app.register_blueprint(webhooks_web.bp)
    api_module.register_plugin_api(api, jobs_web.blp)
    app.register_blueprint(jobs_web.bp)
    _register_plugin_blueprints(app, registry, api)
    idempotency.apply_to_api(app)  # every POST of the API, the plugins' included
    scheduler.init_app(app)  # the host's and every plugin's jobs, checked
    input_guard.install(app)  # before the pipeline: no NUL reaches a store lookup
    init_request_pipeline(app, csrf)
    app.before_request(api_module.refuse_unknown_query_parameters)  # once the caller and store are known
    _register_error_pages(app, api)
    kit.init_app(app)  # Refusal answered for the API and pages; page slots for templates
    init_limits(app)  # last: the API limit counts per caller, once the caller is authenticated

    registry.each("app_ready", app=app)
    return app


def _register_plugin_blueprints(app, registry, api):
    """Mount plugins' UI under /s/<store>/ and API under /api/v1, remembering the owner."""
    owners = app.extensions["shopdesk_blueprint_owners"] = {}
    for result in registry.each("register_blueprints"):
        for bp in result.value or []:
            app.register_blueprint(bp, url_prefix="/s/<store>" + (bp.url_prefix or ""))
            owners[bp.name] = result.plugin
    for result in registry.each("register_api"):
        for blp in result.value or []:
            api_module.register_plugin_api(api, blp)
            owners[blp.name] = result.plugin
    registry.each("register_commands", cli=app.cli)


def _register_error_pages(app, api):
    """JSON errors under /api (flask-smorest's format), HTML pages everywhere else."""

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if isinstance(exc, RequestEntityTooLarge) and not (getattr(exc, "data", None) or {}).get("message"):
            # Werkzeug's refusal of a body over MAX_CONTENT_LENGTH (a plugin's own 413 says its own limit)
            exc.description = gettext("The request body is larger than the %(mb)s MB this server accepts "
                                      "(SHOPDESK_MAX_UPLOAD_MB).", mb=app.config["MAX_CONTENT_LENGTH"] // 1048576)
            exc.data = {"message": exc.description}
        allow = {"Allow": ", ".join(exc.valid_methods)} if getattr(exc, "valid_methods", None) else {}
        if request.path.startswith("/api/"):
            if isinstance(exc, CSRFError):
                exc.data = {"message": f"{exc.description} Send the X-CSRFToken header with a session, "
                                       "or use a bearer token."}
            headers = {**allow, **api_module.challenge(exc),
                       **((getattr(exc, "data", None) or {}).get("headers") or {})}
            return jsonify(api_module.error_body(exc)), exc.code, headers
        return render_template("shell/error.html", error=exc), exc.code, allow  # a 405 says what is allowed


