"""Who gets no email now, and why: the one definition of these rules, for a batch and for one row.

A claimed batch is settled by them in one statement; each email applies them again to its own
rows just before it is sent, as the member may have changed their settings meanwhile.
"""
from collections.abc import Iterable

from sqlalchemy import ColumnElement, Exists, case, or_, select, update

from ..events import registered_kinds
from ..extensions import db
from ..models import Event, Follow, OutboxRow, User
from ..notifications import hidden_from_member


def _members_where(*conditions: ColumnElement[bool]) -> Exists:
    # Correlated, so each row looks its member up by key: an uncorrelated IN (SELECT …) was
    # computed over every member for each statement, 15 ms per email sent one by one.
    return select(User.id).where(User.id == OutboxRow.user_id, *conditions).correlate(OutboxRow).exists()


def _left_level(level: str) -> ColumnElement[bool]:
    """SQL: the row's event is of a kind told to followers at `level` only (registry), and the
    member no longer follows its idea at that level: they chose less since it was queued."""
    kinds = [kind.name for kind in registered_kinds()
             if kind.audience is not None and kind.audience.level == level]
    idea_of_event = (select(Event.idea_id).where(Event.id == OutboxRow.event_id)
                     .correlate(OutboxRow).scalar_subquery())
    still_at_level = select(Follow.user_id).where(
        Follow.user_id == OutboxRow.user_id, Follow.idea_id == idea_of_event, Follow.level == level
    ).correlate(OutboxRow)
    return (select(Event.id).where(Event.id == OutboxRow.event_id, Event.kind.in_(kinds))
            .correlate(OutboxRow).exists() & ~still_at_level.exists())


def _no_email_rules() -> tuple[tuple[str, str, ColumnElement[bool]], ...]:
    """Why a pending row gets no email now: (state, reason, condition on the row), in order; the
    first that holds decides."""
    return (
        ("skipped", "hidden by the team since", hidden_from_member(OutboxRow.event_id, OutboxRow.user_id)),
        ("skipped", "address not confirmed", _members_where(User.email_confirmed_at.is_(None))),
        ("skipped", "member chose no email", _members_where(User.email_mode == "never")),
        ("skipped", "member follows status changes only", _left_level("all")),
        ("digest", "", _members_where(User.email_mode == "digest")),
    )


def settle(row_ids: Iterable[int]) -> None:
    """Give each pending row among `row_ids` that needs no email now the state and reason of the
    first rule that holds for it, in one statement; it then leaves the due list."""
    rules = _no_email_rules()
    db.session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(row_ids), OutboxRow.email_state == "pending",
               or_(*(condition for _, _, condition in rules)))
        .values(email_state=case(*((condition, state) for state, _, condition in rules)),
                last_error=case(*((condition, reason) for _, reason, condition in rules)),
                next_attempt_at=None, claimed_until=None),
        execution_options={"synchronize_session": False})


def settle_without_email(row_ids: Iterable[int]) -> None:
    """Claimed rows that need no email now leave the queue, all in one statement."""
    settle(row_ids)
    db.session.commit()
