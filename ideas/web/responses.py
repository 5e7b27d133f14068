"""How views answer: fragment or page, Post/Redirect/Get, and where `next` may lead."""
from urllib.parse import urlsplit

from flask import redirect, render_template, request
from flask_htmx import make_response as htmx_response

from ..extensions import htmx


def wants_fragment(target):
    """True when htmx asked to swap the element with id `target` (not boosted, not history)."""
    return (
        bool(htmx)
        and not htmx.boosted
        and not htmx.history_restore_request
        and htmx.target == target
    )


def see_other(url):
    """After a successful POST: 303 for browsers, HX-Redirect for htmx (never a 3xx to htmx)."""
    if htmx:
        return htmx_response("", redirect=url)
    return redirect(url, code=303)


def render_invalid(template, **context):
    """Re-show a form with what was typed and what is wrong: 422, which htmx is told to swap."""
    return render_template(template, **context), 422


def render_form(template, **context):
    """Show a form: 200 when asked for, 422 when a submission was refused (form re-shown)."""
    if request.method == "POST":
        return render_invalid(template, **context)
    return render_template(template, **context)


def safe_next(target, fallback):
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


def next_url(fallback):
    """Where to go after a form, from `next` in the form or query string, kept on-site."""
    return safe_next(request.form.get("next") or request.args.get("next"), fallback)
