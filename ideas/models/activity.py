"""What members do to ideas: vote, follow, comment."""
from datetime import datetime

from sqlalchemy import (
    Boolean, CheckConstraint, ColumnElement, ForeignKey, Index, String, Text, UniqueConstraint, and_,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, row_version, utcnow
from .user import User

COMMENT_MAX = 5_000
# How much an idea matters to the member who backs it; None: they did not say.
IMPORTANCES = ("nice_to_have", "important", "critical")
VOTE_NOTE_MAX = 1_000


class Vote(Model):
    __tablename__ = "votes"
    # The database, not the code, guarantees one vote per member per idea.
    __table_args__ = (
        UniqueConstraint("user_id", "idea_id"),
        # An idea's votes, and its recent ones counted from the index alone (the inbox's column).
        Index("ix_votes_idea_created", "idea_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when staff recorded the vote for a customer (by email, e.g. from a sales call).
    cast_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    importance: Mapped[str | None] = mapped_column(
        String(15), CheckConstraint(f"importance IN {IMPORTANCES!r}", name="importance_valid"))
    # Private to the product team ("why I need this"): plain text, shown to staff only.
    note: Mapped[str] = mapped_column(String(VOTE_NOTE_MAX), default="", server_default="")


class Follow(Model):
    """A member's relation to an idea's news; `following=False` remembers an unfollow."""

    __tablename__ = "follows"
    # An idea's followers, counted from the index alone (the inbox's column, the idea page).
    __table_args__ = (Index("ix_follows_idea_following", "idea_id", "following"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True)
    following: Mapped[bool] = mapped_column(Boolean, default=True)
    reason: Mapped[str] = mapped_column(String(20), default="follow")
    # "status": status changes, responses, merges, announcements; "all": ordinary comments too.
    level: Mapped[str] = mapped_column(String(10), default="status")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Comment(Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A staff-only note: for anyone but staff it does not exist.
    internal: Mapped[bool] = mapped_column(default=False)
    # A staff comment pinned under the idea's description.
    official: Mapped[bool] = mapped_column(default=False)
    # The comment this one replies to (one level: a reply's parent is never a reply itself). Both
    # are on the same idea, so deleting the idea takes both; comments themselves are never deleted.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), index=True)
    # Changes with every write of the row: what cached fragments showing it are keyed by.
    version: Mapped[int] = row_version()

    author: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    @hybrid_property
    def counts_as_public(self) -> bool:
        """Counted in the idea's comment count: public, not hidden, not deleted (in Python and,
        as the expression below, in SQL)."""
        return not self.internal and self.hidden_at is None and self.deleted_at is None

    @counts_as_public.inplace.expression
    @classmethod
    def _counts_as_public_expression(cls) -> ColumnElement[bool]:
        return and_(cls.internal.is_(False), cls.hidden_at.is_(None), cls.deleted_at.is_(None))
