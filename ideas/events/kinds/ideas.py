"""The kinds of an idea's life: proposed, moved between statuses, commented on, merged (and
unmerged), voted for, withdrawn, corrected by staff."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _, lazy_gettext as _l

from ...sanitize import markdown_text
from ..registry import Answer, Audience, AuditEntry, EventKind, Payload, Webhook, register, status_name
from .common import (
    FOLLOWERS, Updated, both_ideas_scope, idea_link, idea_scope, register_audited, register_updated, title_of,
)

if TYPE_CHECKING:
    from ...models import Comment, Idea, User


def survivor_link(idea_id: int | None, data: Payload) -> tuple[str, dict[str, Any]]:
    """A merge notice leads to the idea that lives on, not to the duplicate that was closed."""
    if data.get("into_id"):
        return "ideas.show", {"idea_id": data["into_id"]}
    return idea_link(idea_id, data)


def board_link(idea_id: int | None, data: Payload) -> tuple[str, dict[str, Any]]:
    """The board: for ideas whose page only staff may open (withdrawn)."""
    return "board.index", {}


# An idea is proposed: webhooks only.

@dataclass(frozen=True)
class IdeaCreated:
    """A member proposed `idea`."""

    actor: User
    idea: Idea


register(EventKind(
    name="idea_created", event_type=IdeaCreated,
    webhook=Webhook("idea.created", _l("An idea is proposed"), lambda event: {"idea": event.idea}),
    priority=idea_scope,
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
    statuses = dict(old=status_name(data.get("old_status")), new=status_name(data.get("new_status")))
    if note := markdown_text(data.get("note")):
        return _("moved from %(old)s to %(new)s: “%(note)s”", note=note, **statuses)
    return _("moved from %(old)s to %(new)s", **statuses)


def _status_subject(data: Payload) -> str:
    return _("“%(title)s” is now %(status)s", title=title_of(data),
             status=status_name(data.get("new_status")))


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
    stale=("idea", "board", "roadmap"), answer=Answer(status=lambda event: event.new),
))


# Comments and official responses: both quote the comment and share one webhook.

# A public comment or reply answers its idea for the team when staff wrote it.
TEAM_COMMENT = Answer(by_team=lambda event: event.actor.is_staff)
COMMENT_CREATED = Webhook("comment.created", _l("A public comment or official response is posted"),
                          lambda event: {"idea": event.idea, "comment": event.comment})


@dataclass(frozen=True)
class CommentEvent:
    """`comment` on `idea`: each kind below says which."""

    actor: User
    idea: Idea
    comment: Comment
    # The addresses of the screenshots posted with it: emails link them (readers of the post only).
    images: tuple[str, ...] = ()


class CommentPosted(CommentEvent):
    """A public comment: only followers who chose all activity hear of it."""


class OfficialResponse(CommentEvent):
    """The team's official response: every follower hears of it."""


def _quoted_comment(event: "CommentEvent | Mentioned") -> Payload:
    """The comment as it read when posted."""
    return {"comment_id": event.comment.id, "body": event.comment.body, "body_html": event.comment.body_html,
            "images": list(event.images)}


def _comment_summary(data: Payload) -> str:
    """Who commented, quoting the comment as plain words."""
    name = data.get("author_name") or _("Someone")
    if body := markdown_text(data.get("body")):
        return _("%(name)s commented: “%(body)s”", name=name, body=body)
    return _("%(name)s commented", name=name)


def _response_summary(data: Payload) -> str:
    """The team's response, quoted as plain words."""
    if body := markdown_text(data.get("body")):
        return _("the team responded: “%(body)s”", body=body)
    return _("the team responded")


def _register_comment_kind(name: str, event_type: type, audience: Audience,
                           payload: Callable[[Any], Payload], summary: Callable[[Payload], str],
                           subject: Callable[[Payload], str], answer: Answer) -> None:
    """A kind that quotes its comment, leads to the idea and fires the shared webhook."""
    register(EventKind(name=name, event_type=event_type, audience=audience, payload=payload,
                       summary=summary, subject=subject, quote="body", link=idea_link,
                       webhook=COMMENT_CREATED, stale=("idea", "board"), answer=answer))


_register_comment_kind(
    "comment", CommentPosted, Audience(followers=True, level="all"),
    lambda event: {**_quoted_comment(event), "author_name": event.actor.name}, _comment_summary,
    lambda data: _("“%(title)s” has a new comment", title=title_of(data)), TEAM_COMMENT)
_register_comment_kind(
    "official_response", OfficialResponse, FOLLOWERS, _quoted_comment, _response_summary,
    lambda data: _("“%(title)s” has an official response", title=title_of(data)), Answer())


# Mentions: the members a comment names by @handle (ideas/mentions.py chooses them). No webhook
# (comment.created fires for the comment) and nothing goes stale.

@dataclass(frozen=True)
class Mentioned:
    """`comment` on `idea` mentions the members of `mentioned_ids` (the audience reads them)."""

    actor: User
    idea: Idea
    comment: Comment
    mentioned_ids: tuple[int, ...]
    images: tuple[str, ...] = ()


