"""The public roadmap: a column per status admins show on it (by default under review, planned, in
progress and shipped); a "done" status's column holds what got there recently.

It only reads; statuses are changed in ideas/statuses.py. Each reader sees the boards they may see
(a board filter narrows it to one); staff may narrow it to a segment: the ideas its members
proposed or back.
"""
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache, wraps
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, CompoundSelect, Select, bindparam, false, func, select, union_all
from sqlalchemy.orm import selectinload

from .database import unindexed, written_limit
from .extensions import db
from .models import KINDS, Idea, Segment, Tag, idea_tags, utcnow
from .board_access import board_accesses
from .segments import backed_by
from .status_list import category_of, roadmap_keys
from .tags import CardTag
from .visibility import VISITOR, BoardScope, Viewer, board_scope, narrowed, public_on_boards

# The columns: (status key, whether it is a done status, whose column keeps recent ideas only).
Columns = tuple[tuple[str, bool], ...]
SHIPPED_RECENT = timedelta(days=90)
COUNT_CAP = 1000  # the page counts a column up to this and then says "1,000+"
COLUMN_LIMIT = 20  # cards per column (the most backed); the rest are a link to the filtered board away


def roadmap_columns_now() -> Columns:
    """The roadmap's columns as admins define the statuses now."""
    return tuple((key, category_of(key) == "done") for key in roadmap_keys())


def _column_filters(status: str, kind: str | None = None, tag: str | None = None,
                    by_votes: bool = False, segment: Segment | None = None,
                    boards: BoardScope = None, recent: bool = False) -> list[ColumnElement[bool]]:
    """The conditions that put a public idea in the `status` column (`recent`, a done status:
    since the bound parameter `shipped_since`, SHIPPED_RECENT ago; see `_since`), and in
    `segment`'s roadmap.

    `by_votes`: for a query walking ix_ideas_status_votes; SQLite would otherwise take
    ix_ideas_triage for the Shipped date and sort every recent shipped idea by votes."""
    conditions = [Idea.status == status, public_on_boards(boards)]
    if recent:
        changed = unindexed(Idea.status_changed_at) if by_votes else Idea.status_changed_at
        conditions.append(changed >= bindparam("shipped_since", type_=Idea.status_changed_at.type))
    if kind in KINDS:
        conditions.append(Idea.kind == kind)
    if tag:
        conditions.append(Idea.tags.any(Tag.name == tag))
    if segment is not None:
        conditions.append(backed_by(segment))
    return conditions


def _since(now: datetime | None) -> dict[str, datetime]:
    """The parameters of the statements built here: what "shipped recently" starts from."""
    return {"shipped_since": (now or utcnow()) - SHIPPED_RECENT}


def roadmap_column(status: str, kind: str | None = None, tag: str | None = None,
                   limit: int = COLUMN_LIMIT, segment: Segment | None = None,
                   boards: BoardScope = None, recent: bool = False) -> Select[int]:
    """A select of the ids of one column's first `limit` ideas, most votes first (run it with
    `_since(now)`).

    `status = :s … ORDER BY vote_count DESC, id DESC LIMIT n` walks ix_ideas_status_votes
    backwards and stops after `limit` matches, however many ideas the column holds (a limit
    written into the SQL: planning afresh cost PostgreSQL more than running the statement)."""
    return (select(Idea.id).where(*_column_filters(status, kind, tag, True, segment, boards, recent))
            .order_by(Idea.vote_count.desc(), Idea.id.desc()).limit(written_limit(limit)))


Built = TypeVar("Built")


def _built_once(build: Callable[..., Built]) -> Callable[..., Built]:
    """`build(kind, tag, limit, segment, boards, columns)`, built once per filter, limit, boards
    seen and columns (the moment is a parameter): building the statements cost about as much as
    running them. Not with a segment: its clause holds its rules (and "the last 90 days") as they
    are now, and admins change them."""
    @lru_cache(maxsize=256)
    def cached(kind: str | None, tag: str | None, limit: int | None, boards: BoardScope, columns: Columns,
               every_board: tuple[int, ...]) -> Built:
        # `every_board`: the key only. A scope may be said as the boards it leaves out
        # (visibility.on_boards), which is right only while the site has the same boards.
        return build(kind, tag, limit, None, boards, columns)

    @wraps(build)
    def statement(kind: str | None, tag: str | None, limit: int | None, segment: Segment | None,
                  boards: BoardScope, columns: Columns) -> Built:
        if segment is None:
            return cached(kind, tag, limit, boards, columns, tuple(board.id for board in board_accesses()))
        return build(kind, tag, limit, segment, boards, columns)

    return statement


def _boards(reader: Viewer, board: int | None) -> BoardScope:
    """The boards the roadmap shows `reader`: those they may see, or one of them (`board`)."""
    return narrowed(board_scope(reader), board)


