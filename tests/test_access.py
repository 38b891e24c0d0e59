"""Accounts, per-store roles, permissions on every route, API tokens, errors, idempotency."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shopdesk import conformance
from shopdesk.audit import AuditEntry
from shopdesk.auth.models import User, create_user
from shopdesk.auth.roles import Membership, Role, add_member, get_role
from shopdesk.auth.tokens import ApiToken
from shopdesk.db import utcnow
from shopdesk.stores import create_store, use_store


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def audit_actions(db, prefix):
    return db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like(f"{prefix}%"))
                              .order_by(AuditEntry.id)).all()


# --- accounts ------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2id_owasp_parameters(user):
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password("correct horse battery") and not user.check_password("Correct horse battery")


def test_a_deactivated_user_cannot_sign_in(app, db, user, cli):
    assert cli("users", "deactivate", "owner@example.com").exit_code == 0
    answer = app.test_client().post("/login", data={"email": "owner@example.com", "password": "correct horse battery"})
    assert answer.status_code == 401


def test_users_change_their_password_in_the_ui(app, db, client):
    wrong = client.post("/account/password", data={"current": "nope", "new": "another secret 1", "confirm": "another secret 1"})
    assert wrong.status_code == 400 and "current password: wrong password." in wrong.get_data(as_text=True)
    short = client.post("/account/password", data={"current": "correct horse battery", "new": "short", "confirm": "short"})
    assert "new password: must be at least 10 characters" in short.get_data(as_text=True)
    assert client.post("/account/password", data={"current": "correct horse battery", "new": "another secret 1",
                                                   "confirm": "another secret 1"}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(User).filter_by(email="owner@example.com")).check_password("another secret 1")


# --- roles ---------------------------------------------------------------------------------


@pytest.fixture
def member(app, db, store):
    """Make another user a member of 'acme' with a role; returns a signed-in client for them."""
    def make(role, email="member@example.com"):
        person = create_user(email, "member password 1")
        add_member(store, person, role)
        db.session.commit()
        return app.test_client(user=person)
    return make


def test_each_store_has_the_four_built_in_roles(db, store):
    with use_store(store):
        assert sorted(db.session.scalars(sa.select(Role.builtin).where(Role.builtin.is_not(None)))) == \
            ["manager", "operator", "owner", "viewer"]


def test_built_in_roles_grant_sensible_defaults(member):
    viewer, manager = member("viewer"), member("manager", "manager@example.com")
    assert viewer.get("/s/acme/").status_code == 200
    assert viewer.get("/s/acme/plugins").status_code == 403
    assert viewer.get("/s/acme/members").status_code == 403
    assert manager.get("/s/acme/tokens").status_code == 200
    assert manager.get("/s/acme/members").status_code == 403


def test_a_store_you_are_not_a_member_of_does_not_exist_for_you(app, db, client, user):
    stranger = create_user("stranger@example.com", "stranger password")
    create_store("elsewhere", "Elsewhere", owner=stranger)
    db.session.commit()
    assert client.get("/s/elsewhere/").status_code == 404
    assert client.get("/api/v1/roles", headers={"Shopdesk-Store": "elsewhere"}).status_code == 404


def test_custom_roles_are_made_from_declared_permissions(client, db, store):
    made = client.post("/api/v1/roles", json={"name": "auditor", "permissions": ["audit.read", "store.view"]})
    assert made.status_code == 201 and made.json["permissions"] == ["audit.read", "store.view"]
    unknown = client.post("/api/v1/roles", json={"name": "x", "permissions": ["orders.teleport"]})
    assert unknown.status_code == 422
    assert unknown.json["errors"] == {"permissions": ["unknown permission(s): orders.teleport"]}
    changed = client.patch(f"/api/v1/roles/{made.json['id']}", json={"permissions": ["store.view"]})
    assert changed.json["permissions"] == ["store.view"]
    owner_id = client.get("/api/v1/roles?builtin=true&sort=name").json[1]["id"]
    assert client.patch(f"/api/v1/roles/{owner_id}", json={"permissions": []}).status_code == 409
    assert audit_actions(db, "role.") == ["role.created", "role.updated"]


def test_custom_role_edits_in_the_ui(client, db, store):
    client.post("/s/acme/roles", data={"action": "create", "name": "packer", "permissions": ["store.view"]})
    with use_store(store):
        assert get_role(store, "packer").permissions == ["store.view"]


def test_the_last_owner_can_be_neither_removed_nor_demoted(client, user):
    demote = client.patch(f"/api/v1/members/{user.id}", json={"role": "viewer"})
    assert demote.status_code == 409
    assert demote.json["message"] == "role: the store needs at least one owner: make someone else owner first"
    assert client.delete(f"/api/v1/members/{user.id}").status_code == 409


def test_two_owners_demoting_each_other_at_once_leave_one_owner(make_app, db):
    """A real race: two connections, each demoting the other owner, released together."""
    app = make_app()
    with app.app_context():
        first, second = create_user("a@example.com", "password a 12"), create_user("b@example.com", "password b 12")
        store = create_store("duo", "Duo", owner=first)
        add_member(store, second, "owner")
        db.session.commit()
        ids = {"a": first.id, "b": second.id}
    start, outcomes = threading.Barrier(2), {}

    def demote(who, target):
        with app.app_context():
            client = app.test_client(user=db.session.get(User, ids[who]))
            start.wait()
            outcomes[who] = client.patch(f"/api/v1/members/{ids[target]}", json={"role": "viewer"},
                                         headers={"Shopdesk-Store": "duo"}).status_code

    threads = [threading.Thread(target=demote, args=pair) for pair in (("a", "b"), ("b", "a"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # The loser is refused: 409 if it saw two owners, 403 if the winner had already demoted it.
    assert sorted(outcomes.values()) in ([200, 403], [200, 409])
    with app.app_context():
        owners = db.session.scalar(sa.select(sa.func.count()).select_from(Membership).join(Role)
                                   .where(Role.builtin == "owner").execution_options(all_stores=True))
    assert owners == 1


def test_members_are_added_and_changed_through_the_api(client, db, store):
    create_user("clerk@example.com", "clerk password")
    db.session.commit()
    added = client.post("/api/v1/members", json={"email": "clerk@example.com", "role": "operator"})
    assert added.status_code == 201 and added.json["role"] == "operator"
    assert added.json["temporary_password"] is None  # an existing account keeps its password
    assert client.post("/api/v1/members", json={"email": "nobody@example.com", "role": "chief"}).json["errors"] == \
        {"role": ["no role named 'chief' in store 'acme'"]}
    changed = client.patch(f"/api/v1/members/{added.json['user_id']}", json={"role": "viewer"})
    assert changed.json["role"] == "viewer"
    listed = client.get("/api/v1/members?role=viewer").json
    assert [m["email"] for m in listed] == ["clerk@example.com"]
    assert audit_actions(db, "member.") == ["member.added", "member.added", "member.role_changed"]


# --- every route declares its permission -----------------------------------------------------


def test_every_route_of_every_installed_plugin_declares_a_permission(app):
    """Walks the whole URL map, so a new plugin's forgotten route fails here."""
    assert conformance.undeclared_routes(app) == []


