"""Checks every plugin's routes must pass, driven by the app itself rather than by a list.

The host's own tests run them over every installed plugin; a plugin outside this checkout
runs them over its own routes from its tests (``prefix="/api/v1/myplugin"``)::

    from shopdesk import conformance

    def test_my_plugin_keeps_stores_apart(app, db, token_for):
        assert conformance.isolation_failures(app, db, token_for, prefix="/api/v1/myplugin") == []

Each function returns the list of failures (empty when all is well), so a test shows them all.
"""

import json
import math
import re

from .auth.models import create_user
from .auth.permissions import declared_permission, exempt_from_permission
from .demo import fill_with_demo_data
from .stores import create_store

METHODS = ("get", "post", "put", "patch", "delete")
SAMPLES = {"string": "x", "integer": 1, "number": 1, "boolean": False, "array": [], "object": {}}
FORMATS = {"email": "someone@example.com", "date-time": "2030-01-01T00:00:00+00:00", "date": "2030-01-01",
           "uri": "https://example.com", "url": "https://example.com"}
NASTY_BODIES = [
    None, [], "text", 12, {"": None}, {"name": None, "title": None, "permissions": None},
    {"name": 10**30, "title": ["x"], "permissions": [1, None, {}], "role": {}, "email": "@",
     "expires_at": "yesterday", "pinned": "perhaps", "currency": "€€€€", "timezone": 5},
    {"name": "x" * 100_000}, {"name": "a\x00b", "title": "\ud800"}, {"name": [[[[]]]] * 3},
]
# Sent as raw text: JSON nested past the parser's recursion limit, a lone surrogate, NUL.
NASTY_RAW_BODIES = ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000,
                    '{"name": "\\ud800"}', '{"name": "a\\u0000b"}', '"\\u0000"', "\xff\xfe"]
NASTY_QUERIES = ["page=0", "page=-1&page_size=100000", "sort=drop%20table", "page=abc", "since=notadate&active=maybe",
                 "page=99999999999999999999&page_size=100", "page=92233720368547759", "q=a%00b&status=%00",
                 "since=9999-12-31T23:00:00-05:00&until=0001-01-01T00:00:00%2B05:00", "%00=1"]
# Per field of every request body: values of the wrong JSON type (422), text no column holds
# and dates past year 9999 in UTC (4xx); each answer must name the field.
WRONG_TYPES = {"integer": [1.5, "1", True, 2**64], "boolean": ["perhaps", "yes", 1], "number": [True, 10**30],
               "string": ["a\x00b", "a\ud800b"]}
UNREAL_DATE = "9999-12-31T23:00:00-05:00"
NASTY_IDS = ["0", "-1", "3000000000", "99999999999999999999", "abc"]


def _operations(spec, prefix):
    for path, operations in spec["paths"].items():
        if path.startswith(prefix):
            yield path, {m: op for m, op in operations.items() if m in METHODS}


# --- permissions ------------------------------------------------------------------------------


def undeclared_routes(app, prefix: str = "") -> list[str]:
    """Routes (under ``prefix``) that name no permission: the guard refuses them at run time."""
    missing = []
    for rule in app.url_map.iter_rules():
        if exempt_from_permission(app, rule.endpoint) or not rule.rule.startswith(prefix):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if declared_permission(app, rule.endpoint, method) is None:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    return missing


# --- bad input --------------------------------------------------------------------------------


def store_with_demo_data(app, db, slug: str):
    """A store with every working plugin enabled and its demo data; returns (owner, store)."""
    owner = create_user(f"owner-{slug}@example.com", f"password of {slug}!")
    store = create_store(slug, f"Store {slug}", owner=owner)
    fill_with_demo_data(app.extensions["shopdesk"], store)
    db.session.commit()
    return owner, store


