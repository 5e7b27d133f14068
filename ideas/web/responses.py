"""How views answer: fragment or page, Post/Redirect/Get, and where `next` may lead."""
from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request
from flask_htmx import make_response as htmx_response
from werkzeug.wrappers import Response

from ..extensions import db, htmx


def wants_fragment(target: str) -> bool:
    """True when htmx asked to swap the element with id `target` (not boosted, not history)."""
    return (
        bool(htmx)
        and not htmx.boosted
        and not htmx.history_restore_request
        and htmx.target == target
    )


def see_other(url: str) -> Response:
    """After a successful POST: 303 for browsers, HX-Redirect for htmx (never a 3xx to htmx)."""
    if htmx:
        return htmx_response("", redirect=url)
    return redirect(url, code=303)


def done(message: str, location: str, category: str = "success") -> Response:
    """The view's change is made: commit it, say `message` on the next page and go there (303)."""
    db.session.commit()
    flash(message, category)
    return see_other(location)


def render_invalid(template: str, **context: Any) -> tuple[str, int]:
    """Re-show a form with what was typed and what is wrong: 422, which htmx is told to swap."""
    return render_template(template, **context), 422


def render_form(template: str, **context: Any) -> str | tuple[str, int]:
    """Show a form: 200 when asked for, 422 when a submission was refused (form re-shown)."""
    if request.method == "POST":
        return render_invalid(template, **context)
    return render_template(template, **context)


def safe_next(target: str | None, fallback: str) -> str:
    """`target` if it stays inside this site, else `fallback`. Blocks `//evil` and `/\\evil`."""
    if not target:
        return fallback
    target = target.strip()
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 32 for ch in target)
    ):
        return fallback
    return target


def next_url(fallback: str) -> str:
    """Where to go after a form, from `next` in the form or query string, kept on-site."""
    return safe_next(request.form.get("next") or request.args.get("next"), fallback)
