"""In-app notifications: every waiting outbox row's, written in bulk before any email is tried.

A few set-based statements per pass (INSERT … SELECT from the outbox, ON CONFLICT DO NOTHING
on (member, event)), so an event with 10,000 followers reaches every inbox in seconds, and
each member sees it once however often a pass is repeated.
"""
from datetime import datetime
from typing import cast

from sqlalchemy import CursorResult, Select, func, select, update

from ..database import insert_from_select_ignoring_conflicts
from ..extensions import db
from ..models import Notification, OutboxRow, utcnow

INAPP_CHUNK = 5_000  # rows per in-app statement: SQLite's write lock is freed between chunks


def _waiting_for_inbox(now: datetime) -> Select[int]:
    """A select of the ids of due rows whose in-app notification is not written yet."""
    # Such a row has not had its first email attempt, so it is due since it was written: the
    # range on next_attempt_at walks ix_outbox_due over the rows with work left, not the outbox.
    return select(OutboxRow.id).where(OutboxRow.next_attempt_at <= now,
                                      OutboxRow.inapp_done.is_(False))


_INBOX_COLUMNS = ("user_id", "event_id", "created_at")


def _fill_inboxes_chunk(limit: int, now: datetime) -> int:
    """Write up to `limit` waiting rows' notifications and mark them done; returns how many rows."""
    if db.session.get_bind().dialect.name == "postgresql":
        # One statement, one snapshot: a row committed meanwhile is either in all three parts
        # or in none; SKIP LOCKED lets two workers share the work without waiting on each other.
        due = _waiting_for_inbox(now).limit(limit).with_for_update(skip_locked=True).cte("due")
        done = (update(OutboxRow).where(OutboxRow.id.in_(select(due.c.id))).values(inapp_done=True)
                .returning(OutboxRow.user_id, OutboxRow.event_id, OutboxRow.created_at).cte("done"))
        written = insert_from_select_ignoring_conflicts(
            Notification.__table__, _INBOX_COLUMNS,
            # In the events' order: a member's inbox lists newest first, by id among equal times.
            select(done.c.user_id, done.c.event_id, done.c.created_at)
            .order_by(done.c.event_id, done.c.user_id)).cte("written")
        handled = db.session.execute(select(func.count()).select_from(done).add_cte(written)).scalar_one()
    else:
        # SQLite: the INSERT takes the write lock, so the UPDATE sees the same waiting rows.
        waiting = _waiting_for_inbox(now).limit(limit).scalar_subquery()
        db.session.execute(insert_from_select_ignoring_conflicts(
            Notification.__table__, _INBOX_COLUMNS,
            select(OutboxRow.user_id, OutboxRow.event_id, OutboxRow.created_at)
            .where(OutboxRow.id.in_(waiting)).order_by(OutboxRow.event_id, OutboxRow.user_id)))
        handled = cast(CursorResult, db.session.execute(
            update(OutboxRow).where(OutboxRow.id.in_(waiting)).values(inapp_done=True),
            execution_options={"synchronize_session": False})).rowcount
    db.session.commit()
    return handled


def fill_inboxes(chunk: int = INAPP_CHUNK, now: datetime | None = None) -> int:
    """Put every waiting row's notification in its inbox (once per member and event), in bulk."""
    now = now or utcnow()
    total = 0
    while (handled := _fill_inboxes_chunk(chunk, now)) == chunk:
        total += handled
    return total + handled
