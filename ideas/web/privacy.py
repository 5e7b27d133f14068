"""Private mode: one gate in front of every request, with an explicit list of what stays open.

Signed-out visitors of a private site reach only the endpoints below; everything else sends them to
sign in (pages), answers 404 (feeds without a valid personal token) or 401 (the JSON API without a
key). The API authenticates its keys itself, so the gate lets a request carrying one through.
"""
from typing import Any

from flask import Flask, abort, has_request_context, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from ..access import access_rules, feed_token, member_from_feed_token
from ..site_settings import settings_snapshot
from .auth_loader import send_to_sign_in

# Signing in and up, the links emails carry, what those pages need to look right, health checks.
PUBLIC_ENDPOINTS = frozenset({
    "static",
    "health.healthz", "health.readyz",
    "auth.login", "auth.logout", "auth.signup", "auth.forgot_password", "auth.reset_password",
    "auth.confirm",
    "access.request_code", "access.enter_code", "access.accept_invitation",
    "sso.start", "sso.callback",
    "product_sign_in.sign_in",  # where the company's product sends its customers, token in hand
    "notifications.unsubscribe",
    "branding.logo", "branding.stylesheet",
    "text_length.count",  # the sign-up form's counter; it counts the caller's own text, nothing else
})
# Open to a signed-out visitor whose URL carries a valid personal feed token (?token=...).
FEED_ENDPOINTS = frozenset({"feeds.ideas", "feeds.roadmap", "feeds.changelog", "feeds.idea"})
API_PREFIX = "/api/"
PRIVATE_MESSAGE = _l("This site is private: sign in to continue.")


def register_access(app: Flask) -> None:
    """The gate that guards every request of a private site (its pages are registered with the rest)."""
    from . import access

    app.before_request(guard_private_site)
    app.url_defaults(personal_feed_urls)
    app.jinja_env.globals.update(access_rules=access_rules, personal_feed_links=access.personal_feed_links)


def guard_private_site() -> Response | None:
    """Let the request through, or refuse a signed-out visitor of a private site."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return None  # unknown URLs end as 404 whatever the mode
    if current_user.is_authenticated or settings_snapshot()["private_mode"] != "1":
        return None
    if endpoint in FEED_ENDPOINTS:
        if member_from_feed_token(request.args.get("token")) is None:
            abort(404)
        return None
    if request.path.startswith(API_PREFIX):
        if request.headers.get("Authorization"):
            return None  # the API checks the key and answers 401 itself when it is wrong
        response = jsonify(error={"code": "unauthorized",
                                  "message": "This site is private: authenticate with an API key."})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    return send_to_sign_in(str(PRIVATE_MESSAGE))


def personal_feed_urls(endpoint: str, values: dict[str, Any]) -> None:
    """On a private site, the feed links a member's pages show carry their feed token, so a feed
    reader that finds them (<link rel="alternate">) can read them."""
    if (endpoint in FEED_ENDPOINTS and "token" not in values and has_request_context()
            and current_user.is_authenticated and settings_snapshot()["private_mode"] == "1"):
        values["token"] = feed_token(current_user)