def bad_input_failures(app, db, token_for, prefix: str = "/api/v1") -> list[str]:
    """Every operation under ``prefix``, called with wrong ids, queries and bodies: any answer
    of 500 or more is a failure. Turn rate limits off in the app (``RATELIMIT_ENABLED=False``):
    this makes hundreds of calls."""
    owner, store = store_with_demo_data(app, db, "fuzz")
    headers = {"Authorization": f"Bearer {token_for(owner, store)}"}
    client = app.test_client()
    spec = client.get("/api/openapi.json").get_json()
    failures = []

    def call(label, url, method, **kwargs):
        answer = client.open(url, method=method.upper(), headers=headers, **kwargs)
        if answer.status_code >= 500:
            failures.append(f"{method.upper()} {label}: {answer.status_code}")

    for path, operations in _operations(spec, prefix):
        urls = [re.sub(r"{\w+}", bad, path) for bad in NASTY_IDS] if "{" in path else [path]
        for method in operations:
            for url in urls:
                for query in NASTY_QUERIES:
                    call(f"{url}?{query}", f"{url}?{query}", method)
                for body in NASTY_BODIES if method in ("post", "put", "patch") else []:
                    call(f"{url} {str(body)[:60]}", url, method, json=body)
                for raw in NASTY_RAW_BODIES if method in ("post", "put", "patch") else []:
                    call(f"{url} {raw[:30]!r}", url, method, data=raw, content_type="application/json")
                call(f"{url} invalid JSON", url, method, data="{oops", content_type="application/json")
    return failures + wrong_field_failures(client, headers, spec, prefix)


def _resolve(spec, schema):
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema["allOf"][0] if "allOf" in schema else schema


def _fields(spec, schema, depth=0):
    """(path, kind, format) of every writable field of ``schema``, nested objects and lists of
    objects included (a list's path goes through its first item, index 0)."""
    schema = _resolve(spec, schema)
    for name, prop in (schema.get("properties") or {}).items():
        prop = _resolve(spec, prop)
        if prop.get("readOnly"):
            continue
        kind = prop.get("type")
        if kind == "array" and depth < 3:
            items = _resolve(spec, prop.get("items", {}))
            if items.get("type") == "object" or "properties" in items:
                yield from (((name, 0, *path), k, f) for path, k, f in _fields(spec, items, depth + 1))
            elif items.get("type") in WRONG_TYPES:
                yield (name, 0), items["type"], items.get("format")
        elif (kind == "object" or "properties" in prop) and depth < 3:
            yield from (((name, *path), k, f) for path, k, f in _fields(spec, prop, depth + 1))
        elif kind in WRONG_TYPES:
            yield (name,), kind, prop.get("format")


def _with_value(spec, schema, body, path, value):
    """``body`` (a valid one) with ``value`` at ``path``, filling the objects and lists on the way."""
    body = json.loads(json.dumps(body))
    node, schema = body, _resolve(spec, schema)
    for step, following in zip(path, path[1:]):
        if isinstance(step, int):
            schema = _resolve(spec, schema.get("items", {}))
            while len(node) <= step:
                node.append(_sample(spec, schema))
        else:
            schema = _resolve(spec, schema["properties"][step])
            if not isinstance(node.get(step), (dict, list)):
                node[step] = [] if isinstance(following, int) else _sample(spec, schema)
        node = node[step]
    if isinstance(path[-1], int):
        node[:] = [value]
    else:
        node[path[-1]] = value
    return body


def _names(errors) -> str:
    return json.dumps(errors, ensure_ascii=False)


def wrong_field_failures(client, headers, spec, prefix: str = "/api/v1") -> list[str]:
    """Every field of every request body (and every text query parameter) given a value of
    the wrong type, a NUL, a lone surrogate or a date past year 9999: each must be refused with
    a 4xx naming the field (422 for a wrong type), before the operation does anything."""
    failures = []
    for path, operations in _operations(spec, prefix):
        url = re.sub(r"{\w+}", "1", path)
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if param.get("in") == "query" and _resolve(spec, param.get("schema", {})).get("type") == "string":
                    answer = client.open(url, method=method.upper(), headers=headers,
                                         query_string={param["name"]: "a\x00b"})
                    if answer.status_code not in (400, 422) or param["name"] not in _names(answer.get_json()):
                        failures.append(f"{method.upper()} {url}?{param['name']}=a%00b: {answer.status_code}")
            content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
            if not content:
                continue
            schema, body = content["schema"], valid_body(spec, operation)
            for field_path, kind, form in _fields(spec, schema):
                values = WRONG_TYPES[kind] + ([UNREAL_DATE] if form == "date-time" else [])
                for value in values:
                    sent = _with_value(spec, schema, body, field_path, value)
                    answer = client.open(url, method=method.upper(), headers=headers,
                                         data=json.dumps(sent), content_type="application/json")
                    expected = (422,) if kind != "string" else (400, 422)
                    name = str(field_path[-1] if not isinstance(field_path[-1], int) else field_path[-2])
                    if answer.status_code not in expected or name not in _names(answer.get_json()):
                        failures.append(f"{method.upper()} {url} {'.'.join(map(str, field_path))}={value!r}: "
                                        f"{answer.status_code} {str(answer.get_json())[:120]}")
    return failures


