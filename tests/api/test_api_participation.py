"""Voting, following and commenting through the API, with the same rules as the buttons."""
import pytest
from sqlalchemy import func, select

from ideas.comments import add_comment
from ideas.extensions import db
from ideas.models import Comment, Follow, Idea, User, Vote

from conftest import error_of
from helpers import recorded_begins


def vote_rows(fetch, idea):
    """(member id, cast by) of each vote on the idea."""
    return fetch(lambda: sorted(db.session.execute(
        select(Vote.user_id, Vote.cast_by_id).where(Vote.idea_id == idea.id)).all()))


def stored_count(fetch, idea):
    return fetch(lambda: db.session.get(Idea, idea.id).vote_count)


def test_a_member_backs_an_idea_once(api_as, make_user, make_idea, fetch):
    member = make_user()
    idea = make_idea()
    api = api_as(member)

    first = api.put(f"/ideas/{idea.id}/vote")
    second = api.put(f"/ideas/{idea.id}/vote")

    assert first.get_json() == {"idea_id": idea.id, "member_id": member.id, "voted": True, "changed": True,
                                "vote_count": 1, "importance": None, "note": ""}
    assert second.get_json()["changed"] is False and second.get_json()["vote_count"] == 1
    assert vote_rows(fetch, idea) == [(member.id, None)]
    assert stored_count(fetch, idea) == 1


@pytest.mark.sqlite_only
@pytest.mark.parametrize("method", ["put", "delete"])
def test_the_vote_answer_is_read_without_the_write_lock(app, api_as, make_user, make_idea, method):
    member = make_user()
    idea = make_idea()
    api = api_as(member)
    api.get(f"/ideas/{idea.id}")  # the key's first use records it, in a write of its own
    if method == "delete":
        api.put(f"/ideas/{idea.id}/vote")

    with recorded_begins(app) as begins:
        response = getattr(api, method)(f"/ideas/{idea.id}/vote")

    assert response.status_code == 200
    assert response.get_json()["changed"] is True
    assert begins.count("BEGIN IMMEDIATE") == 1
    assert begins[0] == "BEGIN IMMEDIATE" and "BEGIN" in begins[1:]


def test_a_member_withdraws_their_vote(api_as, make_user, make_idea, fetch):
    member = make_user()
    idea = make_idea()
    api = api_as(member)
    api.put(f"/ideas/{idea.id}/vote")

    response = api.delete(f"/ideas/{idea.id}/vote")

    assert response.status_code == 200
    assert response.get_json()["voted"] is False and response.get_json()["vote_count"] == 0
    assert vote_rows(fetch, idea) == []


@pytest.mark.parametrize("status", ["shipped", "declined"])
def test_voting_on_a_closed_idea_is_a_conflict(api_as, make_user, make_idea, fetch, status):
    idea = make_idea(status=status)

    response = api_as(make_user()).put(f"/ideas/{idea.id}/vote")

    assert response.status_code == 409
    assert error_of(response)["code"] == "voting_closed"
    assert vote_rows(fetch, idea) == []


def test_staff_vote_for_a_customer_by_email(api_as, make_user, make_idea, fetch):
    staff = make_user(role="staff")
    idea = make_idea()

    response = api_as(staff).put(f"/ideas/{idea.id}/vote", json={"email": "Buyer@Example.com"})

    customer = fetch(lambda: db.session.execute(
        select(User).where(User.email == "buyer@example.com")).scalar())
    assert response.status_code == 200
    assert response.get_json()["member_id"] == customer.id and response.get_json()["voted"] is True
    assert customer.password_hash is None
    assert vote_rows(fetch, idea) == [(customer.id, staff.id)]


def test_members_may_not_vote_for_someone_else(api_as, make_user, make_idea, fetch):
    idea = make_idea()

    response = api_as(make_user()).put(f"/ideas/{idea.id}/vote", json={"email": "someone@example.com"})

    assert response.status_code == 403
    assert vote_rows(fetch, idea) == []


@pytest.mark.parametrize("email", ["not-an-address", "a\x00b@example.com", "x" * 250 + "@example.com", 5])
def test_a_bad_customer_address_is_named(api_as, make_user, make_idea, fetch, email):
    idea = make_idea()

    response = api_as(make_user(role="staff")).put(f"/ideas/{idea.id}/vote", json={"email": email})

    assert response.status_code == 422
    assert "email" in error_of(response)["fields"]
    assert vote_rows(fetch, idea) == []


def test_following_and_unfollowing(api_as, make_user, make_idea, fetch):
    member = make_user()
    idea = make_idea()
    api = api_as(member)

    followed = api.put(f"/ideas/{idea.id}/follow", json={"level": "all"})
    unfollowed = api.delete(f"/ideas/{idea.id}/follow")
    api.put(f"/ideas/{idea.id}/vote")

    assert followed.get_json() == {"idea_id": idea.id, "following": True, "level": "all", "follower_count": 2}
    assert unfollowed.get_json() == {"idea_id": idea.id, "following": False, "level": None,
                                     "follower_count": 1}
    following = fetch(lambda: db.session.get(Follow, (member.id, idea.id)).following)
    assert following is False  # voting after an unfollow does not follow again


