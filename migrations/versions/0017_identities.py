"""Identities at an OpenID Connect provider, linked to members (sign-in through the company's
provider): one row per issuer and subject.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

"""
import sqlalchemy as sa
from alembic import op

from ideas.models.types import UTCDateTime

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_identities_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_identities')),
        sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_identities_issuer_subject')),
    )
    op.create_index(op.f('ix_identities_user_id'), 'identities', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_identities_user_id'), table_name='identities')
    op.drop_table('identities')
