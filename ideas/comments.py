"""Discussing ideas. A deleted comment leaves "comment deleted" in the thread."""
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from flask_login import AnonymousUserMixin
from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, select
from sqlalchemy.orm import joinedload

from flask_babel import gettext as _

from .i18n import format_count
from .accounts import ensure_can_participate
from .attachments import attach, check_attachable
from .database import add_to_counter
from .errors import InvalidInput, NotAllowed
from .extensions import db
from .events import CommentPosted, OfficialResponse, ReplyPosted
from .events.publish import publish
from .following import follow_for_reply, join_followers
from .links import external_url
from .mentions import notify_mentions
from .models import COMMENT_MAX, Comment, Idea, User, utcnow
from .sanitize import render_markdown
from .visibility import is_staff, moderates

EDIT_WINDOW = timedelta(minutes=15)


def _clean_body(body: str | None) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput(_("Write a comment."), {"body": _("Write something first.")})
    if len(body) > COMMENT_MAX:
        raise InvalidInput(_("Too long."), {"body": _("Keep comments to %(limit)s characters.",
                                                      limit=format_count(COMMENT_MAX))})
    if "\x00" in body:
        raise InvalidInput(_("Invalid text."), {"body": _("The text holds characters that cannot be "
                                                          "stored.")})
    return body


def add_comment(author: User, idea: Idea, body: str, internal: bool = False,
                official: bool = False, parent: Comment | None = None,
                attachment_ids: Sequence[int] = ()) -> Comment:
    """Comment on an idea; the author of the comment follows the idea.

    Staff may instead write an internal note (staff-only, not counted, follows nothing) or an
    official response (public, pinned under the description). With `parent` it is a reply, one
    level deep (replying to a reply answers its comment): a reply to an internal note is one
    too, and the one replying follows the idea's activity unless they chose otherwise.
    `attachment_ids` are the author's screenshots waiting for a post, posted with it.
    """
    ensure_can_participate(author)
    if parent is not None:
        parent = replied_to(author, idea, parent)
        internal = internal or parent.internal
    if (internal or official) and not author.is_staff:
        raise NotAllowed(_("Only the product team writes internal notes and official responses."))
    if internal and official:
        raise InvalidInput(_("Choose one."),
                           {"body": _("An official response is public; an internal note is not.")})
    if not internal and not takes_comments(idea):
        raise NotAllowed(_("This idea no longer takes comments."))
    body = _clean_body(body)
    check_attachable(author, attachment_ids)
    now = utcnow()
    comment = Comment(
        idea_id=idea.id, author=author, body=body, body_html=render_markdown(body), created_at=now,
        internal=internal, official=official, parent_id=parent.id if parent is not None else None,
    )
    db.session.add(comment)
    db.session.flush()
    images = tuple(external_url("attachments.image", attachment_id=image.id)
                   for image in attach(author, attachment_ids, comment=comment)) if attachment_ids else ()
    if internal:
        notify_mentions(author, idea, comment, images)  # staff only: the notice quotes the note
        return comment
    add_to_counter(idea, "comment_count", +1, updated_at=now)
    if parent is not None:
        follow_for_reply(author, idea)
    else:
        join_followers(author, idea, reason="comment")
    db.session.flush()
    if official:
        publish(OfficialResponse(author, idea, comment, images))
    elif parent is not None:
        publish(ReplyPosted(author, idea, comment, parent, images))
    else:
        publish(CommentPosted(author, idea, comment, images))
    notify_mentions(author, idea, comment, images)  # after the comment's own event, whose notice it replaces
    return comment


def takes_comments(idea: Idea) -> bool:
    """False once the idea is withdrawn or merged: no public comment or reply (staff notes still)."""
    return idea.withdrawn_at is None and idea.status != "merged"


def replied_to(author: User, idea: Idea, parent: Comment) -> Comment:
    """The comment a reply to `parent` goes under: `parent`, or the comment it replies to (one
    level). Refused when it is on another idea, deleted, or not one `author` may read."""
    if parent.idea_id != idea.id:
        raise InvalidInput(_("That comment is not on this idea."),
                           {"body": _("Reply to a comment of this discussion.")})
    if parent.parent_id is not None:
        parent = db.session.get_one(Comment, parent.parent_id)
    if parent.deleted_at is not None:
        raise NotAllowed(_("That comment was deleted: add to the discussion instead."))
    if not may_read(author, idea, parent):
        raise NotAllowed(_("You cannot reply to that comment."))
    return parent


def may_read(reader: User | AnonymousUserMixin, idea: Idea, comment: Comment) -> bool:
    """True when `reader` sees `comment` in the idea's thread (the rule _visible_on writes in SQL)."""
    reading = _reading(reader, idea)
    return ((reading == "staff" or not comment.internal)
            and (reading != "public" or comment.hidden_at is None))


def can_edit_comment(member: User | AnonymousUserMixin, comment: "Comment | ThreadComment") -> bool:
    """Authors may edit a comment for 15 minutes after posting it."""
    return (
        can_delete_comment(member, comment)
        and utcnow() - comment.created_at <= EDIT_WINDOW
    )


