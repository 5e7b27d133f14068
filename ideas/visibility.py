"""Who sees which ideas. One place, so pages, search and similar ideas cannot disagree.

Withdrawn and hidden ideas exist only for staff; an idea awaiting approval exists for staff and
its author; merged ideas keep their page (it leads to the surviving idea) but leave lists.
"""
from flask_login import AnonymousUserMixin
from sqlalchemy import Select, select

from .models import Idea, User


def is_staff(viewer: User | AnonymousUserMixin) -> bool:
    """True for signed-in staff and admins."""
    return viewer.is_authenticated and viewer.is_staff


def listed_ideas(viewer: User | AnonymousUserMixin) -> Select[Idea]:
    """A select of the ideas `viewer` finds in lists: board, search, similar ideas."""
    statement = select(Idea).where(Idea.withdrawn_at.is_(None), Idea.status != "merged")
    if not is_staff(viewer):
        statement = statement.where(Idea.hidden_at.is_(None), Idea.awaiting_approval.is_(False))
    return statement


def can_see_idea(viewer: User | AnonymousUserMixin, idea: Idea) -> bool:
    """True when `viewer` may open the idea's page."""
    if is_staff(viewer):
        return True
    if idea.withdrawn_at is not None or idea.hidden_at is not None:
        return False
    if idea.awaiting_approval:
        return viewer.is_authenticated and viewer.id == idea.author_id
    return True
