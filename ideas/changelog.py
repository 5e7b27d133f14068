"""The changelog: the team tells customers what became of their ideas.

Publishing an entry can mark its ideas shipped in the same transaction, and tells each
follower of those ideas once, with the entry's title and id. Announcements, the team's other
way to tell followers, live in ideas/announcements.py.
"""
import string
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from typing import cast

from sqlalchemy import CursorResult, Select, delete, func, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from flask_babel import gettext as _

from .i18n import format_count
from . import audit
from .errors import Conflict, InvalidInput
from .extensions import db
from .models import (
    ENTRY_TITLE_MAX, ChangelogEntry, Event, Follow, Idea, OutboxRow, User, changelog_entry_ideas, utcnow,
)
from .models.types import INTEGER_MAX as ID_MAX
from .events import (
    ChangelogEntryCreated, ChangelogEntryPublished, ChangelogEntryUpdated, ChangelogPublished, entry_view,
)
from .events.publish import publish
from .notifications import followers_of
from .status_list import category_of, first_of
from .statuses import change_status
from .sanitize import render_markdown
from .visibility import is_public

ENTRY_BODY_MAX = 20_000
LINKED_IDEAS_MAX = 50


# Reading

def published_entries() -> Select[ChangelogEntry]:
    """A select of the published entries, newest first, with their ideas."""
    return (select(ChangelogEntry).where(ChangelogEntry.published_at.is_not(None))
            .options(selectinload(ChangelogEntry.ideas))
            .order_by(ChangelogEntry.published_at.desc(), ChangelogEntry.id.desc()))


def draft_entries() -> Select[ChangelogEntry]:
    """A select of the unpublished entries, newest first (staff only see them)."""
    return (select(ChangelogEntry).where(ChangelogEntry.published_at.is_(None))
            .options(selectinload(ChangelogEntry.ideas))
            .order_by(ChangelogEntry.created_at.desc(), ChangelogEntry.id.desc()))


def shipped_in(idea: Idea) -> ChangelogEntry | None:
    """The published entry that shipped the idea (the newest linking it), or None: ideas in a done
    status only."""
    if category_of(idea.status) != "done":
        return None
    return db.session.execute(
        select(ChangelogEntry)
        .join(changelog_entry_ideas, changelog_entry_ideas.c.entry_id == ChangelogEntry.id)
        .where(changelog_entry_ideas.c.idea_id == idea.id, ChangelogEntry.published_at.is_not(None))
        .order_by(ChangelogEntry.published_at.desc(), ChangelogEntry.id.desc()).limit(1)
    ).scalar()


# Checking what staff typed

def unlinkable_reason(idea: Idea | None, number: int) -> str | None:
    """Why the idea may not be linked or announced to, or None when it may."""
    if idea is None:
        return _("There is no idea #%(number)s.", number=number)
    if idea.status == "merged":
        return _("#%(number)s was merged into #%(into)s: use that one.", number=number,
                 into=idea.merged_into_id)
    if idea.withdrawn_at is not None:
        return _("#%(number)s was withdrawn by its author.", number=number)
    if not is_public(idea):
        # The changelog is public: it must not show an idea only staff may see.
        return _("#%(number)s is not public.", number=number)
    return None


def linkable_ideas(idea_ids: Iterable[int]) -> list[Idea]:
    """The ideas with these numbers, in that order; InvalidInput naming each one that cannot be linked."""
    idea_ids = list(dict.fromkeys(idea_ids))
    if len(idea_ids) > LINKED_IDEAS_MAX:
        raise InvalidInput(_("Too many ideas."), {"ideas": _("Link at most %(limit)s ideas.",
                                                             limit=LINKED_IDEAS_MAX)})
    possible = [number for number in idea_ids if 0 < number <= ID_MAX]
    found = {idea.id: idea for idea in db.session.execute(
        select(Idea).where(Idea.id.in_(possible))).scalars()} if possible else {}
    problems = [problem for number in idea_ids
                if (problem := unlinkable_reason(found.get(number), number)) is not None]
    if problems:
        raise InvalidInput(_("Some ideas cannot be linked."), {"ideas": " ".join(problems)})
    return [found[number] for number in idea_ids]


def _clean_entry(title: str | None, body: str | None) -> tuple[str, str]:
    title = " ".join((title or "").split())
    body = (body or "").strip()
    problems: dict[str, str] = {}
    if not title or len(title) > ENTRY_TITLE_MAX or "\x00" in title:
        problems["title"] = _("Give the entry a title of 1 to %(limit)s characters.", limit=ENTRY_TITLE_MAX)
    if len(body) > ENTRY_BODY_MAX or "\x00" in body:
        problems["body"] = _("Keep the text to %(limit)s characters.", limit=format_count(ENTRY_BODY_MAX))
    if problems:
        raise InvalidInput(_("The entry was not saved."), problems)
    return title, body


def _publication_moment(day: date | None, now: datetime) -> datetime:
    """When an entry dated `day` counts as published: now for today (or no date), else midday UTC."""
    # "Today" where the writer is may already be tomorrow in UTC: one day of grace.
    if day is not None and day > now.date() + timedelta(days=1):
        raise InvalidInput(_("The entry was not saved."),
                           {"date": _("Choose today or an earlier date: entries cannot wait to appear.")})
    if day is None or day >= now.date():
        return now
    return datetime.combine(day, time(12), timezone.utc)


# Writing entries

