"""Replies: a comment under another one, heard of by the idea's followers of all activity and
by the author of the comment replied to, whatever they follow."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, literal, select

from ...sanitize import markdown_text
from ..registry import Audience, EventKind, Payload, register
from .common import title_of
from .ideas import COMMENT_CREATED, TEAM_COMMENT, comment_link

if TYPE_CHECKING:
    from ...models import Comment, Idea, User


@dataclass(frozen=True)
class ReplyPosted:
    """`comment` on `idea` replies to `parent` (a public reply; internal ones tell nobody)."""

    actor: User
    idea: Idea
    comment: Comment
    parent: Comment
    images: tuple[str, ...] = ()

    @property
    def members(self) -> Select[Any]:
        """The author of the comment replied to (the registry never tells the actor)."""
        return select(literal(self.parent.author_id, Integer).label("user_id"))


def _payload(event: ReplyPosted) -> Payload:
    """The reply and, for the email's context, the comment it answers as they read when posted."""
    return {"comment_id": event.comment.id, "body": event.comment.body, "body_html": event.comment.body_html,
            "author_name": event.actor.name, "parent_id": event.parent.id,
            "parent_author_name": event.parent.author.name, "parent_body_html": event.parent.body_html,
            "images": list(event.images)}


def _summary(data: Payload) -> str:
    name = data.get("author_name") or _("Someone")
    parent = data.get("parent_author_name") or _("someone")
    if body := markdown_text(data.get("body")):
        return _("%(name)s replied to %(parent)s: “%(body)s”", name=name, parent=parent, body=body)
    return _("%(name)s replied to %(parent)s", name=name, parent=parent)


register(EventKind(
    name="reply", event_type=ReplyPosted, audience=Audience(followers=True, level="all", members=True),
    payload=_payload, summary=_summary,
    subject=lambda data: _("%(name)s replied on “%(title)s”", name=data.get("author_name") or _("Someone"),
                           title=title_of(data)),
    template="email/events/reply", quote="body", context_quote="parent_body", link=comment_link,
    webhook=COMMENT_CREATED,
    stale=("idea", "board"), answer=TEAM_COMMENT,
))