def test_a_route_without_a_declaration_is_refused(make_app, db, user, store):
    import flask

    from shopdesk.stores import enable_plugin
    from shopdesk.testing import make_plugin

    careless = flask.Blueprint("careless", __name__, url_prefix="/careless")
    careless.add_url_rule("/", "index", lambda: "oops")
    app = make_app(plugins=[make_plugin("careless", register_blueprints=lambda: [careless])])
    enable_plugin(app.extensions["shopdesk"], store, "careless")
    db.session.commit()
    assert app.test_client(user=user).get(f"/s/{store.slug}/careless/").status_code == 403


# --- API tokens ---------------------------------------------------------------------------------


def test_a_token_is_shown_once_stored_hashed_and_scoped(app, db, client, store):
    made = client.post("/api/v1/tokens", json={"name": "scanner", "permissions": ["store.view"]})
    assert made.status_code == 201
    plain = made.json["token"]
    assert plain.startswith("sdk_")
    assert "token" not in client.get("/api/v1/tokens").json[0]
    with use_store(store):
        row = db.session.scalars(sa.select(ApiToken)).one()
    assert plain not in (row.token_hash, row.hint) and len(row.token_hash) == 64
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/roles", headers=bearer(plain)).status_code == 200
    assert anonymous.post("/api/v1/roles", headers=bearer(plain), json={"name": "x"}).status_code == 403
    assert audit_actions(db, "token.") == ["token.created"]


