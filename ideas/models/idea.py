"""Ideas, their kinds, statuses and tags."""
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .mixins import link_table
from .types import UTCDateTime, row_version, utcnow
from .user import User

KINDS = ("idea", "problem", "praise")
KIND_LABELS = {"idea": "Idea", "problem": "Problem", "praise": "Praise"}

# Statuses are the admins' (ideas/status_list.py); the column holds a status's key.
STATUS_MAX = 20

PUBLIC_CONDITION = "withdrawn_at IS NULL AND hidden_at IS NULL"
# The inbox's default order puts New ideas first: this expression, word for word in the ORDER BY
# (ideas.inbox) and in ix_ideas_triage_order, so the database reads the order from the index.
NEW_FIRST = "CASE WHEN status = 'open' THEN 0 ELSE 1 END"

TITLE_MAX = 120
DESCRIPTION_MAX = 10_000

idea_tags = link_table("idea_tags", ("idea_id", "ideas.id"), ("tag_id", "tags.id"))


class Tag(Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    # One of a fixed palette of CSS classes: the CSP allows no inline style.
    colour: Mapped[str] = mapped_column(String(20), default="grey")
    # The one board whose ideas it is for; NULL: shared by every board (and again once it goes).
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id"), index=True)

    def __repr__(self) -> str:
        return f"<Tag {self.name}>"


class Idea(Model):
    __tablename__ = "ideas"
    __table_args__ = (
        CheckConstraint(f"kind IN {KINDS!r}", name="kind_valid"),
        CheckConstraint("vote_count >= 0", name="vote_count_positive"),
        CheckConstraint("comment_count >= 0", name="comment_count_positive"),
        CheckConstraint("imported_vote_count >= 0", name="imported_vote_count_positive"),
        Index("ix_ideas_board_top", "vote_count", "id"),
        Index("ix_ideas_board_trending", "trending_score", "id"),
        Index("ix_ideas_board_updated", "updated_at", "id"),
        Index("ix_ideas_triage", "status", "status_changed_at", "id"),
        # A board's page (the main board's: board_id IS NULL), its default order.
        Index("ix_ideas_board_id_trending", "board_id", "trending_score", "id"),
        # The roadmap: each column is one status, most votes first.
        Index("ix_ideas_status_votes", "status", "vote_count", "id"),
        # The roadmap's totals count public ideas per status from this index alone, without reading
        # any idea's row, also when a board the reader may not see is left out (board_id is in it).
        # SQLite uses a partial index only when the query states its condition word for word:
        # this is what visibility's `.is_(None)` / `.is_(False)` render to.
        Index("ix_ideas_roadmap_public", "status", "status_changed_at", "board_id",
              sqlite_where=text(f"{PUBLIC_CONDITION} AND awaiting_approval IS 0"),
              postgresql_where=text(f"{PUBLIC_CONDITION} AND awaiting_approval IS false")),
        # The inbox's default order: New first, then the longest waiting (never changed first). An
        # SQLite index cannot say NULLS FIRST (its ascending order already puts them first), so
        # each database has its own.
        Index("ix_ideas_triage_order", text(f"({NEW_FIRST})"), text("status_changed_at NULLS FIRST"),
              "id").ddl_if(dialect="postgresql"),
        Index("ix_ideas_triage_order_sqlite", text(f"({NEW_FIRST})"), "status_changed_at",
              "id").ddl_if(dialect="sqlite"),
        # The accountability page (ideas/accountability.py) reads public ideas from these alone:
        # those proposed in the last months, those shipped in them, and those still unanswered.
        Index("ix_ideas_answered", "created_at", "first_response_at", "decided_at", "board_id", "status",
              sqlite_where=text(f"{PUBLIC_CONDITION} AND awaiting_approval IS 0"),
              postgresql_where=text(f"{PUBLIC_CONDITION} AND awaiting_approval IS false")),
        Index("ix_ideas_shipped", "shipped_at", "board_id", "status", "author_id",
              sqlite_where=text(f"{PUBLIC_CONDITION} AND awaiting_approval IS 0"),
              postgresql_where=text(f"{PUBLIC_CONDITION} AND awaiting_approval IS false")),
        Index("ix_ideas_unanswered", "first_response_at", "created_at", "board_id", "status",
              sqlite_where=text(f"{PUBLIC_CONDITION} AND awaiting_approval IS 0"),
              postgresql_where=text(f"{PUBLIC_CONDITION} AND awaiting_approval IS false")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(10), default="idea")
    status: Mapped[str] = mapped_column(String(STATUS_MAX), default="open", index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    vote_count: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)
    # Votes carried over from another tool's export without their voters (Fider's posts export):
    # shown beside vote_count, never added to it, so vote_count always equals the rows.
    imported_vote_count: Mapped[int] = mapped_column(default=0, server_default="0")
    trending_score: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    staff_edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moderation flags, not statuses: a hidden idea exists only for staff; an idea awaiting
    # approval exists only for staff and its author.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    awaiting_approval: Mapped[bool] = mapped_column(default=False)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id"), index=True)
    # When the team first answered the idea (a status change, an official response, a public
    # staff comment or reply), first decided it (a planned, in progress, done or closed status)
    # and first shipped it (a done status); kept by ideas/events/publish.py, read by the
    # accountability page.
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # NULL: the main board (ideas.models.board).
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id"))
    # Changes with every write of the row: what cached fragments showing it are keyed by.
    version: Mapped[int] = row_version()

    author: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    tags: Mapped[list[Tag]] = relationship(secondary=idea_tags, order_by=Tag.name)
    merged_into: Mapped["Idea | None"] = relationship(remote_side=[id])

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    def __repr__(self) -> str:
        return f"<Idea {self.id} {self.title!r}>"
