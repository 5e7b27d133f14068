"""The Markdown preview beside every editor of ideas and comments: the text rendered through the
same sanitiser as when it is posted (ideas/sanitize.py), so what the preview shows is what will
be shown.

With JavaScript, the editor's "Preview" button posts the one field here (htmx) and swaps the
answer in beside it. Without JavaScript the same button submits the whole form to its own page
with `preview=1`: that page renders the preview above the form it gives back (nothing is saved),
through `preview_of` below.
"""
from flask import Blueprint, render_template, request
from markupsafe import Markup

from ..models import DESCRIPTION_MAX
from ..sanitize import render_markdown

bp = Blueprint("preview", __name__)

# The longest text any editor takes (an idea's description); longer text is previewed up to here.
PREVIEW_MAX = DESCRIPTION_MAX


def preview_of(text: str | None) -> Markup:
    """`text` as it will read once posted: sanitised HTML."""
    return Markup(render_markdown((text or "")[:PREVIEW_MAX]))


def wants_preview() -> bool:
    """True when a form was sent with its "Preview" button (no JavaScript): show, do not save."""
    return request.method == "POST" and request.form.get("preview") == "1"


@bp.post("/preview")
def render() -> str:
    """The field named by `field` rendered for its preview area (htmx)."""
    name = request.form.get("field", "")
    return render_template("_preview.html", html=preview_of(request.form.get(name, "")))
