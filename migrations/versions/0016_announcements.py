"""Announcements may reach only the followers of ideas of one kind, and say when: `idea_kind` and
`expected_on`.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Two nullable columns and the check on the kind. On SQLite the check needs a rebuild of
    `announcements` (batch mode); no trigger or foreign key points at that table, so nothing is lost."""
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idea_kind', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('expected_on', sa.Date(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_announcements_idea_kind_valid'),
            "idea_kind IS NULL OR idea_kind IN ('idea', 'problem', 'praise')")


def downgrade() -> None:
    with op.batch_alter_table('announcements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_announcements_idea_kind_valid'), type_='check')
        batch_op.drop_column('expected_on')
        batch_op.drop_column('idea_kind')
