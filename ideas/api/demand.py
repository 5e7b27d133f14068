"""An idea's demand for the product team's integrations (staff keys): its votes, how much it
matters to its backers, the companies behind it with their revenue, and its votes per segment.
The same numbers as the staff panel on the idea's page (ideas.demand.demand_of)."""
from typing import Any

from flask import Response, jsonify

from ..company_values import plain_number
from ..demand import COMPANIES_SHOWN, Demand, demand_of
from ..web.plumbing import get_idea as load_idea
from .serializers import INTEGER, SCHEMAS, STRING, array, nullable, obj, ref
from .spec import operation

NOT_SAID = "none"  # what the vote's body calls an importance not said (api.participation)
AMOUNT = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$",
          "description": "A decimal amount in the site's currency, as text: 1200.5."}
COUNT = {**INTEGER, "minimum": 0}

SCHEMAS.update({
    "DemandCompany": obj("A company one or more of whose members back the idea.", id=INTEGER,
                         external_id=STRING, name=STRING, backers=COUNT,
                         monthly_revenue=nullable(AMOUNT)),
    "SegmentVotes": obj("How many of the idea's backers a segment holds.", id=INTEGER, name=STRING,
                        votes=COUNT),
    "Demand": obj(
        "Who asks for an idea and how much it matters to them.",
        idea_id=INTEGER, vote_count=COUNT,
        importance=obj("Votes per importance; `none`: the backer did not say.", critical=COUNT,
                       important=COUNT, nice_to_have=COUNT, none=COUNT),
        revenue_at_stake={**AMOUNT, "description": "The monthly revenue of the companies behind the "
                                                   "idea, each company counted once."},
        company_count=COUNT,
        companies=array(ref("DemandCompany")),
        segments=array(ref("SegmentVotes")),
    ),
})


def demand_json(demand: Demand) -> dict[str, Any]:
    """The demand as the API answers it; amounts as decimal text, never floats."""
    return {
        "idea_id": demand.idea_id,
        "vote_count": demand.votes,
        "importance": {importance or NOT_SAID: votes for importance, votes in demand.importance},
        "revenue_at_stake": plain_number(demand.revenue_at_stake),
        "company_count": demand.company_count,
        "companies": [{"id": company.id, "external_id": company.external_id, "name": company.name,
                       "backers": company.backers,
                       "monthly_revenue": None if company.monthly_revenue is None
                       else plain_number(company.monthly_revenue)} for company in demand.companies],
        "segments": [{"id": segment.id, "name": segment.name, "votes": segment.votes}
                     for segment in demand.segments],
    }


@operation("GET", "/ideas/<id:idea_id>/demand", summary="Read an idea's demand", group="Staff",
           access="staff", response="Demand",
           description="Its votes, how many said each importance, the revenue at stake (each company's "
                       f"monthly revenue once, however many of its members back it), the first "
                       f"{COMPANIES_SHOWN} companies behind it, most revenue first, of `company_count`, "
                       "and how many of its backers every segment holds. The staff panel of the idea's "
                       "page shows the same.")
def idea_demand(idea_id: int) -> Response:
    """Who asks for the idea and how much it matters to them."""
    idea = load_idea(idea_id)
    return jsonify(demand_json(demand_of(idea.id)))
