"""pricing tables

Revision ID: pricing_0001
Revises: 
Create Date: 2026-11-27 02:11:34.976424
"""

import sqlalchemy as sa
from alembic import op

revision = 'pricing_0001'
down_revision = None
branch_labels = ('pricing',)
depends_on = ('host_0001', 'catalog_0001')


def upgrade():
    op.create_table('pricing_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('customer_group', sa.String(length=60), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=True),
    sa.Column('valid_to', sa.DateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_pricing_lists_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pricing_lists')),
    sa.UniqueConstraint('store_id', 'name', name=op.f('uq_pricing_lists_store_id'))
    )
    with op.batch_alter_table('pricing_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pricing_lists_store_id'), ['store_id'], unique=False)

    op.create_table('pricing_cost_plus_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('brand_id', sa.Integer(), nullable=True),
    sa.Column('tag_id', sa.Integer(), nullable=True),
    sa.Column('markup_percent', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['catalog_brands.id'], name=op.f('fk_pricing_cost_plus_rules_brand_id_catalog_brands'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category_id'], ['catalog_categories.id'], name=op.f('fk_pricing_cost_plus_rules_category_id_catalog_categories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_pricing_cost_plus_rules_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['catalog_tags.id'], name=op.f('fk_pricing_cost_plus_rules_tag_id_catalog_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pricing_cost_plus_rules'))
    )
    with op.batch_alter_table('pricing_cost_plus_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pricing_cost_plus_rules_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_cost_plus_rules_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_cost_plus_rules_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_cost_plus_rules_tag_id'), ['tag_id'], unique=False)

    op.create_table('pricing_volume_breaks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('price_list_id', sa.Integer(), nullable=False),
    sa.Column('min_quantity', sa.Integer(), nullable=False),
    sa.Column('discount_percent', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['price_list_id'], ['pricing_lists.id'], name=op.f('fk_pricing_volume_breaks_price_list_id_pricing_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_pricing_volume_breaks_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pricing_volume_breaks')),
    sa.UniqueConstraint('price_list_id', 'min_quantity', name=op.f('uq_pricing_volume_breaks_price_list_id'))
    )
    with op.batch_alter_table('pricing_volume_breaks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pricing_volume_breaks_price_list_id'), ['price_list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_volume_breaks_store_id'), ['store_id'], unique=False)
        batch_op.create_index('ix_pricing_volume_breaks_store_list', ['store_id', 'price_list_id'], unique=False)

    op.create_table('pricing_competitor_prices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('competitor', sa.String(length=120), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('source_url', sa.String(length=500), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_pricing_competitor_prices_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['catalog_variants.id'], name=op.f('fk_pricing_competitor_prices_variant_id_catalog_variants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pricing_competitor_prices'))
    )
    with op.batch_alter_table('pricing_competitor_prices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pricing_competitor_prices_store_id'), ['store_id'], unique=False)
        batch_op.create_index('ix_pricing_competitor_prices_store_variant', ['store_id', 'variant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_competitor_prices_variant_id'), ['variant_id'], unique=False)

    op.create_table('pricing_list_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('price_list_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('min_quantity', sa.Integer(), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['price_list_id'], ['pricing_lists.id'], name=op.f('fk_pricing_list_items_price_list_id_pricing_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_pricing_list_items_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['catalog_variants.id'], name=op.f('fk_pricing_list_items_variant_id_catalog_variants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pricing_list_items')),
    sa.UniqueConstraint('price_list_id', 'variant_id', 'min_quantity', name=op.f('uq_pricing_list_items_price_list_id'))
    )
    with op.batch_alter_table('pricing_list_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pricing_list_items_price_list_id'), ['price_list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_list_items_store_id'), ['store_id'], unique=False)
        batch_op.create_index('ix_pricing_list_items_store_variant', ['store_id', 'variant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_list_items_variant_id'), ['variant_id'], unique=False)

    op.create_table('pricing_scheduled_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('price_list_id', sa.Integer(), nullable=False),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('min_quantity', sa.Integer(), nullable=False),
    sa.Column('new_price', sa.BigInteger(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('previous_price', sa.BigInteger(), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['price_list_id'], ['pricing_lists.id'], name=op.f('fk_pricing_scheduled_changes_price_list_id_pricing_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_pricing_scheduled_changes_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['catalog_variants.id'], name=op.f('fk_pricing_scheduled_changes_variant_id_catalog_variants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pricing_scheduled_changes'))
    )
    with op.batch_alter_table('pricing_scheduled_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pricing_scheduled_changes_price_list_id'), ['price_list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_scheduled_changes_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_scheduled_changes_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_scheduled_changes_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_scheduled_changes_variant_id'), ['variant_id'], unique=False)

    op.create_table('pricing_approvals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('price_list_id', sa.Integer(), nullable=True),
    sa.Column('variant_id', sa.Integer(), nullable=False),
    sa.Column('min_quantity', sa.Integer(), nullable=False),
    sa.Column('scheduled_change_id', sa.Integer(), nullable=True),
    sa.Column('old_price', sa.BigInteger(), nullable=True),
    sa.Column('new_price', sa.BigInteger(), nullable=False),
    sa.Column('unit_cost', sa.BigInteger(), nullable=False),
    sa.Column('minimum_price', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_by', sa.String(length=255), nullable=False),
    sa.Column('decided_by', sa.String(length=255), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['price_list_id'], ['pricing_lists.id'], name=op.f('fk_pricing_approvals_price_list_id_pricing_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_pricing_approvals_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['scheduled_change_id'], ['pricing_scheduled_changes.id'], name=op.f('fk_pricing_approvals_scheduled_change_id_pricing_scheduled_changes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_pricing_approvals_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['catalog_variants.id'], name=op.f('fk_pricing_approvals_variant_id_catalog_variants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pricing_approvals'))
    )
    with op.batch_alter_table('pricing_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pricing_approvals_price_list_id'), ['price_list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_approvals_scheduled_change_id'), ['scheduled_change_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_approvals_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_approvals_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricing_approvals_variant_id'), ['variant_id'], unique=False)



def downgrade():
    with op.batch_alter_table('pricing_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pricing_approvals_variant_id'))
        batch_op.drop_index(batch_op.f('ix_pricing_approvals_store_id'))
        batch_op.drop_index(batch_op.f('ix_pricing_approvals_status'))
        batch_op.drop_index(batch_op.f('ix_pricing_approvals_scheduled_change_id'))
        batch_op.drop_index(batch_op.f('ix_pricing_approvals_price_list_id'))

    op.drop_table('pricing_approvals')
    with op.batch_alter_table('pricing_scheduled_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pricing_scheduled_changes_variant_id'))
        batch_op.drop_index(batch_op.f('ix_pricing_scheduled_changes_store_id'))
        batch_op.drop_index(batch_op.f('ix_pricing_scheduled_changes_status'))
        batch_op.drop_index(batch_op.f('ix_pricing_scheduled_changes_starts_at'))
        batch_op.drop_index(batch_op.f('ix_pricing_scheduled_changes_price_list_id'))

    op.drop_table('pricing_scheduled_changes')
    with op.batch_alter_table('pricing_list_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pricing_list_items_variant_id'))
        batch_op.drop_index('ix_pricing_list_items_store_variant')
        batch_op.drop_index(batch_op.f('ix_pricing_list_items_store_id'))
        batch_op.drop_index(batch_op.f('ix_pricing_list_items_price_list_id'))

    op.drop_table('pricing_list_items')
    with op.batch_alter_table('pricing_competitor_prices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pricing_competitor_prices_variant_id'))
        batch_op.drop_index('ix_pricing_competitor_prices_store_variant')
        batch_op.drop_index(batch_op.f('ix_pricing_competitor_prices_store_id'))

    op.drop_table('pricing_competitor_prices')
    with op.batch_alter_table('pricing_volume_breaks', schema=None) as batch_op:
        batch_op.drop_index('ix_pricing_volume_breaks_store_list')
        batch_op.drop_index(batch_op.f('ix_pricing_volume_breaks_store_id'))
        batch_op.drop_index(batch_op.f('ix_pricing_volume_breaks_price_list_id'))

    op.drop_table('pricing_volume_breaks')
    with op.batch_alter_table('pricing_cost_plus_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pricing_cost_plus_rules_tag_id'))
        batch_op.drop_index(batch_op.f('ix_pricing_cost_plus_rules_store_id'))
        batch_op.drop_index(batch_op.f('ix_pricing_cost_plus_rules_category_id'))
        batch_op.drop_index(batch_op.f('ix_pricing_cost_plus_rules_brand_id'))

    op.drop_table('pricing_cost_plus_rules')
    with op.batch_alter_table('pricing_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pricing_lists_store_id'))

    op.drop_table('pricing_lists')
