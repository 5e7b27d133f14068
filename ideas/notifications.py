"""Who is told what, written in the same transaction as the change (a transactional outbox),
and the in-app inbox that reads it.

`ideas.events.publish` records an event and queues one outbox row per member its kind's
audience names, with one INSERT … SELECT over the follows: no query per follower, so an idea
with 10,000 followers costs the request one statement. The worker (ideas/delivery/) delivers
the rows. What each kind says comes from the registry (ideas/events/).
"""
import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, insert, literal, or_, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql import false
from sqlalchemy.sql.expression import CompoundSelect

from .events import kind_named
from .extensions import db
from .models import Comment, Event, Follow, Idea, Notification, OutboxRow, Segment, User, Vote, utcnow
from .board_access import BoardAccess, board_accesses
from .visibility import STAFF_ROLES, news_only_for_staff_condition, on_boards_unseen_by, told_of


def record_event(kind: str, actor: User | None, idea: Idea | None = None, **payload: Any) -> Event:
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


def queue_event(event: Event, member_ids: Select[Any] | CompoundSelect, exclude: User | None = None) -> None:
    """One outbox row per distinct member in the `member_ids` select, but not `exclude`."""
    ids = member_ids.subquery()
    chosen = select(ids.c.user_id).distinct()
    if exclude is not None:
        chosen = chosen.where(ids.c.user_id != exclude.id)
    if event.idea_id is not None:
        # Hidden ideas' news is for the team; a board's, for those who may see it (the idea may
        # have moved since they followed it).
        readers = told_of(db.session.get_one(Idea, event.idea_id))
        if readers is not None:
            chosen = chosen.where(ids.c.user_id.in_(select(User.id).where(readers)))
    now = utcnow()
    rows = select(
        literal(event.id), chosen.subquery().c.user_id, literal(False), literal("pending"),
        literal(0), literal(now, OutboxRow.next_attempt_at.type), literal(""),
        literal(now, OutboxRow.created_at.type),
    )
    db.session.execute(insert(OutboxRow).from_select(
        ["event_id", "user_id", "inapp_done", "email_state", "attempts", "next_attempt_at",
         "last_error", "created_at"], rows))


def followers_of(idea_ids: Any, level: str | None = None) -> Select[Any]:
    """A select of the user_id of everyone following any of `idea_ids` (at `level`, if given)."""
    statement = select(Follow.user_id).where(Follow.idea_id.in_(idea_ids), Follow.following.is_(True))
    if level is not None:
        statement = statement.where(Follow.level == level)
    return statement


def backers_of(idea_id: int) -> Select[Any]:
    """A select of the user_id of everyone who voted for the idea."""
    return select(Vote.user_id).where(Vote.idea_id == idea_id)


# What a member may still read

def hidden_event(event_id: Any) -> ColumnElement[bool]:
    """SQL: true when the event's idea is hidden, or the comment it quotes is hidden or deleted,
    now (the payload keeps what was said at the time, so it must not outlive the moderation)."""
    idea_hidden = select(Idea.id).join(Event, Event.idea_id == Idea.id).where(
        Event.id == event_id, news_only_for_staff_condition()).correlate_except(Event, Idea)
    comment_gone = select(Comment.id).join(Event, Event.comment_id == Comment.id).where(
        Event.id == event_id, or_(Comment.hidden_at.is_not(None), Comment.deleted_at.is_not(None))
    ).correlate_except(Event, Comment)
    return or_(idea_hidden.exists(), comment_gone.exists())


def out_of_sight(event_id: Any, user_id: Any,
                 boards: tuple[BoardAccess, ...] | None = None) -> ColumnElement[bool]:
    """SQL: true when the event's idea is now on a board the member may not see (it moved there,
    or the board's access changed, since they were told); `boards`: every board's access."""
    member = aliased(User)
    unseen = on_boards_unseen_by(member, board_accesses() if boards is None else boards)
    if unseen is None:
        return false()
    return (select(Idea.id).join(Event, Event.idea_id == Idea.id).join(member, member.id == user_id)
            .where(Event.id == event_id, unseen).correlate_except(Event, Idea, member).exists())


