"""A database too busy to answer in time: what a request does before it says "try again" (503).

The pages (ideas.web.errors) and the JSON API (ideas.api.errors) answer in their own form; both
first settle the request here, so that the answer itself needs nothing from the database: the
lock that made the request fail would make its error page wait all over again.
"""
import logging

from flask import g, request

from .extensions import db

log = logging.getLogger(__name__)

# How long the answer asks a person or a program to wait before trying again, in seconds.
RETRY_AFTER_SECONDS = 5


def settle_busy_request(error: Exception) -> None:
    """Roll back (nothing was changed) without expiring what was loaded (the objects are let go
    of first: expired, the member's row would be read again by whatever looks at it next), skip the
    session's "last seen" note (a write that would queue for the same lock), and log a warning:
    the database is busy, the code is not broken, so no traceback."""
    db.session.expunge_all()
    db.session.rollback()
    g.pop("session_seen_due", None)
    log.warning("database busy, answered 503: %s %s: %s", request.method, request.path,
                str(getattr(error, "orig", error)).strip())
