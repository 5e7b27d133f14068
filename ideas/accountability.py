"""How the company keeps its word: how soon the team answers ideas, how soon it decides them,
what it ships and whose ideas those were, month by month, against the promise an admin states.

Each idea keeps when the team first answered it, first decided it and first shipped it
(`first_response_at`, `decided_at`, `shipped_at`): the event kinds declare what counts
(ideas/events/registry.py, `Answer`) and publish calls `record_answer`. The page then groups the
public ideas of the last twelve months by month in two statements read from partial indexes,
never an idea's history, and keeps the result for a minute per (boards seen, promise).

An answer is a status change or a merge (staff make them), an official response, or a public
comment or reply by staff. A decision is a move to a status whose category is planned, in
progress, done or closed; shipping, to a done one. Months are calendar months in UTC. Merged
ideas are duplicates that left the lists, and count for the idea they joined only.
"""
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import ColumnElement, Integer, String, and_, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from .extensions import db
from .models import Idea, User, utcnow
from .status_list import MERGED, category_of
from .visibility import STAFF_ROLES, BoardScope, public_on_boards

DECIDING = ("planned", "in_progress", "done", "closed")
DECISION_DAYS = (30, 90)
MONTHS = 12
WAITING_LIMIT = 50


# Keeping each idea's record: publish calls this for every kind that declares an Answer

def record_answer(idea: Idea, by_team: bool, status: str | None, at: datetime | None = None) -> None:
    """Note on `idea` what an event just did: the team's first answer (when `by_team`), its first
    decision and its first shipping (by the category of `status`, the status it moved to)."""
    at = at or utcnow()
    if by_team and idea.first_response_at is None:
        idea.first_response_at = at
    category = category_of(status) if status is not None else None
    if category in DECIDING and idea.decided_at is None:
        idea.decided_at = at
    if category == "done" and idea.shipped_at is None:
        idea.shipped_at = at


# SQL the two databases say differently

class month_of(FunctionElement[str]):
    """SQL: the calendar month (UTC) of a timestamp, as "YYYY-MM"."""

    type = String()
    name = "month_of"
    inherit_cache = True


class hours_between(FunctionElement[int]):
    """SQL: the whole hours from the first timestamp to the second (NULL when either is)."""

    type = Integer()
    name = "hours_between"
    inherit_cache = True


