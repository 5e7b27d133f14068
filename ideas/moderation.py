"""Moderation: hiding ideas and comments, approving first ideas, suspending members.

Hidden things vanish for members and stay visible (and restorable) for staff.
"""
from . import audit
from .database import add_to_counter
from .errors import Conflict, NotAllowed
from .extensions import db
from .models import Idea, utcnow
from .roadmap import add_timeline_entry


def hide_idea(actor, idea):
    """Hide the idea from everyone but staff."""
    audit.require_staff(actor)
    if idea.hidden_at is None:
        idea.hidden_at = utcnow()
        audit.record(actor, "idea.hidden", idea, {"hidden": False}, {"hidden": True})
        db.session.flush()


def unhide_idea(actor, idea):
    """Show a hidden idea again."""
    audit.require_staff(actor)
    if idea.hidden_at is not None:
        idea.hidden_at = None
        audit.record(actor, "idea.unhidden", idea, {"hidden": True}, {"hidden": False})
        db.session.flush()


def approve_idea(actor, idea):
    """Publish an idea that waited for approval."""
    audit.require_staff(actor)
    if idea.withdrawn_at is not None:
        raise Conflict("The author withdrew this idea.")
    if idea.awaiting_approval:
        idea.awaiting_approval = False
        add_timeline_entry(actor, idea, "approved")
        audit.record(actor, "idea.approved", idea, {"awaiting_approval": True},
                     {"awaiting_approval": False})
        db.session.flush()


def hide_comment(actor, comment):
    """Hide a comment from everyone but staff; the idea's public count drops."""
    audit.require_staff(actor)
    if comment.hidden_at is None:
        was_counted = comment.counts_as_public
        comment.hidden_at = utcnow()
        if was_counted:
            add_to_counter(db.session.get(Idea, comment.idea_id), "comment_count", -1)
        audit.record(actor, "comment.hidden", comment, {"hidden": False}, {"hidden": True})
        db.session.flush()


def unhide_comment(actor, comment):
    """Show a hidden comment again."""
    audit.require_staff(actor)
    if comment.hidden_at is not None:
        comment.hidden_at = None
        if comment.counts_as_public:
            add_to_counter(db.session.get(Idea, comment.idea_id), "comment_count", +1)
        audit.record(actor, "comment.unhidden", comment, {"hidden": True}, {"hidden": False})
        db.session.flush()


def suspend_member(actor, member):
    """The member can no longer sign in; their past content stays unless hidden."""
    audit.require_staff(actor)
    if member.is_staff:
        raise NotAllowed("Staff accounts cannot be suspended; an admin can revoke the role first.")
    if member.suspended_at is None:
        member.suspended_at = utcnow()
        audit.record(actor, "member.suspended", member, {"suspended": False}, {"suspended": True})
        db.session.flush()


def unsuspend_member(actor, member):
    """Let a suspended member sign in again."""
    audit.require_staff(actor)
    if member.suspended_at is not None:
        member.suspended_at = None
        audit.record(actor, "member.unsuspended", member, {"suspended": True}, {"suspended": False})
        db.session.flush()
