"""what a storefront syncs (orders, returns, complaints) is indexed by store and updated_at

Revision ID: orders_0002
Revises: orders_0001
"""

from alembic import op

revision = 'orders_0002'
down_revision = 'orders_0001'
branch_labels = None
depends_on = None

SYNCED = ('orders', 'orders_returns', 'orders_complaints')


def upgrade():
    for table in SYNCED:
        op.create_index(f'ix_{table}_store_updated', table, ['store_id', 'updated_at'], unique=False)


def downgrade():
    for table in SYNCED:
        op.drop_index(f'ix_{table}_store_updated', table_name=table)
