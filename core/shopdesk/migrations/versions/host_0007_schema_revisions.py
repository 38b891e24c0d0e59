"""schema_revisions: every migration revision applied, so older code can tell "newer" from "missing"

Revision ID: host_0007
Revises: host_0006
Create Date: 2026-12-03

Alembic's version table keeps only the heads. A process of the previous release, during a
rolling upgrade, finds heads it has no file for and cannot walk back from them to its own
revisions. ``shopdesk db upgrade`` writes every applied revision here; the readiness probe
of any release reads it (``migrate.schema_state``).
"""

import sqlalchemy as sa
from alembic import op

revision = 'host_0007'
down_revision = 'host_0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('schema_revisions',
    sa.Column('revision', sa.String(length=255), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('revision', name=op.f('pk_schema_revisions'))
    )


def downgrade():
    op.drop_table('schema_revisions')
