"""The kinds of news the team sends: changelog entries (written, published, delivered to the
followers of the ideas they ship) and announcements. Both name their audience themselves."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

from ...i18n import long_date
from ...sanitize import markdown_text
from ..registry import Audience, AuditEntry, EventKind, Payload, register
from .common import (
    Created, Updated, own_page_or_idea, register_audited, register_created, register_updated, title_of,
)

if TYPE_CHECKING:
    from sqlalchemy import Select

    from ...models import Announcement, ChangelogEntry, Idea, User


# Writing and publishing entries: staff work the audit log keeps.

def entry_view(entry: ChangelogEntry) -> Payload:
    """What the audit log keeps of an entry: its title and the ideas it links."""
    return {"title": entry.title, "ideas": [idea.id for idea in entry.ideas]}


class ChangelogEntryCreated(Created["ChangelogEntry"]):
    """Staff wrote a draft entry."""


class ChangelogEntryUpdated(Updated["ChangelogEntry"]):
    """Staff changed an entry (a published one too)."""


@dataclass(frozen=True)
class ChangelogEntryPublished:
    """Staff published `entry`, shipping its ideas when `mark_shipped`."""

    actor: User
    entry: ChangelogEntry
    mark_shipped: bool = False


register_created("changelog_created", ChangelogEntryCreated, "changelog.created", entry_view)
register_updated("changelog_updated", ChangelogEntryUpdated, "changelog.updated", entry_view)
register_audited("changelog_published", ChangelogEntryPublished, "changelog.published",
                 lambda event: (event.entry, {}, {"published_at": event.entry.published_at,
                                                  "mark_shipped": event.mark_shipped}))


# Delivering an entry, and announcements: each names its audience itself.

@dataclass(frozen=True)
class ChangelogPublished:
    """An entry delivers `idea`; `members` selects the followers not told of the entry yet."""

    actor: User
    idea: Idea
    entry: ChangelogEntry
    members: Select[Any]
    shipped: bool = False


register(EventKind(
    name="changelog", event_type=ChangelogPublished, audience=Audience(members=True),
    payload=lambda event: {"entry_title": event.entry.title, "entry_id": event.entry.id,
                           "shipped": event.shipped},
    summary=lambda data: _("shipped, in “%(title)s”", title=data.get("entry_title", "")),
    subject=lambda data: _("“%(title)s” shipped", title=title_of(data)),
    link=own_page_or_idea("changelog.show", "entry_id"),
))


@dataclass(frozen=True)
class Announced:
    """Staff sent `announcement` to `members` (the followers of its idea, or of its tag's ideas)."""

    actor: User
    idea: Idea | None
    members: Select[Any]
    announcement: Announcement


def _announcement_payload(event: Announced) -> Payload:
    """What the news said: the message, where it is read, the tag (its title, for a tag's
    followers), the kind it was narrowed to and the day expected."""
    sent = event.announcement
    payload: Payload = {"message": sent.message, "message_html": sent.message_html,
                        "announcement_id": sent.id}
    if sent.tag_name:
        payload.update(title=f"#{sent.tag_name}", tag=sent.tag_name)
    if sent.idea_kind:
        payload["idea_kind"] = sent.idea_kind
    if sent.expected_on:
        payload["expected_on"] = sent.expected_on.isoformat()
    return payload


def _announcement_audit(event: Announced) -> tuple[Announcement, Payload, Payload]:
    """Whom the announcement was for, how many it reached and what it said."""
    sent = event.announcement
    return sent, {}, {"target": sent.target, "idea": sent.idea_id, "tag": sent.tag_name,
                      "kind": sent.idea_kind, "expected_on": sent.expected_on,
                      "recipients": sent.recipient_count, "message": sent.message}


def expected_day(data: Payload) -> str:
    """The day an announcement expects, in the reader's words ("3 March 2027"), or ""."""
    if not data.get("expected_on"):
        return ""
    return long_date(datetime.fromisoformat(data["expected_on"]))


def _announcement_summary(data: Payload) -> str:
    """The message as plain words (never raw Markdown), with the day expected; without the
    message (an HTML email shows it as HTML), the day alone."""
    message = markdown_text(data.get("message"))
    if not data.get("expected_on"):
        return message
    if not message:
        return _("Expected: %(day)s", day=expected_day(data))
    return _("%(message)s (expected %(day)s)", message=message, day=expected_day(data))


def _announcement_subject(data: Payload) -> str:
    """"News about #delivery" for a tag's followers, "News about “Title”" for an idea's."""
    if data.get("tag"):
        return _("News about #%(tag)s", tag=data["tag"])
    return _("News about “%(title)s”", title=title_of(data))


register(EventKind(
    name="announcement", event_type=Announced, audience=Audience(members=True),
    payload=_announcement_payload, summary=_announcement_summary, subject=_announcement_subject,
    quote="message", template="email/events/announcement",
    link=own_page_or_idea("announcements.show", "announcement_id"),
    audit=AuditEntry("announcement.sent", _announcement_audit),
))
