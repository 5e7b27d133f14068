"""Statuses are the admins' (ideas/status_list.py, kept as a site setting): an idea's status is any
key of their list, so the check naming the six fixed keys goes. The six stay the default list,
with the same keys: existing ideas and timeline entries read as before.

SQLite drops a check only by rebuilding the table: the index on an expression (0021) is made again
after, and so are the search triggers the rebuild drops.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05

"""
from alembic import op

from ideas.search_schema import create_sqlite_triggers

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

NEW_FIRST = "CASE WHEN status = 'open' THEN 0 ELSE 1 END"  # ideas.models.idea.NEW_FIRST, as it was
STATUSES = "('open', 'under_review', 'planned', 'in_progress', 'shipped', 'declined', 'merged')"


def _rebuilt(change) -> None:
    """Apply `change(batch_op)` to ideas: in place on PostgreSQL, by a rebuild on SQLite."""
    if op.get_bind().dialect.name != 'sqlite':
        with op.batch_alter_table('ideas') as batch_op:
            change(batch_op)
        return
    op.drop_index('ix_ideas_triage_order_sqlite', table_name='ideas')
    with op.batch_alter_table('ideas', recreate='always') as batch_op:
        change(batch_op)
    op.execute(f"CREATE INDEX ix_ideas_triage_order_sqlite ON ideas (({NEW_FIRST}), status_changed_at, id)")
    create_sqlite_triggers(op)


def upgrade() -> None:
    _rebuilt(lambda batch_op: batch_op.drop_constraint(op.f('ck_ideas_status_valid'), type_='check'))


def downgrade() -> None:
    # Ideas in an admin's own status go back to New first: the old check knows only the six.
    op.execute(f"UPDATE ideas SET status = 'open' WHERE status NOT IN {STATUSES}")
    _rebuilt(lambda batch_op: batch_op.create_check_constraint(op.f('ck_ideas_status_valid'),
                                                               f"status IN {STATUSES}"))
