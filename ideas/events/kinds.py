"""The event kinds of Ideas: one typed event and one registry entry each.

A rule builds the typed event after its flush and publishes it (ideas/events/publish.py).
Summaries and subjects read the stored payload, in the reader's language at reading time.
Models appear here only as types: this module must import without the models (see registry).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _, lazy_gettext as _l

from ..i18n import STATUS_NAMES, long_date
from ..sanitize import markdown_text
from .registry import Audience, AuditEntry, EventKind, Payload, Webhook, register

if TYPE_CHECKING:
    from sqlalchemy import Select

    from ..models import Announcement, ChangelogEntry, Comment, Idea, User

FOLLOWERS = Audience(followers=True)


def idea_link(idea_id: int | None, data: Payload) -> tuple[str, dict[str, Any]]:
    """The idea's page; without one, the board (filtered by the event's tag, if it names one)."""
    if idea_id is not None:
        return "ideas.show", {"idea_id": idea_id}
    return "board.index", {"tag": data["tag"]} if data.get("tag") else {}


def survivor_link(idea_id: int | None, data: Payload) -> tuple[str, dict[str, Any]]:
    """A merge notice leads to the idea that lives on, not to the duplicate that was closed."""
    if data.get("into_id"):
        return "ideas.show", {"idea_id": data["into_id"]}
    return idea_link(idea_id, data)


def board_link(idea_id: int | None, data: Payload) -> tuple[str, dict[str, Any]]:
    """The board: for ideas whose page only staff may open (withdrawn)."""
    return "board.index", {}


def _title(data: Payload) -> str:
    return data.get("title", "")


# An idea is proposed: webhooks only.

@dataclass(frozen=True)
class IdeaCreated:
    """A member proposed `idea`."""

    actor: User
    idea: Idea


register(EventKind(
    name="idea_created", event_type=IdeaCreated,
    webhook=Webhook("idea.created", _l("An idea is proposed"), lambda event: {"idea": event.idea}),
))


# Status changes

@dataclass(frozen=True)
class StatusChanged:
    """Staff moved `idea` from `old` to `new` with a public note (its HTML from the timeline)."""

    actor: User
    idea: Idea
    old: str
    new: str
    note: str = ""
    note_html: str = ""


def _status_summary(data: Payload) -> str:
    """The move, quoting the note as plain words (its Markdown read, not shown)."""
    statuses = dict(old=STATUS_NAMES.get(data.get("old_status", ""), "?"),
                    new=STATUS_NAMES.get(data.get("new_status", ""), "?"))
    if note := markdown_text(data.get("note")):
        return _("moved from %(old)s to %(new)s: “%(note)s”", note=note, **statuses)
    return _("moved from %(old)s to %(new)s", **statuses)


def _status_subject(data: Payload) -> str:
    return _("“%(title)s” is now %(status)s", title=_title(data),
             status=STATUS_NAMES.get(data.get("new_status", ""), "?"))


register(EventKind(
    name="status_changed", event_type=StatusChanged, audience=FOLLOWERS,
    payload=lambda event: {"old_status": event.old, "new_status": event.new, "note": event.note,
                           "note_html": event.note_html},
    summary=_status_summary, subject=_status_subject, quote="note", link=idea_link,
    webhook=Webhook("idea.status_changed", _l("An idea's status changes"),
                    lambda event: {"idea": event.idea, "old_status": event.old, "new_status": event.new,
                                   "note": event.note}),
    audit=AuditEntry("idea.status_changed", lambda event: (
        event.idea, {"status": event.old}, {"status": event.new, "note": event.note})),
    stale=("idea", "board", "roadmap"),
))


# Comments and official responses share one webhook.

COMMENT_CREATED = Webhook("comment.created", _l("A public comment or official response is posted"),
                          lambda event: {"idea": event.idea, "comment": event.comment})


@dataclass(frozen=True)
class CommentPosted:
    """A public comment on `idea`: only followers who chose all activity hear of it."""

    actor: User
    idea: Idea
    comment: Comment


def _comment_summary(data: Payload) -> str:
    """Who commented, quoting the comment as plain words."""
    name = data.get("author_name") or _("Someone")
    if body := markdown_text(data.get("body")):
        return _("%(name)s commented: “%(body)s”", name=name, body=body)
    return _("%(name)s commented", name=name)


register(EventKind(
    name="comment", event_type=CommentPosted, audience=Audience(followers=True, level="all"),
    payload=lambda event: {"comment_id": event.comment.id, "body": event.comment.body,
                           "body_html": event.comment.body_html, "author_name": event.actor.name},
    summary=_comment_summary, quote="body",
    subject=lambda data: _("“%(title)s” has a new comment", title=_title(data)),
    link=idea_link, webhook=COMMENT_CREATED, stale=("idea", "board"),
))


@dataclass(frozen=True)
class OfficialResponse:
    """The team's official response on `idea`: every follower hears of it."""

    actor: User
    idea: Idea
    comment: Comment


def _response_summary(data: Payload) -> str:
    """The team's response, quoted as plain words."""
    if body := markdown_text(data.get("body")):
        return _("the team responded: “%(body)s”", body=body)
    return _("the team responded")


