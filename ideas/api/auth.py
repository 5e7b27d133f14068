"""Who is asking: an API key in `Authorization: Bearer`, else the session cookie.

A request that sends an Authorization header is judged by it alone: a bad, revoked or
suspended member's key gets 401 and never falls back to the cookie. A key-authenticated
request neither reads nor writes the session, and needs no CSRF token (a browser cannot be
made to send the header). A cookie-authenticated request that changes data is CSRF-checked
like any form, with the token in the `X-CSRFToken` header.
"""
from flask import abort, current_app, g, request
from flask_login import current_user

from ..api_keys import find_api_key, key_use_due, record_key_use
from ..database import writing
from ..extensions import address_key, csrf, db
from . import bp

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def presented_token():
    """The token of the Authorization header; "" when the header is not `Bearer <token>`; None
    when there is no header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def request_api_key():
    """The live key this request presents (looked up once per request), or None."""
    if "api_key" not in g:
        token = presented_token()
        g.api_key = find_api_key(token) if token else None
    return g.api_key


def api_rate_limit_key():
    """For the limiter, on the API: per key for a live key, per address for a bad one.

    None when the request is not an API request with an Authorization header (the usual
    per-member or per-address key applies); pages ignore the header, so it cannot buy a
    fresh allowance there.
    """
    if request.blueprint != bp.name or presented_token() is None:
        return None
    key = request_api_key()
    return f"apikey:{key.id}" if key is not None else address_key()


@bp.before_request
def authenticate():
    """Decide who is asking before any view of the API runs."""
    if presented_token() is None:
        _check_session_request()
        return
    key = request_api_key()
    if key is None:
        abort(401, "The API key is missing, wrong or revoked.")
    # Flask-Login's current user for this request only: nothing is written to the session.
    g._login_user = key.user
    if key_use_due(key):
        _record_use(key)


def _record_use(key):
    """Write `last_used_at` in a short transaction of its own, holding SQLite's write lock from its
    start (a read request would otherwise have to upgrade its read lock midway)."""
    db.session.commit()
    with writing():
        if record_key_use(key):
            db.session.commit()
        else:
            db.session.rollback()


def _check_session_request():
    """A request without a key: reads are open; changes need a signed-in member and the CSRF token."""
    if request.method not in UNSAFE_METHODS or request.endpoint is None:
        return
    if not current_user.is_authenticated:
        abort(401, "Send an API key (Authorization: Bearer …) or sign in.")
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()


@bp.after_request
def keep_out_of_shared_caches(response):
    """Answers depend on who asks (their key or cookie): personal ones are never stored."""
    response.vary.update(("Authorization", "Cookie"))
    personal = g.get("api_key") is not None or current_user.is_authenticated
    response.headers.setdefault("Cache-Control", "no-store" if personal else "no-cache")
    return response
