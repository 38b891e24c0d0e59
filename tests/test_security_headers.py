"""Security headers on pages, API answers and the sign-in page; session cookie flags."""

import re

import pytest

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def policy(response) -> dict[str, str]:
    directives = [d.strip().split(None, 1) for d in response.headers["Content-Security-Policy"].split(";")]
    return {d[0]: d[1] if len(d) > 1 else "" for d in directives}


def assert_hardened(response):
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, name
    csp = policy(response)
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["font-src"] == "'self'"
    assert csp["img-src"] == "'self' data:"
    assert csp["frame-ancestors"] == "'none'"
    assert "Strict-Transport-Security" not in response.headers  # plain http


@pytest.mark.parametrize("path", ["/s/acme/", "/api/openapi.json", "/api/v1/no-such-thing"])
def test_pages_and_api_answers_carry_the_security_headers(client, path):
    assert_hardened(client.get(path))


def test_the_sign_in_page_carries_them_too(app):
    assert_hardened(app.test_client().get("/login"))


@pytest.mark.parametrize("path", ["/login", "/s/acme/"])
def test_pages_need_nothing_the_policy_blocks(app, client, path):
    """Scripts and styles come from our own origin as files: no inline <script> or <style>."""
    page = (client if path != "/login" else app.test_client()).get(path)
    html = page.get_data(as_text=True)
    scripts = re.findall(r"<script\b([^>]*)>", html)
    assert scripts and all(re.search(r'\bsrc="/', attrs) for attrs in scripts)
    assert "<style" not in html
    if ' style="' in html:  # a few width attributes: allowed as attributes only
        assert policy(page)["style-src-attr"] == "'unsafe-inline'"
    assert all(href.startswith("/") for href in re.findall(r'<link[^>]*href="([^"]*)"', html))
    for asset in re.findall(r'(?:src|href)="(/[^"]*\.(?:js|css))"', html):
        assert client.get(asset).status_code == 200, asset


def test_https_requests_get_strict_transport_security(app):
    answer = app.test_client().get("/login", base_url="https://shop.example.com")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")


def session_cookie(response):
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))


def test_the_session_cookie_is_http_only_and_same_site(app, user):
    signed_in = app.test_client().post("/login", data={"email": "owner@example.com", "password": "correct horse battery"})
    cookie = session_cookie(signed_in)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # `make run` serves plain http on 127.0.0.1


def test_production_marks_the_session_cookie_secure(make_app):
    app = make_app(SESSION_COOKIE_SECURE=True)
    with app.app_context():
        from shopdesk.auth.models import create_user
        from shopdesk.db import db

        create_user("owner@example.com", "correct horse battery")
        db.session.commit()
    signed_in = app.test_client().post("/login", data={"email": "owner@example.com", "password": "correct horse battery"},
                                       base_url="https://shop.example.com")
    cookie = session_cookie(signed_in)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_behind_a_proxy_the_forwarded_address_and_scheme_count(make_app):
    app = make_app(SHOPDESK_TRUSTED_PROXIES=1, SHOPDESK_LOGIN_RATE_LIMIT="1 per minute")
    wrong = {"email": "someone@example.com", "password": "not the password"}
    client = app.test_client()
    first, second = ({"X-Forwarded-For": ip, "X-Forwarded-Proto": "https"} for ip in ("198.51.100.1", "198.51.100.2"))
    answer = client.post("/login", data=wrong, headers=first)
    assert answer.status_code == 401 and "Strict-Transport-Security" in answer.headers
    assert client.post("/login", data=wrong, headers=first).status_code == 429
    assert client.post("/login", data=wrong, headers=second).status_code == 401


def test_a_request_body_over_the_upload_limit_is_refused_naming_the_limit(make_app, db, user, token_for):
    from shopdesk.stores import create_store

    app = make_app(SHOPDESK_MAX_UPLOAD_MB=1)
    with app.app_context():
        token = token_for(user, create_store("big", "Big", owner=user))
        two_megabytes = "x" * (2 * 1024 * 1024)
        client = app.test_client()
        answer = client.post("/api/v1/webhooks", headers={"Authorization": f"Bearer {token}"},
                             json={"url": "https://example.com/hook", "events": ["*"], "note": two_megabytes})
        assert answer.status_code == 413, answer.get_json()
        assert answer.get_json()["message"] == ("The request body is larger than the 1 MB this server accepts "
                                                "(SHOPDESK_MAX_UPLOAD_MB).")
        page = client.post("/login", data={"email": "owner@example.com", "password": two_megabytes})
        assert page.status_code == 413 and "larger than the 1 MB" in page.get_data(as_text=True)
        assert client.post("/api/v1/webhooks", headers={"Authorization": f"Bearer {token}"},
                           json={"url": "https://example.com/hook", "events": ["*"]}).status_code != 413
