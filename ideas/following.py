"""Who follows an idea. An unfollow is remembered: nothing re-follows that member by itself."""
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask_login import AnonymousUserMixin
from sqlalchemy import BindParameter, Select, func, select

from flask_babel import gettext as _

from .database import insert_ignore, insert_many_ignoring_conflicts, inserted_ignoring_conflicts, upsert
from .errors import InvalidInput
from .extensions import db
from .models import Follow, Idea, User, utcnow
from .visibility import kept_on_members_lists

FOLLOW_LEVELS = ("status", "all")


def join_followers(member: User, idea: Idea, reason: str) -> None:
    """Follow `idea` because the member proposed, voted or commented, unless they unfollowed it."""
    insert_ignore(Follow, **follow_values(member.id, idea.id, reason, utcnow()))


def follow_for_reply(member: User, idea: Idea) -> None:
    """A reply follows the idea at all activity (the rest of the conversation is news to its
    writer), unless the member chose what to hear of it or unfollowed it: then that stays."""
    follow = db.session.get(Follow, (member.id, idea.id))
    if follow is None:
        insert_ignore(Follow, **follow_values(member.id, idea.id, "reply", utcnow(), level="all"))
    elif follow.following and follow.reason != "follow" and follow.level != "all":
        follow.level = "all"
        follow.updated_at = utcnow()


def level_for(reason: str) -> str:
    """Authors hear of all activity on their own idea; others of status changes and responses."""
    return "all" if reason == "author" else "status"


def follow_values(user_id: int, idea_id: int, reason: str, at: datetime,
                  level: str | None = None) -> dict[str, Any]:
    """The columns of a follow earned at `at` by `reason` ("author", "vote", "comment", "reply", "merge"),
    at the level the reason gives unless `level` says otherwise."""
    return dict(user_id=user_id, idea_id=idea_id, following=True, reason=reason,
                level=level or level_for(reason), created_at=at, updated_at=at)


def join_followers_in_bulk(follows: Sequence[dict[str, Any]]) -> None:
    """Many earned follows at once (imports, demo data), each made by follow_values; a member who
    has a row for the idea already keeps it, so an unfollow stays."""
    insert_many_ignoring_conflicts(Follow.__table__, follows)


def carry_followers(source_id: int, target_id: int, now: datetime) -> list[int]:
    """Those who follow the merged idea `source_id` follow `target_id` too, all in one INSERT,
    unless they have a row there already (an unfollow stays); returns who follows because of this."""
    follows = [follow_values(user_id, target_id, "merge", now) for user_id in db.session.execute(
        select(Follow.user_id).where(Follow.idea_id == source_id, Follow.following.is_(True))).scalars()]
    return inserted_ignoring_conflicts(Follow.__table__, follows, Follow.__table__.c.user_id)


def set_follow_level(member: User, idea: Idea, level: str) -> None:
    """Choose what the member hears of this idea: "status" changes only, or "all" activity."""
    if level not in FOLLOW_LEVELS:
        raise InvalidInput(_("Unknown choice."), {"level": _("Choose status changes or all activity.")})
    now = utcnow()
    upsert(
        Follow, index_elements=["user_id", "idea_id"],
        values=dict(user_id=member.id, idea_id=idea.id, following=True, reason="follow",
                    level=level, created_at=now, updated_at=now),
        update=dict(level=level, following=True, updated_at=now),
    )


def level_of(member_id: int | BindParameter[int], idea_id: int | BindParameter[int]) -> Select[str]:
    """A select of the member's level for the idea (no row when not following); the ids may be
    bound parameters."""
    return select(Follow.level).where(
        Follow.user_id == member_id, Follow.idea_id == idea_id, Follow.following.is_(True))


def follow_level(member: User | AnonymousUserMixin, idea: Idea) -> str | None:
    """The member's level for the idea, or None when not following."""
    if not member.is_authenticated:
        return None
    return db.session.execute(level_of(member.id, idea.id)).scalar()


def follow_idea(member: User, idea: Idea) -> None:
    """The member pressed Follow."""
    _set_following(member, idea, True)


def unfollow_idea(member: User, idea: Idea) -> None:
    """The member pressed Unfollow; remembered so that voting or commenting won't undo it."""
    _set_following(member, idea, False)


def _set_following(member: User, idea: Idea, following: bool) -> None:
    now = utcnow()
    upsert(
        Follow,
        index_elements=["user_id", "idea_id"],
        values=dict(
            user_id=member.id, idea_id=idea.id, following=following, reason="follow",
            created_at=now, updated_at=now,
        ),
        update=dict(following=following, updated_at=now),
    )


def is_following(member: User | AnonymousUserMixin, idea: Idea) -> bool:
    """True when the member currently follows the idea."""
    if not member.is_authenticated:
        return False
    return bool(
        db.session.execute(
            select(Follow.following).where(Follow.user_id == member.id, Follow.idea_id == idea.id)
        ).scalar()
    )


def count_of_followers(idea_id: int | BindParameter[int]) -> Select[int]:
    """A select of how many members follow the idea now; the id may be a bound parameter."""
    return select(func.count()).where(Follow.idea_id == idea_id, Follow.following.is_(True))


def follower_count(idea: Idea) -> int:
    """How many members follow the idea now."""
    return db.session.execute(count_of_followers(idea.id)).scalar_one()


def followed_ideas(member: User) -> Select[Idea]:
    """A select of the ideas the member follows, most recently followed first."""
    return (
        select(Idea)
        .join(Follow, Follow.idea_id == Idea.id)
        .where(Follow.user_id == member.id, Follow.following.is_(True), kept_on_members_lists(member))
        .order_by(Follow.updated_at.desc(), Idea.id.desc())
    )
