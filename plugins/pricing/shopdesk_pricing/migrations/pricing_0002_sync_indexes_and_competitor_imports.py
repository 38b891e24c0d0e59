"""what a storefront syncs (price lists and their prices, changes, approvals) is indexed by store and
updated_at; competitor price files too big for a request are queued in pricing_competitor_imports

Revision ID: pricing_0002
Revises: pricing_0001
"""

import sqlalchemy as sa
from alembic import op

revision = 'pricing_0002'
down_revision = 'pricing_0001'
branch_labels = None
depends_on = None

SYNCED = ('pricing_lists', 'pricing_list_items', 'pricing_scheduled_changes', 'pricing_approvals')


def upgrade():
    op.create_table('pricing_competitor_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('csv', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('written_rows', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('requested_by', sa.String(length=255), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_pricing_competitor_imports_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pricing_competitor_imports'))
    )
    op.create_index(op.f('ix_pricing_competitor_imports_status'), 'pricing_competitor_imports', ['status'], unique=False)
    op.create_index(op.f('ix_pricing_competitor_imports_store_id'), 'pricing_competitor_imports', ['store_id'], unique=False)
    for table in SYNCED:
        op.create_index(f'ix_{table}_store_updated', table, ['store_id', 'updated_at'], unique=False)


def downgrade():
    for table in SYNCED:
        op.drop_index(f'ix_{table}_store_updated', table_name=table)
    op.drop_table('pricing_competitor_imports')
