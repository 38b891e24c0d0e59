"""No input, however wrong, makes the API answer 500: every operation in the spec is tried."""

import re

import pytest

from shopdesk.auth.models import create_user
from shopdesk.demo import fill_with_demo_data
from shopdesk.stores import create_store

NASTY_BODIES = [
    None, [], "text", 12, {"": None}, {"name": None, "title": None, "permissions": None},
    {"name": 10**30, "title": ["x"], "permissions": [1, None, {}], "role": {}, "email": "@",
     "expires_at": "yesterday", "pinned": "perhaps", "currency": "€€€€", "timezone": 5},
    {"name": "x" * 100_000},
]
NASTY_QUERIES = ["page=0", "page=-1&page_size=100000", "sort=drop%20table", "page=abc", "since=notadate&active=maybe"]
NASTY_IDS = ["0", "-1", "3000000000", "99999999999999999999", "abc"]


@pytest.fixture
def app(make_app):
    app = make_app(RATELIMIT_ENABLED=False)  # hundreds of calls from one caller, on purpose
    with app.app_context():
        yield app


def test_no_bad_input_gives_a_500(app, db, token_for):
    owner = create_user("fuzz@example.com", "fuzz password 1")
    store = create_store("fuzz", "Fuzz", owner=owner)
    registry = app.extensions["shopdesk"]
    fill_with_demo_data(registry, store)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token_for(owner, store)}"}
    client = app.test_client()
    spec = client.get("/api/openapi.json").get_json()
    failures = []
    for path, operations in spec["paths"].items():
        for method in operations:
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            urls = [re.sub(r"{\w+}", bad, path) for bad in NASTY_IDS] if "{" in path else [path]
            for url in urls:
                for query in NASTY_QUERIES:
                    answer = client.open(f"{url}?{query}", method=method.upper(), headers=headers)
                    if answer.status_code >= 500:
                        failures.append(f"{method.upper()} {url}?{query}: {answer.status_code}")
                for body in NASTY_BODIES if method in ("post", "put", "patch") else []:
                    answer = client.open(url, method=method.upper(), headers=headers, json=body)
                    if answer.status_code >= 500:
                        failures.append(f"{method.upper()} {url} {str(body)[:60]}: {answer.status_code}")
                broken = client.open(url, method=method.upper(), headers=headers, data="{oops",
                                     content_type="application/json")
                if broken.status_code >= 500:
                    failures.append(f"{method.upper()} {url} invalid JSON: {broken.status_code}")
    assert failures == []