def test_a_token_cannot_exceed_its_makers_permissions(member):
    viewer = member("viewer")
    refused = viewer.post("/s/acme/tokens", data={"name": "x", "permissions": ["store.view"]})
    assert refused.status_code == 403  # viewers may not make tokens at all
    operator = member("operator", "operator@example.com")
    beyond = operator.post("/api/v1/tokens", json={"name": "x", "permissions": ["plugins.manage"]},
                           headers={"Shopdesk-Store": "acme"})
    assert beyond.status_code == 422
    assert beyond.json["errors"] == {"permissions": ["you do not hold plugins.manage in this store"]}


def test_expired_revoked_and_unknown_tokens_are_refused(app, db, client, store, user, token_for):
    plain = token_for(user, store, ["store.view"])
    anonymous = app.test_client()
    assert anonymous.get("/api/v1/roles", headers=bearer(plain)).status_code == 200
    with use_store(store):
        token = db.session.scalars(sa.select(ApiToken)).one()
        assert token.last_used_at is not None
        token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    expired = anonymous.get("/api/v1/roles", headers=bearer(plain))
    assert expired.status_code == 401
    assert expired.json["message"] == "Authorization: the bearer token is unknown, expired or revoked"
    with use_store(store):
        token = db.session.scalars(sa.select(ApiToken)).one()
        token.expires_at = None
        db.session.commit()
        token_id = token.id
    assert client.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    assert anonymous.get("/api/v1/roles", headers=bearer(plain)).status_code == 401
    assert anonymous.get("/api/v1/roles", headers=bearer("sdk_made_up")).status_code == 401


def test_a_token_sees_only_its_own_store(app, db, user, store, token_for):
    create_store("other", "Other", owner=user)
    db.session.commit()
    plain = token_for(user, store, ["store.view"])
    answer = app.test_client().get("/api/v1/roles", headers={**bearer(plain), "Shopdesk-Store": "other"})
    assert answer.status_code == 404


def test_tokens_need_no_csrf_token_but_sessions_do(app, db, user, store, token_for):
    app.config["WTF_CSRF_ENABLED"] = True
    plain = token_for(user, store)
    by_token = app.test_client().post("/api/v1/roles", headers=bearer(plain), json={"name": "by-token"})
    assert by_token.status_code == 201
    by_session = app.test_client(user=user).post("/api/v1/roles", headers={"Shopdesk-Store": "acme"},
                                                 json={"name": "by-session"})
    assert by_session.status_code == 400 and "X-CSRFToken" in by_session.json["message"]


# --- one error format, lists, idempotency ----------------------------------------------------------


@pytest.mark.parametrize("call, status, code", [
    (lambda c: c.get("/api/v1/roles", headers={"Shopdesk-Store": ""}), 400, "bad_request"),
    (lambda c: c.post("/api/v1/roles", data="{not json", content_type="application/json"), 400, "bad_request"),
    (lambda c: c.get("/api/v1/roles/999999"), 404, "not_found"),
    (lambda c: c.post("/api/v1/roles", json={"name": "owner"}), 409, "name_taken"),
    (lambda c: c.post("/api/v1/roles", json={"name": 7, "permissions": "all"}), 422, "validation_error"),
    (lambda c: c.get("/api/v1/roles?sort=colour"), 422, "validation_error"),
])
def test_every_api_error_has_one_format(client, call, status, code):
    answer = call(client)
    assert answer.status_code == status
    assert set(answer.json) == {"status", "code", "message", "errors"}
    assert (answer.json["status"], answer.json["code"]) == (status, code)
    assert answer.json["message"]


def test_validation_errors_name_each_field(client):
    answer = client.post("/api/v1/roles", json={"name": 7, "permissions": "all"})
    assert answer.json["message"] == "Invalid input: name, permissions"
    assert answer.json["errors"] == {"name": ["Not a valid string."], "permissions": ["Not a valid list."]}


def test_an_anonymous_api_call_gets_401_in_the_same_format(app, store):
    answer = app.test_client().get("/api/v1/roles", headers={"Shopdesk-Store": "acme"})
    assert answer.status_code == 401 and answer.json["code"] == "unauthorized"


def test_lists_are_paginated_and_sortable(client):
    for name in ("b-role", "a-role", "c-role"):
        client.post("/api/v1/roles", json={"name": name})
    page = client.get("/api/v1/roles?builtin=false&sort=-name&page=1&page_size=2")
    assert [r["name"] for r in page.json] == ["c-role", "b-role"]
    assert '"total": 3' in page.headers["X-Pagination"]
    assert [r["name"] for r in client.get("/api/v1/roles?builtin=false&sort=name&page=2&page_size=2").json] == ["c-role"]


