"""The board: at `/` every idea the reader may see, at /boards/<slug> one board's (`main`: the main
board's), sorted and filtered, a page at a time (staff may filter by a segment too). A board the
reader may not see is a 404, as if it did not exist."""
from collections.abc import Container
from typing import Any, Literal

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..board import (
    AS_CARDS, DEFAULT_SORT, SORTS, board_filter, board_query, board_seen_at, boards_seen_by, ideas_in_order,
    segment_choices, tag_boards, tag_names,
)
from ..tags import tags_of
from ..i18n import BOARD_SORT_NAMES, KIND_NAMES as KIND_LABELS
from ..models import Board, Idea
from ..segments import segment_by_id
# Lists never show merged ideas: each lives on in another.
from ..status_list import LISTED_STATUSES, STATUS_NAMES as STATUS_LABELS
from ..voting import voted_idea_ids
from .fragments import versions
from .plumbing import chosen, fetch_page, idea_filters, page_number, typed
from .responses import wants_fragment

bp = Blueprint("board", __name__)


def board_filters(args: MultiDict[str, str], segments: Container[str] = ()) -> dict[str, str]:
    """The board's filters from the query string, unknown values dropped: a segment among `segments`."""
    return {**idea_filters(args, SORTS, DEFAULT_SORT, LISTED_STATUSES), "q": typed(args, "q", 200),
            "segment": chosen(args, "segment", segments)}


@bp.get("/")
def index() -> str:
    """Every board the reader may see (on a site with one board, that board); htmx gets just the
    results, or just the next page of cards."""
    return _board_page(None)


@bp.get("/boards/<slug>")
def show(slug: str) -> str:
    """One board, for those who may see it (404 for anyone else)."""
    return _board_page(shown_board(slug))


def shown_board(slug: str) -> Board | Literal["main"]:
    """The board at `slug` (MAIN_SLUG: the main board), or 404 when the reader may not see it."""
    board = board_seen_at(current_user, slug)
    if board is None:
        abort(404)
    return board


def _board_page(board: Board | Literal["main"] | None) -> str:
    segments = segment_choices(current_user)  # none but for staff: anyone else's segment= is dropped
    filters = board_filters(request.args, segments)
    segment = segment_by_id(filters["segment"]) if filters["segment"] else None
    number = page_number(request.args)
    text_filters = {key: value for key, value in filters.items() if key != "segment"}
    statement = board_query(current_user, **text_filters, segment=segment, board=board_filter(board))
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
        next_page_url=board_url(board, **_non_empty(filters), page=number + 1),
        prev_page_url=board_url(board, **_non_empty(filters), page=number - 1),
        board=board,
        board_slug=board if isinstance(board, str) else board.slug if board else None,
        here=board_url(board),
    )
    if wants_fragment("show-more"):
        return render_template("board/_cards.html", **context)
    if wants_fragment("board-results"):
        return render_template("board/_results.html", **context)
    return render_template(
        "board/index.html",
        tag_labels={name: name for name in tag_names(tag_boards(current_user, board_filter(board)))},
        sort_labels=BOARD_SORT_NAMES,
        status_labels={key: STATUS_LABELS[key] for key in LISTED_STATUSES},
        kind_labels=KIND_LABELS,
        segment_labels=segments,
        boards=boards_seen_by(current_user),
        tab_url=board_url,
        **context,
    )


def board_url(board: Board | Literal["main"] | None, **args: Any) -> str:
    """The address of `board`'s page (None: every board's), with `args` as its query."""
    if board is None:
        return url_for("board.index", **args)
    return url_for("board.show", slug=board if isinstance(board, str) else board.slug, **args)


def cards_key(ideas: list[Idea], voted: set[int], card_tags: dict[int, tuple]) -> tuple:
    """A page of cards' key for its one cached block, like the keys of the cards and vote controls
    inside: each idea's version, its tags (plain rows: their own key) and whether the reader backs it."""
    return tuple((versions(idea), card_tags.get(idea.id), idea.id in voted) for idea in ideas)


def _non_empty(filters: dict[str, str]) -> dict[str, Any]:
    return {key: value for key, value in filters.items() if value}
