"""Languages: the language a member chose for pages and emails.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column: SQLite adds it in place, without rebuilding `users` (no cascade risk).
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=10), nullable=True))


def downgrade():
    # Dropping a column rebuilds `users` on SQLite; migrations/env.py runs every migration with
    # foreign keys off (and checks them after), so the rebuild's DROP TABLE cascades nowhere.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')
