"""The UI shell: sign-in, store pages, plugin admin per store, settings form."""

import flask
import flask_smorest
import pytest
import sqlalchemy as sa
from marshmallow import Schema, fields, validate

from shopdesk.audit import AuditEntry
from shopdesk.auth.permissions import requires
from shopdesk.testing import make_plugin


class FeedSettings(Schema):
    interval = fields.Integer(load_default=15, validate=validate.Range(min=5),
                              metadata={"description": "Minutes between feed pulls."})
    token = fields.String(load_default="", metadata={"secret": True})


feed_api = flask_smorest.Blueprint("feed-api", __name__, url_prefix="/feed")


@feed_api.route("/status", methods=["GET", "POST"])
@requires("store.view")
def feed_status():
    return {"store": flask.g.store.slug}


pytestmark = pytest.mark.shopdesk_plugins(
    make_plugin("wiki"),
    make_plugin("glossary", requires=["wiki"]),
    make_plugin("feed", settings_schema=lambda: FeedSettings, register_api=lambda: [feed_api]),
)


def test_signing_in_with_the_right_password_opens_the_dashboard(app, user, store):
    client = app.test_client()
    assert client.get("/s/acme/").status_code == 302
    wrong = client.post("/login", data={"email": "owner@example.com", "password": "nope"})
    assert wrong.status_code == 401 and "Wrong email or password." in wrong.get_data(as_text=True)
    right = client.post("/login?next=/s/acme/", data={"email": "OWNER@example.com", "password": "correct horse battery"})
    assert right.status_code == 302 and right.headers["Location"] == "/s/acme/"
    assert "Acme Store" in client.get("/s/acme/").get_data(as_text=True)


def test_sign_in_attempts_are_audited(app, db, user):
    client = app.test_client()
    client.post("/login", data={"email": "owner@example.com", "password": "nope"})
    client.post("/login", data={"email": "owner@example.com", "password": "correct horse battery"})
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("auth.%")).order_by(AuditEntry.id)).all()
    assert actions == ["auth.login_failed", "auth.login"]


def test_an_open_redirect_after_sign_in_is_refused(app, user):
    right = app.test_client().post("/login?next=//evil.example/", data={"email": "owner@example.com", "password": "correct horse battery"})
    assert right.headers["Location"] == "/"


def test_an_unknown_store_is_404(client):
    assert client.get("/s/nowhere/").status_code == 404


def test_the_plugin_page_lists_state_and_enables_with_the_dependency_message(client, db, bare_store):
    url = f"/s/{bare_store.slug}/plugins"
    page = client.get(url).get_data(as_text=True)
    assert "wiki" in page and "disabled" in page
    refused = client.post(url, data={"plugin": "glossary", "action": "enable"}, follow_redirects=True)
    assert f"plugin &#39;glossary&#39; requires &#39;wiki&#39;, not enabled in store &#39;{bare_store.slug}&#39;" in refused.get_data(as_text=True)
    client.post(url, data={"plugin": "wiki", "action": "enable"})
    enabled = client.get(url).get_data(as_text=True)
    assert "enabled" in enabled


def test_the_settings_form_shows_field_errors_and_never_the_secret(client):
    url = "/s/acme/plugins/feed/settings"
    bad = client.post(url, data={"interval": "2", "token": ""})
    assert bad.status_code == 400
    assert "Must be greater than or equal to 5." in bad.get_data(as_text=True)
    assert client.post(url, data={"interval": "30", "token": "tok_secret_value"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'value="30"' in page and "tok_secret_value" not in page and "********" in page
    # Saving again with the secret left empty keeps it.
    client.post(url, data={"interval": "45", "token": ""})
    assert "********" in client.get(url).get_data(as_text=True)


def test_plugin_api_calls_must_name_their_store(app, user, store):
    signed_in = app.test_client(user=user)
    answer = signed_in.get("/api/v1/feed/status")
    assert answer.status_code == 400
    assert "Shopdesk-Store header" in answer.get_json()["message"]
    assert signed_in.get("/api/v1/feed/status", headers={"Shopdesk-Store": "acme"}).get_json() == {"store": "acme"}
    assert signed_in.get("/api/v1/feed/status", headers={"Shopdesk-Store": "nowhere"}).status_code == 404
    assert app.test_client().get("/api/v1/feed/status", headers={"Shopdesk-Store": "acme"}).status_code == 401


def test_pages_are_phone_friendly(client):
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in client.get("/s/acme/").get_data(as_text=True)


def test_errors_are_pages_in_the_ui_and_json_in_the_api(client):
    page = client.get("/s/acme/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html"
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.get_json()["code"] == "not_found"


def test_session_api_writes_without_the_csrf_token_are_told_why(app, user, store):
    app.config["WTF_CSRF_ENABLED"] = True
    answer = app.test_client(user=user).post("/api/v1/feed/status", headers={"Shopdesk-Store": "acme"})
    assert answer.status_code == 400
    assert "X-CSRFToken" in answer.get_json()["message"]


def test_settings_come_from_shopdesk_environment_variables(make_app, monkeypatch):
    monkeypatch.setenv("SHOPDESK_EVENTS_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("SHOPDESK_LOGIN_RATE_LIMIT", "3 per minute")
    app = make_app(migrate=False)
    assert app.config["SHOPDESK_EVENTS_MAX_ATTEMPTS"] == 3
    assert app.config["SHOPDESK_LOGIN_RATE_LIMIT"] == "3 per minute"
