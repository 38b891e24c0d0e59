"""What the OpenAPI document says about each operation beyond its schemas, read from the views.

flask-smorest documents what a view's decorators declare (arguments, responses). The rest
comes from the attributes Shopdesk's own decorators leave on the view, so a plugin's routes
are documented the moment they are written, with no list of routes to keep:

* ``@requires(permission)`` (``shopdesk_permission``): the security requirement (bearer token
  or session, none for PUBLIC), the ``x-shopdesk-permission`` extension and a sentence naming
  the permission, the ``Shopdesk-Store`` header, and the 400/401/403/404/429 answers;
* ``@idempotent`` (``shopdesk_idempotent``): the ``Idempotency-Key`` header, the
  ``Idempotent-Replayed`` answer header, and the 409/422 answers of a key in use or reused;
* every operation: the 422 answer (an unknown query parameter is refused everywhere); a write
  that needs more than a ``*.read`` permission: the 409 answer (a name taken, a state that does
  not allow it); on every answer the ``RateLimit-*`` headers (``limits``);
* a POST whose 201 answer has an ``id`` and whose created object has a GET route: the
  ``Location`` header (``location``).

Every operation gets a stable ``operationId`` (``<blueprint>_<view>_<method>``) unless the view
gives its own with ``@blp.doc(operationId=...)``.
"""

import re
from decimal import Decimal
from http import HTTPStatus

from apispec import BasePlugin
from marshmallow import fields

from .limits import LIMIT_HEADER, REMAINING_HEADER, RESET_HEADER

TOKEN_SCHEME, SESSION_SCHEME = "token", "session"
STORE_PARAMETER, IDEMPOTENCY_PARAMETER = "ShopdeskStore", "IdempotencyKey"
DECIMAL_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
READ_METHODS = {"get", "head", "options"}

# Answers documented on operations (component name, description); each carries the Error body.
ERROR_RESPONSES = {
    400: ("BadRequest", "Malformed request: invalid JSON, a session that names no store in "
                        "Shopdesk-Store, or a bad header."),
    401: ("Unauthorized", "No valid bearer token and no signed-in session."),
    403: ("Forbidden", "The caller lacks the permission this operation needs in the store."),
    404: ("NotFound", "No such object in this store, a store the caller cannot see, or a plugin "
                      "that is not enabled in the store."),
    409: ("Conflict", "The request conflicts with the current state: a name or SKU taken, a "
                      "state that does not allow it, an Idempotency-Key still being processed."),
    422: ("UnprocessableEntity", "The input was refused: `errors` names each field and why."),
    429: ("TooManyRequests", "Rate limit reached: retry later."),
}


RATE_LIMIT_HEADERS = {  # header, component, description
    LIMIT_HEADER: ("RateLimitLimit", "Calls the caller may make in the current window."),
    REMAINING_HEADER: ("RateLimitRemaining", "Calls left in the current window, this one counted."),
    RESET_HEADER: ("RateLimitReset", "Seconds until the current window ends and the count starts again."),
}
RATE_LIMIT_REFS = {header: component for header, (component, _) in RATE_LIMIT_HEADERS.items()}
LOCATION_HEADER = "Location"

ERROR_HEADERS = {
    429: {"Retry-After": {"description": "Seconds to wait before calling again.", "schema": {"type": "integer"}}},
    401: {"WWW-Authenticate": {"description": 'Bearer realm="Shopdesk", with error="invalid_token" '
                                              "when the token sent is unknown, expired or revoked.",
                               "schema": {"type": "string"}}},
    409: {"Retry-After": {"description": "Seconds to wait, when an Idempotency-Key is still being processed.",
                          "schema": {"type": "integer"}}},
}


