"""What became of a member's ideas since they last opened "My activity", and noting that visit.

Read from the public timeline and official responses, so a member learns here nothing the idea
page would not show them.
"""
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, update

from .extensions import db
from .models import Comment, TimelineEntry, User

# The timeline steps that change what an idea *is* for its followers: a status move, a merge.
CHANGING_ACTIONS = ("status", "merged_into")


@dataclass(frozen=True)
class Change:
    """What happened to one idea since a moment: its net status move (first old, last new), an
    official response, a merge. `at` is the latest of them, for "2 days ago"."""

    at: datetime
    old_status: str | None = None
    new_status: str | None = None
    merged_into_id: int | None = None
    responded_at: datetime | None = None


def visit_began_after(last_seen: datetime | None, kept: datetime | None, now: datetime,
                      gap: timedelta) -> datetime | None:
    """The moment this view's marks count from: the last view of the member's previous visit.

    Views closer together than `gap` are one visit, so a reload, or coming back from an idea opened
    from the page, keeps the marks the visit began with. `last_seen` is the member's last view
    (stored), `kept` the moment this visit counts from, as the browser kept it. None on a first
    visit (and within a visit the browser kept nothing of): nothing is marked."""
    if last_seen is None:
        return None
    return last_seen if now - last_seen >= gap else kept


def changes_since(idea_ids: Collection[int], since: datetime | None) -> dict[int, Change]:
    """What changed on each of `idea_ids` after `since`; nothing at all on a first visit (None),
    as every idea would otherwise read as news. Two queries, whatever the number of ideas."""
    if since is None or not idea_ids:
        return {}
    changes: dict[int, Change] = {}
    for idea_id, action, old, new, related, at in db.session.execute(
        select(TimelineEntry.idea_id, TimelineEntry.action, TimelineEntry.from_status,
               TimelineEntry.to_status, TimelineEntry.related_idea_id, TimelineEntry.created_at)
        .where(TimelineEntry.idea_id.in_(idea_ids), TimelineEntry.created_at > since,
               TimelineEntry.action.in_(CHANGING_ACTIONS))
        .order_by(TimelineEntry.created_at, TimelineEntry.id)
    ):
        before = changes.get(idea_id)
        changes[idea_id] = Change(
            at=at, old_status=before.old_status if before and before.old_status else old,
            new_status=new, merged_into_id=related if action == "merged_into" else None)
    for idea_id, at in db.session.execute(_official_responses(idea_ids, since)):
        before = changes.get(idea_id) or Change(at=at)
        changes[idea_id] = Change(at=max(before.at, at), old_status=before.old_status,
                                  new_status=before.new_status, merged_into_id=before.merged_into_id,
                                  responded_at=at)
    return changes


def _official_responses(idea_ids: Collection[int], since: datetime) -> Select[int, datetime]:
    """(idea id, latest time) of the official responses posted after `since` that anyone may read."""
    return (select(Comment.idea_id, func.max(Comment.created_at))
            .where(Comment.idea_id.in_(idea_ids), Comment.official.is_(True), Comment.internal.is_(False),
                   Comment.hidden_at.is_(None), Comment.deleted_at.is_(None), Comment.created_at > since)
            .group_by(Comment.idea_id))


def note_activity_seen(member_id: int, at: datetime) -> None:
    """Remember that the member looked at "My activity" at `at`: one UPDATE of one column, so the
    page can say next time what changed in between. The row's version stays (nothing any cached
    block shows has changed), so the member's cached fragments stay good."""
    db.session.execute(update(User).where(User.id == member_id)
                       .values(activity_seen_at=at, version=User.version),
                       execution_options={"synchronize_session": False})