def create_entry(actor: User, title: str | None, body: str | None,
                 idea_ids: Iterable[int] = ()) -> ChangelogEntry:
    """A new draft entry linking the ideas it delivers. Staff only."""
    audit.require_staff(actor)
    title, body = _clean_entry(title, body)
    ideas = linkable_ideas(idea_ids)
    now = utcnow()
    entry = ChangelogEntry(title=title, body=body, body_html=render_markdown(body), author_id=actor.id,
                           ideas=ideas, created_at=now, updated_at=now)
    db.session.add(entry)
    db.session.flush()
    publish(ChangelogEntryCreated(actor, entry))
    return entry


def update_entry(actor: User, entry: ChangelogEntry, title: str | None, body: str | None,
                 idea_ids: Iterable[int] = (), day: date | None = None, mark_shipped: bool = False,
                 link: str | None = None) -> None:
    """Change an entry. On a published one, ideas newly linked are delivered as publishing would."""
    audit.require_staff(actor)
    title, body = _clean_entry(title, body)
    ideas = linkable_ideas(idea_ids)
    now = utcnow()
    moment = _publication_moment(day, now) if day is not None else None
    before = entry_view(entry)
    if entry.published_at is not None and moment is not None and day != entry.published_at.date():
        entry.published_at = moment
    told = [idea.id for idea in entry.ideas]
    added = [idea for idea in ideas if idea.id not in told]
    entry.title, entry.body, entry.body_html = title, body, render_markdown(body)
    entry.ideas = ideas
    entry.updated_at = now
    db.session.flush()
    publish(ChangelogEntryUpdated(actor, entry, before))
    if entry.is_published and added:
        _deliver(actor, entry, added, told, mark_shipped, link)


def publish_entry(actor: User, entry: ChangelogEntry, day: date | None = None, mark_shipped: bool = False,
                  link: str | None = None) -> None:
    """Publish a draft: optionally ship its ideas and tell their followers of it.

    `link` is where the entry is read; the shipped ideas' timeline note links there.

    The draft is claimed with one conditional UPDATE, so a double click or two people
    publishing at once publish (and notify) once; the loser gets Conflict.
    """
    audit.require_staff(actor)
    now = utcnow()
    moment = _publication_moment(day, now)
    claimed = cast(CursorResult, db.session.execute(
        update(ChangelogEntry)
        .where(ChangelogEntry.id == entry.id, ChangelogEntry.published_at.is_(None))
        .values(published_at=moment, updated_at=now),
        execution_options={"synchronize_session": False},
    )).rowcount
    if claimed != 1:
        raise Conflict(_("This entry is already published."))
    set_committed_value(entry, "published_at", moment)
    set_committed_value(entry, "updated_at", now)
    publish(ChangelogEntryPublished(actor, entry, bool(mark_shipped)))
    _deliver(actor, entry, list(entry.ideas), (), mark_shipped, link)


def shipped_note(entry: ChangelogEntry, link: str | None = None) -> str:
    """The public timeline note for ideas an entry ships: its title, linked when `link` is given."""
    # Backslash-escape punctuation so a title is shown as typed, never read as Markdown.
    title = "".join("\\" + ch if ch in string.punctuation else ch for ch in entry.title)
    if link:
        return f"Shipped: see [{title}]({link}) in the changelog."
    return f"Shipped: see “{title}” in the changelog."


def _deliver(actor: User, entry: ChangelogEntry, ideas: list[Idea], told_idea_ids: Iterable[int],
             mark_shipped: bool, link: str | None) -> None:
    """Mark `ideas` shipped when asked, then tell their followers of the entry, each member once.

    change_status keeps the one rule for statuses (timeline, audit, its event), but its
    "status changed" news would reach the same followers as the changelog news for the same
    step; the changelog news says more (the entry and its link), so the status rows it queued
    are withdrawn before commit. The event itself stays on record.
    """
    shipped = []
    done = first_of("done")  # the admins' first done status: shipped, by default
    if mark_shipped and done is not None:
        for idea in ideas:
            if category_of(idea.status) != "done":
                change_status(actor, idea, done, shipped_note(entry, link))
                shipped.append(idea.id)
    if shipped:
        _withdraw_status_news(shipped)
    # One event per idea, so each member reads of an idea they follow (its title, its link);
    # a member following several linked ideas is told with the first of them only.
    told = list(told_idea_ids)
    for idea in sorted(ideas, key=lambda idea: idea.id):
        members = followers_of([idea.id])
        if told:
            earlier = followers_of(told).correlate(None)
            members = members.where(Follow.user_id.not_in(earlier))
        publish(ChangelogPublished(actor, idea, entry, members, shipped=idea.id in shipped))
        told.append(idea.id)


def _withdraw_status_news(idea_ids: list[int]) -> None:
    """Drop the members' outbox rows of the status change each idea just had in this transaction.

    Our status change updated the idea's row first, which holds its lock (PostgreSQL) or the
    write lock (SQLite) until commit, so the newest status event of each idea is ours.
    """
    ours = (select(func.max(Event.id)).where(Event.kind == "status_changed", Event.idea_id.in_(idea_ids))
            .group_by(Event.idea_id))
    db.session.execute(delete(OutboxRow).where(OutboxRow.event_id.in_(ours)),
                       execution_options={"synchronize_session": False})


def delivered_ideas(entry: ChangelogEntry) -> list[Idea]:
    """The ideas a published entry shows as delivered: public ones only, to everyone alike."""
    return [idea for idea in entry.ideas if is_public(idea)]
