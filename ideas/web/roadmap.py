"""The public roadmap: what the product team reviews, plans, builds and has shipped (staff may
narrow it to a segment)."""
from collections.abc import Container

from flask import Blueprint, render_template, request
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from ..board import segment_choices, tag_names
from ..i18n import KIND_NAMES as KIND_LABELS
from ..roadmap import COUNT_CAP, SHIPPED_RECENT, roadmap_cards, roadmap_totals
from ..segments import segment_by_id
from .plumbing import chosen
from .responses import wants_fragment

bp = Blueprint("roadmap", __name__)


def roadmap_filters(args: MultiDict[str, str], segments: Container[str] = ()) -> dict[str, str]:
    """The roadmap's filters from the query string, unknown kinds dropped: a segment among `segments`."""
    kind = args.get("kind", "")
    return {
        "kind": kind if kind in KIND_LABELS else "",
        "tag": args.get("tag", "")[:40].replace("\x00", ""),
        "segment": chosen(args, "segment", segments),
    }


@bp.get("/roadmap")
def index() -> str:
    """Under review, Planned, In progress, Shipped (recent); htmx filters get just the columns."""
    segments = segment_choices(current_user)  # none but for staff: anyone else's segment= is dropped
    filters = roadmap_filters(request.args, segments)
    segment = segment_by_id(filters["segment"]) if filters["segment"] else None
    columns = roadmap_cards(kind=filters["kind"], tag=filters["tag"], segment=segment)
    totals = roadmap_totals(kind=filters["kind"], tag=filters["tag"], cap=COUNT_CAP, segment=segment)
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
    )
    if wants_fragment("roadmap-columns"):
        return render_template("roadmap/_columns.html", announce=True, **context)
    return render_template(
        "roadmap/index.html",
        tag_labels={name: name for name in tag_names()},
        kind_labels=KIND_LABELS,
        **context,
    )
