"""The accountability page: when the team first answered each idea, first decided it and first
shipped it, kept on the idea (ideas/events/publish.py keeps them from now on) so the page never
reads every idea's history.

The backfill reads the history as it stands: the first status change or merge (staff make them),
or the first public comment or reply by a member who is staff now, answers an idea; the first move
to a status whose category is planned, in progress, done or closed decides it, to a done one ships
it. The admins' statuses are read from their setting, as ideas/status_list.py reads them; the six
default ones when they never changed them.

Columns are added, none rebuilt; the three indexes are partial, on public ideas, as
ix_ideas_roadmap_public is.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05

"""
import json

import sqlalchemy as sa
from alembic import op

from ideas.models.types import UTCDateTime

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

PUBLIC = "withdrawn_at IS NULL AND hidden_at IS NULL"  # ideas.models.idea.PUBLIC_CONDITION, as it is
COLUMNS = ('first_response_at', 'decided_at', 'shipped_at')
INDEXES = {
    'ix_ideas_answered': ['created_at', 'first_response_at', 'decided_at', 'board_id', 'status'],
    'ix_ideas_shipped': ['shipped_at', 'board_id', 'status', 'author_id'],
    'ix_ideas_unanswered': ['first_response_at', 'created_at', 'board_id', 'status'],
}
DECIDING = ('planned', 'in_progress', 'done', 'closed')
# (key, category) of the default statuses (ideas.status_list.DEFAULTS), as they are.
DEFAULT_STATUSES = (('open', 'open'), ('under_review', 'under_review'), ('planned', 'planned'),
                    ('in_progress', 'in_progress'), ('shipped', 'done'), ('declined', 'closed'))


def _statuses() -> list[tuple[str, str]]:
    """(key, category) of every status the admins defined."""
    stored = op.get_bind().execute(sa.text("SELECT value FROM settings WHERE key = 'statuses'")).scalar()
    if not stored:
        return list(DEFAULT_STATUSES)
    return [(row["key"], row["category"]) for row in json.loads(stored)]


def _first_move(column: str, keys: list[str]) -> None:
    """Set `column` to when each idea first moved to one of `keys`."""
    if not keys:
        return
    op.get_bind().execute(sa.text(
        f"UPDATE ideas SET {column} = (SELECT MIN(t.created_at) FROM timeline_entries t "
        "WHERE t.idea_id = ideas.id AND t.action = 'status' AND t.to_status IN :keys)"
    ).bindparams(sa.bindparam('keys', expanding=True)), {'keys': keys})


def _backfill() -> None:
    connection = op.get_bind()
    connection.execute(sa.text(
        "UPDATE ideas SET first_response_at = (SELECT MIN(t.created_at) FROM timeline_entries t "
        "WHERE t.idea_id = ideas.id AND t.action IN ('status', 'merged_into'))"))
    staff_comment = ("FROM comments c JOIN users u ON u.id = c.author_id WHERE c.idea_id = ideas.id "
                     "AND c.internal = :no AND u.role IN ('staff', 'admin')")
    connection.execute(sa.text(
        f"UPDATE ideas SET first_response_at = (SELECT MIN(c.created_at) {staff_comment}) "
        f"WHERE EXISTS (SELECT 1 {staff_comment} AND (ideas.first_response_at IS NULL "
        "OR c.created_at < ideas.first_response_at))"), {'no': False})
    statuses = _statuses()
    _first_move('decided_at', [key for key, category in statuses if category in DECIDING])
    _first_move('shipped_at', [key for key, category in statuses if category == 'done'])


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column('ideas', sa.Column(column, UTCDateTime(timezone=True), nullable=True))
    _backfill()
    for name, columns in INDEXES.items():
        op.create_index(name, 'ideas', columns, unique=False,
                        sqlite_where=sa.text(f"{PUBLIC} AND awaiting_approval IS 0"),
                        postgresql_where=sa.text(f"{PUBLIC} AND awaiting_approval IS false"))


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name='ideas')
    for column in COLUMNS:
        # SQLite drops an unindexed column in its own words, without rebuilding the table.
        op.execute(f"ALTER TABLE ideas DROP COLUMN {column}")
