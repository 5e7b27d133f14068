"""Who sees which ideas. One place, so pages, search, feeds, the roadmap, the changelog, the pulse,
announcements and notifications cannot disagree (tests/test_visibility_in_one_place.py keeps it so).

Withdrawn and hidden ideas exist only for staff; an idea awaiting approval exists for staff and
its author; merged ideas keep their page (it leads to the surviving idea) but leave lists. An idea
on a board exists only for those who may see the board (`board_scope`): the main board for
everyone who may use the site, the others by their access (public, signed-in members, members of
chosen segments or companies, staff).

Each rule comes twice: a test on a loaded idea, and a SQL condition for any select that has the
ideas table (`ideas`: the `Idea` class or an `aliased(Idea)`). The conditions are written so the
SQL they render matches the partial index ix_ideas_roadmap_public word for word (SQLite uses a
partial index only then): change their wording and compare `EXPLAIN QUERY PLAN` of the board,
roadmap and feed queries.
"""
from collections.abc import Iterable
from typing import Any, TypeAlias

from flask import g, has_request_context
from flask_login import AnonymousUserMixin
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm.util import AliasedClass

from .board_access import (
    MAIN, BoardAccess, board_access_of, board_accesses, chosen_members_clause, company_of, segments_holding,
)
from .models import Idea, User

# Whoever fetches a feed or reads the cached roadmap and pulse is treated as this signed-out visitor.
VISITOR = AnonymousUserMixin()

IdeaSource = type[Idea] | AliasedClass[Idea]
Viewer: TypeAlias = User | AnonymousUserMixin
# The boards a reader may see, by id (MAIN, 0, for the main board), or None for every board.
BoardScope = frozenset[int] | None
STAFF_ROLES = ("staff", "admin")


def is_staff(viewer: User | AnonymousUserMixin) -> bool:
    """True for signed-in staff and admins."""
    return viewer.is_authenticated and viewer.is_staff


# Boards

def may_see_board(viewer: User | AnonymousUserMixin, board: BoardAccess) -> bool:
    """True when `viewer` may see the board: its ideas, page, roadmap and feed."""
    if board.access == "public" or is_staff(viewer):
        return True
    if not viewer.is_authenticated:
        return False
    if board.access == "members":
        return True
    if board.access == "staff":
        return False
    return company_of(viewer) in board.company_ids or bool(segments_holding(viewer) & board.segment_ids)


def moderated_boards(viewer: Viewer) -> frozenset[int]:
    """The ids of the boards `viewer` moderates and may see (none for most readers)."""
    if not viewer.is_authenticated:
        return frozenset()
    return frozenset(board.id for board in board_accesses()
                     if viewer.id in board.moderator_ids and may_see_board(viewer, board))


def moderates(viewer: Viewer, idea: Idea) -> bool:
    """True when `viewer` may hide, tag and merge `idea`: staff, or a moderator of its board."""
    return is_staff(viewer) or (idea.board_id is not None and idea.board_id in moderated_boards(viewer))


def board_scope(viewer: User | AnonymousUserMixin) -> BoardScope:
    """The ids of the boards `viewer` may see (MAIN among them), or None when that is every board:
    then no query needs a condition on boards (a site with one board reads as it always did).
    Asked once per reader and request."""
    if is_staff(viewer):
        return None
    key = ("board_scope", viewer.id if viewer.is_authenticated else None)
    if has_request_context() and key in g.setdefault("visibility", {}):
        return g.visibility[key]
    boards = board_accesses()
    seen = frozenset(board.id for board in boards if may_see_board(viewer, board))
    scope = None if len(seen) == len(boards) else seen | {MAIN}
    if has_request_context():
        g.visibility[key] = scope
    return scope


def can_see_board(viewer: User | AnonymousUserMixin, board_id: int | None) -> bool:
    """True when `viewer` may see the board of that id (None: the main board)."""
    scope = board_scope(viewer)
    return scope is None or (board_id or MAIN) in scope


