"""Site-wide reading through the API: tags, the roadmap, the changelog, and who am I."""
import pytest

from ideas.changelog import create_entry, publish_entry
from ideas.extensions import db
from ideas.models import Idea, User, utcnow

from conftest import error_of


def test_anyone_lists_the_tags(api_as, make_tag):
    make_tag("mobile", colour="teal")
    make_tag("billing")

    response = api_as(None).get("/tags")

    assert response.status_code == 200
    assert [(tag["name"], tag["colour"]) for tag in response.get_json()["tags"]] == [
        ("billing", "blue"), ("mobile", "teal")]


def test_the_roadmap_has_its_four_columns(api_as, make_idea):
    planned = make_idea(title="Planned one", status="planned")
    make_idea(title="Still new")
    make_idea(title="Hidden plan", status="planned", hidden_at=utcnow())

    body = api_as(None).get("/roadmap").get_json()

    statuses = [column["status"] for column in body["columns"]]
    assert statuses == ["under_review", "planned", "in_progress", "shipped"]
    planned_column = body["columns"][1]
    assert planned_column["total"] == 1
    assert [idea["id"] for idea in planned_column["ideas"]] == [planned.id]


def test_the_roadmap_filters_by_kind(api_as, make_idea):
    make_idea(title="A planned problem", status="planned", kind="problem")
    make_idea(title="A planned idea", status="planned")

    body = api_as(None).get("/roadmap?kind=problem").get_json()

    assert [idea["title"] for idea in body["columns"][1]["ideas"]] == ["A planned problem"]
    assert api_as(None).get("/roadmap?kind=wish").status_code == 422


@pytest.fixture
def enterprise_roadmap(app, make_user, make_idea, make_company):
    """A planned idea an Enterprise customer backs, another nobody in it backs, and the segment."""
    from ideas.segments import create_segment
    from ideas.vote_importance import back_idea

    erin, admin = make_user(), make_user(role="admin")
    make_company("Northwind", members=[erin], plan="Enterprise")
    wanted, other = make_idea(title="Audit log", status="planned"), make_idea(title="Emoji", status="planned")
    with app.app_context():
        back_idea(db.session.get(User, erin.id), db.session.get(Idea, wanted.id))
        segment = create_segment(db.session.get(User, admin.id), "Enterprise", "all",
                                 [{"field": "attribute.plan", "operator": "is", "value": "Enterprise"}])
        db.session.commit()
        return segment.id, wanted.id, other.id


def test_staff_narrow_the_roadmap_to_a_segment(api_as, make_user, enterprise_roadmap):
    segment_id, wanted_id, _ = enterprise_roadmap

    body = api_as(make_user(role="staff")).get(f"/roadmap?segment={segment_id}").get_json()

    planned = body["columns"][1]
    assert (planned["total"], [idea["id"] for idea in planned["ideas"]]) == (1, [wanted_id])


@pytest.mark.parametrize("who, status", [("member", 403), ("anonymous", 401)])
def test_only_staff_narrow_the_roadmap_to_a_segment(api_as, make_user, enterprise_roadmap, who, status):
    segment_id, _, _ = enterprise_roadmap
    api = api_as(make_user() if who == "member" else None)

    assert api.get(f"/roadmap?segment={segment_id}").status_code == status


def test_an_unknown_segment_on_the_roadmap_is_refused(api_as, make_user, enterprise_roadmap):
    response = api_as(make_user(role="staff")).get("/roadmap?segment=9999")

    assert response.status_code == 422
    assert "segment" in error_of(response)["fields"]


def test_the_changelog_lists_published_entries_only(api_as, app, make_user, make_idea):
    staff = make_user(role="staff")
    idea = make_idea(title="Dark mode")
    with app.app_context():
        actor = db.session.get(User, staff.id)
        entry = create_entry(actor, "Dark mode is here", "Enjoy.", [idea.id])
        create_entry(actor, "A draft", "Not yet.")
        publish_entry(actor, entry, mark_shipped=True)
        db.session.commit()

    body = api_as(None).get("/changelog").get_json()

    assert [entry["title"] for entry in body["entries"]] == ["Dark mode is here"]
    assert body["entries"][0]["ideas"] == [{"id": idea.id, "title": "Dark mode", "status": "shipped"}]
    assert body["next"] is None


@pytest.mark.parametrize("reader", [None, "staff"])
def test_the_changelog_hides_ideas_hidden_since(api_as, app, make_user, make_idea, reader):
    staff = make_user(role="staff")
    idea = make_idea()
    with app.app_context():
        actor = db.session.get(User, staff.id)
        publish_entry(actor, create_entry(actor, "Shipped", "", [idea.id]))
        db.session.get(Idea, idea.id).hidden_at = utcnow()
        db.session.commit()

    # As on the changelog page: staff see the hidden idea on its own page, not as delivered.
    entries = api_as(staff if reader else None).get("/changelog").get_json()["entries"]

    assert entries[0]["ideas"] == []


def test_me_tells_who_the_key_acts_for(api_as, make_user):
    member = make_user(name="Ada", role="staff")

    body = api_as(member).get("/me").get_json()

    assert {key: body[key] for key in ("id", "name", "email", "role", "confirmed")} == {
        "id": member.id, "name": "Ada", "email": member.email, "role": "staff", "confirmed": True}
    assert body["api_key"]["name"] == "Test key"


def test_me_needs_someone(api_as):
    response = api_as(None).get("/me")

    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
