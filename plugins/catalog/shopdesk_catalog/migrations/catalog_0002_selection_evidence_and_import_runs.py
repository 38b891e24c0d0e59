"""selection evidence may be missing; import runs keep options, counts and finish time

Revision ID: catalog_0002
Revises: catalog_0001
"""

import sqlalchemy as sa
from alembic import op

revision = 'catalog_0002'
down_revision = 'catalog_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('catalog_candidates', schema=None) as batch_op:
        batch_op.alter_column('expected_demand', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('search_interest', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('supplier_cost', existing_type=sa.BigInteger(), nullable=True)
        batch_op.add_column(sa.Column('rejected_reason', sa.String(length=500), nullable=False,
                                      server_default=''))

    with op.batch_alter_table('catalog_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('create_categories', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column('summary', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('catalog_candidates', schema=None) as batch_op:
        batch_op.alter_column('rejected_reason', server_default=None)
    with op.batch_alter_table('catalog_imports', schema=None) as batch_op:
        batch_op.alter_column('create_categories', server_default=None)
        batch_op.alter_column('summary', server_default=None)


def downgrade():
    with op.batch_alter_table('catalog_imports', schema=None) as batch_op:
        batch_op.drop_column('finished_at')
        batch_op.drop_column('summary')
        batch_op.drop_column('create_categories')

    with op.batch_alter_table('catalog_candidates', schema=None) as batch_op:
        batch_op.drop_column('rejected_reason')
        batch_op.execute("UPDATE catalog_candidates SET supplier_cost = 0 WHERE supplier_cost IS NULL")
        batch_op.execute("UPDATE catalog_candidates SET search_interest = 0 WHERE search_interest IS NULL")
        batch_op.execute("UPDATE catalog_candidates SET expected_demand = 0 WHERE expected_demand IS NULL")
        batch_op.alter_column('supplier_cost', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('search_interest', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('expected_demand', existing_type=sa.Integer(), nullable=False)
