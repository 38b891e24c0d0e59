"""Sign-in, sign-out and credentials as an attacker would try them: where ``next`` may lead,
whether an ended session stays ended, and what a request with two identities gets."""

import pytest
import sqlalchemy as sa

from shopdesk.audit import AuditEntry
from shopdesk.auth.models import User

LOGIN = {"email": "owner@example.com", "password": "correct horse battery"}


def sign_in(app, next_value=None):
    browser = app.test_client()
    query = {} if next_value is None else {"next": next_value}
    return browser, browser.post("/login", query_string=query, data=LOGIN)


# --- where sign-in leads -------------------------------------------------------------------


@pytest.mark.parametrize("next_value", [
    "/\t/evil.example/", "/%09/evil.example/", "//evil.example", "//x", "/\\x", "/\\\\x", "\\\\x",
    "https://x", "http:/x", "javascript:alert(1)", "/%0d%0aSet-Cookie:x=1", "/\r\nLocation: //x",
    "/%5cevil.example", "/%2f/evil.example", "x", "",
])
def test_sign_in_never_leads_off_site(app, db, user, next_value):
    _, answer = sign_in(app, next_value)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"  # the home page instead


@pytest.mark.parametrize("next_value", ["/s/acme/", "/account/profile?tab=1", "/s/acme/orders/?q=a%20b"])
def test_sign_in_returns_to_the_page_asked_for(app, db, user, next_value):
    _, answer = sign_in(app, next_value)
    assert answer.headers["Location"] == next_value


def test_a_newline_in_next_signs_in_without_a_server_error(app, db, user):
    browser, answer = sign_in(app, "/\nx")
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert browser.get("/account/profile").status_code == 200


# --- sessions end on the server ------------------------------------------------------------


def copy_cookie(source, target):
    cookie = source.get_cookie("session")
    target.set_cookie("session", cookie.value)


def test_a_cookie_copied_before_signing_out_is_refused_afterwards(app, db, user):
    browser, _ = sign_in(app)
    thief = app.test_client()
    copy_cookie(browser, thief)
    assert thief.get("/account/profile").status_code == 200
    assert browser.post("/logout").status_code == 302
    assert thief.get("/account/profile").status_code == 302  # back to the sign-in page
    assert browser.get("/account/profile").status_code == 302
    assert sign_in(app)[0].get("/account/profile").status_code == 200  # signing in again works


def test_a_password_change_ends_the_other_sessions_but_not_this_one(app, db, user):
    laptop, _ = sign_in(app)
    phone, _ = sign_in(app)
    assert laptop.post("/account/password", data={"current": LOGIN["password"], "new": "another secret 1",
                                                  "confirm": "another secret 1"}).status_code == 302
    assert laptop.get("/account/profile").status_code == 200
    assert phone.get("/account/profile").status_code == 302


def test_setting_a_password_from_the_cli_ends_every_session(app, db, user, cli):
    browser, _ = sign_in(app)
    assert cli("users", "set-password", "owner@example.com", input="another secret 1\nanother secret 1\n").exit_code == 0
    assert browser.get("/account/profile").status_code == 302


def test_sign_out_everywhere_asks_to_confirm_then_ends_every_session(app, db, user):
    laptop, _ = sign_in(app)
    phone, _ = sign_in(app)
    page = laptop.get("/account/profile").get_data(as_text=True)
    assert "Sign out everywhere" in page and 'name="confirm"' in page
    unconfirmed = laptop.post("/account/sign-out-everywhere", follow_redirects=True)
    assert "tick the box" in unconfirmed.get_data(as_text=True)
    assert phone.get("/account/profile").status_code == 200
    assert laptop.post("/account/sign-out-everywhere", data={"confirm": "yes"}).status_code == 302
    assert laptop.get("/account/profile").status_code == 302
    assert phone.get("/account/profile").status_code == 302
    db.session.expire_all()
    reasons = [e.after["reason"] for e in db.session.scalars(
        sa.select(AuditEntry).filter_by(action="auth.sessions_ended").order_by(AuditEntry.id))]
    assert reasons == ["signed_out_everywhere"]


def test_a_session_of_a_deactivated_user_is_refused(app, db, user, cli):
    browser, _ = sign_in(app)
    assert cli("users", "deactivate", "owner@example.com").exit_code == 0
    assert browser.get("/account/profile").status_code == 302


def test_signing_out_is_audited_and_moves_the_session_version(app, db, user):
    browser, _ = sign_in(app)
    browser.post("/logout")
    db.session.expire_all()
    assert db.session.get(User, user.id).session_version == 1
    assert db.session.scalar(sa.select(AuditEntry.after).filter_by(action="auth.sessions_ended")) == {
        "reason": "signed_out"}


# --- one identity per request --------------------------------------------------------------


def test_a_session_cookie_with_a_bearer_token_is_refused(app, db, user, store, token_for):
    from shopdesk.auth.models import create_user
    from shopdesk.auth.roles import add_member

    other = create_user("other@example.com", "other password 1")
    add_member(store, other, "manager")
    db.session.commit()
    browser, _ = sign_in(app)
    answer = browser.get("/api/v1/store", headers={"Authorization": f"Bearer {token_for(other, store)}",
                                                   "Shopdesk-Store": "acme"})
    assert answer.status_code == 400
    assert answer.json["code"] == "ambiguous_credentials"
    assert "not both" in answer.json["message"]
    writes = browser.post("/api/v1/notes", json={"title": "as whom?"},
                          headers={"Authorization": f"Bearer {token_for(other, store)}"})
    assert writes.status_code == 400
    assert app.test_client().get("/api/v1/store", headers={
        "Authorization": f"Bearer {token_for(other, store)}"}).status_code == 200  # the token alone works


# --- answers that must not be kept or guessed ----------------------------------------------


def test_the_page_showing_a_new_token_is_never_cached(client, store):
    created = client.post("/s/acme/tokens", data={"name": "shop", "permissions": ["orders.read"]})
    assert "sdk_" in created.get_data(as_text=True)
    assert created.headers["Cache-Control"] == "no-store"
    assert client.get("/s/acme/tokens").headers["Cache-Control"] == "no-store"
    api = client.post("/api/v1/tokens", json={"name": "api", "permissions": ["orders.read"]})
    assert api.status_code == 201 and api.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("method", ["TRACE", "PUT", "PROPFIND"])
def test_an_unsupported_method_answers_405_saying_what_is_allowed(client, method):
    page = client.open("/login", method=method)
    assert page.status_code == 405
    assert set(page.headers["Allow"].split(", ")) >= {"GET", "POST"}
    api = client.open("/api/v1/store", method=method)
    assert api.status_code == 405 and "GET" in api.headers["Allow"] and "PATCH" in api.headers["Allow"]
    assert api.json["code"] == "method_not_allowed"
