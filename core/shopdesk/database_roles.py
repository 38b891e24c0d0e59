"""PostgreSQL roles: the owner migrates, the app reads and writes, and the audit log only grows.

The role that owns a table can TRUNCATE, ALTER (``DISABLE TRIGGER``) and DROP it whatever its
triggers say, so web processes that own ``audit_log`` could erase it. With
``SHOPDESK_MIGRATION_DATABASE_URL`` set, ``shopdesk db upgrade`` and ``db downgrade`` run the
migrations as that URL's role, the owner, and ``db upgrade`` then grants the app's role
(``SHOPDESK_DATABASE_APP_ROLE``, else the role ``SHOPDESK_DATABASE_URL`` logs in as) what the
web and scheduler processes need and no more (:func:`grant`).

Without that setting nothing changes: one role owns and uses everything, and SQLite has no
roles at all.
"""

from contextlib import contextmanager

import sqlalchemy as sa

from .db import db
from .security import setting

MIGRATION_URL = "SHOPDESK_MIGRATION_DATABASE_URL"
APP_ROLE = "SHOPDESK_DATABASE_APP_ROLE"
# The app appends to the audit log and reads it, and reads which migrations are applied.
RESTRICTED = {"audit_log": "SELECT, INSERT", "alembic_version": "SELECT"}


class RoleError(RuntimeError):
    """The roles cannot be split as asked (told on one line by the command line)."""


@contextmanager
def migration_engine(app):
    """The engine migrations run on: the owner's when ``SHOPDESK_MIGRATION_DATABASE_URL`` is
    set, else the app's own."""
    url = setting(app, MIGRATION_URL)
    if not url:
        yield db.engine
        return
    engine = sa.create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def grant_app_role(app) -> str | None:
    """After migrating as the owner, grant the app's role; the role, or None with no owner URL."""
    if not setting(app, MIGRATION_URL):
        return None
    role = setting(app, APP_ROLE)
    if not role:
        with db.engine.connect() as conn:
            role = conn.scalar(sa.text("SELECT current_user"))
    with migration_engine(app) as engine:
        grant(engine, role)
    return role


def grant(engine, role: str) -> None:
    """Give ``role`` SELECT, INSERT, UPDATE and DELETE on every table of the schema and the use
    of its sequences, but on ``audit_log`` only SELECT and INSERT. Never TRUNCATE, REFERENCES
    or TRIGGER, and no ALTER or DROP (only an owner can). Run on the owner's ``engine``.

    Earlier grants to ``role`` are revoked first, in the same transaction, so the privileges are
    exactly these afterwards. Default privileges give the tables a later migration creates the
    same, before the next grant.
    """
    if engine.dialect.name != "postgresql":
        raise RoleError(f"database roles are PostgreSQL's: {engine.dialect.name} has none to grant")
    with engine.begin() as conn:
        schema, owner = conn.execute(sa.text("SELECT current_schema(), current_user")).one()
        _refuse_unsafe(conn, role, owner, schema)
        quote = conn.dialect.identifier_preparer.quote
        r, s = quote(role), quote(schema)
        statements = [
            f"GRANT USAGE ON SCHEMA {s} TO {r}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {r}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {r}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {r}",
        ]
        tables = set(sa.inspect(conn).get_table_names(schema=schema))
        for table, privileges in RESTRICTED.items():
            if table in tables:
                statements += [f"REVOKE ALL ON {s}.{quote(table)} FROM {r}",
                               f"GRANT {privileges} ON {s}.{quote(table)} TO {r}"]
        for statement in statements:
            conn.execute(sa.text(statement))


def _refuse_unsafe(conn, role, owner, schema):
    """A grant that would leave the app able to do what the owner does is refused, naming why."""
    found = conn.execute(sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}).first()
    if found is None:
        raise RoleError(f"there is no database role '{role}': create it first (contrib/deploy/README.md)")
    if found.rolsuper:
        raise RoleError(f"role '{role}' is a superuser: no grant can restrict it")
    if conn.scalar(sa.text("SELECT pg_has_role(:role, :owner, 'MEMBER')"), {"role": role, "owner": owner}):
        raise RoleError(f"role '{role}' is the owner '{owner}' or acts as it: the app needs a role of its own, "
                        "not a member of the owner")
    others = conn.scalars(sa.text(
        "SELECT tablename FROM pg_tables WHERE schemaname = :schema AND tableowner <> current_user "
        "ORDER BY tablename"), {"schema": schema}).all()
    if others:
        raise RoleError(f"'{owner}' does not own {', '.join(others[:5])}{' ...' if len(others) > 5 else ''}: "
                        f"as a superuser run REASSIGN OWNED BY <their owner> TO {owner} first")