def narrowed(scope: BoardScope, board: int | None) -> BoardScope:
    """`scope` narrowed to one board (MAIN: the main board; None: not narrowed), which is empty
    when that board is not in it."""
    if board is None:
        return scope
    return frozenset({board}) if scope is None or board in scope else frozenset()


def on_boards(scope: BoardScope, ideas: IdeaSource = Idea) -> ColumnElement[bool]:
    """SQL: the idea is on one of the boards of `scope` (nothing to say when it is every board).

    Said as the boards it is on when they are fewer than the others (one board's page walks its
    own index), else as the boards it is not on, in words no index serves: a reader who sees
    most boards keeps the list's own order index (said as "board_id IS NULL OR board_id IN
    (…)", both databases gathered every idea of those boards through the board index, then
    sorted 100,000 of them for a page of 20)."""
    if scope is None:
        return true()
    unseen = sorted({MAIN, *(board.id for board in board_accesses())} - scope)
    if len(unseen) < len(scope):
        return func.coalesce(ideas.board_id, MAIN).not_in(unseen) if unseen else true()
    ids = sorted(scope - {MAIN})
    conditions = [ideas.board_id.is_(None)] if MAIN in scope else []
    if ids:
        conditions.append(ideas.board_id.in_(ids))
    return or_(*conditions) if conditions else false()


def on_boards_unseen_by(member: Any, boards: Iterable[BoardAccess],
                        ideas: IdeaSource = Idea) -> ColumnElement[bool] | None:
    """SQL on ideas and `member` (a users alias): the idea is on one of `boards` that the member
    may not see; None when every one of them is open to every member."""
    unseen = [and_(on_boards(frozenset({board.id}), ideas), ~members_who_may_see(board, member))
              for board in boards if board.access not in ("public", "members")]
    return or_(*unseen) if unseen else None


def members_who_may_see(board: BoardAccess | None, member: Any = User) -> ColumnElement[bool]:
    """SQL on `users` (or `member`, an alias): the members who may see `board` (None: the main
    board). Who is told of an idea's news, and who may still read it."""
    if board is None or board.access in ("public", "members"):
        return true()
    staff = member.role.in_(STAFF_ROLES)
    if board.access == "staff":
        return staff
    return or_(staff, chosen_members_clause(board, member))


# Everyone: the roadmap, feeds, the changelog, announcements

def is_public(idea: Idea) -> bool:
    """True when everyone may see the idea: it is not withdrawn, hidden or awaiting approval."""
    return can_see_idea(VISITOR, idea)


def public_ideas_condition(ideas: IdeaSource = Idea) -> ColumnElement[bool]:
    """SQL form of `is_public` (merged ideas included)."""
    return public_on_boards(board_scope(VISITOR), ideas)


def public_on_boards(scope: BoardScope, ideas: IdeaSource = Idea) -> ColumnElement[bool]:
    """SQL: what everyone may see of the boards of `scope` (the roadmap of a reader who sees
    those boards): what ix_ideas_roadmap_public covers, as `PUBLIC_CONDITION AND
    awaiting_approval IS 0`, in those words, then the boards."""
    return and_(ideas.withdrawn_at.is_(None), ideas.hidden_at.is_(None), ideas.awaiting_approval.is_(False),
                on_boards(scope, ideas))


def may_stand_for(survivor: Idea, duplicate: Idea) -> bool:
    """True when whoever may see `duplicate` may see `survivor` (a merge names it to them): it
    is public but for its board, and on the duplicate's board or one everyone may see."""
    on_board_as_seen = survivor.board_id == duplicate.board_id or can_see_board(VISITOR, survivor.board_id)
    return on_board_as_seen and survivor.withdrawn_at is None and survivor.hidden_at is None \
        and not survivor.awaiting_approval


# One reader: an idea's page, lists

