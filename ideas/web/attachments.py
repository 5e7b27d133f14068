"""Screenshots: uploading one (its own request, with its own body limit), taking one back, and
serving the images to those who may see their post.

The upload form is separate from the post's form, so a refused upload never loses typed text;
with htmx it swaps the post's uploader block (`<post form id>-uploader`) in place, without
JavaScript it answers 303 back to `next`. The pending uploads' checkboxes belong to the post's
form through their `form` attribute (templates/attachments/_uploader.html).
"""
import re

from flask import Blueprint, Response, abort, current_app, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..attachment_access import can_see_attachment
from ..attachments import PER_POST, pending_uploads, remove_upload, upload
from ..errors import InvalidInput, NotAllowed
from ..extensions import db, limiter
from ..images import MAX_BYTES, MAX_PIXELS
from ..models import Attachment
from ..storage import file_storage
from .body_limits import accepts_body_up_to
from .plumbing import ID_MAX
from .responses import next_url, see_other, wants_fragment

bp = Blueprint("attachments", __name__)

# The id of the post form the uploads are for: a DOM id of ours, never anything else.
POST_FORM_ID = re.compile(r"[a-z][a-z0-9-]{0,39}")
DEFAULT_POST_FORM = "post-form"
# Images never change once stored (a new upload is a new id), so readers may keep them a while;
# only in their own browser, since who may see them depends on the reader.
IMAGE_MAX_AGE = 3600


@bp.app_template_global()
def upload_limits() -> dict[str, int]:
    """What the upload form's hint says: MB and megapixels per image, images per post."""
    return {"size": MAX_BYTES // (1024 * 1024), "pixels": MAX_PIXELS // 1_000_000, "count": PER_POST}


def _post_form() -> str:
    """The post form named by the request's `form_id`, or the default."""
    value = request.values.get("form_id", "")
    return value if POST_FORM_ID.fullmatch(value) else DEFAULT_POST_FORM


def _back() -> str:
    return next_url(url_for("board.index"))


def _uploader(post_form: str, error: str | None = None, status: int = 200) -> tuple[str, int]:
    """The post form's uploader block (pending uploads and the upload form), for htmx to swap."""
    return render_template("attachments/_uploader_block.html", uploads=pending_uploads(current_user),
                           post_form=post_form, next=_back(), error=error), status


@bp.post("/attachments")
@accepts_body_up_to("UPLOAD_MAX_CONTENT_LENGTH")
@login_required
@limiter.limit(lambda: current_app.config["RATELIMIT_UPLOAD"])
def create() -> ResponseReturnValue:
    """Upload one screenshot: it waits, ticked, beside the post form it was chosen for."""
    post_form = _post_form()
    chosen = request.files.get("image")
    data = chosen.stream.read(MAX_BYTES + 1) if chosen is not None and chosen.filename else b""
    try:
        upload(current_user, data, (chosen.filename or "") if chosen is not None else "")
    except InvalidInput as error:
        db.session.rollback()
        if wants_fragment(f"{post_form}-uploader"):
            return _uploader(post_form, error.message, 422)
        return render_template("attachments/refused.html", uploads=pending_uploads(current_user),
                               post_form=post_form, next=_back(), error=error.message), 422
    db.session.commit()
    if wants_fragment(f"{post_form}-uploader"):
        return _uploader(post_form)
    flash(_("Screenshot uploaded. It is posted with what you write next."), "success")
    return see_other(_back())


@bp.post("/attachments/<id:attachment_id>/remove")
@login_required
def remove(attachment_id: int) -> ResponseReturnValue:
    """Take back one of your screenshots that waits for a post."""
    attachment = _load(attachment_id)
    try:
        remove_upload(current_user, attachment)
    except NotAllowed:
        abort(404)  # someone else's, or on a post already: nothing to say about it
    db.session.commit()
    post_form = _post_form()
    if wants_fragment(f"{post_form}-uploader"):
        return _uploader(post_form)
    return see_other(_back())


@bp.get("/attachments/<id:attachment_id>/image")
def image(attachment_id: int) -> Response:
    """The image, to readers who may see its post (404 for everyone else)."""
    attachment = _visible(attachment_id)
    return _served(attachment.storage_key)


@bp.get("/attachments/<id:attachment_id>/thumbnail")
def thumbnail(attachment_id: int) -> Response:
    """The image's thumbnail, to readers who may see its post."""
    attachment = _visible(attachment_id)
    return _served(attachment.thumbnail_key)


def _load(attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id) if attachment_id <= ID_MAX else None
    if attachment is None:
        abort(404)
    return attachment


def _visible(attachment_id: int) -> Attachment:
    """The attachment, or 404 when it is missing or its post is hidden from this reader."""
    attachment = _load(attachment_id)
    if not can_see_attachment(current_user, attachment):
        abort(404)
    return attachment


def _served(key: str) -> Response:
    """The stored file with its own type, in a sandbox: opened on its own it can run nothing."""
    stored = file_storage().get(key)
    if stored is None:
        abort(404)
    data, content_type = stored
    response = current_app.response_class(data, mimetype=content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    response.cache_control.private = True
    response.cache_control.max_age = IMAGE_MAX_AGE
    return response
