"""Who sees which ideas. One place, so pages, search, feeds, the roadmap, the changelog, the pulse,
announcements and notifications cannot disagree (tests/test_visibility_in_one_place.py keeps it so).

Withdrawn and hidden ideas exist only for staff; an idea awaiting approval exists for staff and
its author; merged ideas keep their page (it leads to the surviving idea) but leave lists.

Each rule comes twice: a test on a loaded idea, and a SQL condition for any select that has the
ideas table (`ideas`: the `Idea` class or an `aliased(Idea)`). The conditions are written so the
SQL they render matches the partial index ix_ideas_roadmap_public word for word (SQLite uses a
partial index only then): change their wording and compare `EXPLAIN QUERY PLAN` of the board,
roadmap and feed queries.
"""
from flask_login import AnonymousUserMixin
from sqlalchemy import ColumnElement, Select, and_, or_, select, true
from sqlalchemy.orm.util import AliasedClass

from .models import Idea, User

# Whoever fetches a feed or reads the cached roadmap and pulse is treated as this signed-out visitor.
VISITOR = AnonymousUserMixin()

IdeaSource = type[Idea] | AliasedClass[Idea]


def is_staff(viewer: User | AnonymousUserMixin) -> bool:
    """True for signed-in staff and admins."""
    return viewer.is_authenticated and viewer.is_staff


# Everyone: the roadmap, feeds, the changelog, announcements

def is_public(idea: Idea) -> bool:
    """True when everyone may see the idea: it is not withdrawn, hidden or awaiting approval."""
    return can_see_idea(VISITOR, idea)


def public_ideas_condition(ideas: IdeaSource = Idea) -> ColumnElement[bool]:
    """SQL form of `is_public` (merged ideas included): what ix_ideas_roadmap_public covers, as
    `PUBLIC_CONDITION AND awaiting_approval IS 0`, in those words."""
    return and_(ideas.withdrawn_at.is_(None), ideas.hidden_at.is_(None), ideas.awaiting_approval.is_(False))


# One reader: an idea's page, lists

def can_see_idea(viewer: User | AnonymousUserMixin, idea: Idea) -> bool:
    """True when `viewer` may open the idea's page."""
    if is_staff(viewer):
        return True
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
    return and_(ideas.withdrawn_at.is_(None), ideas.hidden_at.is_(None),
                or_(ideas.awaiting_approval.is_(False), ideas.author_id == viewer.id))


def listed_condition(viewer: User | AnonymousUserMixin, ideas: IdeaSource = Idea) -> ColumnElement[bool]:
    """SQL: the ideas `viewer` finds in lists (board, search, similar ideas, exports, the pulse):
    never withdrawn or merged ones; hidden and unapproved ones for staff only."""
    conditions = [ideas.withdrawn_at.is_(None), ideas.status != "merged"]
    if not is_staff(viewer):
        conditions += [ideas.hidden_at.is_(None), ideas.awaiting_approval.is_(False)]
    return and_(*conditions)


def listed_ideas(viewer: User | AnonymousUserMixin) -> Select[Idea]:
    """A select of the ideas `viewer` finds in lists: board, search, similar ideas."""
    return select(Idea).where(listed_condition(viewer))


# A member's own lists ("My activity")

def kept_on_authors_list(ideas: IdeaSource = Idea) -> ColumnElement[bool]:
    """SQL: the ideas that stay on their author's own list: withdrawn and unapproved ones too
    (the author may see those), hidden ones not."""
    return ideas.hidden_at.is_(None)


def kept_on_members_lists(ideas: IdeaSource = Idea) -> ColumnElement[bool]:
    """SQL: the ideas that stay on a member's lists of ideas they back or follow: not withdrawn
    or hidden."""
    return and_(ideas.withdrawn_at.is_(None), ideas.hidden_at.is_(None))


# News of an idea: notifications, emails, digests

def news_only_for_staff(idea: Idea) -> bool:
    """True when what happens on the idea is for the team's eyes only: it is hidden."""
    return idea.hidden_at is not None


def news_only_for_staff_condition(ideas: IdeaSource = Idea) -> ColumnElement[bool]:
    """SQL form of `news_only_for_staff`."""
    return ideas.hidden_at.is_not(None)
