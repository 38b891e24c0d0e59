"""users.session_version: signed-in sessions that the server can end

Revision ID: host_0008
Revises: host_0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = 'host_0008'
down_revision = 'host_0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
