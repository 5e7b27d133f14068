"""The list of people a writer may @mention, offered while they type a comment.

The comment's text box asks with htmx as the writer types (its own text travels as `body`), and
the list's fragment replaces the box's suggestion list; static/js/mentions.js puts a chosen
"@handle " in place of the word being typed. Without JavaScript, the same address is a page
listing whom the reader may mention on the idea (`q` narrows it).
"""
import re

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from ..extensions import htmx
from ..mentions import SUGGESTIONS_MAX, partial_mention, suggestions
from .plumbing import get_idea
from .responses import wants_fragment

bp = Blueprint("mentions", __name__)

# The suggestion list of one text box: `mention-suggestions`, or with a suffix naming the form
# (a page has the comment form and reply forms).
LIST_ID = re.compile(r"mention-suggestions(?:-[A-Za-z0-9_-]{1,60})?")
QUERY_MAX = 200


@bp.get("/ideas/<id:idea_id>/mentions")
@login_required
def suggest(idea_id: int) -> str:
    """Whom the reader may mention on the idea, whose handle or name begins with the word typed."""
    idea = get_idea(idea_id)
    target = htmx.target or "" if htmx else ""
    fragment = bool(LIST_ID.fullmatch(target)) and wants_fragment(target)
    # The text so far: `q` from the plain page's search, or the text box htmx sends by its own
    # name (a comment's "body", a reply's "reply-<id>-body").
    typed = next((value for name, value in request.args.items() if name == "q" or name.endswith("body")),
                 "")[-QUERY_MAX:]
    prefix = partial_mention(typed, bare=not fragment)
    people = [] if prefix is None else suggestions(current_user, idea, prefix, SUGGESTIONS_MAX)
    if fragment:
        return render_template("mentions/_suggestions.html", people=people, choosing=True)
    return render_template("mentions/index.html", idea=idea, people=people, query=typed)
