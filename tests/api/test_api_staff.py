"""The product team through the API: statuses with notes, merges and their undoing, tags."""
import re

import pytest
from sqlalchemy import select

from ideas.extensions import db
from ideas.models import AuditEntry, Idea, TimelineEntry, User
from ideas.voting import cast_vote

from conftest import error_of


def idea_row(fetch, idea):
    return fetch(lambda: db.session.get(Idea, idea.id))


def test_staff_change_a_status_with_a_note(api_as, make_user, make_idea, fetch):
    idea = make_idea()

    response = api_as(make_user(role="staff")).post(f"/ideas/{idea.id}/status",
                                                     json={"status": "planned", "note": "Next quarter."})

    assert response.status_code == 200
    assert response.get_json()["status"] == "planned"
    assert response.get_json()["timeline"][-1]["note"] == "Next quarter."
    assert idea_row(fetch, idea).status == "planned"
    assert fetch(lambda: db.session.execute(select(TimelineEntry.to_status)).scalar()) == "planned"


@pytest.mark.parametrize("payload, field", [
    ({"status": "declined"}, "note"),
    ({"status": "merged"}, "status"),
    ({"status": "open"}, "status"),
    ({"note": "No status"}, "status"),
    ({"status": "planned", "note": "n" * 5001}, "note"),
    ({"status": "planned", "note": "a\x00b"}, "note"),
])
def test_a_bad_status_change_is_named(api_as, make_user, make_idea, fetch, payload, field):
    idea = make_idea()

    response = api_as(make_user(role="staff")).post(f"/ideas/{idea.id}/status", json=payload)

    assert response.status_code == 422
    assert field in error_of(response)["fields"]
    assert idea_row(fetch, idea).status == "open"


@pytest.fixture
def two_ideas(app, make_user, make_idea):
    """A duplicate backed by one member, and the idea it duplicates."""
    duplicate, survivor = make_idea(title="Dark theme"), make_idea(title="Dark mode")
    backer = make_user()
    with app.app_context():
        cast_vote(db.session.get(User, backer.id), db.session.get(Idea, duplicate.id))
        db.session.commit()
    return duplicate, survivor


def test_staff_merge_a_duplicate_and_undo_it(api_as, make_user, two_ideas, fetch):
    duplicate, survivor = two_ideas
    api = api_as(make_user(role="staff"))

    merged = api.post(f"/ideas/{duplicate.id}/merge", json={"into": survivor.id})

    assert merged.status_code == 200
    assert merged.get_json()["status"] == "merged" and merged.get_json()["merged_into"] == survivor.id
    assert idea_row(fetch, survivor).vote_count == 1

    undone = api.delete(f"/ideas/{duplicate.id}/merge")

    assert undone.status_code == 200 and undone.get_json()["status"] == "open"
    assert idea_row(fetch, duplicate).vote_count == 1 and idea_row(fetch, survivor).vote_count == 0


@pytest.mark.parametrize("into", ["self", 999, 2**31, "two", None])
def test_a_bad_merge_target_is_named(api_as, make_user, two_ideas, fetch, into):
    duplicate, _ = two_ideas

    response = api_as(make_user(role="staff")).post(
        f"/ideas/{duplicate.id}/merge", json={"into": duplicate.id if into == "self" else into})

    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["into"]
    assert idea_row(fetch, duplicate).status == "open"


def test_a_missing_merge_target_is_named_as_the_page_names_it(api_as, make_user, two_ideas):
    duplicate, _ = two_ideas

    response = api_as(make_user(role="staff")).post(f"/ideas/{duplicate.id}/merge", json={"into": 999})

    assert error_of(response)["message"] == "No such idea."
    assert error_of(response)["fields"] == {"into": "There is no idea #999."}


def test_undoing_a_merge_that_is_not_there_is_a_conflict(api_as, make_user, make_idea):
    idea = make_idea()

    response = api_as(make_user(role="staff")).delete(f"/ideas/{idea.id}/merge")

    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"


def test_staff_set_an_ideas_tags(api_as, make_user, make_idea, make_tag, fetch):
    mobile, billing = make_tag("mobile"), make_tag("billing")
    make_tag("web")
    idea = make_idea(tags=[mobile, billing])
    staff = api_as(make_user(role="staff"))

    response = staff.put(f"/ideas/{idea.id}/tags", json={"tags": ["web", "billing"]})

    assert response.status_code == 200
    assert response.get_json()["tags"] == ["billing", "web"]
    assert fetch(lambda: [tag.name for tag in db.session.get(Idea, idea.id).tags]) == ["billing", "web"]
    actions = fetch(lambda: db.session.execute(
        select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all())
    assert actions == ["idea.untagged", "idea.tagged"]


@pytest.mark.parametrize("tags", [["nope"], "mobile", [1], ["mobile", "mobile"], ["x" * 41]])
def test_bad_tags_are_named(api_as, make_user, make_idea, make_tag, fetch, tags):
    make_tag("mobile")
    idea = make_idea()

    response = api_as(make_user(role="staff")).put(f"/ideas/{idea.id}/tags", json={"tags": tags})

    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["tags"]
    assert fetch(lambda: db.session.get(Idea, idea.id).tags) == []


def test_unknown_tags_are_named(api_as, make_user, make_idea, make_tag):
    make_tag("mobile")
    idea = make_idea()

    response = api_as(make_user(role="staff")).put(f"/ideas/{idea.id}/tags",
                                                   json={"tags": ["nope", "mobile", "never"]})

    assert error_of(response)["fields"] == {"tags": "There is no tag called nope, never."}


def test_setting_tags_looks_them_up_once(api_as, make_user, make_idea, make_tag, count_queries):
    make_tag("mobile"), make_tag("web")
    idea = make_idea()
    staff = api_as(make_user(role="staff"))

    with count_queries() as statements:
        response = staff.put(f"/ideas/{idea.id}/tags", json={"tags": ["web", "mobile"]})

    assert response.status_code == 200
    by_name_or_id = [statement for statement in statements
                     if re.search(r"FROM tags\s+WHERE tags\.(name|id) IN", statement)]
    assert len(by_name_or_id) == 1


def test_staff_see_and_clarify_any_idea(api_as, make_user, make_idea, fetch):
    idea = make_idea(title="Old words")

    response = api_as(make_user(role="staff")).patch(f"/ideas/{idea.id}", json={"kind": "problem"})

    assert response.status_code == 200
    assert idea_row(fetch, idea).kind == "problem" and idea_row(fetch, idea).staff_edited_at is not None