@_built_once
def _column_ids(kind: str | None, tag: str | None, limit: int, segment: Segment | None,
                boards: BoardScope, columns: Columns) -> CompoundSelect[int] | Select[int]:
    """One statement for the ids of every column's first `limit` ideas: each column's own index
    walk (a subquery, so it keeps its ORDER BY and LIMIT on SQLite too), glued with UNION ALL."""
    if not columns:
        return select(Idea.id).where(false())
    return union_all(*(select(column.c.id) for column in (
        roadmap_column(status, kind, tag, limit, segment, boards, recent).subquery()
        for status, recent in columns)))


def roadmap_columns(kind: str | None = None, tag: str | None = None, now: datetime | None = None,
                    limit: int = COLUMN_LIMIT, segment: Segment | None = None, reader: Viewer = VISITOR,
                    board: int | None = None) -> dict[str, list[Idea]]:
    """{status: [ideas]} for the roadmap `reader` sees (or a segment's, or one board's), most votes
    first, at most `limit` per column."""
    boards, shown = _boards(reader, board), roadmap_columns_now()
    statement = (select(Idea).where(Idea.id.in_(_column_ids(kind, tag, limit, segment, boards, shown)))
                 .options(selectinload(Idea.tags)).order_by(Idea.vote_count.desc(), Idea.id.desc()))
    columns: dict[str, list[Idea]] = {status: [] for status, _recent in shown}
    for idea in db.session.execute(statement, _since(now)).scalars():
        columns[idea.status].append(idea)
    return columns


class RoadmapCard(NamedTuple):
    """What a roadmap card shows of an idea (a tuple: the page keys its cached block by every card)."""

    id: int
    title: str
    kind: str
    status: str
    vote_count: int
    status_changed_at: datetime | None
    tags: tuple


@_built_once
def _card_rows(kind: str | None, tag: str | None, limit: int, segment: Segment | None, boards: BoardScope,
               columns: Columns) -> Select[int, str, str, str, int, datetime | None, str, str]:
    """The columns' ideas with their tags, one row per (idea, tag), ideas without tags once."""
    return (select(Idea.id, Idea.title, Idea.kind, Idea.status, Idea.vote_count, Idea.status_changed_at,
                   Tag.name, Tag.colour)
            .select_from(Idea).outerjoin(idea_tags, idea_tags.c.idea_id == Idea.id)
            .outerjoin(Tag, Tag.id == idea_tags.c.tag_id)
            .where(Idea.id.in_(_column_ids(kind, tag, limit, segment, boards, columns)))
            .order_by(Idea.vote_count.desc(), Idea.id.desc(), Tag.name))


def roadmap_cards(kind: str | None = None, tag: str | None = None, now: datetime | None = None,
                  limit: int = COLUMN_LIMIT, segment: Segment | None = None, reader: Viewer = VISITOR,
                  board: int | None = None) -> dict[str, list[RoadmapCard]]:
    """roadmap_columns' choice of ideas as RoadmapCards: plain rows, not whole ideas, in one statement.

    Turning 80 ideas and their tags into ORM objects was more than half of the page's time."""
    shown = roadmap_columns_now()
    columns: dict[str, list[list[Any]]] = {status: [] for status, _recent in shown}
    card: list[Any] | None = None
    for row in db.session.execute(_card_rows(kind, tag, limit, segment, _boards(reader, board), shown),
                                  _since(now)):
        if card is None or card[0] != row[0]:
            card = [*row[:6], []]
            columns[row[3]].append(card)
        if row[6] is not None:
            card[6].append(CardTag(row[6], row[7]))
    return {status: [RoadmapCard._make([*fields[:6], tuple(fields[6])]) for fields in cards]
            for status, cards in columns.items()}


def roadmap_totals(kind: str | None = None, tag: str | None = None, now: datetime | None = None,
                   cap: int | None = None, segment: Segment | None = None, reader: Viewer = VISITOR,
                   board: int | None = None) -> dict[str, int]:
    """{status: how many ideas the column holds in all}: a count per column, in one statement.

    With `cap`, each count stops at cap + 1 ideas: counting a column of 30,000 walks 30,000 index
    entries (milliseconds on every roadmap view), and a page only needs to say "1,000+"."""
    shown = roadmap_columns_now()
    if not shown:
        return {}
    counts = db.session.execute(_totals(kind, tag, cap, segment, _boards(reader, board), shown),
                                _since(now)).one()
    return dict(zip((status for status, _recent in shown), counts, strict=True))


@_built_once
def _totals(kind: str | None, tag: str | None, cap: int | None, segment: Segment | None,
            boards: BoardScope, columns: Columns) -> Select[Any]:
    def count(status: str, recent: bool) -> Select[int]:
        conditions = _column_filters(status, kind, tag, segment=segment, boards=boards, recent=recent)
        if cap is None:
            return select(func.count()).select_from(Idea).where(*conditions)
        capped = select(Idea.id).where(*conditions).limit(written_limit(cap + 1))
        return select(func.count()).select_from(capped.subquery())

    return select(*(count(status, recent).scalar_subquery().label(status) for status, recent in columns))
