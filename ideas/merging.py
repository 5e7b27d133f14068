"""Merging duplicates, and undoing a merge from its ledger.

Merging A into B moves A's votes to B, except for members who already back B (their A vote is
removed: they count once); A's followers follow B, except those who unfollowed B; A's tags are
added to B. Every row moved,
removed or added is written to the merge's ledger. Undo reads the ledger back: rows that changed
since the merge (a vote withdrawn afterwards) stay as they are now.
"""
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import CursorResult, delete, exists, insert, select, update
from sqlalchemy.orm import aliased

from flask_babel import gettext as _

from . import audit
from .database import add_to_counter, insert_ignore
from .errors import Conflict, InvalidInput
from .extensions import db
from .models import (Comment, Follow, Idea, Merge, MergeLedgerRow, TimelineEntry, User, Vote, idea_tags,
                     utcnow)
from .events import IdeaMerged, IdeaUnmerged
from .events.publish import publish
from .following import carry_followers
from .statuses import add_timeline_entry
from .visibility import may_stand_for
from .voting import lock_ideas, refresh_trending

# Each attempt finds the source merged into another idea than it was a moment before.
UNDO_LOCK_ATTEMPTS = 5


def merge_ideas(actor: User, source: Idea, target: Idea) -> Merge:
    """Merge idea `source` into idea `target`. Staff, or a moderator of both ideas' board."""
    audit.require_moderator(actor, source, target)
    if source.id == target.id:
        raise InvalidInput(_("Choose another idea."), {"into": _("An idea cannot be merged into itself.")})
    source, target = lock_pair(source.id, target.id)
    for idea in (source, target):
        if idea.status == "merged":
            raise InvalidInput(_("Already merged."),
                               {"into": _("#%(id)s is already merged into another idea.", id=idea.id)})
        if idea.withdrawn_at is not None:
            raise InvalidInput(_("Withdrawn."), {"into": _("#%(id)s was withdrawn by its author.",
                                                           id=idea.id)})
    # The duplicate's page and its backers' notices name the survivor: whoever saw the duplicate
    # must see it.
    if not may_stand_for(target, source):
        raise InvalidInput(_("Not public."), {"into": _(
            "#%(id)s is hidden or waiting for approval; merge into an idea everyone can see.",
            id=target.id)})
    now = utcnow()
    merge = Merge(source_id=source.id, target_id=target.id, actor_id=actor.id,
                  source_status=source.status, created_at=now)
    db.session.add(merge)
    db.session.flush()

    moved, removed = carry_votes(merge, source, target)

    for user_id in carry_followers(source.id, target.id, now):
        db.session.add(MergeLedgerRow(merge_id=merge.id, row_kind="follow_added", user_id=user_id,
                                      follow_updated_at=now))

    # The duplicate's tags describe the survivor too: its reports were about the same thing.
    for tag_id in db.session.execute(
            select(idea_tags.c.tag_id).where(idea_tags.c.idea_id == source.id)).scalars().all():
        if insert_ignore(idea_tags, idea_id=target.id, tag_id=tag_id):
            db.session.add(MergeLedgerRow(merge_id=merge.id, row_kind="tag_added", user_id=actor.id,
                                          tag_id=tag_id))
    db.session.expire(target, ["tags"])

    before = source.status
    source.status = "merged"
    source.merged_into_id = target.id
    source.status_changed_at = source.updated_at = target.updated_at = now
    add_timeline_entry(actor, source, "merged_into", before, "merged", related_idea=target)
    add_timeline_entry(actor, target, "merged_from", related_idea=source)
    db.session.flush()
    publish(IdeaMerged(actor, source, target, before, moved, removed))
    return merge


def lock_pair(source_id: int, target_id: int) -> tuple[Idea, Idea]:
    """Both ideas, read afresh and locked in id order (see voting.lock_ideas)."""
    locked = lock_ideas(source_id, target_id)
    return locked[source_id], locked[target_id]


def carry_votes(merge: Merge, source: Idea, target: Idea) -> tuple[int, int]:
    """Move the source's votes to the target, removing those of members who back the target
    already (they count once); every row goes into the merge's ledger, and each count moves by
    the rows the statements really moved or removed. Both ideas must be locked (lock_pair).

    (moved, removed)."""
    db.session.flush()
    other = aliased(Vote)
    returned = (Vote.id, Vote.user_id, Vote.created_at, Vote.cast_by_id)
    removed = db.session.execute(
        delete(Vote).where(Vote.idea_id == source.id, Vote.user_id.in_(
            select(other.user_id).where(other.idea_id == target.id))).returning(*returned),
        execution_options={"synchronize_session": False}).all()
    moved = db.session.execute(
        update(Vote).where(Vote.idea_id == source.id).values(idea_id=target.id).returning(*returned),
        execution_options={"synchronize_session": False}).all()
    ledger: list[dict[str, Any]]  # mixed values: ids, kinds, times
    ledger = [dict(merge_id=merge.id, row_kind=kind, user_id=user_id, vote_id=vote_id,
                   vote_created_at=created_at, vote_cast_by_id=cast_by_id)
              for kind, rows in (("vote_removed", removed), ("vote_moved", moved))
              for vote_id, user_id, created_at, cast_by_id in rows]
    if ledger:
        db.session.execute(insert(MergeLedgerRow), sorted(ledger, key=lambda row: row["vote_id"]))
        db.session.expire(merge, ["ledger"])
        add_to_counter(source, "vote_count", -len(ledger))
        refresh_trending(source)
    if moved:
        add_to_counter(target, "vote_count", len(moved))
        refresh_trending(target)
    return len(moved), len(removed)


