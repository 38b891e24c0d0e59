"""tags get created_at/updated_at; what a storefront syncs is indexed by store and updated_at

Revision ID: catalog_0003
Revises: catalog_0002
"""

import sqlalchemy as sa
from alembic import op

revision = 'catalog_0003'
down_revision = 'catalog_0002'
branch_labels = None
depends_on = None

SYNCED = ('catalog_categories', 'catalog_brands', 'catalog_tags', 'catalog_products', 'catalog_variants')


def upgrade():
    with op.batch_alter_table('catalog_tags', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    tags = sa.table('catalog_tags', sa.column('created_at', sa.DateTime(timezone=True)),
                    sa.column('updated_at', sa.DateTime(timezone=True)))
    op.execute(tags.update().values(created_at=sa.func.current_timestamp(), updated_at=sa.func.current_timestamp()))
    with op.batch_alter_table('catalog_tags', schema=None) as batch_op:
        batch_op.alter_column('created_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('updated_at', existing_type=sa.DateTime(timezone=True), nullable=False)
    for table in SYNCED:
        op.create_index(f'ix_{table}_store_updated', table, ['store_id', 'updated_at'], unique=False)


def downgrade():
    for table in SYNCED:
        op.drop_index(f'ix_{table}_store_updated', table_name=table)
    with op.batch_alter_table('catalog_tags', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('created_at')