def comment_link(idea_id: int | None, data: Payload) -> tuple[str, dict[str, Any]]:
    """The comment in its place on the idea's page."""
    endpoint, values = idea_link(idea_id, data)
    if idea_id is not None and data.get("comment_id"):
        values = {**values, "_anchor": f"comment-{data['comment_id']}"}
    return endpoint, values


def _mention_summary(data: Payload) -> str:
    """Who mentioned the reader, quoting the comment as plain words."""
    name = data.get("author_name") or _("Someone")
    if body := markdown_text(data.get("body")):
        return _("%(name)s mentioned you: “%(body)s”", name=name, body=body)
    return _("%(name)s mentioned you", name=name)


register(EventKind(
    name="mentioned", event_type=Mentioned, audience=Audience(mentioned=True),
    payload=lambda event: {**_quoted_comment(event), "author_name": event.actor.name},
    summary=_mention_summary,
    subject=lambda data: _("%(name)s mentioned you on “%(title)s”",
                           name=data.get("author_name") or _("Someone"), title=title_of(data)),
    template="email/events/mentioned", quote="body", link=comment_link,
))


# Merging, and undoing a merge (staff work the audit log keeps)

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
    subject=lambda data: _("“%(title)s” was merged", title=title_of(data)),
    link=survivor_link,
    webhook=Webhook("idea.merged", _l("An idea is merged into another"),
                    lambda event: {"source": event.idea, "target": event.into}),
    audit=AuditEntry("idea.merged", lambda event: (
        event.idea, {"status": event.old},
        {"status": "merged", "into": event.into.id, "votes_moved": event.votes_moved,
         "votes_removed": event.votes_removed})),
    stale=("idea", "board", "roadmap"), priority=both_ideas_scope,
    answer=Answer(),  # merging a duplicate is the team's answer to it
))


@dataclass(frozen=True)
class IdeaUnmerged:
    """Staff undid the merge of `idea` into `into`: it is `status` again, with `votes_back` votes
    carried back from `into` and `votes_restored` removed ones restored."""

    actor: User
    idea: Idea
    into: Idea
    status: str
    votes_back: int = 0
    votes_restored: int = 0


register_audited("unmerged", IdeaUnmerged, "idea.unmerged", lambda event: (
    event.idea, {"status": "merged", "into": event.into.id},
    {"status": event.status, "votes_back": event.votes_back, "votes_restored": event.votes_restored}),
    both_ideas_scope)


# Votes: webhooks only.

@dataclass(frozen=True)
class VoteCast:
    """`actor` backs `idea`; `cast_by` is the staff member who recorded it for them, if any."""

    actor: User
    idea: Idea
    cast_by: User | None = None
    importance: str | None = None


register(EventKind(
    name="vote_created", event_type=VoteCast,
    webhook=Webhook("vote.created", _l("A vote is cast"),
                    lambda event: {"idea": event.idea, "voter": event.actor, "cast_by": event.cast_by,
                                   "importance": event.importance}),
    priority=idea_scope,
))


@dataclass(frozen=True)
class VoteWithdrawn:
    """`actor` took back their vote for `idea`. Nobody is told; its priority is recomputed."""

    actor: User
    idea: Idea


register(EventKind(name="vote_withdrawn", event_type=VoteWithdrawn, priority=idea_scope))


@dataclass(frozen=True)
class VoteImportanceChanged:
    """`actor`, who backs `idea`, changed how much it matters from `old` to `new` (None: not said).
    Not a new vote; the private note never travels with it."""

    actor: User
    idea: Idea
    old: str | None
    new: str | None


register(EventKind(
    name="vote_importance_changed", event_type=VoteImportanceChanged,
    webhook=Webhook("vote.importance_changed", _l("A backer changes how much an idea matters"),
                    lambda event: {"idea": event.idea, "voter": event.actor, "old_importance": event.old,
                                   "importance": event.new}),
    priority=idea_scope,
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
    subject=lambda data: _("“%(title)s” was withdrawn", title=title_of(data)),
    link=board_link, stale=("idea", "board", "roadmap"),
))


# Staff correcting an idea: the audit log keeps the fields before and after.

def edited_view(idea: Idea) -> Payload:
    """What the audit log keeps of an idea staff edit: what the edit form changes."""
    return {"title": idea.title, "description": idea.description, "kind": idea.kind,
            "tags": [tag.name for tag in idea.tags]}


class IdeaEditedByStaff(Updated["Idea"]):
    """Staff changed an idea's title, description, kind or tags."""


register_updated("idea_edited", IdeaEditedByStaff, "idea.edited", edited_view)


# Staff weighing an idea: impact and effort (1–5), which its priority score reads.

@dataclass(frozen=True)
class IdeaWeighed:
    """Staff set `idea`'s impact or effort: `before` and `after` hold both (None: not set)."""

    actor: User
    idea: Idea
    before: Payload
    after: Payload


register_audited("idea_weighed", IdeaWeighed, "idea.weighed",
                 lambda event: (event.idea, event.before, event.after), idea_scope)
