"""The roadmap's partial index of public ideas by status also holds each idea's board, so counting
a column for a reader who may not see every board reads the index alone. Leaving such a board out
read each counted idea's row to learn its board (up to 1,001 a column): the roadmap fell from 0.5
to 0.3 of the floor at 100,000 ideas on both databases.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

PUBLIC = "withdrawn_at IS NULL AND hidden_at IS NULL"  # ideas.models.idea.PUBLIC_CONDITION, as it was


def _index(columns: list[str]) -> None:
    op.create_index(
        'ix_ideas_roadmap_public', 'ideas', columns, unique=False,
        sqlite_where=sa.text(f"{PUBLIC} AND awaiting_approval IS 0"),
        postgresql_where=sa.text(f"{PUBLIC} AND awaiting_approval IS false"))


def upgrade() -> None:
    op.drop_index('ix_ideas_roadmap_public', table_name='ideas')
    _index(['status', 'status_changed_at', 'board_id'])


def downgrade() -> None:
    op.drop_index('ix_ideas_roadmap_public', table_name='ideas')
    _index(['status', 'status_changed_at'])
