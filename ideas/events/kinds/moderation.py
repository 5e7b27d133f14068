"""The kinds of moderation: hiding and showing ideas and comments, suspending members and
letting them back, approving a first idea. Staff work nobody is told of: the audit log keeps it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .common import register_audited

if TYPE_CHECKING:
    from ...models import Comment, Idea, User


@dataclass(frozen=True)
class Flagged:
    """Staff set or cleared a flag (hidden, suspended) on `target`; each kind below is one of
    them, and says which."""

    actor: User
    target: Idea | Comment | User


class IdeaHidden(Flagged):
    """Staff hid an idea from everyone but staff."""


class IdeaUnhidden(Flagged):
    """Staff showed a hidden idea again."""


class CommentHidden(Flagged):
    """Staff hid a comment from everyone but staff."""


class CommentUnhidden(Flagged):
    """Staff showed a hidden comment again."""


class MemberSuspended(Flagged):
    """Staff stopped a member from signing in."""


class MemberUnsuspended(Flagged):
    """Staff let a suspended member sign in again."""


def _register_flag(name: str, event_type: type[Flagged], action: str, flag: str, on: bool) -> None:
    """The audit log keeps the flag's value before and after: {flag: not on} → {flag: on}."""
    register_audited(name, event_type, action, lambda event: (event.target, {flag: not on}, {flag: on}))


_register_flag("idea_hidden", IdeaHidden, "idea.hidden", "hidden", True)
_register_flag("idea_unhidden", IdeaUnhidden, "idea.unhidden", "hidden", False)
_register_flag("comment_hidden", CommentHidden, "comment.hidden", "hidden", True)
_register_flag("comment_unhidden", CommentUnhidden, "comment.unhidden", "hidden", False)
_register_flag("member_suspended", MemberSuspended, "member.suspended", "suspended", True)
_register_flag("member_unsuspended", MemberUnsuspended, "member.unsuspended", "suspended", False)


@dataclass(frozen=True)
class IdeaApproved:
    """Staff published `idea`, a member's first, which waited for approval."""

    actor: User
    idea: Idea


register_audited("idea_approved", IdeaApproved, "idea.approved",
                 lambda event: (event.idea, {"awaiting_approval": True}, {"awaiting_approval": False}))
