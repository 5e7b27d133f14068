"""Screenshots on ideas and comments: uploading, attaching to a post, and tidying up.

Each image comes by its own request (so the site-wide request limit stays small) and waits,
visible to its uploader only, until a post it is ticked on is saved: a post refused with a 422,
or shown as a preview, keeps its uploads because they live here, not in a file input. Uploads
not attached within PENDING_HOURS are removed by the worker (`remove_stale`).

What an image may be is ideas/images.py; who may see one is ideas/attachment_access.py (it asks
the comments' rules, and the comments may attach images, so it cannot live here).
"""
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, Select, delete, func, or_, select, update

from .accounts import ensure_can_participate
from .errors import InvalidInput, NotAllowed
from .extensions import db
from .images import THUMBNAIL_TYPE, clean_image
from .models import Attachment, Comment, Idea, User, utcnow
from .storage import file_storage

PER_POST = 6
PENDING_PER_MEMBER = 20
PENDING_HOURS = 24
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


class AttachmentRow(NamedTuple):
    """An attached image as pages, the API and emails show it (a plain row: its own cache key)."""

    id: int
    idea_id: int | None
    comment_id: int | None
    position: int
    content_type: str
    width: int
    height: int
    thumbnail_width: int
    thumbnail_height: int


class PostImages(NamedTuple):
    """`attachments_of`'s answer: each post's images in order, by idea id and by comment id."""

    ideas: dict[int, list[AttachmentRow]]
    comments: dict[int, list[AttachmentRow]]


def _pending(member: User, now: datetime) -> Select[Attachment]:
    """The member's uploads not attached to a post and not yet stale, oldest first."""
    return (select(Attachment)
            .where(Attachment.uploader_id == member.id, Attachment.idea_id.is_(None),
                   Attachment.comment_id.is_(None),
                   Attachment.created_at > now - timedelta(hours=PENDING_HOURS))
            .order_by(Attachment.created_at, Attachment.id))


def pending_uploads(member: User) -> list[Attachment]:
    """The member's uploads waiting for a post (younger than PENDING_HOURS), oldest first."""
    return list(db.session.execute(_pending(member, utcnow())).scalars())


