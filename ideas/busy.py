"""A database too busy to answer in time: what a request does before it says "try again" (503).

The pages (ideas.web.errors) and the JSON API (ideas.api.errors) answer in their own form; both
first settle the request here, so that the answer itself needs nothing from the database: the
lock that made the request fail would make its error page wait all over again.
"""
import logging

from flask import g, request

from .extensions import db, login_manager

log = logging.getLogger(__name__)

# How long the answer asks a person or a program to wait before trying again, in seconds.
RETRY_AFTER_SECONDS = 5


def settle_busy_request(error: Exception) -> None:
    """Roll back (nothing was changed), forget the member for the rest of the request (the
    rollback expired their row, and the after-request hooks would read it again), skip the
    session's "last seen" note (a write that would queue for the same lock), and log a warning:
    the database is busy, the code is not broken, so no traceback."""
    db.session.rollback()
    g._login_user = login_manager.anonymous_user()
    g.pop("session_seen_due", None)
    log.warning("database busy, answered 503: %s %s: %s", request.method, request.path,
                str(getattr(error, "orig", error)).strip())
