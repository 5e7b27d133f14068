"""Throttles keyed on an email address: wrong passwords for one account, reset emails to one address.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

from ideas.models.types import UTCDateTime

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'throttles',
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('window_started_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('blocked_until', UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint('hits >= 0', name=op.f('ck_throttles_hits_positive')),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_throttles')),
    )


def downgrade():
    op.drop_table('throttles')
