"""Statuses and the timeline: staff move ideas through their statuses with a public note.

Every change is kept as a timeline entry on the idea (who, when, from, to, note), like a
parcel's tracking history. The roadmap (ideas/roadmap.py) only reads what this module writes.
"""
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, insert, select

from . import audit
from .errors import InvalidInput, NotAllowed
from .events import StatusChanged
from .events.publish import publish
from .extensions import db
from .i18n import format_count
from .models import Idea, TimelineEntry, User, utcnow
from .sanitize import render_markdown
from .status_list import STATUS_NAMES, StatusKeys, category_of

NOTE_MAX = 5_000
SETTABLE_STATUSES = StatusKeys("settable")  # the admins' statuses, not archived (merged is not one)


def add_timeline_entry(actor: User, idea: Idea, action: str, from_status: str | None = None,
                       to_status: str | None = None, note: str = "",
                       related_idea: Idea | None = None) -> TimelineEntry:
    """Append one step to the idea's history."""
    entry = TimelineEntry(
        idea_id=idea.id, actor_id=actor.id, action=action, from_status=from_status,
        to_status=to_status, note=note, note_html=note_html(note),
        related_idea_id=related_idea.id if related_idea is not None else None, created_at=utcnow(),
    )
    db.session.add(entry)
    return entry


def note_html(note: str) -> str:
    """A timeline note as readers see it: its Markdown rendered once, when it is written."""
    return render_markdown(note) if note else ""


def status_step(actor_id: int, idea_id: int, to_status: str, note: str, at: datetime) -> dict[str, Any]:
    """The columns of a move out of "open" that happened at `at`, elsewhere or long ago (imports,
    demo data); add_timeline_rows renders its note."""
    return dict(idea_id=idea_id, actor_id=actor_id, action="status", from_status="open",
                to_status=to_status, note=note, created_at=at)


def add_timeline_rows(rows: Sequence[dict[str, Any]]) -> None:
    """Append many steps (status_step()s) in one statement; each distinct note is rendered once."""
    if rows:
        rendered = {note: note_html(note) for note in {row["note"] for row in rows}}
        db.session.execute(insert(TimelineEntry),
                           [dict(row, note_html=rendered[row["note"]]) for row in rows])


def _status_problems(idea: Idea, status: str, note: str) -> dict[str, str]:
    """What is wrong with moving `idea` to `status` with `note`, by form field."""
    problems = {}
    if status not in SETTABLE_STATUSES:
        problems["status"] = _("Choose one of the statuses on the list.")
    elif status == idea.status:
        problems["status"] = _("The idea is already %(status)s.", status=STATUS_NAMES[idea.status].lower())
        if note:  # a note alone would tell every follower that nothing changed
            problems["note"] = _("To say something without changing the status, post an official "
                                 "response or an internal note.")
    if category_of(status) == "closed" and not note:
        problems["note"] = _("Say why the idea is %(status)s: customers will read this reason.",
                             status=STATUS_NAMES[status].lower())
    if len(note) > NOTE_MAX or "\x00" in note:
        problems["note"] = _("Keep the note to %(limit)s characters of plain text.",
                             limit=format_count(NOTE_MAX))
    return problems


def change_status(actor: User, idea: Idea, status: str, note: str = "") -> None:
    """Move the idea to `status` with a public note (required to decline). Staff only."""
    audit.require_staff(actor)
    note = (note or "").strip()
    problems = _status_problems(idea, status, note)
    if problems:
        raise InvalidInput(_("The status was not changed."), problems)
    if idea.status == "merged":
        raise NotAllowed(_("A merged idea leaves that status only when its merge is undone."))
    if idea.withdrawn_at is not None:
        raise NotAllowed(_("The author withdrew this idea."))
    before = idea.status
    idea.status = status
    idea.status_changed_at = idea.updated_at = utcnow()
    entry = add_timeline_entry(actor, idea, "status", before, status, note)
    db.session.flush()
    publish(StatusChanged(actor, idea, before, status, note, entry.note_html))


def timeline_of(idea_id: Any) -> Select[Any]:
    """A select of the idea's history, oldest first (`idea_id` may be a bind parameter)."""
    return (select(TimelineEntry).where(TimelineEntry.idea_id == idea_id)
            .order_by(TimelineEntry.created_at, TimelineEntry.id))


def history_of(idea: Idea) -> list[TimelineEntry]:
    """The idea's timeline entries, oldest first, from a statement built once."""
    return list(db.session.execute(_history(), {"idea_id": idea.id}).scalars().all())


@lru_cache(maxsize=1)
def _history() -> Select[Any]:
    return timeline_of(bindparam("idea_id"))
