"""Notifications: events, the outbox that delivers them, and the in-app inbox."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..events.registry import KindNames
from ..extensions import Model
from .mixins import Retried
from .types import UTCDateTime, utcnow

# The registered event kinds (ideas/events/), read on each use: events.kind holds their names.
EVENT_KINDS = KindNames()
EMAIL_STATES = ("pending", "sent", "skipped", "failed", "digest", "digested")


class Event(Model):
    """Something followers must hear of; `payload` (JSON) keeps what it said at the time."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    # The comment the event quotes, if any: hiding or deleting it later hides the event too.
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payload: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxRow(Retried, Model):
    """One member to tell of one event, written in the same transaction as the change.

    The worker turns it into an in-app notification (exactly once: unique per member and
    event) and, by the member's settings, an email (at least once, with a stable Message-ID).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(f"email_state IN {EMAIL_STATES!r}", name="email_state_valid"),
        Index("ix_outbox_due", "next_attempt_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    inapp_done: Mapped[bool] = mapped_column(default=False)
    email_state: Mapped[str] = mapped_column(String(10), default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship(lazy="joined", innerjoin=True)


class Notification(Model):
    """An entry in a member's in-app inbox."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "event_id"),
        Index("ix_notifications_inbox", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship(lazy="joined", innerjoin=True)
