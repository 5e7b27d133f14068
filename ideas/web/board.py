"""The board: every idea, sorted and filtered, a page at a time (staff may filter by a segment too)."""
from collections.abc import Container
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..board import (
    AS_CARDS, DEFAULT_SORT, SORTS, board_query, ideas_in_order, segment_choices, tag_names,
)
from ..tags import tags_of
from ..i18n import BOARD_SORT_NAMES, KIND_NAMES as KIND_LABELS, STATUS_NAMES as STATUS_LABELS
from ..models import STATUSES, Idea
from ..segments import segment_by_id
from ..voting import voted_idea_ids
from .fragments import versions
from .plumbing import chosen, fetch_page, idea_filters, page_number, typed
from .responses import wants_fragment

bp = Blueprint("board", __name__)
# A merged idea lives on in another: the board never lists merged ones.
LISTED_STATUSES = tuple(status for status in STATUSES if status != "merged")


def board_filters(args: MultiDict[str, str], segments: Container[str] = ()) -> dict[str, str]:
    """The board's filters from the query string, unknown values dropped: a segment among `segments`."""
    return {**idea_filters(args, SORTS, DEFAULT_SORT, LISTED_STATUSES), "q": typed(args, "q", 200),
            "segment": chosen(args, "segment", segments)}


@bp.get("/")
def index() -> str:
    """The board; htmx gets just the results, or just the next page of cards."""
    segments = segment_choices(current_user)  # none but for staff: anyone else's segment= is dropped
    filters = board_filters(request.args, segments)
    segment = segment_by_id(filters["segment"]) if filters["segment"] else None
    number = page_number(request.args)
    text_filters = {key: value for key, value in filters.items() if key != "segment"}
    statement = board_query(current_user, **text_filters, segment=segment)
    per_page = current_app.config["IDEAS_PER_PAGE"]
    if filters["q"] or number > 1:  # many rows sorted or skipped: choose the page by id first
        page = fetch_page(statement.with_only_columns(Idea.id), number, per_page, load=ideas_in_order)
    else:
        page = fetch_page(statement.options(*AS_CARDS), number, per_page)
    ids = [idea.id for idea in page.items]
    voted, card_tags = voted_idea_ids(current_user, ids), tags_of(ids)
    context = dict(
        filters=filters,
        page=page,
        voted=voted,
        card_tags=card_tags,
        cards_key=cards_key(page.items, voted, card_tags),
        next_page_url=url_for("board.index", **_non_empty(filters), page=number + 1),
        prev_page_url=url_for("board.index", **_non_empty(filters), page=number - 1),
    )
    if wants_fragment("show-more"):
        return render_template("board/_cards.html", **context)
    if wants_fragment("board-results"):
        return render_template("board/_results.html", **context)
    return render_template(
        "board/index.html",
        tag_labels={name: name for name in tag_names()},
        sort_labels=BOARD_SORT_NAMES,
        status_labels={k: v for k, v in STATUS_LABELS.items() if k != "merged"},
        kind_labels=KIND_LABELS,
        segment_labels=segments,
        **context,
    )


def cards_key(ideas: list[Idea], voted: set[int], card_tags: dict[int, tuple]) -> tuple:
    """A page of cards' key for its one cached block, like the keys of the cards and vote controls
    inside: each idea's version, its tags (plain rows: their own key) and whether the reader backs it."""
    return tuple((versions(idea), card_tags.get(idea.id), idea.id in voted) for idea in ideas)


def _non_empty(filters: dict[str, str]) -> dict[str, Any]:
    return {key: value for key, value in filters.items() if value}
