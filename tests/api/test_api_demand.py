"""An idea's demand through the API (GET /ideas/{id}/demand): staff keys read the same numbers as
the staff panel, amounts as decimal text; members and anonymous requests are refused."""
import pytest

from ideas.extensions import db
from ideas.models import Idea, User
from ideas.segments import create_segment
from ideas.vote_importance import back_idea

from conftest import error_of


@pytest.fixture
def backed(app, make_user, make_idea, make_company):
    """An idea backed by Ada and Bob (Acme, 1,200.50 a month), Cy (Gamma, revenue not known) and Fay
    (no company), with a segment "Enterprise"; returns (idea id, segment id)."""
    ada, bob, cy, fay = (make_user(name=name) for name in ("Ada", "Bob", "Cy", "Fay"))
    make_company("Acme", "acme-7", [ada, bob], plan="Enterprise", monthly_revenue="1200.50")
    make_company("Gamma", "gamma-1", [cy], plan="Enterprise")
    idea = make_idea(title="Audit log")
    admin = make_user(role="admin")
    with app.app_context():
        for member, importance in ((ada, "critical"), (bob, "critical"), (cy, "important"), (fay, None)):
            back_idea(db.session.get(User, member.id), db.session.get(Idea, idea.id), importance)
        segment = create_segment(db.session.get(User, admin.id), "Enterprise", "all",
                                 [{"field": "attribute.plan", "operator": "is", "value": "Enterprise"}])
        db.session.commit()
        return idea.id, segment.id


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_read_the_demand_with_amounts_as_decimal_text(app, api_as, make_user, backed, role):
    idea_id, segment_id = backed
    api = api_as(make_user(role=role))

    response = api.get(f"/ideas/{idea_id}/demand")

    assert response.status_code == 200
    body = response.get_json()
    companies = body.pop("companies")
    assert body == {
        "idea_id": idea_id, "vote_count": 4,
        "importance": {"critical": 2, "important": 1, "nice_to_have": 0, "none": 1},
        "revenue_at_stake": "1200.5", "company_count": 2,
        "segments": [{"id": segment_id, "name": "Enterprise", "votes": 3}],
    }
    assert [{key: company[key] for key in ("external_id", "name", "backers", "monthly_revenue")}
            for company in companies] == [
        {"external_id": "acme-7", "name": "Acme", "backers": 2, "monthly_revenue": "1200.5"},
        {"external_id": "gamma-1", "name": "Gamma", "backers": 1, "monthly_revenue": None}]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("role, status", [(None, 401), ("member", 403)])
def test_members_and_anonymous_requests_cannot_read_the_demand(api_as, make_user, backed, role, status):
    idea_id, _segment_id = backed
    api = api_as(make_user(role=role) if role else None)

    response = api.get(f"/ideas/{idea_id}/demand")

    assert response.status_code == status
    assert error_of(response)["code"] == {401: "unauthorized", 403: "forbidden"}[status]
    assert "Acme" not in response.get_data(as_text=True)


@pytest.mark.parametrize("role, status", [("staff", 200), ("member", 403)])
def test_a_signed_in_session_is_judged_like_a_key(client, auth, make_user, backed, role, status):
    idea_id, _segment_id = backed
    auth.login(make_user(role=role))

    response = client.get(f"/api/v1/ideas/{idea_id}/demand")

    assert response.status_code == status
    assert ("Acme" in response.get_data(as_text=True)) is (status == 200)


def test_the_demand_of_an_unknown_idea_is_not_found(api_as, make_user):
    api = api_as(make_user(role="staff"))

    response = api.get("/ideas/999999/demand")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.sqlite_only
def test_the_document_describes_the_demand_route_for_staff(client):
    document = client.get("/api/v1/openapi.json").get_json()

    route = document["paths"]["/ideas/{idea_id}/demand"]["get"]
    assert {"401", "403", "404"} <= set(route["responses"])
    assert route["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Demand"}
    company = document["components"]["schemas"]["DemandCompany"]["properties"]
    assert company["monthly_revenue"]["anyOf"][0]["type"] == "string"
