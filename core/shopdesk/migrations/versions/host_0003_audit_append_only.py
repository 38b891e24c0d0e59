"""audit_log is append-only: the database refuses UPDATE and DELETE of its rows

Revision ID: host_0003
Revises: host_0002
Create Date: 2026-11-27

PostgreSQL: a row trigger calling a function that raises. SQLite: BEFORE UPDATE and BEFORE
DELETE triggers with RAISE(ABORT). Both say "audit_log is append-only". TRUNCATE and DROP
TABLE are not row changes and stay possible (test fixtures, host downgrade).

On SQLite, a later migration that recreates audit_log (``batch_alter_table`` with a change
SQLite cannot make in place) drops these triggers with the old table: create them again there.
"""

from alembic import op

revision = 'host_0003'
down_revision = 'host_0002'
branch_labels = None
depends_on = None

MESSAGE = "audit_log is append-only"


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege',
                    HINT = 'Audit entries are never changed or removed; write a new entry instead.';
            END
            $$
        """)
        op.execute("""
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
        """)
    elif dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log
                BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
            """)
    else:
        raise RuntimeError(f"Shopdesk runs on SQLite and PostgreSQL, not {dialect}: "
                           "audit_log could not be made append-only")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
