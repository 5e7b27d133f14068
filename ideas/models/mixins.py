"""Columns several models share: the retry bookkeeping of the worker's queues, and the
many-to-many link tables."""
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class Retried:
    """A row the worker sends with retries (ideas.database.claim_due): how often it tried, when
    it tries next, until when a worker's claim holds it, and why the last try failed."""

    attempts: Mapped[int] = mapped_column(default=0)
    # NULL once nothing is left to do, so the worker's scan stays small.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")


def link_table(name: str, left: tuple[str, str], right: tuple[str, str]) -> Table:
    """A many-to-many table of pairs, each side given as (column, "table.id"): a pair at most
    once, gone with either row, and the right column indexed on its own (the primary key already
    finds the pairs of a left row)."""
    return Table(name, db.metadata,
                 Column(left[0], ForeignKey(left[1], ondelete="CASCADE"), primary_key=True),
                 Column(right[0], ForeignKey(right[1], ondelete="CASCADE"), primary_key=True, index=True))