def test_a_bad_follow_level_is_named(api_as, make_user, make_idea):
    idea = make_idea()

    response = api_as(make_user()).put(f"/ideas/{idea.id}/follow", json={"level": "everything"})

    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["level"]


def test_a_member_comments_and_follows(api_as, make_user, make_idea, fetch):
    member = make_user()
    idea = make_idea()

    response = api_as(member).post(f"/ideas/{idea.id}/comments", json={"body": "Me *too*"})

    assert response.status_code == 201
    body = response.get_json()
    assert body["body"] == "Me *too*" and body["author"]["id"] == member.id
    assert body["internal"] is False and body["official"] is False
    assert fetch(lambda: db.session.get(Idea, idea.id).comment_count) == 1
    assert fetch(lambda: db.session.get(Follow, (member.id, idea.id)).following) is True


@pytest.mark.parametrize("payload, field", [
    ({}, "body"), ({"body": ""}, "body"), ({"body": "x" * 5001}, "body"),
    ({"body": "ok", "visibility": "secret"}, "visibility"),
])
def test_a_bad_comment_is_named(api_as, make_user, make_idea, fetch, payload, field):
    idea = make_idea()

    response = api_as(make_user()).post(f"/ideas/{idea.id}/comments", json=payload)

    assert response.status_code == 422
    assert field in error_of(response)["fields"]
    assert fetch(lambda: db.session.execute(select(func.count()).select_from(Comment)).scalar_one()) == 0


@pytest.mark.parametrize("visibility", ["internal", "official"])
def test_members_may_not_write_internal_notes_or_official_responses(api_as, make_user, make_idea, visibility):
    idea = make_idea()

    response = api_as(make_user()).post(f"/ideas/{idea.id}/comments",
                                        json={"body": "Hi", "visibility": visibility})

    assert response.status_code == 403


@pytest.fixture
def discussed(app, make_user, make_idea):
    """An idea with a public comment and a staff member's internal note."""
    staff = make_user(role="staff")
    idea = make_idea()
    with app.app_context():
        target = db.session.get(Idea, idea.id)
        add_comment(db.session.get(User, staff.id), target, "Public answer")
        add_comment(db.session.get(User, staff.id), target, "Customer is on the big plan", internal=True)
        db.session.commit()
    return staff, idea


@pytest.mark.parametrize("viewer", ["anonymous", "member", "staff"])
def test_internal_notes_reach_staff_only(api_as, make_user, discussed, viewer):
    staff, idea = discussed
    person = {"anonymous": None, "member": make_user(), "staff": staff}[viewer]
    api = api_as(person)

    comments = api.get(f"/ideas/{idea.id}/comments").get_json()["comments"]
    detail = api.get(f"/ideas/{idea.id}").get_data(as_text=True)

    bodies = [comment["body"] for comment in comments]
    if viewer == "staff":
        assert bodies == ["Public answer", "Customer is on the big plan"]
    else:
        assert bodies == ["Public answer"]
    assert "big plan" not in detail  # the idea itself never carries notes


def test_staff_write_an_internal_note(api_as, make_user, make_idea, fetch):
    idea = make_idea()

    note = {"body": "Check with sales", "visibility": "internal"}

    response = api_as(make_user(role="staff")).post(f"/ideas/{idea.id}/comments", json=note)

    assert response.status_code == 201
    assert response.get_json()["internal"] is True
    assert fetch(lambda: db.session.get(Idea, idea.id).comment_count) == 0


def test_comments_page_with_a_next_link(api_as, make_user, make_idea):
    idea = make_idea()
    api = api_as(make_user())
    for number in range(3):
        api.post(f"/ideas/{idea.id}/comments", json={"body": f"Comment {number}"})

    first = api.get(f"/ideas/{idea.id}/comments?per_page=2").get_json()
    second = api.client.get(first["next"]).get_json()

    bodies = [comment["body"] for comment in first["comments"] + second["comments"]]
    assert bodies == ["Comment 0", "Comment 1", "Comment 2"]
    assert second["next"] is None


def test_a_member_replies_to_a_comment_through_the_api(api_as, make_user, discussed, fetch):
    staff, idea = discussed
    parent_id = fetch(lambda: db.session.execute(
        select(Comment.id).where(Comment.idea_id == idea.id, Comment.internal.is_(False))).scalar_one())

    response = api_as(make_user()).post(f"/ideas/{idea.id}/comments",
                                        json={"body": "Thanks!", "parent_id": parent_id})

    assert response.status_code == 201
    assert response.get_json()["parent_id"] == parent_id
    assert fetch(lambda: db.session.get(Comment, response.get_json()["id"]).parent_id) == parent_id


def test_a_member_cannot_reply_to_an_internal_note_it_cannot_see(api_as, make_user, discussed, fetch):
    staff, idea = discussed
    note_id = fetch(lambda: db.session.execute(
        select(Comment.id).where(Comment.idea_id == idea.id, Comment.internal.is_(True))).scalar_one())

    response = api_as(make_user()).post(f"/ideas/{idea.id}/comments",
                                        json={"body": "Peek", "parent_id": note_id})

    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["parent_id"]
    assert fetch(lambda: db.session.execute(select(func.count()).select_from(Comment)).scalar_one()) == 2
