"""The kinds of the team's people work: tags and tagging, roles, votes recorded for customers,
invitations. Staff work nobody is told of: the audit log keeps it (a customer's vote also fires
the vote's own webhook, through ideas/voting.py)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..registry import Payload
from .common import Created, Updated, register_audited, register_created, register_updated

if TYPE_CHECKING:
    from ...models import Idea, Invitation, Tag, User


# Tags, and putting them on ideas

def tag_view(tag: Tag) -> Payload:
    """What the audit log keeps of a tag (its board, if it belongs to one)."""
    return {"name": tag.name, "colour": tag.colour, **({"board_id": tag.board_id} if tag.board_id else {})}


class TagCreated(Created["Tag"]):
    """An admin made a tag."""


class TagUpdated(Updated["Tag"]):
    """An admin renamed or recoloured a tag."""


register_created("tag_created", TagCreated, "tag.created", tag_view)
register_updated("tag_updated", TagUpdated, "tag.updated", tag_view)


def tags_view(idea: Idea) -> Payload:
    """What the audit log keeps of an idea's tags: their names."""
    return {"tags": [tag.name for tag in idea.tags]}


class IdeaTagged(Updated["Idea"]):
    """Staff put a tag on an idea."""


class IdeaUntagged(Updated["Idea"]):
    """Staff took a tag off an idea."""


register_updated("idea_tagged", IdeaTagged, "idea.tagged", tags_view)
register_updated("idea_untagged", IdeaUntagged, "idea.untagged", tags_view)


# Roles and customers' votes

def role_view(member: User) -> Payload:
    """What the audit log keeps of a member's role."""
    return {"role": member.role}


class RoleChanged(Updated["User"]):
    """An admin gave a member another role."""


register_updated("role_changed", RoleChanged, "member.role_changed", role_view)


@dataclass(frozen=True)
class CustomerVoteRecorded:
    """Staff recorded the vote of the customer at `email` on `idea`; whether that made their
    account and whether the vote is new (they may have backed the idea already)."""

    actor: User
    idea: Idea
    email: str
    account_created: bool
    vote_added: bool


register_audited("customer_vote", CustomerVoteRecorded, "vote.cast_for_customer", lambda event: (
    event.idea, {}, {"customer": event.email, "account_created": event.account_created,
                     "vote_added": event.vote_added}))


# Invitations

@dataclass(frozen=True)
class InvitationChanged:
    """Staff sent, renewed or withdrew `invitation`; each kind below is one of them."""

    actor: User
    invitation: Invitation


class InvitationSent(InvitationChanged):
    """Staff invited an address."""


class InvitationRenewed(InvitationChanged):
    """Staff invited a pending address again: its link is renewed."""


class InvitationRevoked(InvitationChanged):
    """Staff withdrew a pending invitation: its link no longer works."""


def _invited(event: InvitationChanged) -> tuple[Invitation, Payload, Payload]:
    return event.invitation, {}, {"email": event.invitation.email}


register_audited("invitation_sent", InvitationSent, "invitation.sent", _invited)
register_audited("invitation_renewed", InvitationRenewed, "invitation.renewed", _invited)
register_audited("invitation_revoked", InvitationRevoked, "invitation.revoked",
                 lambda event: (event.invitation, {"state": "pending"}, {"state": "revoked"}))
