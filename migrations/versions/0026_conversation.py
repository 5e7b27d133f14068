"""A real conversation: replies (a comment's parent), @handles for mentions, and screenshots on
ideas and comments (the images' facts in `attachments`, their bytes in `stored_files`).

Every existing member gets a handle derived from their name (lower case letters, digits and "_",
a number added where two names would give the same one), as ideas/handles.py derives them for
new members; the derivation is copied here so that this migration reads the same for ever.

Columns are added, none rebuilt: SQLite adds a column with a reference in its own words, without
batch mode.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05

"""
import re
import unicodedata
import warnings

import sqlalchemy as sa
from alembic import op

from ideas.models.types import UTCDateTime

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

HANDLE_MAX = 30
STEM_MAX = 24  # room for a number after it


def _stem(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    stem = re.sub(r"[^a-z0-9]+", "_", ascii_name).strip("_")[:STEM_MAX].strip("_")
    return stem if len(stem) >= 2 else "member"


def _backfill_handles() -> None:
    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('name', sa.String),
                     sa.column('handle', sa.String))
    taken: set[str] = set()
    rows = connection.execute(sa.select(users.c.id, users.c.name).order_by(users.c.id)).all()
    chosen = []
    for user_id, name in rows:
        stem = _stem(name or "")
        handle, number = stem, 1
        while handle in taken:
            number += 1
            handle = f"{stem}{number}"
        taken.add(handle)
        chosen.append({"user_id": user_id, "new_handle": handle})
    if chosen:
        connection.execute(users.update().where(users.c.id == sa.bindparam("user_id"))
                           .values(handle=sa.bindparam("new_handle")), chosen)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:  # Alembic would ask for batch mode (a rebuild)
        op.execute("ALTER TABLE comments ADD COLUMN parent_id INTEGER "
                   "CONSTRAINT fk_comments_parent_id_comments REFERENCES comments (id)")
    else:
        op.add_column('comments', sa.Column('parent_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_comments_parent_id_comments'), 'comments', 'comments',
                              ['parent_id'], ['id'])
    op.create_index(op.f('ix_comments_parent_id'), 'comments', ['parent_id'], unique=False)

    op.add_column('users', sa.Column('handle', sa.String(length=HANDLE_MAX), nullable=True))
    _backfill_handles()
    op.create_index(op.f('uq_users_handle'), 'users', ['handle'], unique=True)

    op.create_table(
        'stored_files',
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_stored_files')),
    )
    op.create_table(
        'attachments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uploader_id', sa.Integer(), nullable=False),
        sa.Column('idea_id', sa.Integer(), nullable=True),
        sa.Column('comment_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('attached_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=20), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('byte_size', sa.Integer(), nullable=False),
        sa.Column('storage_key', sa.String(length=80), nullable=False),
        sa.Column('thumbnail_key', sa.String(length=80), nullable=False),
        sa.Column('thumbnail_width', sa.Integer(), nullable=False),
        sa.Column('thumbnail_height', sa.Integer(), nullable=False),
        sa.CheckConstraint('idea_id IS NULL OR comment_id IS NULL', name=op.f('ck_attachments_one_post')),
        sa.CheckConstraint("content_type IN ('image/png', 'image/jpeg', 'image/webp')",
                           name=op.f('ck_attachments_content_type_valid')),
        sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_attachments_comment_id_comments'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['idea_id'], ['ideas.id'], name=op.f('fk_attachments_idea_id_ideas'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_attachments_uploader_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments')),
        sa.UniqueConstraint('storage_key', name=op.f('uq_attachments_storage_key')),
        sa.UniqueConstraint('thumbnail_key', name=op.f('uq_attachments_thumbnail_key')),
    )
    for column in ('uploader_id', 'idea_id', 'comment_id', 'created_at'):
        op.create_index(op.f(f'ix_attachments_{column}'), 'attachments', [column], unique=False)


def downgrade() -> None:
    op.drop_table('attachments')
    op.drop_table('stored_files')
    op.drop_index(op.f('uq_users_handle'), table_name='users')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('handle')
    op.drop_index(op.f('ix_comments_parent_id'), table_name='comments')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    # Rebuilding comments on SQLite reflects the ideas it refers to, whose expression index
    # (0021's) cannot be reflected; the index stays as it is, on a table not rebuilt.
    with warnings.catch_warnings(), op.batch_alter_table('comments') as batch_op:
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        if not sqlite:  # SQLite's reflection does not name a reference added with its column
            batch_op.drop_constraint(op.f('fk_comments_parent_id_comments'), type_='foreignkey')
        batch_op.drop_column('parent_id')
