"""The application factory. Nothing happens at import time; ``create_app`` builds everything."""

import os
import secrets
from pathlib import Path

from flask import Flask, abort, g, render_template, request
from flask_bootstrap import Bootstrap5
from flask_login import current_user
from flask_smorest import abort as api_abort
from flask_wtf import CSRFProtect
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from . import api as api_module
from . import settings as plugin_settings
from .auth import views as auth_views
from .db import current_store_id, db
from .registry import Registry
from .stores import PluginStateError, get_store


def _instance_path() -> Path:
    return Path(os.environ.get("SHOPDESK_INSTANCE_PATH") or Path.cwd() / "instance").resolve()


def _secret_key(instance: Path) -> str:
    """Generated once into instance/secret_key (git-ignored), so sessions survive restarts."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(config: dict | None = None, *, plugins=(), entry_points=None) -> Flask:
    """Build the app.

    ``plugins`` adds plugin objects directly (tests); ``entry_points`` replaces the installed
    ``shopdesk.plugins`` entry points (tests of discovery). Configuration comes from
    ``instance/config.py``, then ``SHOPDESK_*`` environment variables, then ``config``.
    """
    config = dict(config or {})
    instance = Path(config.pop("INSTANCE_PATH", None) or _instance_path())
    app = Flask("shopdesk", instance_path=str(instance), instance_relative_config=True)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("SHOPDESK")
    if os.environ.get("SHOPDESK_DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["SHOPDESK_DATABASE_URL"]
    app.config.update(config)
    app.config.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{instance / 'shopdesk.db'}")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(instance)
    if not app.config.get("SHOPDESK_SETTINGS_KEY"):
        app.config["SHOPDESK_SETTINGS_KEY"] = plugin_settings.load_or_create_key(instance / "settings.key")
    app.config.setdefault("BOOTSTRAP_SERVE_LOCAL", True)
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")

    db.init_app(app)
    registry = Registry.load(entry_points=entry_points, objects=plugins)
    app.extensions["shopdesk"] = registry

    auth_views.login_manager.init_app(app)
    CSRFProtect(app)
    Bootstrap5(app)
    from .ui import bp as shell_bp

    app.register_blueprint(auth_views.bp)
    app.register_blueprint(shell_bp)
    api = api_module.init_api(app)
    app.extensions["shopdesk_api"] = api
    _register_plugin_blueprints(app, registry, api)
    _bind_store_to_requests(app)
    _register_error_pages(app, api)

    registry.pm.hook.app_ready.call_historic(kwargs={"app": app})
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
        if request.path.startswith("/api/"):
            if isinstance(exc, CSRFError):
                exc.data = {"message": f"{exc.description} Send the X-CSRFToken header with a session."}
            return api.handle_http_exception(exc)
        return render_template("shell/error.html", error=exc), exc.code


def _bind_store_to_requests(app):
    """Every /s/<store>/ page and every plugin API call runs with its store current."""

    @app.url_value_preprocessor
    def pull_store(endpoint, values):
        if values and "store" in values:
            g.store_slug = values.pop("store")

    @app.url_defaults
    def add_store(endpoint, values):
        if "store" not in values and getattr(g, "store", None) is not None:
            if app.url_map.is_endpoint_expecting(endpoint, "store"):
                values["store"] = g.store.slug

    @app.before_request
    def bind_store():
        slug = getattr(g, "store_slug", None)
        is_api = request.path.startswith(api_module.API_PREFIX + "/")
        if slug is None and is_api:
            slug = request.headers.get(api_module.STORE_HEADER)
        if slug is None:
            return None
        if not current_user.is_authenticated:
            if is_api:
                abort(401)
            return app.login_manager.unauthorized()
        try:
            g.store = get_store(slug)
        except PluginStateError:
            abort(404)
        g._store_token = current_store_id.set(g.store.id)
        g.hooks = app.extensions["shopdesk"].for_store(g.store)
        owner = app.extensions["shopdesk_blueprint_owners"].get(request.blueprints[-1] if request.blueprints else None)
        if owner is not None and owner not in g.hooks.enabled:
            abort(404)
        return None

    @app.before_request
    def plugin_api_needs_store():
        owners = app.extensions["shopdesk_blueprint_owners"]
        root = request.blueprints[-1] if request.blueprints else None
        if root in owners and getattr(g, "store", None) is None:
            if not current_user.is_authenticated:
                abort(401)
            api_abort(400, message=f"{api_module.STORE_HEADER} header: name the store (its slug)")

    @app.teardown_request
    def unbind_store(exc):
        token = g.pop("_store_token", None)
        if token is not None:
            current_store_id.reset(token)
