"""Priority for the product team's integrations: the ideas by priority score (filtered by a segment,
which never changes a score), one idea's score term by term, its impact and effort, and the
admins' weights. The same rules as the pages (ideas/priority.py)."""
from decimal import Decimal
from typing import Any

from flask import Response, jsonify
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..inbox import inbox_query
from ..models import SCALE, IdeaPriority
from ..status_list import LISTED_STATUSES
from ..priority import (
    EFFORT_WEIGHT_MAX, WEIGHT_MAX, WEIGHTS, Explanation, Weights, current_weights, explain, formula,
    set_impact_effort, set_weights,
)
from ..segments import filtering_segment
from ..web.plumbing import get_idea as load_idea
from .fields import MAX_INT, Body, Choice, Field, Integer, Invalid, Query
from .paging import PAGE_FIELDS, page_of
from .serializers import DATE_TIME, INTEGER, NEXT, SCHEMAS, STRING, array, idea_json, nullable, obj, ref
from .spec import operation

NUMBER = {"type": "number"}
DECIMAL_TEXT = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}
ON_SCALE = {"type": "integer", "minimum": SCALE[0], "maximum": SCALE[-1]}


class OnScale(Field):
    """1 to 5, or null: not set (counts as 3)."""

    def check(self, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            raise Invalid("Give a whole number from 1 to 5, or null.")
        return value

    def _schema(self) -> dict[str, Any]:
        return {"anyOf": [ON_SCALE, {"type": "null"}]}


class Weight(Field):
    """A decimal weight from 0 to `maximum`, as a JSON number or decimal text."""

    def __init__(self, maximum: Decimal, description: str = "") -> None:
        super().__init__(description)
        self.maximum = maximum

    def check(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise Invalid(f"Give a number from 0 to {self.maximum}.")
        return str(value)  # the rule (ideas.priority.checked_weights) checks its range

    def _schema(self) -> dict[str, Any]:
        return {"anyOf": [{"type": "number", "minimum": 0, "maximum": float(self.maximum)},
                          DECIMAL_TEXT]}


IMPACT_EFFORT = Body({
    "impact": OnScale("What the idea would bring, 1 to 5; null: not set (counts as 3)."),
    "effort": OnScale("What it would cost, 1 to 5; null: not set (counts as 3)."),
}, min_properties=1)
WEIGHTS_BODY = Body({name: Weight(EFFORT_WEIGHT_MAX if name == "effort" else WEIGHT_MAX,
                                  "The power the effort divides by (0: effort does not count)."
                                  if name == "effort" else f"What {name} weigh in the value.")
                     for name in WEIGHTS}, min_properties=1)
LIST_QUERY = Query(
    segment=Integer(1, MAX_INT, "Ideas proposed or backed by a member of this segment (GET /segments)."),
    status=Choice(LISTED_STATUSES, "Ideas of this status."),
    **PAGE_FIELDS,
)

SCHEMAS.update({
    "PriorityWeights": obj("What each part of the score weighs, and the formula they make.",
                           votes=NUMBER, importance=NUMBER, revenue=NUMBER, impact=NUMBER, effort=NUMBER,
                           formula=STRING),
    "PriorityTerm": obj("One part of the value: the idea's amount, and its weight.", amount=NUMBER,
                        weight=NUMBER, assumed={"type": "boolean", "description": "Not set: 3 counted."}),
    "Priority": obj(
        "An idea's priority: the score the worker stored (`score`, recomputed whenever something it "
        "reads changes), and the same formula computed now, term by term.",
        idea_id=INTEGER, score=NUMBER, computed_now=NUMBER, up_to_date={"type": "boolean"},
        computed_at=nullable(DATE_TIME), impact=nullable(ON_SCALE), effort=nullable(ON_SCALE),
        formula=STRING,
        terms=obj("The value's parts, and the effort it is divided by.", votes=ref("PriorityTerm"),
                  importance=ref("PriorityTerm"), revenue=ref("PriorityTerm"), impact=ref("PriorityTerm"),
                  effort=ref("PriorityTerm")),
    ),
    "PrioritisedIdea": obj("An idea with its stored priority score.", idea=ref("Idea"), score=NUMBER,
                           impact=nullable(ON_SCALE), effort=nullable(ON_SCALE)),
    "PriorityList": obj("A page of ideas, highest priority first.", formula=STRING,
                        ideas=array(ref("PrioritisedIdea")), next=NEXT),
})


def weights_json(weights: Weights) -> dict[str, Any]:
    return {**{name: float(getattr(weights, name)) for name in WEIGHTS}, "formula": formula(weights)}


def priority_json(idea_id: int, explanation: Explanation) -> dict[str, Any]:
    names = ("votes", "importance", "revenue", "impact")
    terms = {name: term for name, term in zip(names, explanation.terms, strict=True)}
    terms["effort"] = explanation.effort
    return {
        "idea_id": idea_id, "score": explanation.stored, "computed_now": explanation.score,
        "up_to_date": explanation.up_to_date,
        "computed_at": explanation.computed_at.isoformat() if explanation.computed_at else None,
        "impact": explanation.impact, "effort": explanation.effort_set,
        "formula": formula(current_weights()),
        "terms": {name: {"amount": float(term.amount), "weight": float(term.weight), "assumed": term.assumed}
                  for name, term in terms.items()},
    }


@operation("GET", "/priorities", summary="List ideas by priority", group="Staff", access="staff",
           query=LIST_QUERY, response="PriorityList",
           description="The inbox sorted by priority: hidden and waiting ideas included, highest score "
                       "first. A segment narrows the list to ideas its members proposed or back; it never "
                       "changes a score.")
def list_priorities() -> Response:
    """Ideas, highest priority first."""
    args = LIST_QUERY.parse()
    segment = filtering_segment(args["segment"]) if "segment" in args else None
    statement = inbox_query(current_user, "priority", args.get("status"), segment=segment, whole=True)
    ideas, next_url = page_of(statement, args)
    rows = {row.idea_id: row for row in db.session.execute(
        select(IdeaPriority).where(IdeaPriority.idea_id.in_([idea.id for idea in ideas]))).scalars()}
    return jsonify(formula=formula(current_weights()), next=next_url, ideas=[
        {"idea": idea_json(idea), "score": rows[idea.id].score, "impact": rows[idea.id].impact,
         "effort": rows[idea.id].effort} for idea in ideas])


@operation("GET", "/ideas/<id:idea_id>/priority", summary="Read an idea's priority", group="Staff",
           access="staff", response="Priority",
           description="The stored score, and the formula computed now with the idea's votes, importance "
                       "points, revenue at stake (each backing company once), impact and effort. The staff "
                       "panel of the idea's page shows the same.")
def idea_priority(idea_id: int) -> Response:
    """The idea's score, term by term."""
    idea = load_idea(idea_id)
    return jsonify(priority_json(idea.id, explain(idea)))


@operation("PUT", "/ideas/<id:idea_id>/priority", summary="Set an idea's impact and effort", group="Staff",
           access="staff", body=IMPACT_EFFORT, response="Priority",
           description="1 to 5 each; null clears one (it then counts as 3). A field left out keeps its "
                       "value. The worker recomputes the score within seconds.")
def set_idea_priority(idea_id: int) -> Response:
    """Staff weigh the idea."""
    idea = load_idea(idea_id)
    data = IMPACT_EFFORT.parse()
    now = explain(idea)
    set_impact_effort(current_user, idea, data.get("impact", now.impact), data.get("effort", now.effort_set))
    db.session.commit()
    return jsonify(priority_json(idea.id, explain(idea)))


@operation("GET", "/priority/weights", summary="Read the priority weights", group="Staff", access="staff",
           response="PriorityWeights", description="What each part of the score weighs, and the formula.")
def get_weights() -> Response:
    """The weights and the formula they make."""
    return jsonify(weights_json(current_weights()))


@operation("PUT", "/priority/weights", summary="Change the priority weights", group="Staff", access="staff",
           body=WEIGHTS_BODY, response="PriorityWeights", errors=(403,),
           description="Admins only. Weights left out keep their value; every score is recomputed by the "
                       "worker.")
def put_weights() -> Response:
    """Admins choose the weights."""
    data = WEIGHTS_BODY.parse()
    weights = current_weights()
    set_weights(current_user, {name: data.get(name, str(getattr(weights, name))) for name in WEIGHTS})
    db.session.commit()
    return jsonify(weights_json(current_weights()))
