"""Statuses and the timeline: staff move ideas through the roadmap with a public note."""
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from . import audit
from .errors import InvalidInput, NotAllowed
from .extensions import db
from .models import KINDS, STATUSES, Idea, Tag, TimelineEntry, utcnow
from .notifications import notify_followers
from .proposals import clean_fields
from .sanitize import render_markdown
from .webhooks import queue_webhooks

NOTE_MAX = 5_000
SETTABLE_STATUSES = tuple(status for status in STATUSES if status != "merged")
ROADMAP_COLUMNS = ("under_review", "planned", "in_progress", "shipped")
SHIPPED_RECENT = timedelta(days=90)
COLUMN_LIMIT = 50  # cards per column; the rest are a link to the filtered board away


def add_timeline_entry(actor, idea, action, from_status=None, to_status=None, note="",
                       related_idea=None):
    """Append one step to the idea's history."""
    entry = TimelineEntry(
        idea_id=idea.id, actor_id=actor.id, action=action, from_status=from_status,
        to_status=to_status, note=note, note_html=render_markdown(note) if note else "",
        related_idea_id=related_idea.id if related_idea is not None else None, created_at=utcnow(),
    )
    db.session.add(entry)
    return entry


def change_status(actor, idea, status, note=""):
    """Move the idea to `status` with a public note (required to decline). Staff only."""
    audit.require_staff(actor)
    note = (note or "").strip()
    problems = {}
    if status not in SETTABLE_STATUSES:
        problems["status"] = "Choose one of the statuses on the list."
    elif status == idea.status:
        problems["status"] = f"The idea is already {idea.status_label.lower()}."
    if status == "declined" and not note:
        problems["note"] = "Say why the idea is declined: customers will read this reason."
    if len(note) > NOTE_MAX or "\x00" in note:
        problems["note"] = f"Keep the note to {NOTE_MAX:,} characters of plain text."
    if problems:
        raise InvalidInput("The status was not changed.", problems)
    if idea.status == "merged":
        raise NotAllowed("A merged idea leaves that status only when its merge is undone.")
    if idea.withdrawn_at is not None:
        raise NotAllowed("The author withdrew this idea.")
    before = idea.status
    now = utcnow()
    idea.status = status
    idea.status_changed_at = idea.updated_at = now
    entry = add_timeline_entry(actor, idea, "status", before, status, note)
    audit.record(actor, "idea.status_changed", idea, {"status": before},
                 {"status": status, "note": note})
    notify_followers("status_changed", actor, idea, old_status=before, new_status=status,
                     note=note, note_html=entry.note_html)
    queue_webhooks("idea.status_changed",
                   {"idea": idea, "old_status": before, "new_status": status, "note": note})
    db.session.flush()


def edit_idea_as_staff(actor, idea, title, description, kind, tag_ids=()):
    """Staff clarify an idea; the page says so and the audit log keeps before and after."""
    audit.require_staff(actor)
    title, description, kind, tags = clean_fields(title, description, kind, tag_ids)
    fields = ("title", "description", "kind")
    before = {**audit.snapshot(idea, *fields), "tags": [tag.name for tag in idea.tags]}
    idea.title, idea.description, idea.kind, idea.tags = title, description, kind, tags
    idea.description_html = render_markdown(description)
    idea.staff_edited_at = idea.updated_at = utcnow()
    after = {**audit.snapshot(idea, *fields), "tags": [tag.name for tag in tags]}
    add_timeline_entry(actor, idea, "staff_edit")
    audit.record(actor, "idea.edited", idea, before, after)
    db.session.flush()


def timeline_of(idea):
    """A select of the idea's history, oldest first."""
    return (select(TimelineEntry).where(TimelineEntry.idea_id == idea.id)
            .order_by(TimelineEntry.created_at, TimelineEntry.id))


def _roadmap_ideas(kind=None, tag=None, now=None):
    """A select of the ideas on the public roadmap; shipped only for the last 90 days."""
    now = now or utcnow()
    statement = (
        select(Idea)
        .where(Idea.status.in_(ROADMAP_COLUMNS), Idea.withdrawn_at.is_(None),
               Idea.hidden_at.is_(None), Idea.awaiting_approval.is_(False))
        .where((Idea.status != "shipped") | (Idea.status_changed_at >= now - SHIPPED_RECENT))
    )
    if kind in KINDS:
        statement = statement.where(Idea.kind == kind)
    if tag:
        statement = statement.where(Idea.tags.any(Tag.name == tag))
    return statement


def roadmap_columns(kind=None, tag=None, now=None, limit=COLUMN_LIMIT):
    """{status: [ideas]} for the public roadmap, most votes first, at most `limit` per column."""
    ideas = _roadmap_ideas(kind, tag, now).subquery()
    ranked = select(
        ideas.c.id,
        func.row_number().over(partition_by=ideas.c.status,
                               order_by=(ideas.c.vote_count.desc(), ideas.c.id.desc())).label("rank"),
    ).subquery()
    statement = (
        select(Idea).join(ranked, ranked.c.id == Idea.id).where(ranked.c.rank <= limit)
        .options(selectinload(Idea.tags)).order_by(Idea.vote_count.desc(), Idea.id.desc())
    )
    columns = {status: [] for status in ROADMAP_COLUMNS}
    for idea in db.session.execute(statement).scalars():
        columns[idea.status].append(idea)
    return columns


def roadmap_totals(kind=None, tag=None, now=None):
    """{status: how many ideas the column holds in all}, in one grouped query."""
    ideas = _roadmap_ideas(kind, tag, now).subquery()
    counts = dict(db.session.execute(
        select(ideas.c.status, func.count()).group_by(ideas.c.status)).all())
    return {status: counts.get(status, 0) for status in ROADMAP_COLUMNS}
