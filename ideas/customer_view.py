"""What the single view of one customer reads beyond their own posts: the ideas they follow and at
which level, and what the team told them (each outbox row: its event, whether it reached their
inbox and was read, and whether and when an email went). Staff only; nothing here knows HTTP.

Every reader returns a `select()` (or runs one statement), so a page costs the same number of
queries whatever the member did; the words for each row come from the event's kind
(ideas/notifications.py `summary`), never from here.
"""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, select

from .extensions import db
from .models import Follow, Idea, Notification, OutboxRow, User
from .notifications import hidden_event

# Why a member follows an idea (Follow.reason), as the team reads it.
FOLLOW_REASONS = {
    "author": _l("Proposed it"),
    "vote": _l("Voted for it"),
    "comment": _l("Commented on it"),
    "reply": _l("Replied in its discussion"),
    "merge": _l("Followed an idea merged into it"),
    "follow": _l("Chose to follow it"),
}
# What a member hears of an idea they follow (Follow.level); the words of the follow form.
FOLLOW_LEVEL_NAMES = {
    "status": _l("Status changes and responses"),
    "all": _l("All activity, comments too"),
}
# Why an outbox row got no email: the reasons the worker's rules store in last_error
# (ideas/delivery/rules.py, ideas/delivery/digests.py), in the team's words.
NO_EMAIL_REASONS = {
    "hidden by the team since": _l("the team hid what it was about"),
    "address not confirmed": _l("their address is not confirmed"),
    "member chose no email": _l("they chose no email"),
    "member follows status changes only": _l("they follow status changes only"),
}


@dataclass(frozen=True)
class CustomerCounts:
    """How many ideas the member follows, how many notifications they were sent, and how many
    of those went out by email (on its own or in a digest)."""

    follows: int
    told: int
    emailed: int


def follows_of(member: User) -> Select[Follow, Idea]:
    """(follow, idea) of every idea the member follows now, most recently followed first; hidden
    and withdrawn ideas included, as staff see them."""
    return (select(Follow, Idea).join(Idea, Idea.id == Follow.idea_id)
            .where(Follow.user_id == member.id, Follow.following.is_(True))
            .order_by(Follow.updated_at.desc(), Idea.id.desc()))


def told_to(member: User) -> Select[OutboxRow, int, datetime | None, bool]:
    """What the team told the member, newest first: rows of (outbox row with its event, the
    notification's id and when it was read, both None until it reaches their inbox, and whether
    what it is about is hidden from members now)."""
    return (select(OutboxRow, Notification.id.label("notification_id"), Notification.read_at,
                   hidden_event(OutboxRow.event_id).label("hidden_now"))
            .outerjoin(Notification, and_(Notification.user_id == OutboxRow.user_id,
                                          Notification.event_id == OutboxRow.event_id))
            .where(OutboxRow.user_id == member.id)
            .order_by(OutboxRow.created_at.desc(), OutboxRow.id.desc()))


def customer_counts(member: User) -> CustomerCounts:
    """The member's follows, notifications and emails counted, in one statement."""
    follows = (select(func.count()).select_from(Follow)
               .where(Follow.user_id == member.id, Follow.following.is_(True)).scalar_subquery())
    told = (select(func.count().label("told"),
                   func.count().filter(OutboxRow.email_state.in_(("sent", "digested"))).label("emailed"))
            .where(OutboxRow.user_id == member.id).subquery())
    row = db.session.execute(select(follows.label("follows"), told.c.told, told.c.emailed)).one()
    return CustomerCounts(follows=row.follows, told=row.told, emailed=row.emailed)


def no_email_reason(stored: str) -> str:
    """Why a row got no email, in the team's words; a reason this module does not know reads as
    the worker stored it."""
    reason = NO_EMAIL_REASONS.get(stored)
    return str(reason) if reason is not None else stored
