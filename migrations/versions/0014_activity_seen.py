"""When each member last looked at "My activity", so the page can mark what changed since.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

from ideas.models.types import UTCDateTime

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable and without a default: adding it rewrites no rows, and None reads as "never looked".
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activity_seen_at', UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('activity_seen_at')