def test_the_same_idempotency_key_replays_the_first_answer(client, db, store):
    key = {"Idempotency-Key": "create-packer-1"}
    first = client.post("/api/v1/roles", json={"name": "packer"}, headers=key)
    again = client.post("/api/v1/roles", json={"name": "packer"}, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    with use_store(store):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Role).filter_by(name="packer")) == 1
    other = client.post("/api/v1/roles", json={"name": "picker"}, headers=key)
    assert other.status_code == 422
    assert other.json["errors"] == {"Idempotency-Key": ["reused with a different request"]}


def test_a_failed_first_attempt_does_not_burn_the_key(client):
    key = {"Idempotency-Key": "k-2"}
    assert client.post("/api/v1/roles", json={"name": "owner"}, headers=key).status_code == 409
    assert client.post("/api/v1/roles", json={"name": "owner"}, headers=key).status_code == 409  # ran again


# --- store settings ----------------------------------------------------------------------------


def test_inviting_a_person_without_an_account_creates_one_with_a_temporary_password(app, client, db):
    invited = client.post("/api/v1/members", json={"email": "New.Packer@example.com", "role": "operator", "name": "Pat"})
    assert invited.status_code == 201
    assert (invited.json["email"], invited.json["name"]) == ("new.packer@example.com", "Pat")
    temporary = invited.json["temporary_password"]
    signed_in = app.test_client().post("/login", data={"email": "new.packer@example.com", "password": temporary})
    assert signed_in.status_code == 302
    page = client.post("/s/acme/members", data={"action": "add", "email": "second@example.com", "role": "viewer"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Hand over this temporary password once" in page
    assert audit_actions(db, "user.created")[-2:] == ["user.created", "user.created"]


def test_store_settings_are_validated_and_audited(client, db, store):
    bad = client.patch("/api/v1/store", json={"currency": "XYZ", "timezone": "Mars/Olympus"})
    assert bad.status_code == 422
    assert bad.json["errors"] == {"currency": ["Not a known ISO 4217 currency."],
                                  "timezone": ["Not a known time zone (e.g. Asia/Taipei)."]}
    good = client.patch("/api/v1/store", json={"currency": "twd", "timezone": "Asia/Taipei", "name": "Acme TW"})
    assert good.json == {"slug": "acme", "name": "Acme TW", "currency": "TWD", "locale": "en", "timezone": "Asia/Taipei"}
    page = client.post("/s/acme/settings", data={"name": "", "currency": "TWD", "locale": "zh_Hant", "timezone": "UTC"})
    assert page.status_code == 400 and "Length must be between 1 and 200." in page.get_data(as_text=True)
    assert audit_actions(db, "store.updated") == ["store.updated"]


def test_the_api_docs_are_served_from_local_files(app):
    client = app.test_client()
    page = client.get("/api/docs").get_data(as_text=True)
    assert "http" not in page.replace('http-equiv', '')  # no CDN: every asset is ours
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert "/api/v1/roles" in client.get("/api/openapi.json").get_json()["paths"]


def test_a_token_opens_no_page_of_another_store(app, db, user, store, token_for):
    create_store("other", "Other", owner=user)
    db.session.commit()
    plain = token_for(user, store, ["store.view"])
    assert app.test_client().get("/s/other/", headers=bearer(plain)).status_code == 404
    assert app.test_client().get("/s/acme/", headers=bearer(plain)).status_code == 200


def test_nav_items_and_widgets_can_require_a_permission(make_app, db, store, user):
    from shopdesk.stores import enable_plugin
    from shopdesk.testing import make_plugin
    from shopdesk.ui import NavItem, Widget

    secret = make_plugin(
        "payroll",
        nav_items=lambda ctx, user: [NavItem("Payroll", "shell.dashboard", permission="audit.read")],
        dashboard_widgets=lambda ctx, user: [Widget("Salaries", "<p>42</p>", permission="audit.read")],
    )
    app = make_app(plugins=[secret])
    enable_plugin(app.extensions["shopdesk"], store, "payroll")
    db.session.commit()
    viewer = create_user("peek@example.com", "peek password 1")
    add_member(store, viewer, "viewer")
    db.session.commit()
    seen_by_viewer = app.test_client(user=viewer).get("/s/acme/").get_data(as_text=True)
    assert "Payroll" not in seen_by_viewer and "Salaries" not in seen_by_viewer
    seen_by_owner = app.test_client(user=user).get("/s/acme/").get_data(as_text=True)
    assert "Payroll" in seen_by_owner and "Salaries" in seen_by_owner
