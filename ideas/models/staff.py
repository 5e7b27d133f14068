"""What the product team does to ideas: timeline entries, merges and their ledger, the audit log."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, row_version, utcnow
from .user import User

TIMELINE_ACTIONS = ("status", "staff_edit", "merged_into", "merged_from", "unmerged", "approved", "moved")


class TimelineEntry(Model):
    """One change in an idea's history, like a step in a parcel's tracking; never edited away."""

    __tablename__ = "timeline_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    note_html: Mapped[str] = mapped_column(Text, default="")
    related_idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id"))
    # "moved": the board's name as it was then ("" for the main board).
    board_name: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Changes with every write of the row: what cached fragments showing it are keyed by.
    version: Mapped[int] = row_version()

    actor: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class Merge(Model):
    """Idea `source` merged into `target`; the ledger says how to undo it."""

    __tablename__ = "merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("ideas.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    source_status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    ledger: Mapped[list["MergeLedgerRow"]] = relationship(order_by="MergeLedgerRow.id")


class MergeLedgerRow(Model):
    """One row a merge moved (a vote), removed (a vote counted twice) or added (a follow, or a
    tag of the duplicate's on the survivor, where `user_id` is whoever merged)."""

    __tablename__ = "merge_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    merge_id: Mapped[int] = mapped_column(ForeignKey("merges.id", ondelete="CASCADE"), index=True)
    row_kind: Mapped[str] = mapped_column(String(20))  # vote_moved, vote_removed, follow_added, tag_added
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    vote_id: Mapped[int | None] = mapped_column()
    vote_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    vote_cast_by_id: Mapped[int | None] = mapped_column()
    follow_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tag_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"))


class AuditEntry(Model):
    """Every staff action: who, what, when, before and after (JSON)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(20))
    target_id: Mapped[int | None] = mapped_column()
    before: Mapped[str] = mapped_column(Text, default="{}")
    after: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    actor: Mapped[User] = relationship(lazy="joined", innerjoin=True)
