"""Priority through the API: staff list ideas by priority (a segment narrows the list, never the
score), read one idea's score term by term, set impact and effort; admins change the weights."""
import pytest

from ideas.extensions import db
from ideas.models import Idea, IdeaPriority, User
from ideas.priority import recompute_all
from ideas.segments import create_segment
from ideas.vote_importance import back_idea

from conftest import error_of


@pytest.fixture
def ranked(app, make_user, make_idea, make_company):
    """"Wanted" backed by an Enterprise customer (12,000 a month) as critical, "Popular" by two
    Starter customers, "Quiet" by nobody; the Enterprise segment. Scores computed."""
    erin, sam, sue = make_user(), make_user(), make_user()
    make_company("Northwind", members=[erin], plan="Enterprise", monthly_revenue="12000")
    make_company("Tiny", members=[sam, sue], plan="Starter", monthly_revenue="20")
    ideas = {title: make_idea(title=title) for title in ("Wanted", "Popular", "Quiet")}
    admin = make_user(role="admin")
    with app.app_context():
        back_idea(db.session.get(User, erin.id), db.session.get(Idea, ideas["Wanted"].id), "critical")
        for member in (sam, sue):
            back_idea(db.session.get(User, member.id), db.session.get(Idea, ideas["Popular"].id))
        segment = create_segment(db.session.get(User, admin.id), "Enterprise", "all",
                                 [{"field": "attribute.plan", "operator": "is", "value": "Enterprise"}])
        db.session.commit()
        recompute_all()
        return {title: idea.id for title, idea in ideas.items()}, segment.id


def test_staff_list_ideas_highest_priority_first(api_as, make_user, ranked):
    ids, _ = ranked

    body = api_as(make_user(role="staff")).get("/priorities").get_json()

    assert [(row["idea"]["id"], row["score"]) for row in body["ideas"]] == [
        (ids["Wanted"], round((1 + 3 + 12 + 3) / 3, 2)), (ids["Popular"], round((2 + 3) / 3, 2)),
        (ids["Quiet"], 1.0)]
    assert body["formula"].startswith("Priority = (votes × 1")


def test_a_segment_narrows_the_list_without_changing_scores(api_as, make_user, ranked):
    ids, segment_id = ranked

    body = api_as(make_user(role="staff")).get(f"/priorities?segment={segment_id}").get_json()

    assert [(row["idea"]["id"], row["score"]) for row in body["ideas"]] == [
        (ids["Wanted"], round(19 / 3, 2))]


def test_an_unknown_segment_is_refused(api_as, make_user, ranked):
    response = api_as(make_user(role="staff")).get("/priorities?segment=9999")

    assert response.status_code == 422
    assert "segment" in error_of(response)["fields"]


@pytest.mark.parametrize("path", ["/priorities", "/priority/weights"])
def test_members_may_not_read_priorities(api_as, make_user, ranked, path):
    assert api_as(make_user()).get(path).status_code == 403
    assert api_as(None).get(path).status_code == 401


def test_staff_read_one_ideas_score_term_by_term(api_as, make_user, ranked):
    ids, _ = ranked

    body = api_as(make_user(role="staff")).get(f"/ideas/{ids['Wanted']}/priority").get_json()

    assert body["score"] == body["computed_now"] == round(19 / 3, 2) and body["up_to_date"] is True
    assert body["terms"]["revenue"] == {"amount": 12.0, "weight": 1.0, "assumed": False}
    assert body["terms"]["effort"] == {"amount": 3.0, "weight": 1.0, "assumed": True}


def test_staff_set_impact_and_effort(app, api_as, make_user, ranked, fetch):
    ids, _ = ranked

    response = api_as(make_user(role="staff")).put(f"/ideas/{ids['Quiet']}/priority",
                                                   json={"impact": 5, "effort": 1})

    assert response.status_code == 200
    body = response.get_json()
    assert (body["impact"], body["effort"], body["computed_now"], body["up_to_date"]) == (5, 1, 5.0, False)
    assert fetch(lambda: (lambda row: (row.impact, row.effort, row.due))(
        db.session.get(IdeaPriority, ids["Quiet"]))) == (5, 1, True)


def test_null_clears_impact_and_a_field_left_out_is_kept(api_as, make_user, ranked, fetch):
    ids, _ = ranked
    api = api_as(make_user(role="staff"))
    api.put(f"/ideas/{ids['Quiet']}/priority", json={"impact": 5, "effort": 2})

    body = api.put(f"/ideas/{ids['Quiet']}/priority", json={"impact": None}).get_json()

    assert (body["impact"], body["effort"]) == (None, 2)


@pytest.mark.parametrize("body, field", [({"impact": 0}, "impact"), ({"effort": "2"}, "effort"),
                                         ({"impact": True}, "impact"), ({"urgency": 3}, "urgency")])
def test_bad_impact_or_effort_is_refused_naming_the_field(api_as, make_user, ranked, fetch, body, field):
    ids, _ = ranked

    response = api_as(make_user(role="staff")).put(f"/ideas/{ids['Quiet']}/priority", json=body)

    assert response.status_code == 422
    assert field in error_of(response)["fields"]
    assert fetch(lambda: db.session.get(IdeaPriority, ids["Quiet"]).impact) is None


def test_admins_change_the_weights_and_every_score_becomes_due(api_as, make_user, ranked, fetch):
    ids, _ = ranked

    response = api_as(make_user(role="admin")).put("/priority/weights", json={"revenue": 0.5, "effort": "0"})

    assert response.status_code == 200
    body = response.get_json()
    assert (body["revenue"], body["effort"], body["votes"]) == (0.5, 0.0, 1.0)
    assert body["formula"].endswith("impact × 1)")
    assert fetch(lambda: all(db.session.get(IdeaPriority, idea_id).due for idea_id in ids.values()))


def test_staff_who_are_not_admins_cannot_change_the_weights(api_as, make_user, ranked):
    response = api_as(make_user(role="staff")).put("/priority/weights", json={"votes": 3})

    assert response.status_code == 403


def test_weights_out_of_range_are_refused(api_as, make_user, ranked):
    response = api_as(make_user(role="admin")).put("/priority/weights", json={"effort": 4})

    assert response.status_code == 422
    assert "effort" in error_of(response)["fields"]
