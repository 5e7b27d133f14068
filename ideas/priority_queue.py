"""Which ideas' priority scores wait for the worker. Events mark them (their kind's `priority`
scope, read by ideas/events/publish.py), in the transaction of the change; the worker takes
them (ideas/priority.py). Nothing here knows HTTP; of the events it knows only the scope they
name.

Marking always writes `due = true`, even on a row that is due already: a worker that cleared
the flag and is reading the idea's votes holds that row's lock, so the mark waits for it and
lands after, and the score is computed again with what the mark's change added.
"""
from sqlalchemy import Select, exists, insert, select, true, update

from .database import insert_many_ignoring_conflicts, upsert
from .events.registry import PriorityScope
from .extensions import db
from .models import CompanyMember, Idea, IdeaPriority, Vote


def start_priorities(idea_ids: list[int]) -> None:
    """Give these ideas their row, due, unless they have one (an idea a bulk path left without)."""
    insert_many_ignoring_conflicts(IdeaPriority.__table__, [{"idea_id": idea_id} for idea_id in idea_ids])


def mark_due(scope: PriorityScope) -> None:
    """Mark due the score of every idea `scope` names; an idea without its row yet gets one."""
    if scope.everything:
        start_missing()
        db.session.execute(update(IdeaPriority).values(due=True),
                           execution_options={"synchronize_session": False})
        return
    for idea_id in scope.idea_ids:  # one statement a vote: the row made or marked
        upsert(IdeaPriority, ["idea_id"], {"idea_id": idea_id, "due": True}, {"due": True})
    ideas = _ideas_in(scope)
    if ideas is not None:
        db.session.execute(update(IdeaPriority).where(IdeaPriority.idea_id.in_(ideas)).values(due=True),
                           execution_options={"synchronize_session": False})


def start_missing() -> None:
    """Give every idea without a priority row one, due (ideas made by a bulk import or the
    benchmark's seeding, which publish no creation event)."""
    missing = select(Idea.id).where(~exists().where(IdeaPriority.idea_id == Idea.id))
    db.session.execute(insert(IdeaPriority).from_select(["idea_id"], missing))


def _ideas_in(scope: PriorityScope) -> Select[int] | None:
    """The ideas a member's or a company's change outdates: those its members back."""
    if scope.member_id is not None:
        return select(Vote.idea_id).where(Vote.user_id == scope.member_id)
    if scope.company_id is not None:
        return (select(Vote.idea_id).join(CompanyMember, CompanyMember.user_id == Vote.user_id)
                .where(CompanyMember.company_id == scope.company_id).where(true()))
    return None
