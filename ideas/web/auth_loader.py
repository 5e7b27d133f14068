"""How Flask-Login finds the member behind a session or remember-me cookie."""
import hmac
from urllib.parse import urlsplit

from flask import flash, redirect, request
from flask_babel import gettext
from flask_login import login_url

from ..extensions import db, htmx, login_manager
from ..models import User
from .responses import see_other


def load_user(user_id):
    """`user_id` is "id:session_token"; an old token (password changed) loads nobody."""
    member_id, _, token = (user_id or "").partition(":")
    if not member_id.isdigit() or not token:
        return None
    member = db.session.get(User, int(member_id))
    if member is None or not hmac.compare_digest(member.session_token, token):
        return None
    if member.suspended_at is not None:  # a suspension ends sessions already open
        return None
    return member


def unauthorized():
    """Send signed-out visitors to sign in, and back here afterwards."""
    return send_to_sign_in(gettext("Sign in to do that."))


def send_to_sign_in(message):
    """To the sign-in page with `message`, and back here afterwards (GET) or to the page the form was
    on (a POST cannot be replayed). htmx is told to go there as a whole page."""
    flash(message, login_manager.login_message_category)
    back = request.full_path if request.method == "GET" else (request.referrer or "/")
    target = login_url(login_manager.login_view, next_url=_local(back))
    if htmx:
        return see_other(target)
    return redirect(target)


def _local(url):
    """Only the path and query of `url`, so `next` never leads off the site."""
    parts = urlsplit(url)
    path = parts.path or "/"
    return path + (f"?{parts.query}" if parts.query else "")
