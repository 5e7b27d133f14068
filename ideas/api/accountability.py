"""How the company keeps its word, as the /accountability page shows it: answers, decisions and
shipped ideas by month; for staff, the ideas waiting past the promise."""
from typing import Any

from flask import Response, jsonify, url_for
from flask_login import current_user

from ..accountability import DECISION_DAYS, MONTHS, WAITING_LIMIT, Month, recent_figures, waiting_past
from ..answer_promise import promise_days
from ..visibility import board_scope, is_staff, narrowed
from .fields import Query
from .ideas import BOARD_FILTER, board_named
from .serializers import DATE_TIME, INTEGER, SCHEMAS, STRING, URL, array, nullable, obj, ref
from .spec import operation

ACCOUNTABILITY_QUERY = Query(board=BOARD_FILTER)
SHARE = nullable({"type": "number", "minimum": 0, "maximum": 1}) | {
    "description": "A share from 0 to 1; null when no idea was old enough to be judged."}
SCHEMAS.update({
    "AccountabilityMonth": obj(
        "What happened to the ideas proposed in a month, and what shipped in it.",
        month={**STRING, "description": "YYYY-MM (UTC); \"\" for the twelve months together."},
        proposed=INTEGER, answered=INTEGER,
        median_hours_to_answer=nullable({"type": "number"}) | {
            "description": "The median hours from proposal to the team's first answer (a status change, "
                           "an official response or a public staff comment) of the answered ideas."},
        **{f"judged_{days}_days": INTEGER | {"description": f"Ideas at least {days} days old."}
           for days in DECISION_DAYS},
        **{f"decided_within_{days}_days": INTEGER | {
            "description": f"Of those, decided (planned, in progress, done or closed) within {days} days."}
           for days in DECISION_DAYS},
        judged_for_promise=nullable(INTEGER) | {"description": "Ideas older than the promise; null: none."},
        answered_within_promise=nullable(INTEGER),
        shipped={**INTEGER, "description": "Ideas that first entered a done status in the month."},
        shipped_from_customers={**INTEGER, "description": "Of those, proposed by members not on the team."},
    ),
    "WaitingIdea": obj("An idea nobody of the team answered within the promise.",
                       id=INTEGER, title=STRING, created_at=DATE_TIME, url=URL),
    "Accountability": obj(
        "The last twelve months on the boards the reader may see (or one board), newest month first.",
        promise_days=nullable(INTEGER) | {"description": "We answer every idea within this many days; "
                                                         "null: no promise is stated."},
        computed_at=DATE_TIME, months=array(ref("AccountabilityMonth")), total=ref("AccountabilityMonth"),
        waiting=nullable(obj("Staff only (null for anyone else): the ideas waiting past the promise, "
                             f"oldest first, at most {WAITING_LIMIT}.",
                             total=INTEGER, ideas=array(ref("WaitingIdea")))),
    ),
})


def month_json(month: Month, promise: int | None) -> dict[str, Any]:
    """One month's figures (or the twelve months' together)."""
    return {
        "month": month.key, "proposed": month.proposed, "answered": month.answered,
        "median_hours_to_answer": month.median_hours,
        **{f"judged_{days}_days": month.judged[days] for days in DECISION_DAYS},
        **{f"decided_within_{days}_days": month.decided[days] for days in DECISION_DAYS},
        "judged_for_promise": month.promise_judged if promise else None,
        "answered_within_promise": month.promise_kept if promise else None,
        "shipped": month.shipped, "shipped_from_customers": month.shipped_from_customers,
    }


@operation("GET", "/accountability", summary="Read the accountability figures", group="Site",
           query=ACCOUNTABILITY_QUERY, response="Accountability", errors=(404,),
           description=f"How soon the team answers and decides ideas, and what it ships, for each of the "
                       f"last {MONTHS} months, as the /accountability page shows them; recomputed at most "
                       "once a minute. Staff keys also read the ideas waiting past the promise.")
def accountability() -> Response:
    """The figures of the boards this reader may see (or of one)."""
    filters = ACCOUNTABILITY_QUERY.parse()
    scope = narrowed(board_scope(current_user), board_named(filters["board"]) if "board" in filters else None)
    promise = promise_days()
    figures = recent_figures(scope, promise)
    waiting = None
    if is_staff(current_user):
        ideas, total = waiting_past(promise, scope) if promise is not None else ([], 0)
        waiting = {"total": total, "ideas": [
            {"id": idea.id, "title": idea.title, "created_at": idea.created_at.isoformat(),
             "url": url_for("ideas.show", idea_id=idea.id, _external=True)} for idea in ideas]}
    return jsonify(
        promise_days=promise, computed_at=figures.computed_at.isoformat(),
        months=[month_json(month, promise) for month in figures.months],
        total=month_json(figures.total, promise), waiting=waiting,
    )
