"""How much an idea matters to its backers: said when voting, changed later without a new vote,
refused with what was typed when wrong, and seen by staff only."""
import pytest
from sqlalchemy import func, select

from helpers import htmx_headers
from ideas.errors import Conflict, InvalidInput
from ideas.extensions import db
from ideas.models import VOTE_NOTE_MAX, Idea, User, Vote, WebhookDelivery, WebhookEndpoint
from ideas.vote_importance import back_idea, notes_of_members, set_importance
from ideas import webhooks


def vote_state(fetch, idea_id):
    """(stored count, vote rows, [(importance, note)] of the rows) of the idea."""
    return fetch(lambda: (
        db.session.get(Idea, idea_id).vote_count,
        db.session.execute(select(func.count()).where(Vote.idea_id == idea_id)).scalar_one(),
        [tuple(row) for row in db.session.execute(
            select(Vote.importance, Vote.note).where(Vote.idea_id == idea_id).order_by(Vote.id))],
    ))


@pytest.fixture
def listening(app):
    """An endpoint listening to every webhook; returns a reader of the delivered event names."""
    with app.app_context():
        db.session.add(WebhookEndpoint(url="https://hooks.example.com/x", secret="s" * 32,
                                       events=" ".join(webhooks.EVENT_LABELS)))
        webhooks.store_listened_events()
        db.session.commit()

    def delivered():
        with app.app_context():
            return [(row.event, row.body) for row in db.session.execute(
                select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars()]

    return delivered


def test_voting_with_an_importance_and_note_stores_them_on_the_one_vote(client, auth, make_user, make_idea,
                                                                         fetch):
    idea = make_idea()
    auth.login(make_user())

    response = client.post(f"/ideas/{idea.id}/vote",
                           data={"importance": "critical", "private_note": "Our auditors need it by March."})

    assert response.status_code == 303
    assert vote_state(fetch, idea.id) == (1, 1, [("critical", "Our auditors need it by March.")])


def test_voting_without_saying_leaves_importance_unsaid(client, auth, make_user, make_idea, fetch):
    idea = make_idea()
    auth.login(make_user())

    client.post(f"/ideas/{idea.id}/vote")

    assert vote_state(fetch, idea.id) == (1, 1, [(None, "")])


def test_changing_importance_is_not_a_new_vote(client, auth, make_user, make_idea, fetch, listening):
    idea = make_idea()
    auth.login(make_user())
    client.post(f"/ideas/{idea.id}/vote", data={"importance": "nice_to_have"})

    response = client.post(f"/ideas/{idea.id}/importance",
                           data={"importance": "critical", "private_note": "Blocker"})

    assert response.status_code == 303
    assert vote_state(fetch, idea.id) == (1, 1, [("critical", "Blocker")])
    events = [event for event, _ in listening()]
    assert events.count("vote.created") == 1
    assert events[-1] == "vote.importance_changed"


def test_voting_again_with_an_importance_changes_it_without_a_second_vote(client, auth, make_user,
                                                                          make_idea, fetch, listening):
    idea = make_idea()
    auth.login(make_user())
    client.post(f"/ideas/{idea.id}/vote")

    client.post(f"/ideas/{idea.id}/vote", data={"importance": "important"})

    assert vote_state(fetch, idea.id) == (1, 1, [("important", "")])
    assert [event for event, _ in listening()].count("vote.created") == 1


def test_the_webhooks_carry_importance_but_never_the_note(client, auth, make_user, make_idea, listening):
    idea = make_idea()
    auth.login(make_user())

    client.post(f"/ideas/{idea.id}/vote", data={"importance": "important", "private_note": "SECRET-REASON"})
    client.post(f"/ideas/{idea.id}/importance", data={"importance": "critical", "private_note": "SECRET-TWO"})

    bodies = dict(listening())
    assert '"importance":"important"' in bodies["vote.created"]
    assert '"importance":"critical"' in bodies["vote.importance_changed"]
    assert all("SECRET" not in body for body in bodies.values())


def test_changing_only_the_note_fires_no_webhook(client, auth, make_user, make_idea, fetch, listening):
    idea = make_idea()
    auth.login(make_user())
    client.post(f"/ideas/{idea.id}/vote", data={"importance": "important"})

    client.post(f"/ideas/{idea.id}/importance",
                data={"importance": "important", "private_note": "Now with a reason"})

    assert [event for event, _ in listening() if event.startswith("vote.")] == ["vote.created"]
    assert vote_state(fetch, idea.id)[2] == [("important", "Now with a reason")]


@pytest.mark.parametrize("path", ["vote", "importance"])
def test_an_unknown_importance_comes_back_with_what_was_typed(client, auth, make_user, make_idea, fetch,
                                                              path):
    idea = make_idea()
    member = make_user()
    auth.login(member)
    if path == "importance":
        client.post(f"/ideas/{idea.id}/vote")

    response = client.post(f"/ideas/{idea.id}/{path}",
                           data={"importance": "urgent!!", "private_note": "Typed words"})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" in body and "Typed words" in body
    assert 'aria-invalid="true"' in body
    assert vote_state(fetch, idea.id) == ((1, 1, [(None, "")]) if path == "importance" else (0, 0, []))


def test_a_note_too_long_is_refused_with_what_was_typed(client, auth, make_user, make_idea, fetch):
    idea = make_idea()
    auth.login(make_user())
    typed = "x" * (VOTE_NOTE_MAX + 1)

    response = client.post(f"/ideas/{idea.id}/vote", data={"importance": "critical", "private_note": typed})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert typed in body
    assert vote_state(fetch, idea.id) == (0, 0, [])


def test_an_htmx_refusal_answers_the_vote_button_and_the_section_out_of_band(client, auth, make_user,
                                                                             make_idea):
    idea = make_idea()
    auth.login(make_user())

    response = client.post(f"/ideas/{idea.id}/vote", data={"importance": "nope", "private_note": "Kept"},
                           headers=htmx_headers(f"idea-{idea.id}-vote"))

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<html" not in body
    assert f'id="idea-{idea.id}-vote"' in body
    assert f'id="idea-{idea.id}-importance" aria-labelledby="idea-{idea.id}-importance-heading" ' \
           f'hx-swap-oob="true"' in body
    assert "Kept" in body


def test_an_htmx_change_answers_the_section(client, auth, make_user, make_idea, fetch):
    idea = make_idea()
    auth.login(make_user())
    client.post(f"/ideas/{idea.id}/vote")

    response = client.post(f"/ideas/{idea.id}/importance", data={"importance": "important"},
                           headers=htmx_headers(f"idea-{idea.id}-importance"))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert f'id="idea-{idea.id}-importance"' in body and "Saved." in body
    assert vote_state(fetch, idea.id)[2] == [("important", "")]


def test_the_idea_page_offers_the_choice_with_the_vote_form(client, auth, make_user, make_idea):
    idea = make_idea()
    auth.login(make_user())

    body = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    assert f'id="idea-{idea.id}-vote-form"' in body
    assert f'form="idea-{idea.id}-vote-form"' in body  # the choice travels with the vote button
    assert "How much does this matter?" in body


# Staff views

def test_staff_see_the_notes_on_the_idea_and_the_member_page(client, auth, make_user, make_idea, app):
    idea = make_idea()
    backer = make_user(name="Bea Backer")
    with app.app_context():
        back_idea(db.session.get(User, backer.id), db.session.get(Idea, idea.id), "critical",
                  "Need <b>this</b>")
        db.session.commit()
    auth.login(make_user(role="staff"))

    idea_page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    member_page = client.get(f"/staff/members/{backer.id}").get_data(as_text=True)

    for page in (idea_page, member_page):
        assert "Need &lt;b&gt;this&lt;/b&gt;" in page  # plain text, escaped
        assert "Critical" in page
    assert "Bea Backer" in idea_page


def test_notes_of_members_lists_what_each_said(app, make_user, make_idea):
    ideas = [make_idea(title="One"), make_idea(title="Two")]
    ada, bob, quiet = make_user(), make_user(), make_user()
    with app.app_context():
        back_idea(db.session.get(User, ada.id), db.session.get(Idea, ideas[0].id), "important", "A")
        back_idea(db.session.get(User, bob.id), db.session.get(Idea, ideas[1].id), None, "B")
        back_idea(db.session.get(User, quiet.id), db.session.get(Idea, ideas[1].id))
        db.session.flush()

        rows = db.session.execute(notes_of_members([ada.id, bob.id, quiet.id])).all()

        said = sorted((user.id, idea.title, vote.importance, vote.note) for vote, idea, user in rows)
        assert said == sorted([(ada.id, "One", "important", "A"), (bob.id, "Two", None, "B")])


# The rules

def test_the_rule_refuses_an_importance_without_a_vote(app, make_user, make_idea):
    idea, member = make_idea(), make_user()
    with app.app_context(), pytest.raises(Conflict):
        set_importance(db.session.get(User, member.id), db.session.get(Idea, idea.id), "critical", "")


def test_the_rule_refuses_unknown_importance_and_long_notes(app, make_user, make_idea):
    idea, member = make_idea(), make_user()
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            back_idea(db.session.get(User, member.id), db.session.get(Idea, idea.id), "urgent",
                      "x" * (VOTE_NOTE_MAX + 1))
        assert set(refused.value.fields) == {"importance", "note"}
        assert db.session.get(Idea, idea.id).vote_count == 0


def test_the_database_refuses_an_unknown_importance(app, make_user, make_idea):
    idea, member = make_idea(), make_user()
    with app.app_context():
        db.session.add(Vote(user_id=member.id, idea_id=idea.id, importance="urgent"))
        with pytest.raises(Exception, match="(?i)check"):
            db.session.flush()
        db.session.rollback()


# Who may change importance on the pages

@pytest.mark.parametrize("actor, expected", [
    ("anonymous", 302), ("member", 409), ("backer", 303), ("staff", 409), ("staff_backer", 303),
])
def test_who_may_change_importance(client, auth, make_user, make_idea, app, fetch, actor, expected):
    idea = make_idea()
    person = None if actor == "anonymous" else make_user(role="staff" if "staff" in actor else "member")
    if actor.endswith("backer"):
        with app.app_context():
            back_idea(db.session.get(User, person.id), db.session.get(Idea, idea.id))
            db.session.commit()
    if person is not None:
        auth.login(person)

    response = client.post(f"/ideas/{idea.id}/importance", data={"importance": "critical"})

    assert response.status_code == expected
    said = fetch(lambda: db.session.execute(select(Vote.importance)).scalars().all())
    assert said == (["critical"] if expected == 303 else [] if not actor.endswith("backer") else [None])
