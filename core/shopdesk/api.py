"""The REST API: one flask-smorest Api per app at /api/v1, OpenAPI 3 at /api/openapi.json.

Plugins contribute flask-smorest blueprints through ``register_api``; the host mounts them
under /api/v1 and answers 404 for a plugin's routes in stores where it is not enabled. The
store of a request is named by the ``Shopdesk-Store`` header (a store slug).
"""

from flask_smorest import Api

API_PREFIX = "/api/v1"
STORE_HEADER = "Shopdesk-Store"


def init_api(app) -> Api:
    app.config.setdefault("API_TITLE", "Shopdesk")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api = Api(app)
    api.spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "session"})
    return api


def register_plugin_api(api, blueprint):
    api.register_blueprint(blueprint, url_prefix=API_PREFIX + (blueprint.url_prefix or ""))
