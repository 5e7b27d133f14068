"""A merge's ledger records the duplicate's tags it put on the survivor, so undo takes them off.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('merge_ledger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tag_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_merge_ledger_tag_id_tags'), 'tags', ['tag_id'], ['id'],
                                    ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('merge_ledger', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_merge_ledger_tag_id_tags'), type_='foreignkey')
        batch_op.drop_column('tag_id')
