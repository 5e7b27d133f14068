"""Signing in from the company's product: the secrets its tokens are signed with (two live at once
while one is rotated), and the ids of tokens already used, each kept until it expires.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

"""
import sqlalchemy as sa
from alembic import op

from ideas.models.types import UTCDateTime

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'product_secrets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kid', sa.String(length=32), nullable=False),
        sa.Column('secret', sa.String(length=64), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('retired_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_product_secrets_created_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_product_secrets')),
        sa.UniqueConstraint('kid', name=op.f('uq_product_secrets_kid')),
    )
    op.create_table(
        'used_product_tokens',
        sa.Column('jti', sa.String(length=255), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('jti', name=op.f('pk_used_product_tokens')),
    )
    op.create_index(op.f('ix_used_product_tokens_expires_at'), 'used_product_tokens', ['expires_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_used_product_tokens_expires_at'), table_name='used_product_tokens')
    op.drop_table('used_product_tokens')
    op.drop_table('product_secrets')
