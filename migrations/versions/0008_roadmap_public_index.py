"""A partial index of public ideas by status, so the roadmap's totals stay cheap at 100,000 ideas.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

PUBLIC = "withdrawn_at IS NULL AND hidden_at IS NULL"


def upgrade():
    op.create_index(
        'ix_ideas_roadmap_public', 'ideas', ['status', 'status_changed_at'], unique=False,
        sqlite_where=sa.text(f"{PUBLIC} AND awaiting_approval IS 0"),
        postgresql_where=sa.text(f"{PUBLIC} AND awaiting_approval IS false"))


def downgrade():
    op.drop_index('ix_ideas_roadmap_public', table_name='ideas')
