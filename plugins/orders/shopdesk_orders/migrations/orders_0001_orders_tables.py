"""orders tables

Revision ID: orders_0001
Revises: 
Create Date: 2026-11-27 01:31:40.285497
"""

import sqlalchemy as sa
from alembic import op

revision = 'orders_0001'
down_revision = None
branch_labels = ('orders',)
depends_on = 'host_0001'


def upgrade():
    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('payment_status', sa.String(length=24), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('customer_name', sa.String(length=200), nullable=False),
    sa.Column('customer_email', sa.String(length=255), nullable=False),
    sa.Column('customer_phone', sa.String(length=50), nullable=False),
    sa.Column('customer_group', sa.String(length=60), nullable=True),
    sa.Column('shipping_address', sa.JSON(), nullable=False),
    sa.Column('billing_address', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('subtotal', sa.BigInteger(), nullable=False),
    sa.Column('discount_total', sa.BigInteger(), nullable=False),
    sa.Column('shipping_fee', sa.BigInteger(), nullable=False),
    sa.Column('tax_total', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('paid_total', sa.BigInteger(), nullable=False),
    sa.Column('refunded_total', sa.BigInteger(), nullable=False),
    sa.Column('discounts', sa.JSON(), nullable=False),
    sa.Column('tax_lines', sa.JSON(), nullable=False),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('replaces_order_id', sa.Integer(), nullable=True),
    sa.Column('placed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['replaces_order_id'], ['orders.id'], name=op.f('fk_orders_replaces_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_orders_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('store_id', 'channel', 'external_id', name='uq_orders_store_channel_external'),
    sa.UniqueConstraint('store_id', 'number', name='uq_orders_store_number')
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_channel'), ['channel'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_customer_email'), ['customer_email'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_store_id'), ['store_id'], unique=False)

    op.create_table('orders_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last', sa.BigInteger(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_orders_counters_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_counters')),
    sa.UniqueConstraint('store_id', name='uq_orders_counters_store')
    )
    with op.batch_alter_table('orders_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_counters_store_id'), ['store_id'], unique=False)

    op.create_table('orders_complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('assignee', sa.String(length=255), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_orders_complaints_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_orders_complaints_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_complaints'))
    )
    with op.batch_alter_table('orders_complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_complaints_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_complaints_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_complaints_store_id'), ['store_id'], unique=False)

    op.create_table('orders_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.BigInteger(), nullable=False),
    sa.Column('unit_cost', sa.BigInteger(), nullable=True),
    sa.Column('discount', sa.BigInteger(), nullable=False),
    sa.Column('tax_rate', sa.String(length=12), nullable=False),
    sa.Column('tax', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('price_trail', sa.JSON(), nullable=False),
    sa.Column('allocations', sa.JSON(), nullable=False),
    sa.Column('fulfilled_quantity', sa.Integer(), nullable=False),
    sa.Column('returned_quantity', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_orders_lines_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_orders_lines_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_lines'))
    )
    with op.batch_alter_table('orders_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_lines_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_lines_sku'), ['sku'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_lines_store_id'), ['store_id'], unique=False)

    op.create_table('orders_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=255), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_orders_payments_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_orders_payments_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_payments'))
    )
    with op.batch_alter_table('orders_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_payments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_payments_store_id'), ['store_id'], unique=False)

    op.create_table('orders_returns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('decision_note', sa.Text(), nullable=False),
    sa.Column('exchange_order_id', sa.Integer(), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['exchange_order_id'], ['orders.id'], name=op.f('fk_orders_returns_exchange_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_orders_returns_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_orders_returns_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_returns'))
    )
    with op.batch_alter_table('orders_returns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_returns_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_returns_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_returns_store_id'), ['store_id'], unique=False)

    op.create_table('orders_risk_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('plugin', sa.String(length=60), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_orders_risk_scores_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_orders_risk_scores_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_risk_scores'))
    )
    with op.batch_alter_table('orders_risk_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_risk_scores_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_risk_scores_store_id'), ['store_id'], unique=False)

    op.create_table('orders_shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('carrier', sa.String(length=100), nullable=False),
    sa.Column('tracking_number', sa.String(length=100), nullable=False),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_orders_shipments_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_orders_shipments_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_shipments'))
    )
    with op.batch_alter_table('orders_shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_shipments_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_shipments_store_id'), ['store_id'], unique=False)

    op.create_table('orders_timeline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('actor', sa.String(length=255), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_orders_timeline_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_orders_timeline_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_timeline'))
    )
    with op.batch_alter_table('orders_timeline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_timeline_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_timeline_store_id'), ['store_id'], unique=False)

    op.create_table('orders_complaint_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=255), nullable=False),
    sa.Column('from_customer', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['orders_complaints.id'], name=op.f('fk_orders_complaint_messages_complaint_id_orders_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_orders_complaint_messages_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_complaint_messages'))
    )
    with op.batch_alter_table('orders_complaint_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_complaint_messages_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_complaint_messages_store_id'), ['store_id'], unique=False)

    op.create_table('orders_refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('provider', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=255), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_orders_refunds_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['return_id'], ['orders_returns.id'], name=op.f('fk_orders_refunds_return_id_orders_returns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_orders_refunds_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_refunds'))
    )
    with op.batch_alter_table('orders_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_refunds_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_refunds_store_id'), ['store_id'], unique=False)

    op.create_table('orders_return_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('disposition', sa.String(length=10), nullable=True),
    sa.Column('warehouse', sa.String(length=40), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_line_id'], ['orders_lines.id'], name=op.f('fk_orders_return_lines_order_line_id_orders_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['return_id'], ['orders_returns.id'], name=op.f('fk_orders_return_lines_return_id_orders_returns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_orders_return_lines_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_return_lines'))
    )
    with op.batch_alter_table('orders_return_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_return_lines_return_id'), ['return_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_return_lines_store_id'), ['store_id'], unique=False)

    op.create_table('orders_shipment_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('warehouse', sa.String(length=40), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_line_id'], ['orders_lines.id'], name=op.f('fk_orders_shipment_lines_order_line_id_orders_lines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shipment_id'], ['orders_shipments.id'], name=op.f('fk_orders_shipment_lines_shipment_id_orders_shipments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_orders_shipment_lines_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders_shipment_lines'))
    )
    with op.batch_alter_table('orders_shipment_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_shipment_lines_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_shipment_lines_store_id'), ['store_id'], unique=False)



