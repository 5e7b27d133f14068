"""Impact, effort and the priority score of each idea, in a table of their own (recomputing a
score never rewrites the idea's row, whose version keys cached fragments). Every existing idea
gets its row, waiting for the worker to compute its score.

A new table only: nothing is rebuilt, so no batch mode and no foreign-key pragmas are needed.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

from ideas.models.types import UTCDateTime

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'idea_priorities',
        sa.Column('idea_id', sa.Integer(), nullable=False),
        sa.Column('impact', sa.SmallInteger(), nullable=True),
        sa.Column('effort', sa.SmallInteger(), nullable=True),
        sa.Column('score', sa.Float(), server_default='0', nullable=False),
        sa.Column('due', sa.Boolean(), server_default=sa.text('true'), nullable=False),
        sa.Column('computed_at', UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint('impact BETWEEN 1 AND 5', name=op.f('ck_idea_priorities_impact_scale')),
        sa.CheckConstraint('effort BETWEEN 1 AND 5', name=op.f('ck_idea_priorities_effort_scale')),
        sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'], name=op.f('fk_idea_priorities_idea_id_ideas'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('idea_id', name=op.f('pk_idea_priorities')),
    )
    op.create_index('ix_idea_priorities_score', 'idea_priorities', ['score', 'idea_id'], unique=False)
    op.create_index('ix_idea_priorities_due', 'idea_priorities', ['idea_id'], unique=False,
                    sqlite_where=sa.text('due IS 1'), postgresql_where=sa.text('due IS true'))
    op.execute("INSERT INTO idea_priorities (idea_id) SELECT id FROM ideas")


def downgrade() -> None:
    op.drop_index('ix_idea_priorities_due', table_name='idea_priorities')
    op.drop_index('ix_idea_priorities_score', table_name='idea_priorities')
    op.drop_table('idea_priorities')
