"""Backing ideas with votes. Counts stay exact under concurrency:

the database refuses a second vote by the same member (unique constraint), and the stored
count moves by an atomic `vote_count = vote_count ± 1` only when a row was really inserted
or deleted. Every rule that changes an idea's votes first locks the idea's row and reads it
afresh (`lock_ideas`), so a vote cannot land on an idea a merge is emptying at that moment.
"""
import math
from collections.abc import Collection
from functools import lru_cache
from datetime import datetime, timezone
from typing import NamedTuple, cast

from flask_login import AnonymousUserMixin
from sqlalchemy import BindParameter, CursorResult, Select, bindparam, delete, select, update
from sqlalchemy.orm.attributes import set_committed_value

from flask_babel import gettext as _

from .accounts import ensure_can_participate
from .database import add_to_counter, insert_ignore, lock_rows
from .errors import VotingClosed
from .events import VoteCast, VoteWithdrawn
from .events.publish import publish
from .extensions import db
from .following import count_of_followers, join_followers, level_of
from .models import Idea, User, Vote, utcnow
from .status_list import STATUS_NAMES, voting_open
from .visibility import kept_on_members_lists

# Trending: log10 of votes plus age, so ten times the votes equals 12.5 hours of freshness.
TRENDING_EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
TRENDING_SECONDS_PER_DECADE = 45_000


def trending_score(vote_count: int, created_at: datetime) -> float:
    """The stored score the Trending order reads from its index."""
    age = (created_at - TRENDING_EPOCH).total_seconds()
    return round(math.log10(max(vote_count, 1)) + age / TRENDING_SECONDS_PER_DECADE, 7)


def _check_voting_open(idea: Idea) -> None:
    if idea.withdrawn_at is not None:
        raise VotingClosed(_("This idea was withdrawn by its author."))
    if not voting_open(idea):
        raise VotingClosed(_("Voting is closed: this idea is %(status)s.",
                             status=STATUS_NAMES[idea.status].lower()))


def lock_ideas(*idea_ids: int) -> dict[int, Idea]:
    """The ideas, read afresh and held until the transaction ends, by id.

    Vote, withdraw, merge and undo all take this before reading an idea's status or votes, and
    always in id order (`lock_rows`): so they queue behind each other on PostgreSQL instead of
    acting on what another transaction is changing (a vote stranded on an idea just merged)."""
    return lock_rows(Idea, idea_ids)


def cast_vote(member: User, idea: Idea, cast_by: User | None = None, importance: str | None = None,
              note: str = "") -> bool:
    """Back the idea (a second vote changes nothing) and follow it. True if a vote was added.

    `cast_by` is the staff member recording the vote for a customer, if any; `importance` and
    `note` are stored with a new vote only (vote_importance.back_idea checks them and changes
    an existing vote's).
    """
    if cast_by is None:
        ensure_can_participate(member)
    idea = lock_ideas(idea.id)[idea.id]
    _check_voting_open(idea)
    added = insert_ignore(Vote, user_id=member.id, idea_id=idea.id, created_at=utcnow(),
                          cast_by_id=cast_by.id if cast_by is not None else None,
                          importance=importance, note=note)
    if added:
        _move_count(idea, +1)
        publish(VoteCast(member, idea, cast_by, importance))
    join_followers(member, idea, reason="vote")
    return added


def withdraw_vote(member: User, idea: Idea) -> bool:
    """Take back the member's vote, if any. True if a vote was removed."""
    idea = lock_ideas(idea.id)[idea.id]
    _check_voting_open(idea)
    db.session.flush()
    removed = cast(CursorResult, db.session.execute(
        delete(Vote).where(Vote.user_id == member.id, Vote.idea_id == idea.id),
        execution_options={"synchronize_session": False},
    )).rowcount
    if removed:
        _move_count(idea, -1)
        publish(VoteWithdrawn(member, idea))
    return bool(removed)


def _move_count(idea: Idea, delta: int) -> None:
    """Move the stored count and recompute trending from the new count."""
    add_to_counter(idea, "vote_count", delta)
    # The idea's row is locked until commit (lock_ideas), so this write cannot interleave.
    refresh_trending(idea)


def refresh_trending(idea: Idea) -> None:
    """Store the trending score for the idea's current (just updated) vote count."""
    score = trending_score(idea.vote_count, idea.created_at)
    version = db.session.execute(  # the UPDATE bumps the row's version (models/types.row_version)
        update(Idea).where(Idea.id == idea.id).values(trending_score=score).returning(Idea.version),
        execution_options={"synchronize_session": False},
    ).scalar_one()
    set_committed_value(idea, "trending_score", score)
    set_committed_value(idea, "version", version)


def _vote_of(member_id: int | BindParameter[int], idea_id: int | BindParameter[int]) -> Select[int]:
    return select(Vote.id).where(Vote.user_id == member_id, Vote.idea_id == idea_id)


def has_voted(member: User | AnonymousUserMixin, idea: Idea) -> bool:
    """True when the member backs the idea."""
    if not member.is_authenticated:
        return False
    return db.session.execute(_vote_of(member.id, idea.id)).first() is not None


class Standing(NamedTuple):
    """Where a reader stands on an idea, as its page shows it."""

    voted: bool
    follow_level: str | None
    followers: int


def standing(member: User | AnonymousUserMixin, idea: Idea) -> Standing:
    """Whether `member` backs and follows the idea, and how many follow it, in one query
    (has_voted, follow_level and follower_count at once, for the idea's page and the API)."""
    if not member.is_authenticated:
        return Standing(False, None, db.session.execute(_standing(False), {"idea_id": idea.id}).scalar_one())
    voted, level, count = db.session.execute(
        _standing(True), {"member_id": member.id, "idea_id": idea.id}).one()
    return Standing(bool(voted), level, count)


@lru_cache(maxsize=None)
def _standing(signed_in: bool) -> Select[int] | Select[bool, str | None, int]:
    """standing's statement, built once (building it cost as much as running it)."""
    idea_id: BindParameter[int] = bindparam("idea_id")
    followers = count_of_followers(idea_id).scalar_subquery()
    if not signed_in:
        return select(followers)
    member_id: BindParameter[int] = bindparam("member_id")
    return select(_vote_of(member_id, idea_id).exists(), level_of(member_id, idea_id).scalar_subquery(),
                  followers)


def voted_idea_ids(member: User | AnonymousUserMixin, idea_ids: Collection[int]) -> set[int]:
    """Which of `idea_ids` the member backs, in one query."""
    if not member.is_authenticated or not idea_ids:
        return set()
    found = db.session.execute(_voted_among(), dict(member_id=member.id, idea_ids=list(idea_ids)))
    return set(found.scalars())


@lru_cache(maxsize=1)
def _voted_among() -> Select[int]:
    """Built once: building the IN list's parameters cost a board page as much as running it."""
    return select(Vote.idea_id).where(Vote.user_id == bindparam("member_id"),
                                      Vote.idea_id.in_(bindparam("idea_ids", expanding=True)))


def backed_ideas(member: User) -> Select[Idea]:
    """A select of the ideas the member backs, most recent vote first."""
    return (
        select(Idea)
        .join(Vote, Vote.idea_id == Idea.id)
        .where(Vote.user_id == member.id, kept_on_members_lists(member))
        .order_by(Vote.created_at.desc(), Idea.id.desc())
    )
