"""inventory tables

Revision ID: inventory_0001
Revises: 
Create Date: 2026-11-27 01:31:22.262863
"""

import sqlalchemy as sa
from alembic import op

revision = 'inventory_0001'
down_revision = None
branch_labels = ('inventory',)
depends_on = ('host_0001', 'catalog_0001')


def upgrade():
    op.create_table('inventory_warehouses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_inventory_warehouses_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_warehouses')),
    sa.UniqueConstraint('store_id', 'code', name=op.f('uq_inventory_warehouses_store_id'))
    )
    with op.batch_alter_table('inventory_warehouses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_warehouses_store_id'), ['store_id'], unique=False)

    op.create_table('inventory_bins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_inventory_bins_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['inventory_warehouses.id'], name=op.f('fk_inventory_bins_warehouse_id_inventory_warehouses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_bins')),
    sa.UniqueConstraint('warehouse_id', 'code', name=op.f('uq_inventory_bins_warehouse_id'))
    )
    with op.batch_alter_table('inventory_bins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_bins_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_bins_warehouse_id'), ['warehouse_id'], unique=False)

    op.create_table('inventory_count_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('abc_class', sa.String(length=1), nullable=True),
    sa.Column('blind', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('counted_by', sa.String(length=255), nullable=False),
    sa.Column('approved_by', sa.String(length=255), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['catalog_categories.id'], name=op.f('fk_inventory_count_sessions_category_id_catalog_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_inventory_count_sessions_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['inventory_warehouses.id'], name=op.f('fk_inventory_count_sessions_warehouse_id_inventory_warehouses'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_count_sessions'))
    )
    with op.batch_alter_table('inventory_count_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_count_sessions_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_count_sessions_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_count_sessions_warehouse_id'), ['warehouse_id'], unique=False)

    op.create_table('inventory_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('to_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_by', sa.String(length=255), nullable=False),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['from_warehouse_id'], ['inventory_warehouses.id'], name=op.f('fk_inventory_transfers_from_warehouse_id_inventory_warehouses'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_inventory_transfers_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_warehouse_id'], ['inventory_warehouses.id'], name=op.f('fk_inventory_transfers_to_warehouse_id_inventory_warehouses'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_transfers'))
    )
    with op.batch_alter_table('inventory_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_transfers_from_warehouse_id'), ['from_warehouse_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_transfers_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_transfers_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_transfers_to_warehouse_id'), ['to_warehouse_id'], unique=False)

    op.create_table('inventory_count_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('counted', sa.Integer(), nullable=True),
    sa.Column('unit_cost', sa.BigInteger(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['inventory_count_sessions.id'], name=op.f('fk_inventory_count_lines_session_id_inventory_count_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_inventory_count_lines_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['catalog_variants.id'], name=op.f('fk_inventory_count_lines_variant_id_catalog_variants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_count_lines')),
    sa.UniqueConstraint('session_id', 'variant_id', name=op.f('uq_inventory_count_lines_session_id'))
    )
    with op.batch_alter_table('inventory_count_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_count_lines_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_count_lines_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_count_lines_variant_id'), ['variant_id'], unique=False)

    op.create_table('inventory_lead_times',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_inventory_lead_times_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['catalog_variants.id'], name=op.f('fk_inventory_lead_times_variant_id_catalog_variants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_lead_times')),
    sa.UniqueConstraint('store_id', 'variant_id', name=op.f('uq_inventory_lead_times_store_id'))
    )
    with op.batch_alter_table('inventory_lead_times', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_lead_times_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_lead_times_variant_id'), ['variant_id'], unique=False)

    op.create_table('inventory_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('unit_cost', sa.BigInteger(), nullable=False),
    sa.Column('user_email', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_inventory_moves_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['catalog_variants.id'], name=op.f('fk_inventory_moves_variant_id_catalog_variants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['inventory_warehouses.id'], name=op.f('fk_inventory_moves_warehouse_id_inventory_warehouses'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_moves'))
    )
    with op.batch_alter_table('inventory_moves', schema=None) as batch_op:
        batch_op.create_index('ix_inventory_moves_kind_created', ['store_id', 'kind', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_moves_reference'), ['reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_moves_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_moves_variant_id'), ['variant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_moves_warehouse_id'), ['warehouse_id'], unique=False)

    op.create_table('inventory_reservations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=120), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('open_quantity', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_inventory_reservations_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['catalog_variants.id'], name=op.f('fk_inventory_reservations_variant_id_catalog_variants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['inventory_warehouses.id'], name=op.f('fk_inventory_reservations_warehouse_id_inventory_warehouses'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_reservations'))
    )
    with op.batch_alter_table('inventory_reservations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_reservations_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_reservations_reference'), ['reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_reservations_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_reservations_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_reservations_variant_id'), ['variant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_reservations_warehouse_id'), ['warehouse_id'], unique=False)

    op.create_table('inventory_slow_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_inventory_slow_notices_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['catalog_variants.id'], name=op.f('fk_inventory_slow_notices_variant_id_catalog_variants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_slow_notices')),
    sa.UniqueConstraint('store_id', 'variant_id', 'period', name=op.f('uq_inventory_slow_notices_store_id'))
    )
    with op.batch_alter_table('inventory_slow_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_slow_notices_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_slow_notices_variant_id'), ['variant_id'], unique=False)

    op.create_table('inventory_stock_levels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('bin_id', sa.Integer(), nullable=True),
    sa.Column('on_hand', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reserved', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reorder_point', sa.Integer(), nullable=True),
    sa.Column('low_alerted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('on_hand >= reserved', name=op.f('ck_inventory_stock_levels_available_not_negative')),
    sa.CheckConstraint('reserved >= 0', name=op.f('ck_inventory_stock_levels_reserved_not_negative')),
    sa.ForeignKeyConstraint(['bin_id'], ['inventory_bins.id'], name=op.f('fk_inventory_stock_levels_bin_id_inventory_bins'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_inventory_stock_levels_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['catalog_variants.id'], name=op.f('fk_inventory_stock_levels_variant_id_catalog_variants'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['warehouse_id'], ['inventory_warehouses.id'], name=op.f('fk_inventory_stock_levels_warehouse_id_inventory_warehouses'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_stock_levels')),
    sa.UniqueConstraint('variant_id', 'warehouse_id', name=op.f('uq_inventory_stock_levels_variant_id'))
    )
    with op.batch_alter_table('inventory_stock_levels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_stock_levels_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_stock_levels_variant_id'), ['variant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_stock_levels_warehouse_id'), ['warehouse_id'], unique=False)

    op.create_table('inventory_transfer_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('received_quantity', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_inventory_transfer_lines_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['transfer_id'], ['inventory_transfers.id'], name=op.f('fk_inventory_transfer_lines_transfer_id_inventory_transfers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['catalog_variants.id'], name=op.f('fk_inventory_transfer_lines_variant_id_catalog_variants'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inventory_transfer_lines'))
    )
    with op.batch_alter_table('inventory_transfer_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inventory_transfer_lines_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_transfer_lines_transfer_id'), ['transfer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inventory_transfer_lines_variant_id'), ['variant_id'], unique=False)



def downgrade():
    with op.batch_alter_table('inventory_transfer_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_transfer_lines_variant_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_transfer_lines_transfer_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_transfer_lines_store_id'))

    op.drop_table('inventory_transfer_lines')
    with op.batch_alter_table('inventory_stock_levels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_stock_levels_warehouse_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_stock_levels_variant_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_stock_levels_store_id'))

    op.drop_table('inventory_stock_levels')
    with op.batch_alter_table('inventory_slow_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_slow_notices_variant_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_slow_notices_store_id'))

    op.drop_table('inventory_slow_notices')
    with op.batch_alter_table('inventory_reservations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_reservations_warehouse_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_reservations_variant_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_reservations_store_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_reservations_status'))
        batch_op.drop_index(batch_op.f('ix_inventory_reservations_reference'))
        batch_op.drop_index(batch_op.f('ix_inventory_reservations_expires_at'))

    op.drop_table('inventory_reservations')
    with op.batch_alter_table('inventory_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_moves_warehouse_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_moves_variant_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_moves_store_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_moves_reference'))
        batch_op.drop_index('ix_inventory_moves_kind_created')

    op.drop_table('inventory_moves')
    with op.batch_alter_table('inventory_lead_times', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_lead_times_variant_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_lead_times_store_id'))

    op.drop_table('inventory_lead_times')
    with op.batch_alter_table('inventory_count_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_count_lines_variant_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_count_lines_store_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_count_lines_session_id'))

    op.drop_table('inventory_count_lines')
    with op.batch_alter_table('inventory_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_transfers_to_warehouse_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_transfers_store_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_transfers_status'))
        batch_op.drop_index(batch_op.f('ix_inventory_transfers_from_warehouse_id'))

    op.drop_table('inventory_transfers')
    with op.batch_alter_table('inventory_count_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_count_sessions_warehouse_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_count_sessions_store_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_count_sessions_status'))

    op.drop_table('inventory_count_sessions')
    with op.batch_alter_table('inventory_bins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_bins_warehouse_id'))
        batch_op.drop_index(batch_op.f('ix_inventory_bins_store_id'))

    op.drop_table('inventory_bins')
    with op.batch_alter_table('inventory_warehouses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inventory_warehouses_store_id'))

    op.drop_table('inventory_warehouses')
