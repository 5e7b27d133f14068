"""What the product team weighs an idea by: impact and effort as staff set them (1–5), and the
priority score the worker computes from them, the idea's demand and the admins' weights
(ideas.priority). A row of its own, so recomputing a score never rewrites the idea's row (its
version keys the cached fragments everyone reads)."""
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, SmallInteger, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime

SCALE = (1, 2, 3, 4, 5)  # impact and effort


class IdeaPriority(Model):
    """One idea's impact, effort and priority score. Every idea has one from the moment it is
    made (the kind of its creation says so); `due` is set whenever something the score reads
    changes, and cleared by the worker that recomputes it."""

    __tablename__ = "idea_priorities"
    __table_args__ = (
        CheckConstraint("impact BETWEEN 1 AND 5", name="impact_scale"),
        CheckConstraint("effort BETWEEN 1 AND 5", name="effort_scale"),
        # The inbox sorted by priority reads this index in order, filtering as it goes.
        Index("ix_idea_priorities_score", "score", "idea_id"),
        # The worker's queue: only the rows waiting for it are in this index.
        Index("ix_idea_priorities_due", "idea_id", sqlite_where=text("due IS 1"),
              postgresql_where=text("due IS true")),
    )

    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True)
    impact: Mapped[int | None] = mapped_column(SmallInteger)
    effort: Mapped[int | None] = mapped_column(SmallInteger)
    score: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    due: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
