"""catalog tables

Revision ID: catalog_0001
Revises: 
Create Date: 2026-11-27 01:22:46.791703
"""

import sqlalchemy as sa
from alembic import op

revision = 'catalog_0001'
down_revision = None
branch_labels = ('catalog',)
depends_on = 'host_0001'


def upgrade():
    op.create_table('catalog_brands',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_catalog_brands_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_brands')),
    sa.UniqueConstraint('store_id', 'name', name=op.f('uq_catalog_brands_store_id'))
    )
    with op.batch_alter_table('catalog_brands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_brands_store_id'), ['store_id'], unique=False)

    op.create_table('catalog_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['catalog_categories.id'], name=op.f('fk_catalog_categories_parent_id_catalog_categories'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_catalog_categories_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_categories')),
    sa.UniqueConstraint('store_id', 'parent_id', 'name', name=op.f('uq_catalog_categories_store_id'))
    )
    with op.batch_alter_table('catalog_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_categories_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_categories_store_id'), ['store_id'], unique=False)

    op.create_table('catalog_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_path', sa.String(length=500), nullable=False),
    sa.Column('file_format', sa.String(length=10), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('processed_rows', sa.Integer(), nullable=False),
    sa.Column('written_rows', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_catalog_imports_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_catalog_imports_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_imports'))
    )
    with op.batch_alter_table('catalog_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_imports_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_imports_store_id'), ['store_id'], unique=False)

    op.create_table('catalog_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_catalog_tags_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_tags')),
    sa.UniqueConstraint('store_id', 'name', name=op.f('uq_catalog_tags_store_id'))
    )
    with op.batch_alter_table('catalog_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_tags_store_id'), ['store_id'], unique=False)

    op.create_table('catalog_products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('brand_id', sa.Integer(), nullable=True),
    sa.Column('option_axes', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['catalog_brands.id'], name=op.f('fk_catalog_products_brand_id_catalog_brands'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['category_id'], ['catalog_categories.id'], name=op.f('fk_catalog_products_category_id_catalog_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_catalog_products_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_products'))
    )
    with op.batch_alter_table('catalog_products', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_products_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_products_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_products_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_products_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_products_store_id'), ['store_id'], unique=False)

    op.create_table('catalog_candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('supplier', sa.String(length=200), nullable=False),
    sa.Column('expected_demand', sa.Integer(), nullable=False),
    sa.Column('search_interest', sa.Integer(), nullable=False),
    sa.Column('feedback_rating', sa.Numeric(precision=3, scale=2), nullable=True),
    sa.Column('feedback_count', sa.Integer(), nullable=False),
    sa.Column('supplier_cost', sa.BigInteger(), nullable=False),
    sa.Column('competitor_price', sa.BigInteger(), nullable=True),
    sa.Column('target_price', sa.BigInteger(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['catalog_categories.id'], name=op.f('fk_catalog_candidates_category_id_catalog_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['catalog_products.id'], name=op.f('fk_catalog_candidates_product_id_catalog_products'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_catalog_candidates_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_candidates'))
    )
    with op.batch_alter_table('catalog_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_candidates_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_candidates_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_candidates_store_id'), ['store_id'], unique=False)

    op.create_table('catalog_product_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('thumbnail', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('alt', sa.String(length=300), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['catalog_products.id'], name=op.f('fk_catalog_product_images_product_id_catalog_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_catalog_product_images_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_product_images'))
    )
    with op.batch_alter_table('catalog_product_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_product_images_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_product_images_store_id'), ['store_id'], unique=False)

    op.create_table('catalog_product_tags',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['catalog_products.id'], name=op.f('fk_catalog_product_tags_product_id_catalog_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_catalog_product_tags_store_id_stores'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tag_id'], ['catalog_tags.id'], name=op.f('fk_catalog_product_tags_tag_id_catalog_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('product_id', 'tag_id', name=op.f('pk_catalog_product_tags'))
    )
    with op.batch_alter_table('catalog_product_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_product_tags_store_id'), ['store_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_product_tags_tag_id'), ['tag_id'], unique=False)

    op.create_table('catalog_product_translations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['catalog_products.id'], name=op.f('fk_catalog_product_translations_product_id_catalog_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_catalog_product_translations_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_product_translations')),
    sa.UniqueConstraint('product_id', 'locale', name=op.f('uq_catalog_product_translations_product_id'))
    )
    with op.batch_alter_table('catalog_product_translations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_product_translations_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_product_translations_store_id'), ['store_id'], unique=False)

    op.create_table('catalog_variants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('barcode', sa.String(length=64), nullable=True),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('price', sa.BigInteger(), nullable=False),
    sa.Column('unit_cost', sa.BigInteger(), nullable=False),
    sa.Column('weight_g', sa.Integer(), nullable=True),
    sa.Column('length_mm', sa.Integer(), nullable=True),
    sa.Column('width_mm', sa.Integer(), nullable=True),
    sa.Column('height_mm', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['catalog_products.id'], name=op.f('fk_catalog_variants_product_id_catalog_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_catalog_variants_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_variants')),
    sa.UniqueConstraint('store_id', 'sku', name='uq_catalog_variants_store_sku')
    )
    with op.batch_alter_table('catalog_variants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalog_variants_barcode'), ['barcode'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_variants_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_catalog_variants_store_id'), ['store_id'], unique=False)



def downgrade():
    with op.batch_alter_table('catalog_variants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_variants_store_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_variants_product_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_variants_barcode'))

    op.drop_table('catalog_variants')
    with op.batch_alter_table('catalog_product_translations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_product_translations_store_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_product_translations_product_id'))

    op.drop_table('catalog_product_translations')
    with op.batch_alter_table('catalog_product_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_product_tags_tag_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_product_tags_store_id'))

    op.drop_table('catalog_product_tags')
    with op.batch_alter_table('catalog_product_images', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_product_images_store_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_product_images_product_id'))

    op.drop_table('catalog_product_images')
    with op.batch_alter_table('catalog_candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_candidates_store_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_candidates_status'))
        batch_op.drop_index(batch_op.f('ix_catalog_candidates_category_id'))

    op.drop_table('catalog_candidates')
    with op.batch_alter_table('catalog_products', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_products_store_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_products_status'))
        batch_op.drop_index(batch_op.f('ix_catalog_products_name'))
        batch_op.drop_index(batch_op.f('ix_catalog_products_category_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_products_brand_id'))

    op.drop_table('catalog_products')
    with op.batch_alter_table('catalog_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_tags_store_id'))

    op.drop_table('catalog_tags')
    with op.batch_alter_table('catalog_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_imports_store_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_imports_status'))

    op.drop_table('catalog_imports')
    with op.batch_alter_table('catalog_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_categories_store_id'))
        batch_op.drop_index(batch_op.f('ix_catalog_categories_parent_id'))

    op.drop_table('catalog_categories')
    with op.batch_alter_table('catalog_brands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_catalog_brands_store_id'))

    op.drop_table('catalog_brands')