def register_components(spec, ma_plugin):
    """The security schemes, shared headers and error answers operations refer to."""
    from .api import STORE_HEADER
    from .idempotency import HEADER

    spec.components.security_scheme(TOKEN_SCHEME, {
        "type": "http", "scheme": "bearer",
        "description": "An API token (`sdk_…`) made on the store's API tokens page: it names its store."})
    spec.components.security_scheme(SESSION_SCHEME, {
        "type": "apiKey", "in": "cookie", "name": "session",
        "description": "A signed-in browser session: name the store in the Shopdesk-Store header and "
                       "send the session's CSRF token in X-CSRFToken on POST, PUT, PATCH and DELETE."})
    spec.components.parameter(STORE_PARAMETER, "header", {
        "name": STORE_HEADER, "required": False, "schema": {"type": "string", "maxLength": 64},
        "description": "The store's slug. Required with a session; with a token it may be left out "
                       "(the token's store), and naming another store answers 404."})
    spec.components.parameter(IDEMPOTENCY_PARAMETER, "header", {
        "name": HEADER, "required": False, "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": "Makes the request safe to retry: the same key with the same body answers the "
                       "first answer again (Idempotent-Replayed: true) without doing it twice; with "
                       "another body it is refused (422, idempotency_key_reused). While the first "
                       "request runs, a retry gets 409 (idempotency_key_in_progress) with Retry-After. "
                       "Refusals that can change (401, 403, 409, 422, 429) and 5xx answers are not kept. "
                       "Kept 24 hours, per caller and store. See docs/idempotency.md."})
    for component, description in RATE_LIMIT_HEADERS.values():
        spec.components.header(component, {"description": description, "schema": {"type": "integer", "minimum": 0}})
    spec.components.header(LOCATION_HEADER, {
        "description": "The path of what was created: a GET there reads it.",
        "schema": {"type": "string", "format": "uri-reference"}})
    for status, (name, description) in ERROR_RESPONSES.items():
        spec.components.response(name, {"description": description, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            "headers": {**RATE_LIMIT_REFS, **ERROR_HEADERS.get(status, {})}})
    ma_plugin.converter.add_attribute_function(decimal2properties)


def decimal2properties(self, field, ret, **kwargs) -> dict:
    """Decimals as they travel: ``as_string`` ones are decimal strings both ways (a JSON number
    is accepted on input too), with their bounds in words; others get numeric bounds (apispec
    would write a Decimal bound as a string)."""
    if not isinstance(field, fields.Decimal):
        return {}
    low, high = ret.pop("minimum", None), ret.pop("maximum", None)
    if not field.as_string:
        return {key: _number(value) for key, value in (("minimum", low), ("maximum", high)) if value is not None}
    words = "A decimal number written as a string, e.g. \"8.25\""
    if low is not None and high is not None:
        words += f", from {_number(low)} to {_number(high)}"
    elif low is not None or high is not None:
        words += f", at least {_number(low)}" if low is not None else f", at most {_number(high)}"
    description = ret.get("description")
    return {"type": "string", "format": "decimal", "pattern": DECIMAL_PATTERN,
            "description": f"{description} {words}." if description else f"{words}."}


def _number(value):
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


def operation_id(endpoint: str, method: str) -> str:
    """``catalog_api.ProductById`` + ``get`` → ``catalog_product_by_id_get``."""
    blueprint, _, view = endpoint.rpartition(".")
    view = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", view).lower()
    return f"{blueprint.removesuffix('_api')}_{view}_{method}".replace(".", "_").replace("-", "_")


