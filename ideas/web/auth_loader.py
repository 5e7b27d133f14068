"""How Flask-Login finds the member behind a session or remember-me cookie."""
import logging
from urllib.parse import urlsplit

from flask import Request, Response, current_app, flash, g, redirect, request, session
from flask_babel import gettext
from flask_login import login_url
from werkzeug.wrappers import Response as BaseResponse


from .. import signins
from ..database import note_after_answer
from ..extensions import htmx, login_manager
from ..models import User
from .plumbing import judged_by_api_key, member_for_api_key
from .responses import see_other

log = logging.getLogger(__name__)


def load_user(user_id: str) -> User | None:
    """`user_id` is a session key (ideas.signins): a session signed out, run out or of a suspended
    member loads nobody, and one ended from another browser is told so. An API request with a key
    is judged by the key alone, never the cookie."""
    if judged_by_api_key():
        return member_for_api_key()
    found = signins.find(user_id)
    if found is None:
        if signins.ended_early(user_id):
            forget_ended_session()
        return None
    g.signed_in_session_id = found.session_id
    g.signed_in_remember = found.remember
    if found.seen_due:
        g.session_seen_due = True
    return found.member


def forget_ended_session() -> None:
    """This browser's session was ended from elsewhere: say so once, on the next page, and forget its
    key here, so later requests neither look it up nor say it again. Only the cookies change.

    Flask-Login's logout_user would ask for the member being loaded right now, so its steps are
    taken here: the key leaves the session and the remember-me cookie is marked to go, which also
    keeps Flask-Login from trying that cookie's copy of the same key in this request. They come
    before the words: choosing the words' language asks for current_user, which would load this
    key again while it is still there."""
    for name in ("_user_id", "_fresh", "_id"):
        session.pop(name, None)
    if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        session["_remember"] = "clear"
    flash(gettext("You were signed out: this session was ended from another browser or by a "
                  "password change. Sign in again to go on."), "info")


def load_user_from_request(_request: Request) -> User | None:
    """Flask-Login's `request_loader`, asked when no session names a member: on the API, the owner
    of the key the request presents."""
    return member_for_api_key() if judged_by_api_key() else None


def note_session_seen(response: Response) -> Response:
    """Write the session's "last seen" once the answer is made (at most every few minutes), in a
    transaction of its own that takes the write lock first: a page that only reads stays so until
    its answer is ready, and a busy database costs the visitor nothing but this note."""
    if g.pop("session_seen_due", False):
        session_id = g.signed_in_session_id
        note_after_answer(lambda: signins.mark_seen(session_id), f"that session {session_id} was seen")
    return response


def unauthorized() -> BaseResponse:
    """Send signed-out visitors to sign in, and back here afterwards."""
    return send_to_sign_in(gettext("Sign in to do that."))


def send_to_sign_in(message: str) -> BaseResponse:
    """To the sign-in page with `message`, and back here afterwards (GET) or to the page the form was
    on (a POST cannot be replayed). htmx is told to go there as a whole page."""
    flash(message, login_manager.login_message_category)
    back = request.full_path if request.method == "GET" else (request.referrer or "/")
    target = login_url(login_manager.login_view, next_url=_local(back))
    if htmx:
        return see_other(target)
    return redirect(target)


def _local(url: str) -> str:
    """Only the path and query of `url`, so `next` never leads off the site."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return path + (f"?{parts.query}" if parts.query else "")
