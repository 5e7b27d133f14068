"""Column types shared by the models."""
import secrets
from datetime import datetime, timezone

from sqlalchemy import DateTime, Dialect, Integer, literal_column
from sqlalchemy.orm import MappedColumn, mapped_column
from sqlalchemy.types import TypeDecorator


# The largest value of an INTEGER column (ids among them) on PostgreSQL; comparing a column with a
# bigger number fails there ("integer out of range"), so such numbers never reach a query.
INTEGER_MAX = 2**31 - 1


def utcnow() -> datetime:
    """The current time, timezone-aware, for column defaults."""
    return datetime.now(timezone.utc)


def first_version() -> int:
    """Where a new row's version starts: anywhere in the lower half of INTEGER, so a row made
    again under a reused id (a restore, a demo seeded afresh) never takes over the cached
    fragments of the row it replaces, and a billion changes still fit."""
    return secrets.randbelow(2**30)


def row_version() -> MappedColumn[int]:
    """A number that changes with every write of its row, for keying cached fragments (ideas.web.
    fragments): a block keyed by the versions of the rows it shows needs no list of their fields.

    The database adds one in the UPDATE itself (`onupdate`), so the ORM's flushes and every Core
    or bulk `update()` without an explicit `version` (counters moved with RETURNING, CSV imports)
    bump it, and concurrent writers never conflict: nothing checks it, unlike `version_id_col`."""
    return mapped_column(Integer, default=first_version, server_default="0",
                         onupdate=literal_column("version") + 1)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value
