"""How much an idea matters to each backer, and their private note to the product team.

Both sit on the member's vote row, so saying or changing them never adds a vote nor moves a
count (voting.py keeps those exact). The note is the team's only: staff read it through the
readers below; no page, feed, email, webhook or export for anyone else carries it.
"""
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, case, select, update

from .accounts import ensure_can_participate
from .errors import Conflict, InvalidInput
from .events import VoteImportanceChanged
from .events.publish import publish
from .extensions import db
from .models import IMPORTANCES, VOTE_NOTE_MAX, Idea, User, Vote
from .voting import cast_vote


def clean_importance(importance: str | None, note: str | None) -> tuple[str | None, str]:
    """The importance (None: not said) and the note as stored, or InvalidInput naming each problem."""
    importance = importance or None
    note = (note or "").replace("\x00", "").strip()
    problems = {}
    if importance is not None and importance not in IMPORTANCES:
        problems["importance"] = _("Choose nice to have, important or critical.")
    if len(note) > VOTE_NOTE_MAX:
        problems["note"] = _("Keep the note under %(max)s characters.", max=VOTE_NOTE_MAX)
    if problems:
        raise InvalidInput(_("Please correct the highlighted fields."), problems)
    return importance, note


def back_idea(member: User, idea: Idea, importance: str | None = None, note: str | None = None) -> bool:
    """Back the idea saying how much it matters; True if a vote was added. A member who already
    backs it only changes what they said (set_importance): that is never a second vote."""
    importance, clean_note = clean_importance(importance, note)
    added = cast_vote(member, idea, importance=importance, note=clean_note)
    if not added and (importance is not None or clean_note):
        set_importance(member, idea, importance, clean_note)
    return added


def set_importance(member: User, idea: Idea, importance: str | None, note: str | None) -> bool:
    """Change how much the backed idea matters and the note; True if anything changed.

    Publishes VoteImportanceChanged when the importance moves (its webhook carries the
    importance, never the note); a note alone changes silently, as nobody outside the team may
    hear of it. Raises Conflict when the member does not back the idea."""
    ensure_can_participate(member)
    importance, note = clean_importance(importance, note)
    vote = db.session.execute(select(Vote).where(Vote.user_id == member.id, Vote.idea_id == idea.id)
                              ).scalar_one_or_none()
    if vote is None:
        raise Conflict(_("Back the idea first, then say how much it matters."))
    old = vote.importance
    if (old, vote.note) == (importance, note):
        return False
    db.session.execute(update(Vote).where(Vote.id == vote.id).values(importance=importance, note=note),
                       execution_options={"synchronize_session": False})
    db.session.expire(vote)
    db.session.flush()
    if old != importance:
        publish(VoteImportanceChanged(member, idea, old, importance))
    return True


def importance_of(member: Any, idea: Idea) -> tuple[str | None, str] | None:
    """(importance, note) of the member's vote on the idea, or None when they do not back it."""
    if not getattr(member, "is_authenticated", False):
        return None
    row = db.session.execute(select(Vote.importance, Vote.note).where(
        Vote.user_id == member.id, Vote.idea_id == idea.id)).first()
    return None if row is None else (row[0], row[1])


_RANK = case({"critical": 3, "important": 2, "nice_to_have": 1}, value=Vote.importance, else_=0)


def _said_something() -> Any:
    return (Vote.importance.is_not(None)) | (Vote.note != "")


def notes_on_idea(idea_id: int) -> Select[Vote, User]:
    """Staff only: the backers of an idea who said how much it matters or left a note, most
    critical first."""
    return (select(Vote, User).join(User, User.id == Vote.user_id)
            .where(Vote.idea_id == idea_id, _said_something())
            .order_by(_RANK.desc(), Vote.created_at.desc(), Vote.id.desc()))


def notes_of_members(member_ids: list[int]) -> Select[Vote, Idea, User]:
    """Staff only: what these members said of the ideas they back, newest first (the member's
    page and the company page read it)."""
    return (select(Vote, Idea, User).join(Idea, Idea.id == Vote.idea_id).join(User, User.id == Vote.user_id)
            .where(Vote.user_id.in_(member_ids), _said_something())
            .order_by(Vote.created_at.desc(), Vote.id.desc()))