# --- isolation --------------------------------------------------------------------------------


def _sample(spec, schema, depth=0):
    """A value that passes ``schema``: required fields filled, lists with their minimum items."""
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    if "allOf" in schema:
        schema = schema["allOf"][0]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {name: _sample(spec, schema["properties"][name], depth + 1)
                for name in schema.get("required", []) if depth < 5}
    if kind == "array":
        return [_sample(spec, schema.get("items", {}), depth + 1) for _ in range(schema.get("minItems", 0))]
    if kind in ("integer", "number"):
        low = float(schema.get("minimum", 1))  # Decimal fields give their bounds as strings
        return math.ceil(low) if kind == "integer" else low
    if kind == "string" and schema.get("format") in FORMATS:
        return FORMATS[schema["format"]]
    if kind == "string":
        return "x" * max(1, schema.get("minLength", 1))
    return SAMPLES.get(kind, "x")


def valid_body(spec, operation):
    """A body that passes the request schema, so the answer is about the id, not the input."""
    content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
    if not content:
        return None
    return _sample(spec, content["schema"])


def _b_urls(client, headers, path, params, failures):
    """``path`` filled with store B's ids, left to right: each id comes from listing the
    collection in front of it (``/webhooks/{webhook_id}/attempts/{attempt_id}`` lists B's
    webhooks, then that webhook's attempts). A top-level collection must have demo data; an
    empty nested one gets an id that exists nowhere, so the parent's check is still swept."""
    urls = [path]
    for depth, param in enumerate(params):
        filled = []
        for url in urls:
            head = url.split("{" + param + "}", 1)[0].rstrip("/")
            listing = client.get(head, headers=headers)
            if listing.status_code != 200:
                failures.append(f"{head} must list B's objects to sweep {path}: {listing.status_code}")
                continue
            ids = [item.get(param, item.get("id")) for item in listing.get_json()][:3]
            if not ids and not depth:
                failures.append(f"store B has no demo data behind {head}: give the plugin demo_data")
            filled += [url.replace("{" + param + "}", str(i)) for i in ids or [2**31 - 1]]
        urls = filled
    return urls


def isolation_failures(app, db, token_for, prefix: str = "/api/v1", swept=None) -> list[str]:
    """Two stores get every plugin's demo data; every route with an id under ``prefix`` is
    called with store A's token on store B's ids. Anything but 404, or a change to B's
    object, is a failure. ``swept`` (a list) collects the operations that were tried."""
    stores = {slug: store_with_demo_data(app, db, slug) for slug in ("a", "b")}
    as_a = {"Authorization": f"Bearer {token_for(*stores['a'])}"}
    as_b = {"Authorization": f"Bearer {token_for(*stores['b'])}"}
    client = app.test_client()
    spec = client.get("/api/openapi.json").get_json()
    failures = []
    for path, methods in _operations(spec, prefix):
        params = re.findall(r"{(\w+)}", path)
        if not params:
            continue
        for url in _b_urls(client, as_b, path, params, failures):
            before = client.get(url, headers=as_b).get_json() if "get" in methods else None
            for method, operation in methods.items():
                answer = client.open(url, method=method.upper(), headers=as_a, json=valid_body(spec, operation))
                if answer.status_code != 404:
                    failures.append(f"{method.upper()} {url} with store A's token: {answer.status_code}")
                if swept is not None:
                    swept.append(f"{method.upper()} {path}")
            if before is not None and client.get(url, headers=as_b).get_json() != before:
                failures.append(f"{url} changed")
    return failures