def can_delete_comment(member: User | AnonymousUserMixin, comment: "Comment | ThreadComment") -> bool:
    """Authors may delete their own comment at any time."""
    return (
        member.is_authenticated
        and comment.author_id == member.id
        and comment.deleted_at is None
    )


def edit_comment(member: User | AnonymousUserMixin, comment: Comment, body: str | None) -> None:
    """The author corrects their comment within the edit window."""
    if not can_edit_comment(member, comment):
        raise NotAllowed(_("Comments can be edited by their author for 15 minutes."))
    body = _clean_body(body)
    comment.body = body
    comment.body_html = render_markdown(body)
    comment.edited_at = utcnow()
    db.session.flush()


def delete_comment(member: User | AnonymousUserMixin, comment: Comment) -> None:
    """The author removes their comment; the thread keeps a "comment deleted" marker."""
    if not can_delete_comment(member, comment):
        raise NotAllowed(_("Only the author can delete this comment."))
    was_counted = comment.counts_as_public
    comment.deleted_at = utcnow()
    comment.body = ""
    comment.body_html = ""
    db.session.flush()
    if was_counted:
        add_to_counter(db.session.get(Idea, comment.idea_id), "comment_count", -1)


def _visible_on(idea_id: int | BindParameter[int], reading: str) -> list[ColumnElement[bool]]:
    """The conditions for the idea's comments a reader may see: internal notes exist only for
    staff, hidden comments for staff and the board's moderators (`reading`: "staff",
    "moderator" or "public"). `idea_id` may be a bound parameter."""
    conditions = [Comment.idea_id == idea_id]
    if reading != "staff":
        conditions.append(Comment.internal.is_(False))
    if reading == "public":
        conditions.append(Comment.hidden_at.is_(None))
    return conditions


def _reading(viewer: User | AnonymousUserMixin, idea: Idea) -> str:
    """How much of a discussion `viewer` reads: "staff", "moderator" (of the idea's board) or "public"."""
    if is_staff(viewer):
        return "staff"
    return "moderator" if moderates(viewer, idea) else "public"


THREAD_ORDER = (Comment.created_at, Comment.id)


def comments_on(idea: Idea, viewer: User | AnonymousUserMixin) -> Select[Comment]:
    """A select of the idea's comments `viewer` may see, oldest first.

    Of the authors only the names are loaded (what a thread shows)."""
    return (select(Comment).where(*_visible_on(idea.id, _reading(viewer, idea)))
            .options(joinedload(Comment.author, innerjoin=True).load_only(User.id, User.name))
            .order_by(*THREAD_ORDER))


class CommentAuthor(NamedTuple):
    id: int
    name: str


class ThreadComment(NamedTuple):
    """A comment as the idea page's thread shows it, with the same attribute names as Comment
    (a named tuple: fifty of them are built for every view of a long discussion)."""

    id: int
    idea_id: int
    author_id: int
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None
    internal: bool
    official: bool
    parent_id: int | None
    author: CommentAuthor


def thread_of(idea: Idea, viewer: User | AnonymousUserMixin) -> list[ThreadComment]:
    """comments_on's comments as ThreadComments: plain rows, not ORM objects (loading fifty
    comments and their authors as objects was about a fifth of an idea page's time)."""
    rows = db.session.execute(_thread(_reading(viewer, idea)), {"idea_id": idea.id})
    return [ThreadComment(*row[:-1], CommentAuthor(row[2], row[-1])) for row in rows]


@lru_cache(maxsize=None)
def _thread(reading: str) -> Select[int, int, int, str, datetime, datetime | None, datetime | None,
                                  datetime | None, bool, bool, int | None, str]:
    """thread_of's statement for each way of reading (`_reading`), built once."""
    return (select(Comment.id, Comment.idea_id, Comment.author_id, Comment.body_html, Comment.created_at,
                   Comment.edited_at, Comment.deleted_at, Comment.hidden_at, Comment.internal,
                   Comment.official, Comment.parent_id, User.name)
            .join(User, User.id == Comment.author_id).where(*_visible_on(bindparam("idea_id"), reading))
            .order_by(*THREAD_ORDER))


def hidden_stand_in(parent_id: int, replies: Sequence[ThreadComment]) -> ThreadComment:
    """What stands for a comment the reader may not see above its replies: hidden, by no one,
    placed just before its first reply."""
    first = replies[0]
    return ThreadComment(parent_id, first.idea_id, 0, "", first.created_at, None, None, first.created_at,
                         False, False, None, CommentAuthor(0, ""))


def official_in(thread: Sequence[ThreadComment]) -> ThreadComment | None:
    """The newest official response among a thread's comments (oldest first, as thread_of gives
    them), or None: what official_response answers, without a query, for a page that has the thread."""
    for comment in reversed(thread):
        if comment.official and comment.deleted_at is None and comment.hidden_at is None:
            return comment
    return None


def official_response(idea: Idea) -> Comment | None:
    """The newest official response on the idea, or None."""
    return db.session.execute(
        select(Comment).where(Comment.idea_id == idea.id, Comment.official.is_(True),
                              Comment.deleted_at.is_(None), Comment.hidden_at.is_(None))
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(1)
    ).scalar()
