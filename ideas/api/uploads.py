"""Screenshots: uploading one by its own request, to show with an idea (POST /ideas `attachments`)."""
from flask import Response, current_app, request
from flask_login import current_user

from ..attachments import PENDING_HOURS, PER_POST, upload
from ..extensions import db, limiter
from ..images import MAX_BYTES, MAX_PIXELS
from ..web.plumbing import accepts_body_up_to
from .responses import created
from .serializers import attachment_json
from .spec import operation


@operation("POST", "/attachments", summary="Upload a screenshot", group="Ideas", access="member",
           upload=("image", f"A PNG, JPEG or WebP image of at most {MAX_BYTES // (1024 * 1024)} MB and "
                            f"{MAX_PIXELS // 1_000_000} megapixels."),
           response="Attachment", status=201, headers={"Location": "The stored image."},
           description="The image is re-encoded (metadata and location dropped, at most 2,000 px on the "
                       "long side) and waits for a post: give its id in `attachments` when proposing an "
                       f"idea (at most {PER_POST} a post). Until then only the uploader may fetch it; "
                       f"unposted after {PENDING_HOURS} hours it is removed. Anything that is not really "
                       "such an image (SVG, GIF, a file that is also an archive or a page) is refused "
                       "with 422. Rate limited per member (RATELIMIT_UPLOAD); the request may be larger "
                       "than other requests (UPLOAD_MAX_CONTENT_LENGTH).")
@accepts_body_up_to("UPLOAD_MAX_CONTENT_LENGTH")
@limiter.limit(lambda: current_app.config["RATELIMIT_UPLOAD"])
def upload_attachment() -> Response:
    """Keep one image as the asking member's pending upload."""
    chosen = request.files.get("image")
    data = chosen.stream.read(MAX_BYTES + 1) if chosen is not None else b""
    attachment = upload(current_user, data, (chosen.filename or "") if chosen is not None else "")
    db.session.commit()
    body = attachment_json(attachment)
    return created(body, body["url"])
