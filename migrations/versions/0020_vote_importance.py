"""How much an idea matters to each backer (nice to have, important, critical; null: not said)
and their private note to the product team.

Two columns added to votes: SQLite and PostgreSQL both add a column with its CHECK in place, so
the table is not rebuilt (no batch mode, no foreign-key pragmas).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08

"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('votes', sa.Column(
        'importance', sa.String(length=15),
        sa.CheckConstraint("importance IN ('nice_to_have', 'important', 'critical')",
                           name=op.f('ck_votes_importance_valid')),
        nullable=True))
    op.add_column('votes', sa.Column('note', sa.String(length=1000), server_default='', nullable=False))


def downgrade() -> None:
    # SQLite (3.35+) drops a column whose CHECK is its own without rebuilding the table.
    op.drop_column('votes', 'note')
    op.drop_column('votes', 'importance')
