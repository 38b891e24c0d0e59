"""Provisioning API tokens without a browser: `shopdesk tokens create | list | revoke`, and what
a storefront token with few permissions may read."""

import sqlalchemy as sa

from shopdesk.audit import AuditEntry
from shopdesk.auth.models import create_user
from shopdesk.auth.roles import add_member
from shopdesk.auth.tokens import ApiToken
from shopdesk.stores import create_store


def bearer(plain):
    return {"Authorization": f"Bearer {plain}"}


def secret_of(result):
    return result.output.strip().splitlines()[-1]


def test_a_token_created_on_the_command_line_works_once_printed(app, db, cli, store, user):
    made = cli("tokens", "create", "acme", "storefront", "--permission", "orders.write",
               "--permission", "catalog.read", "--expires", "30")
    assert made.exit_code == 0, made.output
    plain = secret_of(made)
    assert plain.startswith("sdk_")
    assert "owner@example.com" in made.output  # the store's first owner made it
    answer = app.test_client().get("/api/v1/catalog/products", headers=bearer(plain))
    assert answer.status_code == 200
    db.session.expire_all()
    token = db.session.scalar(sa.select(ApiToken).filter_by(name="storefront").execution_options(all_stores=True))
    assert token.permissions == ["catalog.read", "orders.write"] and token.user_id == user.id
    assert 29 <= (token.expires_at - token.created_at).days <= 30
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="token.created"))
    assert entry.actor.startswith("cli") and entry.after["user"] == "owner@example.com"
    assert entry.store_id == store.id


def test_the_list_shows_tokens_but_never_their_secrets(app, db, cli, store):
    plain = secret_of(cli("tokens", "create", "acme", "feed", "--permission", "catalog.read"))
    listed = cli("tokens", "list", "acme")
    assert listed.exit_code == 0
    assert "feed" in listed.output and "active" in listed.output and "catalog.read" in listed.output
    assert plain not in listed.output and plain[:10] in listed.output  # the hint only


def test_a_token_is_revoked_by_id_or_by_name(app, db, cli, store):
    first = secret_of(cli("tokens", "create", "acme", "feed", "--permission", "catalog.read"))
    second = secret_of(cli("tokens", "create", "acme", "pos", "--permission", "catalog.read"))
    assert cli("tokens", "revoke", "acme", "feed").exit_code == 0
    token_id = db.session.scalar(sa.select(ApiToken.id).filter_by(name="pos").execution_options(all_stores=True))
    assert cli("tokens", "revoke", "acme", str(token_id)).exit_code == 0
    for plain in (first, second):
        assert app.test_client().get("/api/v1/store", headers=bearer(plain)).status_code == 401
    assert "revoked" in cli("tokens", "list", "acme").output
    assert [e for e in db.session.scalars(sa.select(AuditEntry.action).filter_by(action="token.revoked"))] == [
        "token.revoked", "token.revoked"]


def test_the_maker_can_be_named_and_narrows_the_token(app, db, cli, store):
    clerk = create_user("clerk@example.com", "clerk password 1")
    add_member(store, clerk, "viewer")
    db.session.commit()
    made = cli("tokens", "create", "acme", "report", "--permission", "orders.read", "--user", "clerk@example.com")
    assert made.exit_code == 0 and "clerk@example.com" in made.output
    beyond = cli("tokens", "create", "acme", "x", "--permission", "orders.write", "--user", "clerk@example.com")
    assert beyond.exit_code == 2
    assert beyond.output.strip() == "Error: permissions: you do not hold orders.write in this store"


def test_bad_arguments_print_one_error_line(app, db, cli, store, user):
    other = create_store("other", "Other", owner=user)
    db.session.commit()
    cases = {
        ("create", "nowhere", "x", "--permission", "orders.read"): "nowhere",
        ("create", "acme", "x", "--permission", "orders.fly"): "unknown permission 'orders.fly'",
        ("create", "acme", "x", "--permission", "orders.read", "--expires", "soon"): "--expires",
        ("create", "acme", "x", "--permission", "orders.read", "--expires", "2001-01-01"): "expires_at",
        ("create", "acme", " ", "--permission", "orders.read"): "name",
        ("create", "acme", "x", "--permission", "orders.read", "--user", "nobody@example.com"): "not a member",
        ("list", "nowhere"): "nowhere",
        ("revoke", "acme", "missing"): "no token 'missing'",
    }
    for args, named in cases.items():
        result = cli("tokens", *args)
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("Error: "), (args, result.output)
        assert named in lines[0], (args, lines[0])
    plain = secret_of(cli("tokens", "create", "other", "x", "--permission", "store.view"))
    token_id = db.session.scalar(sa.select(ApiToken.id).filter_by(store_id=other.id).execution_options(all_stores=True))
    assert cli("tokens", "revoke", "acme", str(token_id)).exit_code == 2  # another store's token is not there
    assert app.test_client().get("/api/v1/store", headers=bearer(plain)).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)
                             .execution_options(all_stores=True)) == 1  # nothing half-written


def test_a_name_shared_by_two_active_tokens_needs_the_id(app, db, cli, store):
    for _ in range(2):
        cli("tokens", "create", "acme", "twin", "--permission", "catalog.read")
    result = cli("tokens", "revoke", "acme", "twin")
    assert result.exit_code == 2 and "give the id" in result.output


# --- what any token may read ------------------------------------------------------------


def test_the_stores_public_settings_are_read_with_any_permission(app, db, store, user, token_for):
    storefront = bearer(token_for(user, store, ["orders.write"]))
    answer = app.test_client().get("/api/v1/store", headers=storefront)
    assert answer.status_code == 200
    assert {k: answer.json[k] for k in ("currency", "locale", "timezone")} == {
        "currency": "USD", "locale": store.locale, "timezone": store.timezone}
    assert app.test_client().patch("/api/v1/store", json={"name": "x"}, headers=storefront).status_code == 403


def test_a_member_whose_role_grants_nothing_cannot_read_the_store(app, db, store):
    from shopdesk.auth.roles import create_role

    idle = create_user("idle@example.com", "idle password 1")
    create_role(store, "idle", [])
    add_member(store, idle, "idle")
    db.session.commit()
    answer = app.test_client(user=idle).get("/api/v1/store", headers={"Shopdesk-Store": "acme"})
    assert answer.status_code == 403
