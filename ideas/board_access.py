"""What deciding who sees a board reads, once per request: every board's access, and of a member
their company and the segments (of those boards open to) that hold them. The rule itself is
ideas/visibility.py; ideas/boards.py changes boards.

Every page asks who may see which board, so the boards' access is kept as a site setting
(`board_access`), rewritten in the same transaction as any change of a board: the settings every
request reads already carry it, and a site with one board reads nothing more than before.
"""
import json
from collections.abc import Callable
from typing import Any, Final, NamedTuple, TypeVar

from flask import g, has_request_context
from sqlalchemy import ColumnElement, exists, or_, select

from .extensions import db
from .models import (
    Board, CompanyMember, Segment, User, board_companies, board_moderators, board_segments, utcnow,
)
from .segment_rules import segment_clause
from .site_settings import get_setting, set_setting

MAIN = 0  # the main board's id in a board scope (ideas.visibility.BoardScope)
MAIN_SLUG: Final = "main"  # what a board filter calls the main board (no board may take it)

Value = TypeVar("Value")


class BoardAccess(NamedTuple):
    """What deciding who sees a board needs of it (ideas.visibility.may_see_board)."""

    id: int
    access: str
    segment_ids: frozenset[int] = frozenset()
    company_ids: frozenset[int] = frozenset()
    moderator_ids: frozenset[int] = frozenset()  # members who may hide, tag and merge its ideas


def per_request(key: str, compute: Callable[[], Value]) -> Value:
    """`compute()`, once per request (always afresh outside one: the worker, the command line)."""
    if not has_request_context():
        return compute()
    cache = g.setdefault("boards", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def forget_boards() -> None:
    """Boards changed: this request reads them afresh (visibility's answers too)."""
    if has_request_context():
        g.pop("boards", None)
        g.pop("visibility", None)


def board_accesses() -> tuple[BoardAccess, ...]:
    """Every board's access (from the site's settings, read once per request)."""
    return per_request("accesses", lambda: tuple(
        BoardAccess(board_id, access, *(frozenset(ids) for ids in links))
        for board_id, access, *links in json.loads(get_setting("board_access") or "[]")))


def store_board_accesses() -> None:
    """Write every board's access and moderators into the site's settings (after any change of a
    board, in its transaction)."""
    links: dict[str, dict[int, list[int]]] = {}
    for name, table in (("segments", board_segments), ("companies", board_companies),
                        ("moderators", board_moderators)):
        found = links[name] = {}
        for board_id, other_id in db.session.execute(select(table).order_by(*table.c)):
            found.setdefault(board_id, []).append(other_id)
    rows = db.session.execute(select(Board.id, Board.access).order_by(Board.id)).all()
    set_setting("board_access", json.dumps([
        [board_id, access, *(linked.get(board_id, []) for linked in links.values())]
        for board_id, access in rows]) if rows else "")
    forget_boards()


def company_of(member: User) -> int | None:
    """The id of the member's company, if any (once per request and member)."""
    return per_request(f"company:{member.id}", lambda: db.session.execute(
        select(CompanyMember.company_id).where(CompanyMember.user_id == member.id)).scalar())


def segments_holding(member: User) -> frozenset[int]:
    """The ids of the segments some board opens to that hold `member` now (once per request)."""
    def read() -> frozenset[int]:
        wanted = {segment_id for board in board_accesses() for segment_id in board.segment_ids}
        if not wanted:
            return frozenset()
        segments = db.session.execute(select(Segment).where(Segment.id.in_(wanted))).scalars().all()
        now = utcnow()
        clauses = [(segment.id, segment_clause(segment, now)) for segment in segments]
        row = db.session.execute(select(*(select(User.id).where(User.id == member.id, clause).exists()
                                          for _id, clause in clauses))).one()
        return frozenset(segment_id for (segment_id, _clause), held in zip(clauses, row, strict=True) if held)

    return per_request(f"segments:{member.id}", read)


def chosen_members_clause(board: BoardAccess, member: Any = User) -> ColumnElement[bool]:
    """SQL on `users` (or `member`): members of the board's companies or segments."""
    conditions: list[ColumnElement[bool]] = []
    if board.company_ids:
        conditions.append(exists().where(CompanyMember.user_id == member.id,
                                         CompanyMember.company_id.in_(sorted(board.company_ids))))
    if board.segment_ids:
        now = utcnow()
        segments = db.session.execute(
            select(Segment).where(Segment.id.in_(sorted(board.segment_ids)))).scalars()
        conditions += [segment_clause(segment, now, member) for segment in segments]
    return or_(*conditions) if conditions else member.id.is_(None)


def board_access_of(board_id: int) -> BoardAccess:
    """The access of the board of that id (a board since removed: staff only)."""
    return next((board for board in board_accesses() if board.id == board_id), BoardAccess(board_id, "staff"))


def board_slugs() -> dict[int | None, str]:
    """{board id: slug} of every board, None the main board's ("main"), read once per request:
    what answers, exports and webhooks name an idea's board by."""
    def read() -> dict[int | None, str]:
        slugs: dict[int | None, str] = {None: MAIN_SLUG}
        slugs.update((board_id, slug) for board_id, slug in db.session.execute(select(Board.id, Board.slug)))
        return slugs

    return per_request("slugs", read)
