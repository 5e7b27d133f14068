"""Screenshots on ideas and comments, and the stored files behind them (ideas/attachments.py)."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow

ATTACHMENT_TYPES = ("image/png", "image/jpeg", "image/webp")
STORAGE_KEY_MAX = 80


class Attachment(Model):
    """One uploaded image: the uploader's until it is attached to an idea or a comment (then it
    is shown, and hidden, with that post)."""

    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint("idea_id IS NULL OR comment_id IS NULL", name="one_post"),
        CheckConstraint(f"content_type IN {ATTACHMENT_TYPES!r}", name="content_type_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uploader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Order among the post's images.
    position: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[str] = mapped_column(String(20))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(STORAGE_KEY_MAX), unique=True)
    thumbnail_key: Mapped[str] = mapped_column(String(STORAGE_KEY_MAX), unique=True)
    thumbnail_width: Mapped[int] = mapped_column(Integer)
    thumbnail_height: Mapped[int] = mapped_column(Integer)


class StoredFile(Model):
    """A file's bytes in the database, by key: the database storage behind ideas/storage.py (the
    app's machines share nothing else; an S3-compatible store could take its place)."""

    __tablename__ = "stored_files"

    key: Mapped[str] = mapped_column(String(STORAGE_KEY_MAX), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
