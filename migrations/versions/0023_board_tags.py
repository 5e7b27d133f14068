"""Tags may belong to one board (NULL: shared by every board, as every tag was until now); a
board's tags become shared again if the board goes (ideas.boards.delete_board).

One column added: SQLite adds it with its reference in its own words, without batch mode.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':  # Alembic would ask for batch mode (a rebuild)
        op.execute("ALTER TABLE tags ADD COLUMN board_id INTEGER "
                   "CONSTRAINT fk_tags_board_id_boards REFERENCES boards (id)")
    else:
        op.add_column('tags', sa.Column('board_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_tags_board_id_boards'), 'tags', 'boards', ['board_id'], ['id'])
    op.create_index(op.f('ix_tags_board_id'), 'tags', ['board_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_tags_board_id'), table_name='tags')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('tags') as batch_op:
        if not sqlite:  # SQLite's reflection does not name a reference added with its column
            batch_op.drop_constraint(op.f('fk_tags_board_id_boards'), type_='foreignkey')
        batch_op.drop_column('board_id')
