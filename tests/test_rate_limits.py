"""Rate limits: sign-in attempts per client address, API calls per caller, Redis shared."""

import os
import uuid

import pytest

from shopdesk.auth.models import create_user

REDIS_ENV = "SHOPDESK_TEST_REDIS_URL"
REQUIRE_REDIS_ENV = "SHOPDESK_REQUIRE_REDIS"
WRONG = {"email": "owner@example.com", "password": "not the password"}


def signed_in(app, email):
    """A client signed in as a new user with ``email``."""
    with app.app_context():
        from shopdesk.db import db

        user = create_user(email, "correct horse battery")
        db.session.commit()
        return app.test_client(user=user)


def test_sign_in_attempts_from_one_address_are_limited(make_app):
    app = make_app(SHOPDESK_LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    assert [client.post("/login", data=WRONG).status_code for _ in range(3)] == [401, 401, 401]
    refused = client.post("/login", data={"email": "owner@example.com", "password": "correct horse battery"})
    assert refused.status_code == 429 and refused.mimetype == "text/html"
    assert "Too many sign-in attempts from your network. Please wait" in refused.get_data(as_text=True)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Showing the form is not an attempt, and another address has its own allowance.
    assert client.get("/login").status_code == 200
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert elsewhere.post("/login", data=WRONG).status_code == 401


def test_each_api_caller_has_its_own_allowance(make_app):
    app = make_app(SHOPDESK_API_RATE_LIMIT="2 per minute")
    ann, bob = signed_in(app, "ann@example.com"), signed_in(app, "bob@example.com")
    assert [ann.get("/api/openapi.json").status_code for _ in range(2)] == [200, 200]
    limited = ann.get("/api/openapi.json")
    assert limited.status_code == 429 and limited.mimetype == "application/json"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "retry in" in limited.get_json()["message"]
    # The same shape as any other API error, with a message saying how long to wait.
    other_error = bob.get("/api/v1/no-such-thing").get_json()
    assert set(other_error) <= set(limited.get_json())
    # Bob made one call so far; anonymous callers count by address.
    assert bob.get("/api/openapi.json").status_code == 200
    assert app.test_client().get("/api/openapi.json").status_code == 200
    # Pages are not API calls.
    assert ann.get("/login").status_code == 200


def test_each_api_token_has_its_own_allowance(make_app):
    app = make_app(SHOPDESK_API_RATE_LIMIT="1 per minute")
    with app.app_context():
        from shopdesk.auth.tokens import create_token
        from shopdesk.db import db
        from shopdesk.stores import create_store

        owner = create_user("owner@example.com", "correct horse battery")
        store = create_store("acme", "Acme Store", owner=owner)
        tokens = [create_token(owner, store, name, ["store.view"], None)[1] for name in ("erp", "feed")]
        db.session.commit()
        session = app.test_client(user=owner)
    erp, feed = ({"Authorization": f"Bearer {token}"} for token in tokens)
    client = app.test_client()
    assert client.get("/api/openapi.json", headers=erp).status_code == 200
    assert client.get("/api/openapi.json", headers=erp).status_code == 429
    assert client.get("/api/openapi.json", headers=feed).status_code == 200
    # The owner's own session and callers with no credentials count apart from the tokens.
    assert session.get("/api/openapi.json").status_code == 200
    assert client.get("/api/openapi.json").status_code == 200


@pytest.fixture
def redis_url():
    url = os.environ.get(REDIS_ENV)
    if not url:
        if os.environ.get(REQUIRE_REDIS_ENV):
            pytest.fail(f"{REQUIRE_REDIS_ENV} is set but {REDIS_ENV} is not: Redis tests must run here")
        pytest.skip(f"Redis not configured ({REDIS_ENV})")
    import redis

    server = redis.Redis.from_url(url)
    try:
        server.ping()
    except redis.RedisError as exc:
        pytest.fail(f"{REDIS_ENV}={url} does not answer: {exc}")
    yield url
    server.close()


def test_processes_share_their_counts_through_redis(make_app, redis_url):
    import redis

    prefix = f"shopdesk-test-{uuid.uuid4().hex}"
    config = dict(SHOPDESK_REDIS_URL=redis_url, RATELIMIT_KEY_PREFIX=prefix,
                  RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=False, SHOPDESK_API_RATE_LIMIT="2 per minute")
    one, two = make_app(**config), make_app(**config)  # two processes' worth of apps
    server = redis.Redis.from_url(redis_url)
    try:
        assert one.test_client().get("/api/openapi.json").status_code == 200
        assert two.test_client().get("/api/openapi.json").status_code == 200
        assert one.test_client().get("/api/openapi.json").status_code == 429
        assert two.test_client().get("/api/openapi.json").status_code == 429
        assert any(prefix in key.decode() for key in server.scan_iter(f"*{prefix}*"))
    finally:
        for key in server.scan_iter(f"*{prefix}*"):
            server.delete(key)
        server.close()


def test_when_redis_is_down_each_process_keeps_counting_on_its_own(make_app, caplog):
    app = make_app(SHOPDESK_REDIS_URL="redis://127.0.0.1:1/0", SHOPDESK_API_RATE_LIMIT="1 per minute")
    client = app.test_client()
    assert client.get("/api/openapi.json").status_code == 200
    assert client.get("/api/openapi.json").status_code == 429
    assert "falling back to in-memory storage" in caplog.text


def test_api_answers_say_how_many_calls_are_left_and_when_the_count_starts_again(make_app):
    app = make_app(SHOPDESK_API_RATE_LIMIT="3 per minute")
    client = signed_in(app, "ann@example.com")
    answers = [client.get("/api/openapi.json") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["RateLimit-Limit"] for a in answers] == ["3"] * 4
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert all(1 <= int(a.headers["RateLimit-Reset"]) <= 60 for a in answers)
    # Only the refusal says to wait; pages are not API calls and carry none of this.
    assert "Retry-After" not in answers[0].headers and 1 <= int(answers[3].headers["Retry-After"]) <= 60
    assert "RateLimit-Limit" not in client.get("/login").headers


def test_the_document_declares_the_rate_limit_headers_on_every_answer(client):
    spec = client.get("/api/openapi.json").get_json()
    limit_headers = {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}
    refused = spec["components"]["responses"]["TooManyRequests"]["headers"]
    assert limit_headers | {"Retry-After"} <= set(refused)
    undeclared = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for status, answer in (operation.get("responses", {}) if method != "parameters" else {}).items():
                if "$ref" in answer:
                    answer = spec["components"]["responses"][answer["$ref"].rsplit("/", 1)[-1]]
                if status != "default" and not limit_headers <= set(answer.get("headers", {})):
                    undeclared.append(f"{method.upper()} {path} {status}")
    assert undeclared == []
