"""Boards: each a community of its own with who may see it (public, signed-in members, chosen
segments or companies, staff), its moderators, and the board each idea is on (NULL: the main
board, so every existing idea stays where it was and a site with one board looks as before).
A timeline entry of a move keeps the board's name as it was.

Columns are added, none rebuilt: SQLite adds a column with a reference in its own words, without batch mode (the
new column is NULL everywhere, so the reference holds).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

from ideas.models.types import UTCDateTime
from ideas.search_schema import create_sqlite_triggers

NEW_FIRST = "CASE WHEN status = 'open' THEN 0 ELSE 1 END"  # ideas.models.idea.NEW_FIRST, as it was

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def _link(name: str, right: tuple[str, str]) -> None:
    op.create_table(
        name,
        sa.Column('board_id', sa.Integer(), nullable=False),
        sa.Column(right[0], sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['board_id'], ['boards.id'], name=op.f(f'fk_{name}_board_id_boards'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint([right[0]], [f'{right[1]}.id'], name=op.f(f'fk_{name}_{right[0]}_{right[1]}'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('board_id', right[0], name=op.f(f'pk_{name}')),
    )
    op.create_index(op.f(f'ix_{name}_{right[0]}'), name, [right[0]], unique=False)


def upgrade() -> None:
    op.create_table(
        'boards',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=40), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('access', sa.String(length=10), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("access IN ('public', 'members', 'chosen', 'staff')",
                           name=op.f('ck_boards_access_valid')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_boards')),
        sa.UniqueConstraint('name', name=op.f('uq_boards_name')),
        sa.UniqueConstraint('slug', name=op.f('uq_boards_slug')),
    )
    _link('board_segments', ('segment_id', 'segments'))
    _link('board_companies', ('company_id', 'companies'))
    _link('board_moderators', ('user_id', 'users'))
    if op.get_bind().dialect.name == 'sqlite':  # Alembic would ask for batch mode (a rebuild)
        op.execute("ALTER TABLE ideas ADD COLUMN board_id INTEGER "
                   "CONSTRAINT fk_ideas_board_id_boards REFERENCES boards (id)")
    else:
        op.add_column('ideas', sa.Column('board_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_ideas_board_id_boards'), 'ideas', 'boards', ['board_id'], ['id'])
    op.create_index('ix_ideas_board_id_trending', 'ideas', ['board_id', 'trending_score', 'id'], unique=False)
    op.add_column('timeline_entries', sa.Column('board_name', sa.String(length=60), nullable=True))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:  # rebuilds cannot reflect an index on an expression: 0021's, made again after
        op.drop_index('ix_ideas_triage_order_sqlite', table_name='ideas')
    with op.batch_alter_table('timeline_entries') as batch_op:
        batch_op.drop_column('board_name')
    op.drop_index('ix_ideas_board_id_trending', table_name='ideas')
    with op.batch_alter_table('ideas') as batch_op:
        if not sqlite:  # SQLite's reflection does not name a reference added with its column
            batch_op.drop_constraint(op.f('fk_ideas_board_id_boards'), type_='foreignkey')
        batch_op.drop_column('board_id')
    if sqlite:
        op.execute(f"CREATE INDEX ix_ideas_triage_order_sqlite ON ideas (({NEW_FIRST}), status_changed_at, id)")
    create_sqlite_triggers(op)  # SQLite's rebuild of ideas dropped the search triggers
    for name, column in (('board_moderators', 'user_id'), ('board_companies', 'company_id'),
                         ('board_segments', 'segment_id')):
        op.drop_index(op.f(f'ix_{name}_{column}'), table_name=name)
        op.drop_table(name)
    op.drop_table('boards')
