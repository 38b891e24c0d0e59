"""what a storefront syncs (price lists and their prices, changes, approvals) is indexed by store and updated_at

Revision ID: pricing_0002
Revises: pricing_0001
"""

from alembic import op

revision = 'pricing_0002'
down_revision = 'pricing_0001'
branch_labels = None
depends_on = None

SYNCED = ('pricing_lists', 'pricing_list_items', 'pricing_scheduled_changes', 'pricing_approvals')


def upgrade():
    for table in SYNCED:
        op.create_index(f'ix_{table}_store_updated', table, ['store_id', 'updated_at'], unique=False)


def downgrade():
    for table in SYNCED:
        op.drop_index(f'ix_{table}_store_updated', table_name=table)