register(EventKind(
    name="official_response", event_type=OfficialResponse, audience=FOLLOWERS,
    payload=lambda event: {"comment_id": event.comment.id, "body": event.comment.body,
                           "body_html": event.comment.body_html},
    summary=_response_summary, quote="body",
    subject=lambda data: _("“%(title)s” has an official response", title=_title(data)),
    link=idea_link, webhook=COMMENT_CREATED, stale=("idea", "board"),
))


# Merging

@dataclass(frozen=True)
class IdeaMerged:
    """Staff merged `idea` (whose status was `old`) into `into`; the counts are the votes carried."""

    actor: User
    idea: Idea
    into: Idea
    old: str
    votes_moved: int = 0
    votes_removed: int = 0


register(EventKind(
    name="merged", event_type=IdeaMerged, audience=FOLLOWERS,
    payload=lambda event: {"into_id": event.into.id, "into_title": event.into.title},
    summary=lambda data: _("merged into #%(id)s “%(title)s”: you now follow that idea, and the votes "
                           "count there", id=data.get("into_id"), title=data.get("into_title", "")),
    subject=lambda data: _("“%(title)s” was merged", title=_title(data)),
    link=survivor_link,
    webhook=Webhook("idea.merged", _l("An idea is merged into another"),
                    lambda event: {"source": event.idea, "target": event.into}),
    audit=AuditEntry("idea.merged", lambda event: (
        event.idea, {"status": event.old},
        {"status": "merged", "into": event.into.id, "votes_moved": event.votes_moved,
         "votes_removed": event.votes_removed})),
    stale=("idea", "board", "roadmap"),
))


# Votes: webhooks only.

@dataclass(frozen=True)
class VoteCast:
    """`actor` backs `idea`; `cast_by` is the staff member who recorded it for them, if any."""

    actor: User
    idea: Idea
    cast_by: User | None = None


register(EventKind(
    name="vote_created", event_type=VoteCast,
    webhook=Webhook("vote.created", _l("A vote is cast"),
                    lambda event: {"idea": event.idea, "voter": event.actor, "cast_by": event.cast_by}),
))


# Withdrawing

@dataclass(frozen=True)
class IdeaWithdrawn:
    """The author took `idea` back; its backers hear of it."""

    actor: User
    idea: Idea


register(EventKind(
    name="withdrawn", event_type=IdeaWithdrawn, audience=Audience(backers=True),
    summary=lambda data: _("its author withdrew it"),
    subject=lambda data: _("“%(title)s” was withdrawn", title=_title(data)),
    link=board_link, stale=("idea", "board", "roadmap"),
))


# The changelog and announcements name their audience themselves.

@dataclass(frozen=True)
class ChangelogPublished:
    """An entry delivers `idea`; `members` selects the followers not told of the entry yet."""

    actor: User
    idea: Idea
    entry: ChangelogEntry
    members: Select[Any]
    shipped: bool = False


def _changelog_link(idea_id: int | None, data: Payload) -> tuple[str, dict[str, Any]]:
    if data.get("entry_id"):
        return "changelog.show", {"entry_id": data["entry_id"]}
    return idea_link(idea_id, data)


register(EventKind(
    name="changelog", event_type=ChangelogPublished, audience=Audience(members=True),
    payload=lambda event: {"entry_title": event.entry.title, "entry_id": event.entry.id,
                           "shipped": event.shipped},
    summary=lambda data: _("shipped, in “%(title)s”", title=data.get("entry_title", "")),
    subject=lambda data: _("“%(title)s” shipped", title=_title(data)),
    link=_changelog_link,
))


@dataclass(frozen=True)
class Announced:
    """Staff tell `members` (an idea's followers, or a tag's) `message`; the `announcement` sent
    adds its page, tag, kind and expected day to the stored payload."""

    actor: User
    idea: Idea | None
    members: Select[Any]
    message: str
    message_html: str
    announcement: Announcement | None = None


def _announcement_payload(event: Announced) -> Payload:
    """What the news said: the message, where it is read, the tag (its title, for a tag's
    followers), the kind it was narrowed to and the day expected."""
    payload: Payload = {"message": event.message, "message_html": event.message_html}
    sent = event.announcement
    if sent is not None:
        payload["announcement_id"] = sent.id
        if sent.tag_name:
            payload.update(title=f"#{sent.tag_name}", tag=sent.tag_name)
        if sent.idea_kind:
            payload["idea_kind"] = sent.idea_kind
        if sent.expected_on:
            payload["expected_on"] = sent.expected_on.isoformat()
    return payload


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
    return _("News about “%(title)s”", title=_title(data))


def _announcement_link(idea_id: int | None, data: Payload) -> tuple[str, dict[str, Any]]:
    """The announcement's own page (events from before it had one: the idea or the tag)."""
    if data.get("announcement_id"):
        return "announcements.show", {"announcement_id": data["announcement_id"]}
    return idea_link(idea_id, data)


register(EventKind(
    name="announcement", event_type=Announced, audience=Audience(members=True),
    payload=_announcement_payload, summary=_announcement_summary, subject=_announcement_subject,
    quote="message", template="email/events/announcement", link=_announcement_link,
))
