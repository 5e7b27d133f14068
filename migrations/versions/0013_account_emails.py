"""Account emails (reset links, sign-in codes, confirmations, invitations) queue for the worker.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05

"""
import sqlalchemy as sa
from alembic import op

from ideas.models.types import UTCDateTime

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'account_emails',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('address', sa.String(length=254), nullable=False),
        sa.Column('locale', sa.String(length=10), nullable=True),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('claimed_until', UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.Column('sent_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('reset', 'code', 'confirm', 'invite')",
                           name=op.f('ck_account_emails_kind_valid')),
        sa.CheckConstraint("state IN ('pending', 'sent', 'skipped', 'failed')",
                           name=op.f('ck_account_emails_state_valid')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_account_emails')),
    )
    with op.batch_alter_table('account_emails', schema=None) as batch_op:
        batch_op.create_index('ix_account_emails_due', ['next_attempt_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_emails_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('account_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_emails_created_at'))
        batch_op.drop_index('ix_account_emails_due')
    op.drop_table('account_emails')
