"""Who is told what, written in the same transaction as the change (a transactional outbox).

`notify_followers` records the event and one outbox row per member to tell, with one
INSERT … SELECT over the follows: no query per follower, so an idea with 10,000 followers
costs the request one statement. The worker (ideas/delivery.py) delivers the rows.
"""
import json
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, literal, or_, select, update

from .extensions import db
from .i18n import STATUS_NAMES
from .models import Comment, Event, Follow, Idea, Notification, OutboxRow, User, Vote, utcnow

STAFF_ROLES = ("staff", "admin")

# Events every follower hears of; ordinary comments only reach followers at level "all".
FOLLOWER_EVENTS = ("status_changed", "official_response", "merged", "changelog", "announcement")


def record_event(kind, actor, idea=None, **payload):
    """Write what happened, with what it said at the time (title, statuses, note…)."""
    if idea is not None:
        payload.setdefault("idea_id", idea.id)
        payload.setdefault("title", idea.title)
    event = Event(kind=kind, idea_id=idea.id if idea is not None else None,
                  comment_id=payload.get("comment_id"), actor_id=actor.id if actor is not None else None,
                  payload=json.dumps(payload, default=str), created_at=utcnow())
    db.session.add(event)
    db.session.flush()
    return event


def _queue(event, member_ids, exclude=None):
    """One outbox row per distinct member in the `member_ids` select, but not `exclude`."""
    ids = member_ids.subquery()
    chosen = select(ids.c.user_id).distinct()
    if exclude is not None:
        chosen = chosen.where(ids.c.user_id != exclude.id)
    if event.idea_id is not None and db.session.get(Idea, event.idea_id).hidden_at is not None:
        # What happens on a hidden idea is for the team's eyes only.
        chosen = chosen.where(ids.c.user_id.in_(select(User.id).where(User.role.in_(STAFF_ROLES))))
    now = utcnow()
    rows = select(
        literal(event.id), chosen.subquery().c.user_id, literal(False), literal("pending"),
        literal(0), literal(now, OutboxRow.next_attempt_at.type), literal(""),
        literal(now, OutboxRow.created_at.type),
    )
    db.session.execute(insert(OutboxRow).from_select(
        ["event_id", "user_id", "inapp_done", "email_state", "attempts", "next_attempt_at",
         "last_error", "created_at"], rows))


def followers_of(idea_ids, level=None):
    """A select of the user_id of everyone following any of `idea_ids` (at `level`, if given)."""
    statement = select(Follow.user_id).where(Follow.idea_id.in_(idea_ids), Follow.following.is_(True))
    if level is not None:
        statement = statement.where(Follow.level == level)
    return statement


def notify_followers(kind, actor, idea, level=None, idea_ids=None, **payload):
    """Record an event on `idea` and queue it for its followers (each told once)."""
    event = record_event(kind, actor, idea, **payload)
    _queue(event, followers_of(idea_ids or [idea.id], level), exclude=actor)
    return event


def notify_backers(kind, actor, idea, **payload):
    """Record an event and queue it for everyone who voted for the idea."""
    event = record_event(kind, actor, idea, **payload)
    _queue(event, select(Vote.user_id).where(Vote.idea_id == idea.id), exclude=actor)
    return event


def notify_members(kind, actor, member_ids, idea=None, **payload):
    """Record an event and queue it for the members in the `member_ids` select."""
    event = record_event(kind, actor, idea, **payload)
    _queue(event, member_ids, exclude=actor)
    return event


# What a member may still read

def hidden_event(event_id):
    """SQL: true when the event's idea is hidden, or the comment it quotes is hidden or deleted,
    now (the payload keeps what was said at the time, so it must not outlive the moderation)."""
    idea_hidden = select(Idea.id).join(Event, Event.idea_id == Idea.id).where(
        Event.id == event_id, Idea.hidden_at.is_not(None)).correlate_except(Event, Idea)
    comment_gone = select(Comment.id).join(Event, Event.comment_id == Comment.id).where(
        Event.id == event_id, or_(Comment.hidden_at.is_not(None), Comment.deleted_at.is_not(None))
    ).correlate_except(Event, Comment)
    return or_(idea_hidden.exists(), comment_gone.exists())


def hidden_from_member(event_id, user_id):
    """SQL: true when the event is hidden and the member is not staff, who see everything."""
    staff = (select(User.id).where(User.id == user_id, User.role.in_(STAFF_ROLES))
             .correlate_except(User).exists())
    return ~staff & hidden_event(event_id)


# The in-app inbox

def inbox(member):
    """A select of the member's notifications they may still read, newest first."""
    statement = select(Notification).where(Notification.user_id == member.id)
    if not member.is_staff:
        statement = statement.where(~hidden_event(Notification.event_id))
    return statement.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(member):
    """How many of the member's notifications are unread (every page's header asks)."""
    return db.session.execute(_unread_count(member.is_staff), {"member_id": member.id}).scalar_one()


@lru_cache(maxsize=None)
def _unread_count(sees_everything):
    """unread_count's statement for staff or for members, built once."""
    statement = select(func.count()).where(Notification.user_id == bindparam("member_id"),
                                           Notification.read_at.is_(None))
    if not sees_everything:
        statement = statement.where(~hidden_event(Notification.event_id))
    return statement


def mark_all_read(member):
    """Mark every notification of the member read."""
    db.session.execute(
        update(Notification).where(Notification.user_id == member.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()), execution_options={"synchronize_session": False})


def payload_of(event):
    """The event's payload as a dict."""
    return json.loads(event.payload or "{}")


def summary(kind, data):
    """What happened, in one plain-text sentence (templates escape it where needed)."""
    if kind == "status_changed":
        statuses = dict(old=STATUS_NAMES.get(data.get("old_status"), "?"),
                        new=STATUS_NAMES.get(data.get("new_status"), "?"))
        if data.get("note"):
            return _("moved from %(old)s to %(new)s: “%(note)s”", note=data["note"], **statuses)
        return _("moved from %(old)s to %(new)s", **statuses)
    if kind == "official_response":
        return _("the team responded: “%(body)s”", body=data.get("body", ""))
    if kind == "merged":
        return _("merged into #%(id)s “%(title)s”, where its votes and followers now are",
                 id=data.get("into_id"), title=data.get("into_title", ""))
    if kind == "comment":
        return _("%(name)s commented: “%(body)s”", name=data.get("author_name") or _("Someone"),
                 body=data.get("body", ""))
    if kind == "withdrawn":
        return _("its author withdrew it")
    if kind == "changelog":
        return _("shipped, in “%(title)s”", title=data.get("entry_title", ""))
    if kind == "announcement":
        return data.get("message", "")
    return kind.replace("_", " ")