def upload(uploader: User, data: bytes, declared_name: str = "") -> Attachment:
    """Check and re-encode an image (ideas/images.py) and keep it, with its thumbnail, as one of
    the uploader's pending uploads. `declared_name` is the name the browser gave: never trusted
    (the bytes decide what the file is), only said back in messages."""
    ensure_can_participate(uploader)
    waiting = db.session.scalar(select(func.count()).select_from(_pending(uploader, utcnow()).subquery()))
    if (waiting or 0) >= PENDING_PER_MEMBER:
        message = _("You have %(count)s screenshots waiting for a post: post them or remove some first.",
                    count=PENDING_PER_MEMBER)
        raise InvalidInput(message, {"image": message})
    image = clean_image(data)
    token = secrets.token_urlsafe(24)
    storage_key = f"attachments/{token}.{EXTENSIONS[image.content_type]}"
    thumbnail_key = f"attachments/{token}-thumbnail.{EXTENSIONS[THUMBNAIL_TYPE]}"
    storage = file_storage()
    storage.put(storage_key, image.data, image.content_type)
    storage.put(thumbnail_key, image.thumbnail, THUMBNAIL_TYPE)
    attachment = Attachment(
        uploader_id=uploader.id, content_type=image.content_type, width=image.width, height=image.height,
        byte_size=len(image.data), storage_key=storage_key, thumbnail_key=thumbnail_key,
        thumbnail_width=image.thumbnail_width, thumbnail_height=image.thumbnail_height,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def _wanted(ids: Iterable[int]) -> list[int]:
    """`ids` once each, in the order given."""
    return list(dict.fromkeys(int(attachment_id) for attachment_id in ids))


def _claimable(uploader: User, ids: Sequence[int], already: int) -> list[Attachment]:
    """The uploader's pending uploads of `ids`, in that order; InvalidInput when one is not theirs
    to attach (someone else's, attached already, removed) or the post would hold more than PER_POST."""
    if already + len(ids) > PER_POST:
        message = _("A post may have at most %(count)s screenshots.", count=PER_POST)
        raise InvalidInput(message, {"attachments": message})
    if not ids:
        return []
    found = {attachment.id: attachment for attachment in db.session.execute(
        _pending(uploader, utcnow()).where(Attachment.id.in_(ids))).scalars()}
    if len(found) != len(ids):
        message = _("A screenshot is no longer waiting for a post; upload it again.")
        raise InvalidInput(message, {"attachments": message})
    return [found[attachment_id] for attachment_id in ids]


def check_attachable(uploader: User, ids: Iterable[int]) -> None:
    """InvalidInput unless `ids` may go on a new post (`attach` would take them): called before the
    post is written, so a refusal leaves nothing behind."""
    _claimable(uploader, _wanted(ids), 0)


def attach(uploader: User, ids: Iterable[int], *, idea: Idea | None = None,
           comment: Comment | None = None) -> list[Attachment]:
    """Put the uploader's pending uploads `ids` on `idea` or `comment`, after the images it has
    (at most PER_POST in all). Everything is checked before anything changes."""
    if (idea is None) == (comment is None):
        raise ValueError("attach to one idea or one comment")
    wanted = _wanted(ids)
    if not wanted:
        return []
    post: Idea | Comment = idea if idea is not None else comment  # type: ignore[assignment]
    if post.author_id != uploader.id:
        raise NotAllowed(_("Only the author adds screenshots to a post."))
    on_post = Attachment.idea_id == post.id if idea is not None else Attachment.comment_id == post.id
    already = db.session.scalar(select(func.count(Attachment.id)).where(on_post)) or 0
    chosen = _claimable(uploader, wanted, already)
    target = {"idea_id": idea.id if idea is not None else None,
              "comment_id": comment.id if comment is not None else None, "attached_at": utcnow()}
    for position, attachment in enumerate(chosen, start=already):
        # Only while it still waits: two posts sent at once cannot both take the same upload.
        taken = db.session.execute(
            update(Attachment).where(Attachment.id == attachment.id, Attachment.idea_id.is_(None),
                                     Attachment.comment_id.is_(None))
            .values(**target, position=position))
        if cast(CursorResult, taken).rowcount != 1:
            message = _("A screenshot is no longer waiting for a post; upload it again.")
            raise InvalidInput(message, {"attachments": message})
    db.session.flush()
    return chosen


def remove_upload(member: User, attachment: Attachment) -> None:
    """The uploader takes back an upload that waits for a post (attached ones go with their post)."""
    attached = attachment.idea_id is not None or attachment.comment_id is not None
    if attachment.uploader_id != member.id or attached:
        raise NotAllowed(_("Only your own screenshots waiting for a post can be removed here."))
    file_storage().delete([attachment.storage_key, attachment.thumbnail_key])
    db.session.delete(attachment)
    db.session.flush()


def remove_stale(now: datetime | None = None) -> int:
    """Delete uploads left unattached for PENDING_HOURS, and their stored files; how many went.
    Run by the worker's periodic pass (ideas/delivery/loop.py)."""
    cutoff = (now or utcnow()) - timedelta(hours=PENDING_HOURS)
    stale = db.session.execute(
        select(Attachment.id, Attachment.storage_key, Attachment.thumbnail_key)
        .where(Attachment.idea_id.is_(None), Attachment.comment_id.is_(None), Attachment.created_at <= cutoff)
    ).all()
    if not stale:
        return 0
    file_storage().delete([key for row in stale for key in (row.storage_key, row.thumbnail_key)])
    db.session.execute(delete(Attachment).where(Attachment.id.in_([row.id for row in stale])),
                       execution_options={"synchronize_session": False})
    db.session.flush()
    return len(stale)


def attachments_of(*, idea_ids: Iterable[int] = (), comment_ids: Iterable[int] = ()) -> PostImages:
    """The images attached to these ideas and comments, in one query, each post's in order."""
    idea_ids, comment_ids = list(idea_ids), list(comment_ids)
    images = PostImages({}, {})
    conditions = []
    if idea_ids:
        conditions.append(Attachment.idea_id.in_(idea_ids))
    if comment_ids:
        conditions.append(Attachment.comment_id.in_(comment_ids))
    if not conditions:
        return images
    rows = db.session.execute(
        select(Attachment.id, Attachment.idea_id, Attachment.comment_id, Attachment.position,
               Attachment.content_type, Attachment.width, Attachment.height, Attachment.thumbnail_width,
               Attachment.thumbnail_height)
        .where(or_(*conditions)).order_by(Attachment.position, Attachment.id))
    for row in rows:
        image = AttachmentRow(*row)
        if image.idea_id is not None:
            images.ideas.setdefault(image.idea_id, []).append(image)
        elif image.comment_id is not None:
            images.comments.setdefault(image.comment_id, []).append(image)
    return images
