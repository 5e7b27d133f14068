"""The in-app inbox, the unread count in the header, and unsubscribing from emails."""
from typing import Any

from flask import Blueprint, Flask, abort, has_request_context, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..extensions import csrf, db
from ..models import Event
from ..notifications import inbox, link_target, mark_all_read, mark_read, payload_of, summary, unread_count
from ..unsubscribe import member_from_unsubscribe_token, unsubscribe as stop_emails
from .forms import ActionForm
from .plumbing import fetch_page, page_number
from .responses import see_other, wants_fragment

bp = Blueprint("notifications", __name__)

PER_PAGE = 30


@bp.get("/notifications")
@login_required
def index() -> str:
    """The member's notifications, newest first, unread marked."""
    number = page_number(request.args)
    page = fetch_page(inbox(current_user), number, PER_PAGE)
    return render_template("notifications/index.html", page=page, payload_of=payload_of, summary=summary,
                           link_of=link_of, action_form=ActionForm(), unread=unread_count(current_user))


def link_of(event: Event, data: dict[str, Any]) -> str:
    """Where a notification leads, as its kind's registry entry says: the inbox's links and
    `open_one`'s redirect share this one answer (emails use the same target on BASE_URL)."""
    endpoint, values = link_target(event, data)
    return url_for(endpoint, **values)


@bp.post("/notifications/<id:notification_id>/open")
@login_required
def open_one(notification_id: int) -> ResponseReturnValue:
    """Mark one notification read and go where it leads: a POST, so reading a page changes nothing."""
    notification = mark_read(current_user, notification_id)
    if notification is None:
        abort(404)
    db.session.commit()
    return see_other(link_of(notification.event, payload_of(notification.event)))


@bp.get("/notifications/count")
def count() -> str | Response:
    """The header's unread count; htmx polls it so it stays current."""
    if wants_fragment("notification-count") or not current_user.is_authenticated:
        return render_template("notifications/_count.html")
    return see_other(url_for("notifications.index"))


@bp.post("/notifications/read")
@login_required
def read_all() -> Response:
    """Mark every notification read."""
    mark_all_read(current_user)
    db.session.commit()
    return see_other(url_for("notifications.index"))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click POSTs come from mail clients; the signed token is the check
def unsubscribe(token: str) -> ResponseReturnValue:
    """GET shows one button (mail scanners open links); POST stops the emails."""
    member = member_from_unsubscribe_token(token)
    if member is None:
        return render_template("notifications/unsubscribe.html", member=None), 404
    if request.method == "POST":
        stop_emails(member)
        db.session.commit()
        return render_template("notifications/unsubscribe.html", member=member, done=True)
    return render_template("notifications/unsubscribe.html", member=member, done=False, token=token)


def register_header_count(app: Flask) -> None:
    """Give every page the signed-in member's unread count."""
    @app.context_processor
    def unread() -> dict[str, int]:
        # Emails are rendered by the worker, outside any request and without a member.
        if has_request_context() and current_user.is_authenticated:
            return {"unread_notifications": unread_count(current_user)}
        return {"unread_notifications": 0}


