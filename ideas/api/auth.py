"""Who is asking: an API key in `Authorization: Bearer`, else the session cookie.

A request that sends an Authorization header is judged by it alone: a bad, revoked or
suspended member's key gets 401 and never falls back to the cookie. A key-authenticated
request neither reads nor writes the session, and needs no CSRF token (a browser cannot be
made to send the header). A cookie-authenticated request that changes data is CSRF-checked
like any form, with the token in the `X-CSRFToken` header.
"""
from flask import Response, abort, current_app, request, session
from flask_login import current_user

from ..api_keys import key_use_due, record_key_use
from ..database import writing
from ..extensions import csrf, db
from ..models import ApiKey
from ..web.plumbing import judged_by_api_key, request_api_key
from .blueprint import bp

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@bp.before_request
def authenticate() -> None:
    """Decide who is asking before any view of the API runs."""
    if not judged_by_api_key():
        _check_session_request()
        return
    key = request_api_key()
    if key is None:
        abort(401, "The API key is missing, wrong or revoked.")
    # Flask-Login found the key's owner (web.auth_loader): nothing is written to the session.
    if key_use_due(key):
        _record_use(key)


def _record_use(key: ApiKey) -> None:
    """Write `last_used_at` in a short transaction of its own, holding SQLite's write lock from its
    start (a read request would otherwise have to upgrade its read lock midway)."""
    db.session.commit()
    with writing():
        if record_key_use(key):
            db.session.commit()
        else:
            db.session.rollback()


def _check_session_request() -> None:
    """A request without a key: reads are open; changes need a signed-in member and the CSRF token."""
    if request.method not in UNSAFE_METHODS or request.endpoint is None:
        return
    if not current_user.is_authenticated:
        abort(401, "Send an API key (Authorization: Bearer …) or sign in.")
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()


@bp.after_request
def keep_out_of_shared_caches(response: Response) -> Response:
    """Answers depend on who asks (their key or cookie): personal ones are never stored. Judged
    by what the request carries, not by loading the member: a 503 for a busy database must not
    wait for it again."""
    response.vary.update(("Authorization", "Cookie"))
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    personal = ("Authorization" in request.headers or "_user_id" in session
                or remember_cookie in request.cookies)
    response.headers.setdefault("Cache-Control", "no-store" if personal else "no-cache")
    return response
