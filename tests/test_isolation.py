"""Tenant isolation sweep: store A's token never reaches store B's objects.

The sweep reads the OpenAPI spec, so every installed plugin's routes are covered without
editing this file: two stores get every plugin's demo data, then every route with an id is
called with A's token on B's ids. The answer must be 404, and B's object must be unchanged.
"""

import re

import pytest

from shopdesk.auth.models import create_user
from shopdesk.demo import fill_with_demo_data
from shopdesk.stores import create_store

SAMPLES = {"string": "x", "integer": 1, "number": 1, "boolean": False, "array": [], "object": {}}
FORMATS = {"email": "someone@example.com", "date-time": "2030-01-01T00:00:00+00:00", "date": "2030-01-01",
           "uri": "https://example.com", "url": "https://example.com"}


def valid_body(spec, operation):
    """A body that passes the request schema, so the answer is about the id, not the input."""
    content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
    if not content:
        return None
    schema = content["schema"]
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    body = {}
    for name in schema.get("required", []):
        prop = schema["properties"][name]
        body[name] = prop["enum"][0] if "enum" in prop else FORMATS.get(prop.get("format"), SAMPLES.get(prop.get("type"), "x"))
    return body


def two_stores_with_demo_data(app, db):
    registry = app.extensions["shopdesk"]
    made = {}
    for slug in ("a", "b"):
        owner = create_user(f"owner-{slug}@example.com", f"password of {slug}!")
        store = create_store(slug, f"Store {slug.upper()}", owner=owner)
        fill_with_demo_data(registry, store)
        made[slug] = (owner, store)
    db.session.commit()
    return made


def id_routes(spec):
    for path, operations in spec["paths"].items():
        params = re.findall(r"{(\w+)}", path)
        if params:
            yield path, params, {m: op for m, op in operations.items() if m in ("get", "put", "patch", "delete", "post")}


def b_urls(client, headers, path, params):
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
            assert listing.status_code == 200, f"{head} must list B's objects to sweep {path}"
            ids = [item.get(param, item.get("id")) for item in listing.get_json()][:3]
            assert ids or depth, f"store B has no demo data behind {head}: give the plugin demo_data"
            filled += [url.replace("{" + param + "}", str(i)) for i in ids or [2**31 - 1]]
        urls = filled
    return urls


def test_store_a_token_gets_404_on_every_id_route_of_store_b(app, db, token_for):
    stores = two_stores_with_demo_data(app, db)
    token_a = token_for(*stores["a"])
    token_b = token_for(*stores["b"])
    client = app.test_client()
    as_a = {"Authorization": f"Bearer {token_a}"}
    as_b = {"Authorization": f"Bearer {token_b}"}
    spec = client.get("/api/openapi.json").get_json()
    swept = []
    for path, params, methods in id_routes(spec):
        for url in b_urls(client, as_b, path, params):
            before = client.get(url, headers=as_b).get_json() if "get" in methods else None
            for method, operation in methods.items():
                answer = client.open(url, method=method.upper(), headers=as_a, json=valid_body(spec, operation))
                assert answer.status_code == 404, f"{method.upper()} {url} with store A's token: {answer.status_code}"
                swept.append(f"{method.upper()} {path}")
            if before is not None:
                assert client.get(url, headers=as_b).get_json() == before, f"{url} changed"
    assert {"GET /api/v1/roles/{role_id}", "DELETE /api/v1/tokens/{token_id}",
            "POST /api/v1/webhooks/{webhook_id}/attempts/{attempt_id}/resend"} <= set(swept)


@pytest.mark.parametrize("path", ["/api/v1/roles", "/api/v1/members", "/api/v1/tokens"])
def test_store_a_lists_never_show_store_b(app, db, token_for, path):
    stores = two_stores_with_demo_data(app, db)
    answer = app.test_client().get(path, headers={"Authorization": f"Bearer {token_for(*stores['a'])}"})
    assert answer.status_code == 200
    assert "owner-b@example.com" not in answer.get_data(as_text=True)
    ids_b = {r["id"] for r in app.test_client().get(
        path, headers={"Authorization": f"Bearer {token_for(*stores['b'])}"}).get_json() if "id" in r}
    assert not ids_b & {r["id"] for r in answer.get_json() if "id" in r}