class ShopdeskPlugin(BasePlugin):
    """An apispec plugin completing every operation from its view's Shopdesk attributes."""

    def __init__(self, app):
        self.app = app
        self.spec = None
        self.operation_ids = {}

    def init_spec(self, spec):
        self.spec = spec

    def operation_helper(self, path=None, operations=None, rule=None, **kwargs):
        if rule is None or not operations:
            return
        view = self.app.view_functions.get(rule.endpoint)
        for method, operation in operations.items():
            handler = getattr(getattr(view, "view_class", None), method, view)
            self._identify(operation, rule.endpoint, method, path)
            self._merge_form_parameters(operation)
            self._document(operation, method, handler)
            self._declare_location(operation, method, rule)

    def _identify(self, operation, endpoint, method, path):
        operation.setdefault("operationId", operation_id(endpoint, method))
        seen = self.operation_ids.setdefault(operation["operationId"], (path, method))
        if seen != (path, method):
            raise ValueError(f"operationId {operation['operationId']!r} of {method.upper()} {path} is "
                             f"already used by {seen[1].upper()} {seen[0]}: give one with @blp.doc(operationId=...)")

    def _merge_form_parameters(self, operation):
        """A view reading files and form fields (two ``@blp.arguments``) takes one
        multipart/form-data body: flask-smorest would leave the files as ``formData``
        parameters, which OpenAPI 3 does not have."""
        parameters = operation.get("parameters") or []
        files = [p for p in parameters if isinstance(p, dict) and p.get("in") == "formData"]
        if not files:
            return
        operation["parameters"] = [p for p in parameters if p not in files] or None
        if operation["parameters"] is None:
            del operation["parameters"]
        body = operation.setdefault("requestBody", {"required": True, "content": {}})
        properties, required = {}, []
        for content in body["content"].values():
            schema = content.get("schema", {})
            if "$ref" in schema:
                schema = self.spec.components.schemas[schema["$ref"].rsplit("/", 1)[-1]]
            properties.update(schema.get("properties", {}))
            required += schema.get("required", [])
        for parameter in files:
            properties[parameter["name"]] = {**parameter["schema"], **(
                {"description": parameter["description"]} if "description" in parameter else {})}
            if parameter.get("required"):
                required.append(parameter["name"])
        schema = {"type": "object", "properties": properties, **({"required": required} if required else {})}
        body["content"] = {"multipart/form-data": {"schema": schema}}

    def _document(self, operation, method, handler):
        from .auth.permissions import PUBLIC, SIGNED_IN

        permission = getattr(handler, "shopdesk_permission", None)
        idempotent = getattr(handler, "shopdesk_idempotent", False)
        responses = operation.setdefault("responses", {})
        answers = set()
        if permission == PUBLIC:
            operation["security"] = []
        elif permission is not None:
            operation["security"] = [{TOKEN_SCHEME: []}, {SESSION_SCHEME: []}]
            answers |= {400, 401, 404, 429} if permission == SIGNED_IN else {400, 401, 403, 404, 429}
            if permission != SIGNED_IN:
                operation["x-shopdesk-permission"] = permission
                sentence = f"Needs the `{permission}` permission in the store."
                operation["description"] = f"{operation['description']}\n\n{sentence}" \
                    if operation.get("description") else sentence
                self._add_parameter(operation, STORE_PARAMETER)
            if method not in READ_METHODS and not permission.endswith(".read"):
                answers |= {409, 422}  # a write can be refused by the state it meets
        answers.add(422)  # any operation refuses an unknown query parameter
        if idempotent:
            self._add_parameter(operation, IDEMPOTENCY_PARAMETER)
            answers |= {409, 422}
            for code, response in responses.items():
                if str(code).startswith("2") and isinstance(response, dict):
                    response.setdefault("headers", {})["Idempotent-Replayed"] = {
                        "description": "true when this is the stored answer to an earlier request "
                                       "with the same Idempotency-Key.",
                        "schema": {"type": "string", "enum": ["true"]}}
        for status in sorted(answers):
            given = responses.pop(str(status), responses.pop(status, None))
            generic = given is None or given == HTTPStatus(status).name  # flask-smorest's own
            responses[status] = ERROR_RESPONSES[status][0] if generic else given
        for response in responses.values():
            if isinstance(response, dict):  # the shared error answers carry them already
                response.setdefault("headers", {}).update(RATE_LIMIT_REFS)

    def _declare_location(self, operation, method, rule):
        """As ``location`` decides: a 201 with an ``id``, and a GET route for one of them."""
        from .location import item_rule

        created = operation.get("responses", {}).get(201)
        if method != "post" or not isinstance(created, dict) or item_rule(self.app, rule.rule) is None:
            return
        schema = created.get("content", {}).get("application/json", {}).get("schema", {})
        if "$ref" in schema:
            schema = self.spec.components.schemas[schema["$ref"].rsplit("/", 1)[-1]]
        if "id" in schema.get("properties", {}):
            created.setdefault("headers", {})[LOCATION_HEADER] = LOCATION_HEADER

    @staticmethod
    def _add_parameter(operation, name):
        parameters = operation.setdefault("parameters", [])
        if name not in parameters:
            parameters.append(name)
