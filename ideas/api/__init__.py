"""The JSON API under /api/v1: the same domain functions as the pages, answered in JSON.

Requests authenticate with a personal API key (`Authorization: Bearer …`) or the session
cookie. The blueprint is exempt from the app-wide CSRF check because `auth.authenticate`
makes its own decision: a key needs no token, a cookie needs one on unsafe methods.
"""
from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

# The modules register their routes and hooks on `bp`, in the order the document lists them.
from . import auth, errors, ideas, participation, staff, site, docs  # noqa: E402,F401