def hidden_from_member(event_id: Any, user_id: Any) -> ColumnElement[bool]:
    """SQL: true when the event is hidden and the member is not staff, who see everything, or its
    idea is on a board the member may no longer see."""
    staff = (select(User.id).where(User.id == user_id, User.role.in_(STAFF_ROLES))
             .correlate_except(User).exists())
    return (~staff & hidden_event(event_id)) | out_of_sight(event_id, user_id)


# The in-app inbox

def inbox(member: User) -> Select[Any]:
    """A select of the member's notifications they may still read, newest first."""
    statement = select(Notification).where(Notification.user_id == member.id)
    if not member.is_staff:
        statement = statement.where(~hidden_event(Notification.event_id),
                                    ~out_of_sight(Notification.event_id, Notification.user_id))
    return statement.order_by(Notification.created_at.desc(), Notification.id.desc())


def unread_count(member: User) -> int:
    """How many of the member's notifications are unread (every page's header asks)."""
    boards = board_accesses()
    # Built once per set of boards and, while a board opens to segments, per version of their
    # rules and minute (rules such as "signed up in the last 90 days" count from the minute):
    # building it, segment clauses and all, cost the idea page more than running it.
    segment_ids = sorted({segment_id for board in boards for segment_id in board.segment_ids})
    rules = tuple(tuple(row) for row in db.session.execute(
        select(Segment.id, Segment.match, Segment.rules).where(Segment.id.in_(segment_ids))
        .order_by(Segment.id))) if segment_ids else ()
    minute = utcnow().replace(second=0, microsecond=0) if segment_ids else None
    statement = _unread_count(member.is_staff, boards, rules, minute)
    return db.session.execute(statement, {"member_id": member.id}).scalar_one()


@lru_cache(maxsize=64)
def _unread_count(sees_everything: bool, boards: tuple[BoardAccess, ...], segment_rules: tuple,
                  minute: datetime | None) -> Select[Any]:
    """unread_count's statement for staff or for members, built once per key (the segments' rules
    and the minute are only its key: the clauses read them when built)."""
    statement = select(func.count()).where(Notification.user_id == bindparam("member_id"),
                                           Notification.read_at.is_(None))
    if not sees_everything:
        statement = statement.where(~hidden_event(Notification.event_id),
                                    ~out_of_sight(Notification.event_id, Notification.user_id, boards))
    return statement


def mark_all_read(member: User) -> None:
    """Mark every notification of the member read."""
    db.session.execute(
        update(Notification).where(Notification.user_id == member.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()), execution_options={"synchronize_session": False})


def payload_of(event: Event) -> dict[str, Any]:
    """The event's payload as a dict."""
    return json.loads(event.payload or "{}")


def link_target(event: Event, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(endpoint, values) of where the event leads, as its kind's registry entry says: for
    `url_for` in the inbox and `external_url` in emails."""
    registered = kind_named(event.kind)
    if registered is None or registered.link is None:
        return "board.index", {}
    return registered.link(event.idea_id, data)


def summary(kind: str, data: dict[str, Any], quoting: bool = True) -> str:
    """What happened, in one plain-text sentence, as the kind's registry entry words it
    (templates escape it where needed). Without `quoting` it leaves out what a member wrote
    (the kind's `quote`), for an HTML email that shows that as its own HTML."""
    registered = kind_named(kind)
    if registered is None:  # an event of a kind no longer registered still reads as something
        return kind.replace("_", " ")
    if not quoting and registered.quote is not None:
        data = {**data, registered.quote: ""}
    return registered.summary(data)


def quoted_html(kind: str, data: dict[str, Any]) -> str:
    """The sanitised HTML, stored when it was written, of what a member wrote that the event
    quotes (a status note, a comment); "" when it quotes nothing."""
    registered = kind_named(kind)
    if registered is None or registered.quote is None:
        return ""
    return data.get(f"{registered.quote}_html") or ""


def mark_read(member: User, notification_id: int) -> Notification | None:
    """Mark one notification read as the member opens it; None when it is not in their inbox.

    Looked up through `inbox`, so another member's notification, or one whose idea or comment was
    hidden since, is refused exactly as the inbox no longer lists it."""
    notification = db.session.execute(
        inbox(member).where(Notification.id == notification_id)).scalar_one_or_none()
    if notification is not None and notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()
    return notification
