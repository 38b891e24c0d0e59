"""events outbox and deliveries

Revision ID: host_0004
Revises: host_0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = 'host_0004'
down_revision = 'host_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_outbox_events_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_events_event_id'))
    )
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_events_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_events_store_id'), ['store_id'], unique=False)

    op.create_table('event_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('target', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_pk'], ['outbox_events.id'], name=op.f('fk_event_deliveries_event_pk_outbox_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_event_deliveries_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_deliveries')),
    sa.UniqueConstraint('event_pk', 'target', name=op.f('uq_event_deliveries_event_pk'))
    )
    with op.batch_alter_table('event_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_event_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_event_deliveries_order', ['target', 'key', 'event_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_deliveries_store_id'), ['store_id'], unique=False)



def downgrade():
    with op.batch_alter_table('event_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_deliveries_store_id'))
        batch_op.drop_index('ix_event_deliveries_order')
        batch_op.drop_index('ix_event_deliveries_due')

    op.drop_table('event_deliveries')
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_events_store_id'))
        batch_op.drop_index(batch_op.f('ix_outbox_events_name'))

    op.drop_table('outbox_events')
