"""The public roadmap: what the product team reviews, plans, builds and has shipped, on every board
the reader may see (a board filter narrows it to one; staff may narrow it to a segment)."""
from collections.abc import Container
from typing import Any, Literal

from flask import Blueprint, render_template, request
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..board import board_filter, boards_seen_by, segment_choices, tag_boards, tag_names
from ..boards import MAIN_SLUG, main_board_name
from ..i18n import KIND_NAMES as KIND_LABELS
from ..models import Board
from ..roadmap import COUNT_CAP, SHIPPED_RECENT, roadmap_cards, roadmap_totals
from ..segments import segment_by_id
from .board import board_url
from .plumbing import chosen
from .responses import wants_fragment

bp = Blueprint("roadmap", __name__)


def roadmap_filters(args: MultiDict[str, str], segments: Container[str] = (),
                    boards: Container[str] = ()) -> dict[str, str]:
    """The roadmap's filters from the query string, unknown kinds dropped: a segment among
    `segments`, a board among `boards` (slugs)."""
    kind = args.get("kind", "")
    return {
        "kind": kind if kind in KIND_LABELS else "",
        "tag": args.get("tag", "")[:40].replace("\x00", ""),
        "segment": chosen(args, "segment", segments),
        "board": chosen(args, "board", boards),
    }


@bp.get("/roadmap")
def index() -> str:
    """Under review, Planned, In progress, Shipped (recent); htmx filters get just the columns."""
    segments = segment_choices(current_user)  # none but for staff: anyone else's segment= is dropped
    boards = {board.slug: board for board in boards_seen_by(current_user)}
    board_labels = {MAIN_SLUG: main_board_name(), **{slug: board.name for slug, board in boards.items()}}
    filters = roadmap_filters(request.args, segments, board_labels if boards else {})
    segment = segment_by_id(filters["segment"]) if filters["segment"] else None
    board: Board | Literal["main"] | None = (  # None: every board
        boards.get(filters["board"]) or (MAIN_SLUG if filters["board"] else None))
    reading = dict(kind=filters["kind"], tag=filters["tag"], segment=segment, reader=current_user,
                   board=board_filter(board))
    columns = roadmap_cards(**reading)
    totals = roadmap_totals(cap=COUNT_CAP, **reading)
    context = dict(
        filters=filters,
        columns=columns,
        totals=totals,
        # What the cached columns show: every card and every count. Cards are plain value rows of
        # the columns they show (roadmap_cards), so they are their own version (fragments.versions):
        # a column added to them joins the key with no edit here.
        columns_key=tuple((status, tuple(cards), totals[status]) for status, cards in columns.items()),
        count_cap=COUNT_CAP,
        shipped_days=SHIPPED_RECENT.days,
        active_filters={key: value for key, value in filters.items() if value},
        segment_labels=segments,
        board_labels=board_labels if boards else {},
        # "See all": the board's page of the board shown (every board's when none is chosen).
        board_page=lambda **args: board_url(board, **_without(args, "board")),
    )
    if wants_fragment("roadmap-columns"):
        return render_template("roadmap/_columns.html", announce=True, **context)
    return render_template(
        "roadmap/index.html",
        tag_labels={name: name for name in tag_names(tag_boards(current_user, board_filter(board)))},
        kind_labels=KIND_LABELS,
        **context,
    )


def _without(args: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in args.items() if key != name}