@compiles(month_of, "sqlite")
def _month_on_sqlite(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(month_of, "postgresql")
def _month_on_postgresql(element: month_of, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC', 'YYYY-MM')"


@compiles(hours_between, "sqlite")
def _hours_on_sqlite(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST((julianday({end}) - julianday({start})) * 24 AS INTEGER)"


@compiles(hours_between, "postgresql")
def _hours_on_postgresql(element: hours_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(floor(EXTRACT(EPOCH FROM ({end} - {start})) / 3600) AS INTEGER)"


# The figures

def _per_window() -> dict[int, int]:
    return dict.fromkeys(DECISION_DAYS, 0)


@dataclass
class Month:
    """What happened to the ideas proposed in one month (`key` "YYYY-MM"; "" for the twelve
    together), and what shipped in it. `judged[days]` counts the ideas old enough to be judged
    on a decision within `days` days, `decided[days]` those of them decided in time; the same
    for the promise (`promise_judged`, `promise_kept`). `answer_hours`: {whole hours to a first
    answer: how many ideas}."""

    key: str
    proposed: int = 0
    answered: int = 0
    answer_hours: Counter[int] = field(default_factory=Counter)
    judged: dict[int, int] = field(default_factory=_per_window)
    decided: dict[int, int] = field(default_factory=_per_window)
    promise_judged: int = 0
    promise_kept: int = 0
    shipped: int = 0
    shipped_from_customers: int = 0

    @property
    def median_hours(self) -> float | None:
        """The median whole hours to a first answer of the answered ideas (None: none was)."""
        return median_of(self.answer_hours)

    def decided_share(self, days: int) -> float | None:
        """The share of the ideas old enough to be judged that were decided within `days` days."""
        return share(self.decided[days], self.judged[days])

    @property
    def promise_share(self) -> float | None:
        """The share of the ideas old enough to be judged that were answered within the promise."""
        return share(self.promise_kept, self.promise_judged)

    def add(self, other: "Month") -> None:
        """Count `other`'s ideas in this month too (the twelve months together)."""
        self.proposed += other.proposed
        self.answered += other.answered
        self.answer_hours.update(other.answer_hours)
        for days in DECISION_DAYS:
            self.judged[days] += other.judged[days]
            self.decided[days] += other.decided[days]
        self.promise_judged += other.promise_judged
        self.promise_kept += other.promise_kept
        self.shipped += other.shipped
        self.shipped_from_customers += other.shipped_from_customers


@dataclass(frozen=True)
class Figures:
    """The last twelve months, newest first, and the twelve together; measured against
    `promise_days` when there is a promise."""

    months: list[Month]
    total: Month
    promise_days: int | None
    computed_at: datetime


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to judge."""
    return part / whole if whole else None


def median_of(counts: Counter[int]) -> float | None:
    """The median of values given as {value: how many times}."""
    size = sum(counts.values())
    if not size:
        return None
    wanted = sorted({(size - 1) // 2, size // 2})
    found: list[int] = []
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
    return sum(found) / len(found)


def month_keys(now: datetime) -> list[str]:
    """The keys of the last MONTHS calendar months (UTC), this one first."""
    year, month = now.year, now.month
    keys = []
    for _ in range(MONTHS):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys


def _start_of(key: str) -> datetime:
    year, month = key.split("-")
    return datetime(int(year), int(month), 1, tzinfo=timezone.utc)


def _counted_if(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((and_(*conditions), 1), else_=0))


def _in_scope(scope: BoardScope) -> tuple[ColumnElement[bool], ...]:
    """The ideas the page counts: what everyone may see of the boards of `scope` (its partial
    indexes hold those alone), duplicates merged away left out as lists leave them out."""
    return public_on_boards(scope), Idea.status != MERGED


def proposed_rows(scope: BoardScope, since: datetime, now: datetime, promise: int | None) -> list[Any]:
    """Per month proposed and whole hours to a first answer: how many ideas, then how many were
    judged and decided within each of DECISION_DAYS, then judged and answered within the promise."""
    month = month_of(Idea.created_at)
    answer_hours = hours_between(Idea.created_at, Idea.first_response_at)
    decision_hours = hours_between(Idea.created_at, Idea.decided_at)
    columns: list[Any] = [month, answer_hours, func.count()]
    for days in DECISION_DAYS:
        judged = Idea.created_at <= now - timedelta(days=days)
        columns += [_counted_if(judged), _counted_if(judged, decision_hours < days * 24)]
    if promise is not None:
        judged = Idea.created_at <= now - timedelta(days=promise)
        columns += [_counted_if(judged), _counted_if(judged, answer_hours < promise * 24)]
    # SQLite would walk ix_ideas_created_at and read each idea's row; ix_ideas_answered holds every
    # column read here (about 2.5 times faster at 100,000 ideas). Its condition is _in_scope's.
    statement = (select(*columns).where(*_in_scope(scope), Idea.created_at >= since)
                 .group_by(month, answer_hours)
                 .with_hint(Idea, "INDEXED BY ix_ideas_answered", dialect_name="sqlite"))
    return list(db.session.execute(statement).all())


def shipped_rows(scope: BoardScope, since: datetime) -> list[Any]:
    """Per month: the ideas that first shipped in it, and how many of them customers proposed."""
    month = month_of(Idea.shipped_at)
    statement = (select(month, func.count(), _counted_if(User.role.not_in(STAFF_ROLES)))
                 .select_from(Idea).join(User, User.id == Idea.author_id)
                 .where(*_in_scope(scope), Idea.shipped_at >= since).group_by(month))
    return list(db.session.execute(statement).all())


def figures_of(scope: BoardScope, promise: int | None = None, now: datetime | None = None) -> Figures:
    """Compute the last twelve months' figures over the boards of `scope`."""
    now = now or utcnow()
    keys = month_keys(now)
    since = _start_of(keys[-1])
    months = {key: Month(key) for key in keys}
    for key, hours, count, *judged in proposed_rows(scope, since, now, promise):
        month = months.get(key)
        if month is None:  # a clock a little off between the database and this process
            continue
        month.proposed += count
        if hours is not None:
            month.answered += count
            month.answer_hours[int(hours)] += count
        for position, days in enumerate(DECISION_DAYS):
            month.judged[days] += int(judged[2 * position])
            month.decided[days] += int(judged[2 * position + 1])
        if promise is not None:
            month.promise_judged += int(judged[-2])
            month.promise_kept += int(judged[-1])
    for key, count, from_customers in shipped_rows(scope, since):
        if key in months:
            months[key].shipped += count
            months[key].shipped_from_customers += int(from_customers)
    total = Month("")
    for month in months.values():
        total.add(month)
    return Figures(months=list(months.values()), total=total, promise_days=promise, computed_at=now)


_cache_lock = threading.Lock()
CACHE_ENTRIES = 64


def recent_figures(scope: BoardScope, promise: int | None,
                   clock: Callable[[], float] = time.monotonic) -> Figures:
    """`figures_of(scope, promise)`, computed at most once a minute per process, boards seen and
    promise (ACCOUNTABILITY_CACHE_SECONDS, default 60, sets how long; 0: every time)."""
    seconds = current_app.config["ACCOUNTABILITY_CACHE_SECONDS"]
    cache: dict[tuple[BoardScope, int | None], tuple[float, Figures]] = (
        current_app.extensions.setdefault("accountability", {}))
    key = (scope, promise)
    now = clock()
    with _cache_lock:
        entry = cache.get(key)
        if entry is not None and now - entry[0] < seconds:
            return entry[1]
    figures = figures_of(scope, promise)
    with _cache_lock:
        if len(cache) >= CACHE_ENTRIES:
            cache.clear()
        cache[key] = (now, figures)
    return figures


# Staff only: the ideas still waiting past the promise

class WaitingIdea(NamedTuple):
    id: int
    title: str
    created_at: datetime


def waiting_past(promise: int, scope: BoardScope, now: datetime | None = None,
                 limit: int = WAITING_LIMIT) -> tuple[list[WaitingIdea], int]:
    """The ideas of `scope` nobody of the team answered within `promise` days, oldest first (at
    most `limit`), and how many there are."""
    due = (now or utcnow()) - timedelta(days=promise)
    conditions = (*_in_scope(scope), Idea.first_response_at.is_(None), Idea.created_at <= due)
    rows = [WaitingIdea(*row) for row in db.session.execute(
        select(Idea.id, Idea.title, Idea.created_at).where(*conditions)
        .order_by(Idea.created_at, Idea.id).limit(limit))]
    if len(rows) < limit:
        return rows, len(rows)
    return rows, db.session.execute(select(func.count()).select_from(Idea).where(*conditions)).scalar_one()
