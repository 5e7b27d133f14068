"""Importance and private notes through the API: the voter says and changes them on their vote,
staff read every backer's through their own keys, and the document describes both."""
import pytest
from sqlalchemy import func, select

from ideas.extensions import db
from ideas.models import VOTE_NOTE_MAX, Idea, User, Vote
from ideas.vote_importance import back_idea


def counted(fetch, idea_id):
    """(stored count, vote rows) of the idea."""
    rows = select(func.count()).where(Vote.idea_id == idea_id)
    return fetch(lambda: (db.session.get(Idea, idea_id).vote_count, db.session.execute(rows).scalar_one()))


def test_a_vote_carries_the_voters_importance_and_note(api_as, make_user, make_idea, fetch):
    idea = make_idea()
    api = api_as(make_user())

    response = api.put(f"/ideas/{idea.id}/vote", json={"importance": "critical", "note": "Month-end close"})

    assert response.status_code == 200
    assert response.json == {"idea_id": idea.id, "member_id": response.json["member_id"], "voted": True,
                                  "changed": True, "vote_count": 1, "importance": "critical",
                                  "note": "Month-end close"}


def test_sending_importance_again_changes_it_without_a_second_vote(api_as, make_user, make_idea, fetch):
    idea = make_idea()
    api = api_as(make_user())
    api.put(f"/ideas/{idea.id}/vote", json={"importance": "nice_to_have", "note": "Kept"})

    response = api.put(f"/ideas/{idea.id}/vote", json={"importance": "important"})

    assert response.status_code == 200
    assert (response.json["changed"], response.json["importance"], response.json["note"]) == (
        False, "important", "Kept")
    assert counted(fetch, idea.id) == (1, 1)


def test_none_clears_the_importance(api_as, make_user, make_idea, fetch):
    idea = make_idea()
    api = api_as(make_user())
    api.put(f"/ideas/{idea.id}/vote", json={"importance": "critical"})

    response = api.put(f"/ideas/{idea.id}/vote", json={"importance": "none"})

    assert response.json["importance"] is None
    assert fetch(lambda: db.session.execute(select(Vote.importance)).scalar_one()) is None


@pytest.mark.parametrize("body, field", [
    ({"importance": "urgent"}, "importance"),
    ({"note": "x" * (VOTE_NOTE_MAX + 1)}, "note"),
])
def test_bad_importance_or_note_is_refused(api_as, make_user, make_idea, fetch, body, field):
    idea = make_idea()
    api = api_as(make_user())

    response = api.put(f"/ideas/{idea.id}/vote", json=body)

    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert counted(fetch, idea.id) == (0, 0)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("role, expected", [(None, 401), ("member", 403), ("staff", 200), ("admin", 200)])
def test_only_staff_keys_read_the_notes(app, api_as, make_user, make_idea, role, expected):
    idea = make_idea()
    backer = make_user(name="Bea Backer")
    with app.app_context():
        back_idea(db.session.get(User, backer.id), db.session.get(Idea, idea.id), "critical", "Private why")
        db.session.commit()
    api = api_as(make_user(role=role) if role else None)

    response = api.get(f"/ideas/{idea.id}/notes")

    assert response.status_code == expected
    body = response.get_data(as_text=True)
    if expected == 200:
        member = {"id": backer.id, "name": "Bea Backer", "handle": "bea_backer"}
        assert response.json["notes"] == [{"member": member,
                                           "importance": "critical", "note": "Private why",
                                           "voted_at": response.json["notes"][0]["voted_at"]}]
    else:
        assert "Private why" not in body


@pytest.mark.sqlite_only
def test_the_document_describes_importance_and_the_notes_route(client):
    document = client.get("/api/v1/openapi.json").json

    vote = document["components"]["schemas"]["Vote"]["properties"]
    assert {"importance", "note"} <= set(vote)
    notes = document["paths"]["/ideas/{idea_id}/notes"]["get"]
    assert "403" in notes["responses"]
    body = document["paths"]["/ideas/{idea_id}/vote"]["put"]["requestBody"]["content"]["application/json"]
    importance = body["schema"]["properties"]["importance"]
    assert importance["enum"] == ["nice_to_have", "important", "critical", "none"]
