"""Moderation: hiding ideas and comments, approving first ideas, suspending members.

Hidden things vanish for members and stay visible (and restorable) for staff.
"""
from flask_babel import gettext as _

from . import audit
from .database import add_to_counter
from .errors import Conflict, NotAllowed
from .events import (
    CommentHidden, CommentUnhidden, Flagged, IdeaApproved, IdeaHidden, IdeaUnhidden, MemberSuspended,
    MemberUnsuspended,
)
from .events.publish import publish
from .extensions import db
from .models import Comment, Idea, User, utcnow
from .statuses import add_timeline_entry


def _set_flag(actor: User, target: Idea | Comment | User, column: str, on: bool,
              event_type: type[Flagged]) -> bool:
    """Set or clear a timestamp flag (hidden_at, suspended_at) once, and publish `event_type`
    (its kind says what the audit log keeps). True if changed. Staff; for an idea or a comment,
    a moderator of the idea's board too."""
    if isinstance(target, User):
        audit.require_staff(actor)
    else:
        idea = target if isinstance(target, Idea) else db.session.get_one(Idea, target.idea_id)
        audit.require_moderator(actor, idea)
    if (getattr(target, column) is not None) == on:
        return False
    setattr(target, column, utcnow() if on else None)
    db.session.flush()
    publish(event_type(actor, target))
    return True


def hide_idea(actor: User, idea: Idea) -> None:
    """Hide the idea from everyone but staff."""
    _set_flag(actor, idea, "hidden_at", True, IdeaHidden)


def unhide_idea(actor: User, idea: Idea) -> None:
    """Show a hidden idea again."""
    _set_flag(actor, idea, "hidden_at", False, IdeaUnhidden)


def approve_idea(actor: User, idea: Idea) -> None:
    """Publish an idea that waited for approval."""
    audit.require_staff(actor)
    if idea.withdrawn_at is not None:
        raise Conflict(_("The author withdrew this idea."))
    if idea.awaiting_approval:
        idea.awaiting_approval = False
        add_timeline_entry(actor, idea, "approved")
        db.session.flush()
        publish(IdeaApproved(actor, idea))


def hide_comment(actor: User, comment: Comment) -> None:
    """Hide a comment from everyone but staff; the idea's public count drops."""
    was_counted = comment.counts_as_public
    if _set_flag(actor, comment, "hidden_at", True, CommentHidden) and was_counted:
        add_to_counter(db.session.get(Idea, comment.idea_id), "comment_count", -1)


def unhide_comment(actor: User, comment: Comment) -> None:
    """Show a hidden comment again; it counts again if it is a public, live comment."""
    if _set_flag(actor, comment, "hidden_at", False, CommentUnhidden) \
            and comment.counts_as_public:
        add_to_counter(db.session.get(Idea, comment.idea_id), "comment_count", +1)


def suspend_member(actor: User, member: User) -> None:
    """The member can no longer sign in; their past content stays unless hidden."""
    audit.require_staff(actor)
    if member.is_staff:
        raise NotAllowed(_("Staff accounts cannot be suspended; an admin can revoke the role first."))
    _set_flag(actor, member, "suspended_at", True, MemberSuspended)


def unsuspend_member(actor: User, member: User) -> None:
    """Let a suspended member sign in again."""
    _set_flag(actor, member, "suspended_at", False, MemberUnsuspended)
