"""The JSON API under /api/v1: the same domain functions as the pages, answered in JSON.

Requests authenticate with a personal API key (`Authorization: Bearer …`) or the session
cookie. The blueprint is exempt from the app-wide CSRF check because `auth.authenticate`
makes its own decision: a key needs no token, a cookie needs one on unsafe methods.
"""
from flask import Blueprint, current_app

from ..extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
# Every request counts against this allowance; proposing, commenting and voting have their own too.
limiter.limit(lambda: current_app.config["RATELIMIT_API"])(bp)

# The modules register their routes and hooks on `bp`, in the order the document lists them.
from . import auth, errors, ideas, participation, staff, site, docs  # noqa: E402,F401
