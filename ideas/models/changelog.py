"""The changelog (what the team shipped, linking the ideas it delivers) and announcements."""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .idea import KINDS, Idea, Tag
from .mixins import link_table
from .types import UTCDateTime, utcnow
from .user import User

ENTRY_TITLE_MAX = 150
ANNOUNCEMENT_TARGETS = ("idea", "tag")

# idea_id is indexed on its own for "which entry shipped this idea" on every idea page.
changelog_entry_ideas = link_table("changelog_entry_ideas", ("entry_id", "changelog_entries.id"),
                                   ("idea_id", "ideas.id"))


class ChangelogEntry(Model):
    """A note on what shipped, in Markdown; a draft until `published_at` is set."""

    __tablename__ = "changelog_entries"
    __table_args__ = (Index("ix_changelog_entries_published", "published_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(ENTRY_TITLE_MAX))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    ideas: Mapped[list[Idea]] = relationship(secondary=changelog_entry_ideas, order_by=Idea.id)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def __repr__(self) -> str:
        return f"<ChangelogEntry {self.id} {self.title!r}>"


class Announcement(Model):
    """A message staff sent to the followers of one idea, or of every idea with a tag (of one
    kind, when `idea_kind` is set), with the day the news is expected, if they gave one."""

    __tablename__ = "announcements"
    __table_args__ = (
        CheckConstraint(f"target IN {ANNOUNCEMENT_TARGETS!r}", name="target_valid"),
        CheckConstraint(f"idea_kind IS NULL OR idea_kind IN {KINDS!r}", name="idea_kind_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(Text)
    message_html: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(String(10))
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id"))
    tag_id: Mapped[int | None] = mapped_column(ForeignKey("tags.id", ondelete="SET NULL"))
    # The tag's name when sent: tags can be renamed afterwards.
    tag_name: Mapped[str | None] = mapped_column(String(40))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    # Only the followers of ideas of this kind (tag announcements): "everyone who reported a problem".
    idea_kind: Mapped[str | None] = mapped_column(String(10))
    # "When": the day the team expects what the message promises; a day, not a moment.
    expected_on: Mapped[date | None] = mapped_column(Date)
    recipient_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    author: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    idea: Mapped[Idea | None] = relationship()
    tag: Mapped[Tag | None] = relationship()