def downgrade():
    with op.batch_alter_table('orders_shipment_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_shipment_lines_store_id'))
        batch_op.drop_index(batch_op.f('ix_orders_shipment_lines_shipment_id'))

    op.drop_table('orders_shipment_lines')
    with op.batch_alter_table('orders_return_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_return_lines_store_id'))
        batch_op.drop_index(batch_op.f('ix_orders_return_lines_return_id'))

    op.drop_table('orders_return_lines')
    with op.batch_alter_table('orders_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_refunds_store_id'))
        batch_op.drop_index(batch_op.f('ix_orders_refunds_order_id'))

    op.drop_table('orders_refunds')
    with op.batch_alter_table('orders_complaint_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_complaint_messages_store_id'))
        batch_op.drop_index(batch_op.f('ix_orders_complaint_messages_complaint_id'))

    op.drop_table('orders_complaint_messages')
    with op.batch_alter_table('orders_timeline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_timeline_store_id'))
        batch_op.drop_index(batch_op.f('ix_orders_timeline_order_id'))

    op.drop_table('orders_timeline')
    with op.batch_alter_table('orders_shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_shipments_store_id'))
        batch_op.drop_index(batch_op.f('ix_orders_shipments_order_id'))

    op.drop_table('orders_shipments')
    with op.batch_alter_table('orders_risk_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_risk_scores_store_id'))
        batch_op.drop_index(batch_op.f('ix_orders_risk_scores_order_id'))

    op.drop_table('orders_risk_scores')
    with op.batch_alter_table('orders_returns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_returns_store_id'))
        batch_op.drop_index(batch_op.f('ix_orders_returns_status'))
        batch_op.drop_index(batch_op.f('ix_orders_returns_order_id'))

    op.drop_table('orders_returns')
    with op.batch_alter_table('orders_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_payments_store_id'))
        batch_op.drop_index(batch_op.f('ix_orders_payments_order_id'))

    op.drop_table('orders_payments')
    with op.batch_alter_table('orders_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_lines_store_id'))
        batch_op.drop_index(batch_op.f('ix_orders_lines_sku'))
        batch_op.drop_index(batch_op.f('ix_orders_lines_order_id'))

    op.drop_table('orders_lines')
    with op.batch_alter_table('orders_complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_complaints_store_id'))
        batch_op.drop_index(batch_op.f('ix_orders_complaints_status'))
        batch_op.drop_index(batch_op.f('ix_orders_complaints_order_id'))

    op.drop_table('orders_complaints')
    with op.batch_alter_table('orders_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_counters_store_id'))

    op.drop_table('orders_counters')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_store_id'))
        batch_op.drop_index(batch_op.f('ix_orders_status'))
        batch_op.drop_index(batch_op.f('ix_orders_customer_email'))
        batch_op.drop_index(batch_op.f('ix_orders_channel'))

    op.drop_table('orders')
