"""How each request finds its caller, its store and its permission.

* A bearer token authenticates an API call (and exempts it from CSRF, which protects
  cookies only); otherwise the session does. A request carrying both is refused: it would act
  with the token's permissions while the session named someone else.
* ``/s/<store>/`` pages and API calls run with their store current. The store comes from
  the URL, from the API token, or from the ``Shopdesk-Store`` header. A store the caller
  is not a member of, and a plugin not enabled there, answer 404: they are invisible.
* A store that enabled a plugin this process has not loaded (installed after it started)
  answers 503 ``plugin_not_loaded`` until the process is reloaded: half a store is worse.
* Every route must declare its permission (``auth.permissions.requires``); a route that
  declares none is refused, so forgetting fails closed.
"""

import logging

from flask import abort, current_app, g, request, session
from flask_babel import ngettext
from flask_login import current_user
from flask_smorest import abort as api_abort

from .api import API_PREFIX, STORE_HEADER
from .auth.permissions import declared_permission, exempt_from_permission
from .auth.roles import role_of
from .auth.tokens import authenticate
from .db import current_store_id
from .stores import PluginStateError, get_store

log = logging.getLogger(__name__)

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def current_token():
    """The API token of this request (authenticated once), or None."""
    if "api_token" not in g:
        header = request.headers.get("Authorization", "")
        g.api_token = None
        if header.startswith("Bearer "):
            if "_user_id" in session:
                api_abort(400, code="ambiguous_credentials",
                          message="Authorization: send either a bearer token or a session cookie, not both")
            g.api_token = authenticate(header[len("Bearer "):].strip())
            if g.api_token is None:
                api_abort(401, message="Authorization: the bearer token is unknown, expired or revoked")
    return g.api_token


def refuse_unloaded_plugins(names: list[str], is_api: bool):
    """503 for a store that enabled a plugin this process has not loaded (installed after it
    started): serving the store without it would, say, place orders without reserving stock."""
    listed = ", ".join(names)
    if is_api:
        api_abort(503, code="plugin_not_loaded", errors={"plugins": names},
                  message=f"This store uses the plugin(s) {listed}, which this server process has not "
                          "loaded: reload the server (e.g. `systemctl reload shopdesk-web`) and try again.")
    abort(503, description=ngettext(
        "This store uses the plugin %(plugins)s, which this server has not loaded yet. "
        "An administrator must reload the server; please try again in a moment.",
        "This store uses the plugins %(plugins)s, which this server has not loaded yet. "
        "An administrator must reload the server; please try again in a moment.",
        len(names), plugins=listed))


def init_request_pipeline(app, csrf):
    login_manager = app.login_manager

    @login_manager.request_loader
    def user_from_token(req):
        token = current_token()
        return token.user if token is not None else None

    @app.url_value_preprocessor
    def pull_store(endpoint, values):
        if values and "store" in values:
            g.store_slug = values.pop("store")

    @app.url_defaults
    def add_store(endpoint, values):
        if "store" not in values and g.get("store") is not None:
            if app.url_map.is_endpoint_expecting(endpoint, "store"):
                values["store"] = g.store.slug

    @app.before_request
    def authenticate_caller():
        if (current_token() is None and request.method in UNSAFE_METHODS
                and current_app.config.get("WTF_CSRF_ENABLED", True)):
            csrf.protect()

    @app.before_request
    def bind_store():
        is_api = request.path.startswith(API_PREFIX + "/")
        token = current_token()
        if is_api and token is not None:
            store = token.store  # the only store a token can see, loaded with the token
            if (request.headers.get(STORE_HEADER) or store.slug) != store.slug:
                abort(404)
            role = token.membership.role if token.membership is not None else None
        else:
            slug = (request.headers.get(STORE_HEADER) or None) if is_api else g.get("store_slug")
            if slug is None:
                return None
            if not current_user.is_authenticated:
                if is_api:
                    abort(401)
                return login_manager.unauthorized()
            try:
                store = get_store(slug)
            except PluginStateError:
                abort(404)
            role = role_of(current_user, store)
        if role is None or (token is not None and token.store_id != store.id):
            abort(404)  # not a member, or a token of another store: the store does not exist
        g._shopdesk_role = (current_user.id, store.id, role)  # permission checks reuse it
        g.store = store
        g._store_token = current_store_id.set(store.id)
        g.hooks = current_app.extensions["shopdesk"].for_store(store)
        if g.hooks.not_loaded:
            refuse_unloaded_plugins(sorted(g.hooks.not_loaded), is_api)
        owner = current_app.extensions["shopdesk_blueprint_owners"].get(
            request.blueprints[-1] if request.blueprints else None)
        if owner is not None and owner not in g.hooks.enabled:
            abort(404)
        return None

    @app.before_request
    def guard_route():
        endpoint = request.endpoint
        if endpoint is None or exempt_from_permission(app, endpoint):
            return None
        if declared_permission(app, endpoint, request.method) is None:
            log.error("route %s %s declares no permission: refused", request.method, endpoint)
            abort(403, description="This route declares no permission.")
        owners = current_app.extensions["shopdesk_blueprint_owners"]
        if request.blueprints and request.blueprints[-1] in owners and g.get("store") is None:
            if not current_user.is_authenticated:
                abort(401)
            api_abort(400, message=f"{STORE_HEADER} header: name the store (its slug)")
        return None

    @app.teardown_request
    def unbind_store(exc):
        token = g.pop("_store_token", None)
        if token is not None:
            current_store_id.reset(token)
