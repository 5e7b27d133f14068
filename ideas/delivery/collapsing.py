"""One email per member and idea within a short window, instead of one per change.

A team working through an idea (a status, a note, two comments, another status) would otherwise
send each "at once" follower an email per change: eight in a few minutes. So a member's pending
rows about one idea wait until NOTIFY_COLLAPSE_SECONDS (config.py) have passed since the first
of them was written, then go out as one email listing each change. In-app notifications never
wait (ideas/delivery/inboxes.py). Rows about no idea (news to a tag's followers) go alone, and
a window of 0 turns collapsing off: every row is its own email, at once.

Waiting is a later `next_attempt_at`, so a waiting row holds no claim and the worker's rules
(ideas/leases.py) stay as they are: at the end of the window the group's rows come due together;
the worker that claims one of them takes the others that no worker holds into its claim, holds
them all for the send, and records them in one transaction. A row another worker holds at that
moment goes in that worker's email instead: an email more, never a change told twice.
"""
from collections.abc import Sequence
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, select, tuple_, update

from ..extensions import db
from ..leases import Claim
from ..models import Event, OutboxRow


def collapse_window() -> timedelta:
    """How long a member's rows about one idea wait for more (0: not at all)."""
    return timedelta(seconds=float(current_app.config["NOTIFY_COLLAPSE_SECONDS"]))


def emails_to_send(row_ids: Sequence[int], claim: Claim, now: datetime) -> list[list[int]]:
    """The claimed pending rows `row_ids` as the emails to send now, each a list of row ids (one
    member's rows about one idea whose window has passed); rows whose window is still open are
    made due at its end and let go."""
    window = collapse_window()
    if not window or not row_ids:
        return [[row_id] for row_id in row_ids]
    rows = db.session.execute(
        select(OutboxRow.id, OutboxRow.user_id, Event.idea_id).join(Event, Event.id == OutboxRow.event_id)
        .where(OutboxRow.id.in_(row_ids)).order_by(OutboxRow.id)).all()
    firsts = _first_pending({(user_id, idea_id) for _, user_id, idea_id in rows if idea_id is not None})
    emails: dict[object, list[int]] = {}
    waiting: dict[datetime, list[int]] = {}
    for row_id, user_id, idea_id in rows:
        first = firsts.get((user_id, idea_id)) if idea_id is not None else None
        if first is not None and first + window > now:
            waiting.setdefault(first + window, []).append(row_id)
        else:
            emails.setdefault(row_id if idea_id is None else (user_id, idea_id), []).append(row_id)
    _wait(waiting, claim)
    _gather(emails, claim, now)
    return [sorted(row_ids) for row_ids in emails.values()]


def _first_pending(pairs: set[tuple[int, int]]) -> dict[tuple[int, int | None], datetime]:
    """{(member, idea): when the member's first pending row about the idea was written}."""
    if not pairs:
        return {}
    found = db.session.execute(
        select(OutboxRow.user_id, Event.idea_id, func.min(OutboxRow.created_at))
        .join(Event, Event.id == OutboxRow.event_id)
        .where(OutboxRow.email_state == "pending",
               OutboxRow.user_id.in_({user_id for user_id, _ in pairs}),
               Event.idea_id.in_({idea_id for _, idea_id in pairs}))
        .group_by(OutboxRow.user_id, Event.idea_id)).all()
    return {(user_id, idea_id): first for user_id, idea_id, first in found}


def _gather(emails: dict[object, list[int]], claim: Claim, now: datetime) -> None:
    """Add to each email about an idea the member's other rows about it that are due and held by
    no worker. A batch is claimed in id order, so the rows of a crowded idea's second change come
    in a later batch than those of its first; without this they would make a second email."""
    pairs = [key for key in emails if isinstance(key, tuple)]
    if not pairs:
        return
    idea_of_row = (select(Event.idea_id).where(Event.id == OutboxRow.event_id)
                   .correlate(OutboxRow).scalar_subquery())
    # The members' ids alone let the database start from their rows, not from every due row.
    taken = claim.take_also(and_(OutboxRow.user_id.in_({user_id for user_id, _ in pairs}),
                                 OutboxRow.inapp_done.is_(True),
                                 tuple_(OutboxRow.user_id, idea_of_row).in_(pairs)), now)
    if taken:
        for row_id, user_id, idea_id in db.session.execute(
                select(OutboxRow.id, OutboxRow.user_id, Event.idea_id)
                .join(Event, Event.id == OutboxRow.event_id).where(OutboxRow.id.in_(taken))):
            emails[(user_id, idea_id)].append(row_id)


def _wait(waiting: dict[datetime, list[int]], claim: Claim) -> None:
    """Make each waiting row due at the end of its window and give it back: one statement per
    window end. A row whose in-app notification is not written yet is kept due instead (it was
    committed after this pass filled the inboxes), so the next pass writes it first."""
    for ends, row_ids in waiting.items():
        waits = db.session.execute(
            update(OutboxRow).where(OutboxRow.id.in_(row_ids), OutboxRow.claimed_until == claim.until,
                                    OutboxRow.email_state == "pending", OutboxRow.inapp_done.is_(True))
            .values(next_attempt_at=ends, claimed_until=None).returning(OutboxRow.id),
            execution_options={"synchronize_session": False}).scalars().all()
        for row_id in waits:
            claim.let_go(row_id)
    db.session.commit()
