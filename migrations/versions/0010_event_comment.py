"""Events name the comment they quote, so a comment hidden or deleted later leaves inboxes too.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05

"""
import json

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_events_comment_id_comments'), 'comments',
                                    ['comment_id'], ['id'], ondelete='SET NULL')
    events = sa.table('events', sa.column('id', sa.Integer), sa.column('kind', sa.String),
                      sa.column('payload', sa.Text), sa.column('comment_id', sa.Integer))
    connection = op.get_bind()
    quoting = connection.execute(sa.select(events.c.id, events.c.payload)
                                 .where(events.c.kind.in_(("comment", "official_response")))).all()
    for event_id, payload in quoting:
        comment_id = json.loads(payload or "{}").get("comment_id")
        if isinstance(comment_id, int):
            connection.execute(events.update().where(events.c.id == event_id)
                               .values(comment_id=comment_id))


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_events_comment_id_comments'), type_='foreignkey')
        batch_op.drop_column('comment_id')
