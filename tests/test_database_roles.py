"""On PostgreSQL the owner migrates and the app's own role can append to the audit log but never
erase it: not by UPDATE or DELETE, TRUNCATE, disabling its trigger or dropping it."""

import uuid
from contextlib import contextmanager

import psycopg
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask.cli import ScriptInfo

from shopdesk.testing import postgres_url_or_skip, with_search_path

ERASE_THE_AUDIT_LOG = [
    "UPDATE audit_log SET action = 'nothing happened'",
    "DELETE FROM audit_log",
    "TRUNCATE audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    "DROP TABLE audit_log",
    "TRUNCATE stores",
    "DROP TABLE stores",
]


def as_user(url: str, user: str) -> str:
    return sa.engine.make_url(url).set(username=user, password=None).render_as_string(hide_password=False)


@pytest.fixture
def split_roles():
    """A fresh schema owned by a new owner role, a new role for the app and a group role the
    app's is a member of, all dropped after: (owner URL, app URL, app role, group role)."""
    base = postgres_url_or_skip()
    tag = uuid.uuid4().hex[:8]
    owner, app_role, group, schema = (f"shopdesk_{part}_{tag}" for part in ("owner", "app", "apps", "roles"))
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE ROLE {owner} LOGIN"))
        conn.execute(sa.text(f"CREATE ROLE {group} NOLOGIN"))
        conn.execute(sa.text(f"CREATE ROLE {app_role} LOGIN IN ROLE {group}"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema} AUTHORIZATION {owner}"))
    try:
        yield (with_search_path(as_user(base, owner), schema), with_search_path(as_user(base, app_role), schema),
               app_role, group)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            for role in (app_role, group, owner):
                conn.execute(sa.text(f"DROP OWNED BY {role}"))
                conn.execute(sa.text(f"DROP ROLE {role}"))
        admin.dispose()


@contextmanager
def shopdesk_app(tmp_path, database_url, **config):
    from shopdesk.app import create_app
    from shopdesk.db import db

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SHOPDESK_SETTINGS_KEY": Fernet.generate_key(),
                      "INSTANCE_PATH": str(tmp_path), "SHOPDESK_EVENTS_DISPATCH": "manual",
                      "SQLALCHEMY_DATABASE_URI": database_url, **config})
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def shopdesk(app, *args):
    from shopdesk.cli import cli

    return app.test_cli_runner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))


@pytest.mark.parametrize("granted", ["the app's login", "a group role it is a member of"])
def test_the_app_role_appends_to_the_audit_log_and_cannot_erase_it(tmp_path, split_roles, granted):
    from shopdesk import audit
    from shopdesk.auth.models import create_user
    from shopdesk.db import db
    from shopdesk.stores import create_store

    owner_url, app_url, app_role, group = split_roles
    config = {"SHOPDESK_MIGRATION_DATABASE_URL": owner_url}
    if granted != "the app's login":
        app_role = config["SHOPDESK_DATABASE_APP_ROLE"] = group
    with shopdesk_app(tmp_path, app_url, **config) as app:
        upgraded = shopdesk(app, "db", "upgrade")
        assert upgraded.exit_code == 0, upgraded.output
        assert f"Role '{app_role}' may read and write the tables; audit_log it may only read" in upgraded.output

        # The app's own writes work as its role: a user, a store, audit entries, and readiness.
        with app.app_context():
            create_store("acme", "Acme Store", owner=create_user("owner@example.com", "correct horse battery"))
            audit.record("test.appended", store_id=None)
            db.session.commit()
            logged = db.session.scalar(sa.select(sa.func.count()).select_from(audit.AuditEntry))
        assert logged >= 2
        assert app.test_client().get("/readyz").status_code == 200

    engine = sa.create_engine(app_url)
    try:
        for statement in ERASE_THE_AUDIT_LOG:
            with engine.connect() as conn, pytest.raises(sa.exc.DBAPIError) as refused:
                conn.execute(sa.text(statement))
            assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege), statement
            # The database's privileges refuse it, not only the trigger that refuses row changes.
            assert "append-only" not in str(refused.value.orig), statement
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM audit_log")) == logged
            assert conn.scalar(sa.text("SELECT count(*) FROM stores")) == 1
    finally:
        engine.dispose()


def test_granting_a_role_that_could_act_as_the_owner_is_refused(tmp_path, split_roles):
    owner_url, _, app_role, _ = split_roles
    owner = sa.engine.make_url(owner_url).username
    with shopdesk_app(tmp_path, owner_url) as app:  # one role for everything, as before
        assert shopdesk(app, "db", "upgrade").exit_code == 0
        assert shopdesk(app, "db", "grant", app_role).exit_code == 0
        for role, why in ((owner, "acts as it"), ("postgres", "is a superuser"),
                          ("no_such_role", "there is no database role 'no_such_role'")):
            refused = shopdesk(app, "db", "grant", role)
            assert refused.exit_code == 2 and why in refused.output, refused.output


def test_sqlite_has_no_roles_to_grant(cli, db):
    role = f"nobody_{uuid.uuid4().hex[:8]}"
    refused = cli("db", "grant", role)
    if db.engine.dialect.name == "sqlite":
        assert refused.exit_code == 2 and "database roles are PostgreSQL's" in refused.output
    else:
        assert refused.exit_code == 2 and f"there is no database role '{role}'" in refused.output
