"""stock levels get updated_at; what is synced by updated_since is indexed by store and updated_at

Revision ID: inventory_0002
Revises: inventory_0001
"""

import sqlalchemy as sa
from alembic import op

revision = 'inventory_0002'
down_revision = 'inventory_0001'
branch_labels = None
depends_on = None

SYNCED = ('inventory_warehouses', 'inventory_stock_levels', 'inventory_reservations', 'inventory_transfers',
          'inventory_count_sessions')


def upgrade():
    with op.batch_alter_table('inventory_stock_levels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    levels = sa.table('inventory_stock_levels', sa.column('updated_at', sa.DateTime(timezone=True)))
    op.execute(levels.update().values(updated_at=sa.func.current_timestamp()))
    with op.batch_alter_table('inventory_stock_levels', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)
    for table in SYNCED:
        op.create_index(f'ix_{table}_store_updated', table, ['store_id', 'updated_at'], unique=False)


def downgrade():
    for table in SYNCED:
        op.drop_index(f'ix_{table}_store_updated', table_name=table)
    with op.batch_alter_table('inventory_stock_levels', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
