"""Read-side queries for the board: builders return select() so views paginate or count."""
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

from flask_login import AnonymousUserMixin
from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import lazyload, selectinload

from .board_access import MAIN, board_accesses, per_request
from .boards import MAIN_SLUG, all_boards, board_by_slug, main_board_name
from .extensions import db
from .models import KINDS, Board, Idea, Segment, Tag, User
from .status_list import LISTED_STATUSES
from .search import filter_by_text
from .segments import backed_by, segment_names
from .tags import tags_for
from .visibility import board_scope, can_see_board, is_staff, kept_on_authors_list, listed_ideas, on_boards

SORTS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "trending": (Idea.trending_score.desc(), Idea.id.desc()),
    "top": (Idea.vote_count.desc(), Idea.id.desc()),
    "new": (Idea.created_at.desc(), Idea.id.desc()),
    "updated": (Idea.updated_at.desc(), Idea.id.desc()),
}
DEFAULT_SORT = "trending"


def board_query(viewer: User | AnonymousUserMixin, sort: str = DEFAULT_SORT, status: str | None = None,
                kind: str | None = None, tag: str | None = None, q: str | None = None,
                segment: Segment | None = None, board: int | None = None) -> Select[Idea]:
    """The board's ideas for `viewer`, in the given order and filters (tags not loaded: the pages
    ask `tags.tags_of` for a page's tags as plain rows, the API adds `WITH_TAGS`). A segment keeps
    the ideas its members proposed or back (staff's filter: `segment_choices`); `board` keeps one
    board's (MAIN: the main board's; None: every board `viewer` may see)."""
    statement = listed_ideas(viewer)
    if board is not None:
        statement = statement.where(on_boards(frozenset({board})))
    if status in LISTED_STATUSES:
        statement = statement.where(Idea.status == status)
    if kind in KINDS:
        statement = statement.where(Idea.kind == kind)
    if tag:
        statement = statement.where(Idea.tags.any(Tag.name == tag))
    if q:
        statement = filter_by_text(statement, q)
    if segment is not None:
        statement = statement.where(backed_by(segment))
    return statement.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


# A board card shows neither its author nor (from the ORM) its tags: no join to users, and
# the page's tags come from `tags.tags_of` as plain rows.
AS_CARDS = (lazyload(Idea.author),)
WITH_TAGS = selectinload(Idea.tags)


def ideas_in_order(ids: Sequence[int]) -> list[Idea]:
    """The ideas of `ids` as cards, in that order (ids chosen by a query on the same rules)."""
    rows = db.session.execute(select(Idea).options(*AS_CARDS).where(Idea.id.in_(ids))).scalars()
    by_id = {idea.id: idea for idea in rows}
    return [by_id[idea_id] for idea_id in ids if idea_id in by_id]


def all_tags() -> Select[Tag]:
    """Every tag, by name."""
    return select(Tag).order_by(Tag.name)


def tag_boards(viewer: User | AnonymousUserMixin, board: int | None = None) -> frozenset[int] | None:
    """The boards whose own tags a list shows `viewer` besides the shared ones: one board's
    (`board`, as board_query takes it; none for the main board), else every board `viewer` may
    see (None: every tag)."""
    if board is not None:
        return frozenset() if board == MAIN else frozenset({board})
    scope = board_scope(viewer)
    return None if scope is None else scope - {MAIN}


def tag_names(boards: frozenset[int] | None = None) -> Sequence[str]:
    """The names of the shared tags and those of `boards` (None: every tag), in order: what the
    board's and roadmap's tag filter offers (`tag_boards` says which)."""
    return db.session.execute(_tag_names(boards)).scalars().all()


def segment_choices(viewer: User | AnonymousUserMixin) -> dict[str, str]:
    """{segment id as text: name}: the segments the board's and the roadmap's filters offer
    `viewer`. Staff get every one; anyone else none, so their `segment=` names no filter."""
    return segment_names() if is_staff(viewer) else {}


@lru_cache(maxsize=64)
def _tag_names(boards: frozenset[int] | None) -> Select[str]:
    return tags_for(boards).with_only_columns(Tag.name)


def boards_seen_by(viewer: User | AnonymousUserMixin) -> list[Board]:
    """The boards besides the main one that `viewer` may see, in the admins' order (none: the
    site has one board and shows no list of boards)."""
    if not board_accesses():
        return []
    return [board for board in all_boards() if can_see_board(viewer, board.id)]


def board_seen_at(viewer: User | AnonymousUserMixin, slug: str) -> Board | Literal["main"] | None:
    """The board at `slug` if `viewer` may see it ("main": the main board, once there are others),
    else None: a reader is never told that a board they may not see exists."""
    if slug == MAIN_SLUG:
        return MAIN_SLUG if board_accesses() else None
    board = board_by_slug(slug)
    return board if board is not None and can_see_board(viewer, board.id) else None


def board_of(idea: Idea) -> tuple[str, str] | None:
    """(slug, name) of the board `idea` is on, for its page's breadcrumbs; None on a site with one
    board (the boards are read once per request)."""
    if not board_accesses():
        return None
    if idea.board_id is None:
        return MAIN_SLUG, main_board_name()
    names = per_request("board_names", lambda: {board.id: (board.slug, board.name) for board in all_boards()})
    return names.get(idea.board_id)


def board_filter_of(idea: Idea) -> int:
    """The `board_query` filter of the board `idea` is on."""
    return MAIN if idea.board_id is None else idea.board_id


def board_filter(board: Board | str | None) -> int | None:
    """The `board_query` filter of a board's page: a board's id, MAIN for the main board (any
    text: its slug), None for every board."""
    if board is None:
        return None
    return MAIN if isinstance(board, str) else board.id


def ideas_by(member: User) -> Select[Idea]:
    """A select of the member's own ideas, newest first (withdrawn ones included)."""
    return (select(Idea).where(Idea.author_id == member.id, kept_on_authors_list(member))
            .order_by(Idea.created_at.desc(), Idea.id.desc()))
