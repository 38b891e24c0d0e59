"""Checks every plugin's routes must pass, driven by the app itself rather than by a list.

The host's own tests run them over every installed plugin; a plugin outside this checkout
runs them over its own routes from its tests (``prefix="/api/v1/myplugin"``)::

    from shopdesk import conformance

    def test_my_plugin_keeps_stores_apart(app, db, token_for):
        assert conformance.isolation_failures(app, db, token_for, prefix="/api/v1/myplugin") == []

Each function returns the list of failures (empty when all is well), so a test shows them all.
"""

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
    {"name": "x" * 100_000},
]
NASTY_QUERIES = ["page=0", "page=-1&page_size=100000", "sort=drop%20table", "page=abc", "since=notadate&active=maybe"]
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
                call(f"{url} invalid JSON", url, method, data="{oops", content_type="application/json")
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
