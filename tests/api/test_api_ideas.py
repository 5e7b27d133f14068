"""Ideas through the API: list, propose, read, change, withdraw; the page rules, in JSON."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ideas.extensions import db
from ideas.models import Idea, Vote, utcnow

from conftest import error_of


def count_ideas(fetch):
    """How many ideas the database holds."""
    return fetch(lambda: db.session.execute(select(func.count()).select_from(Idea)).scalar_one())


def test_anyone_lists_the_board(api_as, make_idea):
    idea = make_idea(title="Export to CSV")

    response = api_as(None).get("/ideas")

    assert response.status_code == 200
    body = response.get_json()
    assert [item["id"] for item in body["ideas"]] == [idea.id]
    assert body["ideas"][0]["title"] == "Export to CSV"
    assert body["ideas"][0]["voted"] is False
    assert body["next"] is None


def test_the_list_pages_with_a_next_link(api_as, make_idea):
    for number in range(3):
        make_idea(title=f"Idea number {number}")
    api = api_as(None)

    first = api.get("/ideas?sort=new&per_page=2").get_json()
    second = api.client.get(first["next"]).get_json()

    assert [idea["title"] for idea in first["ideas"]] == ["Idea number 2", "Idea number 1"]
    assert "page=2" in first["next"] and "sort=new" in first["next"]
    assert [idea["title"] for idea in second["ideas"]] == ["Idea number 0"]
    assert second["next"] is None


def test_the_list_filters_by_status_kind_tag_and_text(api_as, make_idea, make_tag):
    mobile = make_tag("mobile")
    make_idea(title="Offline mode for the phone app", kind="problem", tags=[mobile])
    make_idea(title="Offline reports", kind="idea")
    make_idea(title="Great support", kind="praise", status="planned")
    api = api_as(None)

    def titles(query):
        return sorted(idea["title"] for idea in api.get(f"/ideas?{query}").get_json()["ideas"])

    assert titles("kind=problem") == ["Offline mode for the phone app"]
    assert titles("tag=mobile") == ["Offline mode for the phone app"]
    assert titles("q=offline") == ["Offline mode for the phone app", "Offline reports"]
    assert titles("status=planned") == ["Great support"]


@pytest.mark.parametrize("query, field", [
    ("status=shipping", "status"), ("kind=wish", "kind"), ("sort=random", "sort"),
    ("page=0", "page"), ("page=abc", "page"), ("per_page=101", "per_page"),
    ("page=99999999999", "page"), ("q=%00", "q"), ("tag=" + "x" * 41, "tag"),
])
def test_bad_list_parameters_are_named(api_as, query, field):
    response = api_as(None).get(f"/ideas?{query}")

    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid_input"
    assert list(error["fields"]) == [field]


def test_a_member_proposes_an_idea(api_as, make_user, make_tag, fetch):
    make_tag("billing")
    member = make_user()

    response = api_as(member).post("/ideas", json={"title": "Invoices in PDF", "description": "**Please**",
                                                   "kind": "problem", "tags": ["billing"]})

    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/ideas/{body['id']}")
    assert body["author"] == {"id": member.id, "name": member.name, "handle": member.handle}
    assert body["tags"] == ["billing"] and body["kind"] == "problem"
    assert body["description_html"].strip() == "<p><strong>Please</strong></p>"
    assert body["following"] is True
    assert fetch(lambda: db.session.get(Idea, body["id"]).author_id) == member.id


def test_proposing_through_the_api_backs_the_idea(api_as, make_user, fetch):
    member = make_user()

    response = api_as(member).post("/ideas", json={"title": "Invoices in PDF"})

    body = response.get_json()
    assert response.status_code == 201
    assert (body["vote_count"], body["voted"]) == (1, True)
    assert fetch(lambda: db.session.execute(
        select(Vote.user_id).where(Vote.idea_id == body["id"])).scalars().all()) == [member.id]


@pytest.mark.parametrize("payload, field", [
    ({}, "title"),
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "x" * 121}, "title"),
    ({"title": "Nul\x00byte"}, "title"),
    ({"title": 12}, "title"),
    ({"title": "Fine", "kind": "wish"}, "kind"),
    ({"title": "Fine", "description": "d" * 10_001}, "description"),
    ({"title": "Fine", "tags": ["nope"]}, "tags"),
    ({"title": "Fine", "tags": "billing"}, "tags"),
    ({"title": "Fine", "colour": "red"}, "colour"),
])
def test_a_bad_proposal_is_refused_with_the_field_named(api_as, make_user, fetch, payload, field):
    response = api_as(make_user()).post("/ideas", json=payload)

    assert response.status_code == 422, response.get_json()
    assert field in error_of(response)["fields"]
    assert count_ideas(fetch) == 0


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_refused(api_as, make_user, fetch, body):
    response = api_as(make_user()).post("/ideas", data=body, headers={"Content-Type": "application/json"})

    assert response.status_code in (400, 422)
    assert error_of(response)["code"] in ("bad_request", "invalid_input")
    assert count_ideas(fetch) == 0


def test_anonymous_proposals_are_refused(api_as, fetch):
    response = api_as(None).post("/ideas", json={"title": "Sneaky"})

    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert count_ideas(fetch) == 0


def test_anyone_reads_an_idea_with_its_timeline(api_as, make_idea, make_user, app):
    from ideas.statuses import change_status
    from ideas.models import User

    idea = make_idea(title="Dark mode")
    staff = make_user(role="staff")
    with app.app_context():
        change_status(db.session.get(User, staff.id), db.session.get(Idea, idea.id), "planned", "Next month.")
        db.session.commit()

    body = api_as(None).get(f"/ideas/{idea.id}").get_json()

    assert body["status"] == "planned" and body["status_label"] == "Planned"
    assert [(step["action"], step["to_status"], step["note"]) for step in body["timeline"]] == [
        ("status", "planned", "Next month.")]
    assert body["follower_count"] == 1  # the author


@pytest.mark.parametrize("flag, columns", [
    ("hidden", {"hidden_at": utcnow()}),
    ("withdrawn", {"withdrawn_at": utcnow()}),
    ("waiting", {"awaiting_approval": True}),
])
@pytest.mark.parametrize("viewer", ["anonymous", "member", "author", "staff"])
def test_ideas_out_of_sight_follow_the_page_rules(api_as, make_user, make_idea, client, flag, columns,
                                                  viewer):
    author = make_user()
    idea = make_idea(author=author, **columns)
    person = {"anonymous": None, "member": make_user(), "author": author,
              "staff": make_user(role="staff")}[viewer]
    api = api_as(person)

    page = client.get(f"/ideas/{idea.id}") if person is None else None
    found = api.get(f"/ideas/{idea.id}").status_code
    listed = [item["id"] for item in api.get("/ideas").get_json()["ideas"]]

    sees = viewer == "staff" or (flag == "waiting" and viewer == "author")
    assert found == (200 if sees else 404)
    if page is not None:
        assert page.status_code == found  # the page agrees
    assert (idea.id in listed) == (viewer == "staff" and flag != "withdrawn")


def test_an_unknown_or_huge_id_is_not_found(api_as):
    api = api_as(None)

    assert api.get("/ideas/999").status_code == 404
    assert api.get(f"/ideas/{2**31}").status_code == 404
    assert error_of(api.get("/ideas/99999999999999999999"))["code"] == "not_found"


def test_the_author_corrects_their_idea(api_as, make_user, make_idea, fetch):
    author = make_user()
    idea = make_idea(author=author, title="Dark mod")

    response = api_as(author).patch(f"/ideas/{idea.id}", json={"title": "Dark mode"})

    assert response.status_code == 200
    assert response.get_json()["title"] == "Dark mode"
    assert fetch(lambda: db.session.get(Idea, idea.id).title) == "Dark mode"
    assert fetch(lambda: db.session.get(Idea, idea.id).description) == "Night owls need it."


def test_the_author_may_not_change_an_idea_after_the_hour(api_as, make_user, make_idea, fetch):
    author = make_user()
    idea = make_idea(author=author, title="Old", created_at=utcnow() - timedelta(hours=2))

    response = api_as(author).patch(f"/ideas/{idea.id}", json={"title": "New"})

    assert response.status_code == 403
    assert fetch(lambda: db.session.get(Idea, idea.id).title) == "Old"


def test_a_change_by_someone_else_is_refused_before_its_body_is_read(api_as, make_user, make_idea):
    idea = make_idea()

    response = api_as(make_user()).patch(f"/ideas/{idea.id}", json={})

    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_an_empty_change_is_refused(api_as, make_user, make_idea):
    author = make_user()
    idea = make_idea(author=author)

    response = api_as(author).patch(f"/ideas/{idea.id}", json={})

    assert response.status_code == 422
    assert "body" in error_of(response)["fields"]


def test_the_author_withdraws_their_idea(api_as, make_user, make_idea, fetch):
    author = make_user()
    idea = make_idea(author=author)

    response = api_as(author).delete(f"/ideas/{idea.id}")

    assert response.status_code == 204
    assert response.data == b""
    assert fetch(lambda: db.session.get(Idea, idea.id).withdrawn_at) is not None
    assert api_as(None).get(f"/ideas/{idea.id}").status_code == 404


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b"9" * 5_000,
                                  b"{" + b" " * 300_000 + b"}"])
def test_pathological_bodies_are_refused_not_crashed_on(api_as, make_user, fetch, body):
    response = api_as(make_user()).post("/ideas", data=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"
    assert count_ideas(fetch) == 0