def _lock_for_undo(source: Idea) -> tuple[Idea, Merge | None, dict[int, Idea]]:
    """(source, its latest merge, the locked ideas by id), with the source and the idea it is
    merged into locked in id order. Which idea that is shows only once the source is locked: if
    another merge or undo changed it meanwhile, give the locks back and take the right pair."""
    for _attempt in range(UNDO_LOCK_ATTEMPTS):
        guess = source.merged_into_id
        savepoint = db.session.begin_nested()
        locked = lock_ideas(source.id, *([guess] if guess is not None else []))
        source = locked[source.id]
        merge = latest_merge(source)
        if source.status != "merged" or merge is None or merge.target_id in locked:
            savepoint.commit()
            return source, merge, locked
        savepoint.rollback()
        source = db.session.get_one(Idea, source.id, populate_existing=True)
    raise Conflict(_("This idea is being merged and unmerged right now; try again."))


def latest_merge(source: Idea) -> Merge | None:
    """The merge that made `source` merged now, or None."""
    return db.session.execute(
        select(Merge).where(Merge.source_id == source.id, Merge.undone_at.is_(None))
        .order_by(Merge.id.desc()).limit(1)
    ).scalar()


def undo_merge(actor: User, source: Idea) -> None:
    """Undo the merge of `source`: its rows go back as they were where nothing changed since. Staff,
    or a moderator of both ideas' board."""
    audit.require_moderator(actor, source)
    source, merge, locked = _lock_for_undo(source)
    if source.status != "merged" or merge is None:
        raise Conflict(_("This idea is not merged."))
    target = locked[merge.target_id]
    audit.require_moderator(actor, target)
    if target.status == "merged":
        raise Conflict(_("Undo the merge of #%(id)s first: it is merged into another idea.", id=target.id))
    back_to_source = restored = 0
    for row in merge.ledger:
        if row.row_kind == "vote_moved":
            # Only if the vote is still there, on the target: a withdrawn vote stays withdrawn.
            # Matching the time too: SQLite may give a newer vote the same id again. And not
            # onto a vote of the member's own that is on the source already (one a merge left
            # behind before ideas were locked): that member backs both now.
            on_source = aliased(Vote)
            back_to_source += cast(CursorResult, db.session.execute(
                update(Vote).where(Vote.id == row.vote_id, Vote.idea_id == target.id,
                                   Vote.created_at == row.vote_created_at,
                                   ~exists().where(on_source.user_id == Vote.user_id,
                                                   on_source.idea_id == source.id))
                .values(idea_id=source.id),
                execution_options={"synchronize_session": False},
            )).rowcount
        elif row.row_kind == "vote_removed":
            # The member still backs the target, so their own vote on the source comes back.
            still_backs_target = db.session.execute(select(Vote.id).where(
                Vote.user_id == row.user_id, Vote.idea_id == target.id)).first()
            original = dict(user_id=row.user_id, idea_id=source.id,
                            created_at=row.vote_created_at, cast_by_id=row.vote_cast_by_id)
            if db.session.get(Vote, row.vote_id) is None:
                original["id"] = row.vote_id  # back as it was, unless SQLite reused the id
            if still_backs_target and insert_ignore(Vote, **original):
                restored += 1
        elif row.row_kind == "tag_added":
            db.session.execute(delete(idea_tags).where(idea_tags.c.idea_id == target.id,
                                                       idea_tags.c.tag_id == row.tag_id))
            db.session.expire(target, ["tags"])
        elif row.row_kind == "follow_added":
            # Unless the member has since earned the follow by voting or commenting there.
            earned = (
                exists().where(Vote.user_id == row.user_id, Vote.idea_id == target.id)
                | exists().where(Comment.author_id == row.user_id, Comment.idea_id == target.id,
                                 Comment.internal.is_(False))
            )
            db.session.execute(
                delete(Follow).where(Follow.user_id == row.user_id, Follow.idea_id == target.id,
                                     Follow.reason == "merge",
                                     Follow.updated_at == row.follow_updated_at, ~earned),
                execution_options={"synchronize_session": False},
            )
    if back_to_source:
        add_to_counter(target, "vote_count", -back_to_source)
        refresh_trending(target)
    if back_to_source or restored:
        add_to_counter(source, "vote_count", back_to_source + restored)
        refresh_trending(source)

    now = utcnow()
    merge.undone_at, merge.undone_by_id = now, actor.id
    source.status = merge.source_status
    source.merged_into_id = None
    source.status_changed_at = source.updated_at = now
    add_timeline_entry(actor, source, "unmerged", "merged", merge.source_status, related_idea=target)
    add_timeline_entry(actor, target, "unmerged", related_idea=source)
    db.session.flush()
    publish(IdeaUnmerged(actor, source, target, merge.source_status, back_to_source, restored))


def ideas_merged_into(target: Idea, timeline: Iterable[TimelineEntry]) -> Sequence[Idea]:
    """The ideas merged into `target` (merges not undone), given its timeline: every merge writes
    a "merged_from" entry there, so without one there is nothing to look up."""
    if not any(entry.action == "merged_from" for entry in timeline):
        return []
    return db.session.execute(
        select(Idea).where(Idea.merged_into_id == target.id, Idea.status == "merged").order_by(Idea.id)
    ).scalars().all()
