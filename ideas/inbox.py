"""Read-side queries for the staff inbox: builders return select() so views paginate or count.

Per-row counts (followers, recent votes) are grouped queries over one page's ids, so a page
costs the same number of queries whatever its length.
"""
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask_login import AnonymousUserMixin
from sqlalchemy import ColumnClause, Select, func, literal_column, select
from sqlalchemy.orm import defer, joinedload, raiseload, selectinload

from .database import written_limit
from .models import KINDS, Follow, Idea, IdeaPriority, Segment, Tag, User, Vote, utcnow
from .models.idea import NEW_FIRST
from .status_list import LISTED_STATUSES
from .segments import backed_by, ideas_backed_by
from .visibility import listed_ideas

# A never-changed idea (no status_changed_at) has waited since before any other.
_waiting_since = Idea.status_changed_at.asc().nulls_first()

# Written out, not bound, so it matches the expression of ix_ideas_triage_order.
_new_first: ColumnClause[int] = literal_column(NEW_FIRST.replace("status", "ideas.status"))

SORTS = {
    "triage": (_new_first, _waiting_since, Idea.id.asc()),
    "votes": (Idea.vote_count.desc(), Idea.id.desc()),
    "trending": (Idea.trending_score.desc(), Idea.id.desc()),
    "newest": (Idea.created_at.desc(), Idea.id.desc()),
    "waiting": (_waiting_since, Idea.id.asc()),
    # Read in the order of ix_idea_priorities_score; every idea has its row (ideas/priority_queue.py).
    "priority": (IdeaPriority.score.desc(), IdeaPriority.idea_id.desc()),
}
DEFAULT_SORT = "triage"
RECENT_VOTES = timedelta(days=7)


def _filtered(statement: Select[Idea], kind: str | None = None, tag: str | None = None,
              segment: Segment | None = None, whole_set: bool = False) -> Select[Idea]:
    """`statement` narrowed to the kind, tag and segment; `whole_set` when every matching idea is
    read (a count), not a page in sort order (ideas.segments: backed_by, ideas_backed_by)."""
    if kind in KINDS:
        statement = statement.where(Idea.kind == kind)
    if tag:
        statement = statement.where(Idea.tags.any(Tag.name == tag))
    if segment is not None:
        statement = statement.where(ideas_backed_by(segment) if whole_set else backed_by(segment))
    return statement


def inbox_query(viewer: User | AnonymousUserMixin, sort: str = DEFAULT_SORT, status: str | None = None,
                kind: str | None = None, tag: str | None = None,
                segment: Segment | None = None, whole: bool = False) -> Select[Idea]:
    """The ideas to triage (hidden and held ones included for staff). A
    segment keeps the ideas its members proposed or back.

    `whole` loads each idea's tags and author as the API's answers show them. The inbox's rows
    show no author and read their tags as plain rows (tags.tags_of), so neither is loaded, nor
    the descriptions (loading one per row would raise, not go N+1).
    """
    loading: tuple[Any, ...]
    if whole:
        loading = (selectinload(Idea.tags), joinedload(Idea.author))
    else:
        loading = (raiseload(Idea.tags), raiseload(Idea.author), defer(Idea.description),
                   defer(Idea.description_html))
    statement = listed_ideas(viewer).options(*loading)
    statement = _filtered(statement, kind, tag, segment)
    if status in LISTED_STATUSES:
        statement = statement.where(Idea.status == status)
    if sort == "priority":
        statement = statement.join(IdeaPriority, IdeaPriority.idea_id == Idea.id)
    return statement.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def status_counts(viewer: User | AnonymousUserMixin, kind: str | None = None, tag: str | None = None,
                  segment: Segment | None = None) -> Select[str, int]:
    """(status, count) rows for the ideas `inbox_query` would list under the same kind, tag and segment."""
    statement = _filtered(listed_ideas(viewer), kind, tag, segment, whole_set=True)
    return statement.with_only_columns(Idea.status, func.count(Idea.id)).group_by(Idea.status)


def capped_status_counts(viewer: User | AnonymousUserMixin, statuses: Sequence[str], cap: int,
                         kind: str | None = None, tag: str | None = None) -> Select[Any]:
    """One row: for each of `statuses`, how many ideas `inbox_query` would list, counting no
    further than cap + 1 (the page says "1,000+"): counting a status of 50,000 ideas walks 50,000
    index entries on every view of the inbox, as the roadmap's columns would."""
    def count(status: str) -> Any:
        ideas = _filtered(listed_ideas(viewer), kind, tag).where(Idea.status == status)
        capped = ideas.with_only_columns(Idea.id).limit(written_limit(cap + 1)).subquery()
        return select(func.count()).select_from(capped).scalar_subquery().label(status)

    return select(*(count(status) for status in statuses))


def follower_counts(idea_ids: Iterable[int]) -> Select[int, int]:
    """(idea_id, followers) rows for the given ideas; ideas nobody follows are left out."""
    return (
        select(Follow.idea_id, func.count())
        .where(Follow.idea_id.in_(idea_ids), Follow.following.is_(True))
        .group_by(Follow.idea_id)
    )


def priority_scores(idea_ids: Iterable[int]) -> Select[int, float]:
    """(idea_id, priority score) rows for the given ideas, as the worker last stored them."""
    return select(IdeaPriority.idea_id, IdeaPriority.score).where(IdeaPriority.idea_id.in_(idea_ids))


def recent_vote_counts(idea_ids: Iterable[int], now: datetime | None = None) -> Select[int, int]:
    """(idea_id, votes) rows counting the votes of the last seven days; quiet ideas left out."""
    since = (now or utcnow()) - RECENT_VOTES
    return (
        select(Vote.idea_id, func.count())
        .where(Vote.idea_id.in_(idea_ids), Vote.created_at >= since)
        .group_by(Vote.idea_id)
    )


def selected_ideas(idea_ids: Iterable[int]) -> Select[Idea]:
    """The ideas ticked for a bulk action, by id, whatever their state (the rules decide)."""
    return (select(Idea).where(Idea.id.in_(idea_ids)).options(selectinload(Idea.tags))
            .order_by(Idea.id))


def tag_named(name: str) -> Select[Tag]:
    """The tag called `name`, for a bulk tagging."""
    return select(Tag).where(Tag.name == name)
