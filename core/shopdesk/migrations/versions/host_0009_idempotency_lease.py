"""idempotency_keys get a lease and a work_committed flag: a claim whose process died is retried

Revision ID: host_0009
Revises: host_0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = 'host_0009'
down_revision = 'host_0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('work_committed', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_column('work_committed')
        batch_op.drop_column('lease_expires_at')
