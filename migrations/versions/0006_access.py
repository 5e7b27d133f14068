"""Branding and access: one-time sign-in codes, invitations, the uploaded logo, feed tokens,
and settings long enough for a welcome text.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

"""
import sqlalchemy as sa
from alembic import op

import ideas.models.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', ideas.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', ideas.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('used_at', ideas.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_sign_in_codes_attempts_positive')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_codes_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_codes'))
    )
    with op.batch_alter_table('sign_in_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_codes_user_id'), ['user_id'], unique=False)

    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', ideas.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', ideas.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', ideas.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('accepted_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', ideas.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['accepted_by_id'], ['users.id'], name=op.f('fk_invitations_accepted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_invitations_invited_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_email'), ['email'], unique=False)

    op.create_table('site_assets',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('updated_at', ideas.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_site_assets'))
    )

    # A nullable column: SQLite adds it in place, without rebuilding `users`.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_token', sa.String(length=32), nullable=True))

    # The welcome text and its rendered HTML may outgrow 1,000 characters.
    with op.batch_alter_table('settings', schema=None) as batch_op:
        batch_op.alter_column('value', existing_type=sa.String(length=1000), type_=sa.Text(),
                              existing_nullable=False)


def downgrade():
    # Values longer than the old column would not fit: the welcome text goes first.
    op.execute("DELETE FROM settings WHERE key IN ('welcome_markdown', 'welcome_html', 'allowed_domains')")
    with op.batch_alter_table('settings', schema=None) as batch_op:
        batch_op.alter_column('value', existing_type=sa.Text(), type_=sa.String(length=1000),
                              existing_nullable=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('feed_token')

    op.drop_table('site_assets')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_email'))

    op.drop_table('invitations')
    with op.batch_alter_table('sign_in_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_codes_user_id'))

    op.drop_table('sign_in_codes')
