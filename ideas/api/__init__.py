"""The JSON API under /api/v1: the same domain functions as the pages, answered in JSON.

Requests authenticate with a personal API key (`Authorization: Bearer …`) or the session
cookie. The blueprint (ideas.api.blueprint) is exempt from the app-wide CSRF check because
`auth.authenticate` makes its own decision: a key needs no token, a cookie needs one on unsafe methods.
"""
# The modules register their routes and hooks on `bp`, in the order the document lists them.
from . import (  # noqa: F401
    auth, errors, ideas, uploads, participation, staff, demand, priority, companies, site, accountability,
    product_sign_in, docs,
)
from .blueprint import bp

__all__ = ["bp"]