def can_see_idea(viewer: User | AnonymousUserMixin, idea: Idea) -> bool:
    """True when `viewer` may open the idea's page (a board's moderators see its hidden ideas)."""
    if moderates(viewer, idea):
        return True
    if not can_see_board(viewer, idea.board_id):
        return False
    if idea.withdrawn_at is not None or idea.hidden_at is not None:
        return False
    if idea.awaiting_approval:
        return viewer.is_authenticated and viewer.id == idea.author_id
    return True


def visible_to(viewer: User | AnonymousUserMixin, ideas: IdeaSource = Idea) -> ColumnElement[bool]:
    """SQL form of `can_see_idea`: the ideas whose page `viewer` may open (for a signed-out
    visitor, exactly `public_ideas_condition`)."""
    if is_staff(viewer):
        return true()
    if not viewer.is_authenticated:
        return public_ideas_condition(ideas)
    shown = and_(ideas.withdrawn_at.is_(None), ideas.hidden_at.is_(None),
                 or_(ideas.awaiting_approval.is_(False), ideas.author_id == viewer.id))
    return and_(_or_moderated(shown, viewer, ideas), on_boards(board_scope(viewer), ideas))


def _or_moderated(condition: ColumnElement[bool], viewer: Viewer, ideas: IdeaSource) -> ColumnElement[bool]:
    """`condition`, or the idea is on a board `viewer` moderates (nothing more for most readers)."""
    moderated = moderated_boards(viewer)
    return or_(condition, on_boards(moderated, ideas)) if moderated else condition


def listed_condition(viewer: User | AnonymousUserMixin, ideas: IdeaSource = Idea) -> ColumnElement[bool]:
    """SQL: the ideas `viewer` finds in lists (board, search, similar ideas, exports, the pulse):
    never withdrawn or merged ones; hidden and unapproved ones for staff only."""
    conditions = [ideas.withdrawn_at.is_(None), ideas.status != "merged"]
    if not is_staff(viewer):
        moderated = and_(ideas.hidden_at.is_(None), ideas.awaiting_approval.is_(False))
        conditions += [_or_moderated(moderated, viewer, ideas), on_boards(board_scope(viewer), ideas)]
    return and_(*conditions)


def listed_ideas(viewer: User | AnonymousUserMixin) -> Select[Idea]:
    """A select of the ideas `viewer` finds in lists: board, search, similar ideas."""
    return select(Idea).where(listed_condition(viewer))


# A member's own lists ("My activity")

def kept_on_authors_list(author: User, ideas: IdeaSource = Idea) -> ColumnElement[bool]:
    """SQL: the ideas that stay on their author's own list: withdrawn and unapproved ones too
    (the author may see those), hidden ones not, nor those on a board the author may not see."""
    return and_(ideas.hidden_at.is_(None), on_boards(board_scope(author), ideas))


def kept_on_members_lists(member: User, ideas: IdeaSource = Idea) -> ColumnElement[bool]:
    """SQL: the ideas that stay on a member's lists of ideas they back or follow: not withdrawn
    or hidden, on a board the member may see."""
    return and_(ideas.withdrawn_at.is_(None), ideas.hidden_at.is_(None),
                on_boards(board_scope(member), ideas))


# News of an idea: notifications, emails, digests

def news_only_for_staff(idea: Idea) -> bool:
    """True when what happens on the idea is for the team's eyes only: it is hidden."""
    return idea.hidden_at is not None


def told_of(idea: Idea) -> ColumnElement[bool] | None:
    """SQL on `users`: who may hear of what happens on `idea` (staff alone on a hidden one, those
    who may see its board on another board); None for everyone."""
    if news_only_for_staff(idea):
        return User.role.in_(STAFF_ROLES)
    if idea.board_id is None:
        return None
    return members_who_may_see(board_access_of(idea.board_id))


def news_only_for_staff_condition(ideas: IdeaSource = Idea) -> ColumnElement[bool]:
    """SQL form of `news_only_for_staff`."""
    return ideas.hidden_at.is_not(None)