# --- answers match the document -----------------------------------------------------------------

# Statuses the document must list on the operation itself; any other (a 5xx, 413, 415) may
# rest on the operation's ``default`` answer.
EXPLICIT_STATUSES = {400, 401, 403, 404, 409, 422, 429}


class DocumentedAnswers:
    """Checks answers from ``/api/v1`` against the app's own OpenAPI document: the status is
    one the operation lists, and a JSON body matches the schema given for that status.

    ``problem(method, path, status, content_type, body)`` says what is wrong, or None.
    """

    def __init__(self, app, spec: dict):
        from flask_smorest.spec.plugins import FlaskPlugin

        self.spec = spec
        self.adapter = app.url_map.bind("localhost")
        self.to_openapi = FlaskPlugin.flaskpath2openapi
        self._validators = {}

    @classmethod
    def of(cls, app) -> "DocumentedAnswers":
        """One checker per set of API routes (every test's app has its own, most are alike)."""
        key = tuple(sorted((rule.rule, rule.endpoint, tuple(sorted(rule.methods)), _qualname(app, rule.endpoint))
                           for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")))
        found = _CHECKERS.get(key)
        if found is None:
            with app.app_context():
                spec = json.loads(app.json.dumps(app.extensions["shopdesk_api"].spec.to_dict()))
            found = _CHECKERS[key] = cls(app, spec)
        return found

    def operation(self, method: str, path: str):
        from werkzeug.exceptions import HTTPException
        from werkzeug.routing import RequestRedirect

        try:
            rule, _ = self.adapter.match(path, method, return_rule=True)
        except (HTTPException, RequestRedirect):
            return None  # no such route or method: no operation to hold the answer to
        return (self.spec["paths"].get(self.to_openapi(rule.rule)) or {}).get(method.lower())

    def problem(self, method: str, path: str, status: int, content_type: str, body: bytes) -> str | None:
        operation = self.operation(method, path)
        if operation is None:
            return None
        responses = operation.get("responses", {})
        answer = responses.get(str(status))
        if answer is None and status not in EXPLICIT_STATUSES and not 200 <= status < 300:
            answer = responses.get("default")
        if answer is None and 200 <= status < 300 and not any(str(code).startswith("2") for code in responses):
            return None  # a route that documents no success answer claims nothing to hold it to
        if answer is None:
            return f"lists no {status} answer for {method} {path} (it lists {', '.join(sorted(responses))})"
        answer = self._resolve(answer)
        if not body or not (content_type or "").startswith("application/json"):
            return None
        schema = (answer.get("content") or {}).get("application/json", {}).get("schema")
        if schema is None:
            return f"describes no JSON body for {status} of {method} {path}"
        from jsonschema.exceptions import best_match

        error = best_match(self._validator(method, path, status, schema).iter_errors(json.loads(body)))
        if error is None:
            return None
        where = "/".join(str(part) for part in error.absolute_path) or "(the body)"
        return f"says otherwise about {status} of {method} {path} at {where}: {error.message[:500]}"

    def _resolve(self, item):
        while "$ref" in item:
            section, name = item["$ref"].split("/")[-2:]
            item = self.spec["components"][section][name]
        return item

    def _validator(self, method, path, status, schema):
        from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker

        key = (method, self.to_openapi(self.adapter.match(path, method, return_rule=True)[0].rule), status)
        if key not in self._validators:
            wrapped = {"allOf": [schema], "components": self.spec["components"]}
            self._validators[key] = OAS30ReadValidator(wrapped, format_checker=oas30_format_checker)
        return self._validators[key]


def _qualname(app, endpoint):
    view = app.view_functions.get(endpoint)
    view = getattr(view, "view_class", view)
    return f"{getattr(view, '__module__', '')}.{getattr(view, '__qualname__', '')}"


_CHECKERS: dict = {}
