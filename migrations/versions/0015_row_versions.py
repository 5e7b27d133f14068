"""Row versions: ideas, comments, members and timeline entries carry a number bumped by every write,
which cached fragments are keyed by (ideas.web.fragments).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

TABLES = ('ideas', 'comments', 'users', 'timeline_entries')


def upgrade() -> None:
    """A NOT NULL column with a constant default: both databases add it in place, without
    rebuilding the table (on SQLite a rebuild would drop the search triggers of `ideas`)."""
    for table in TABLES:
        op.add_column(table, sa.Column('version', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    """Dropped in place too (SQLite 3.35+ drops a column no index or trigger names)."""
    for table in TABLES:
        op.drop_column(table, 'version')
