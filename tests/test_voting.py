"""Backing ideas: one vote per member, exact stored counts, closed statuses, htmx and plain."""
import pytest
from sqlalchemy import func, select

from helpers import BOOSTED, htmx_headers, recorded_begins
from ideas.errors import VotingClosed
from ideas.extensions import db
from ideas.following import unfollow_idea
from ideas.models import Follow, Idea, User, Vote
from ideas.voting import cast_vote, trending_score, withdraw_vote


def stored_and_counted(fetch, idea_id):
    """The idea's stored vote count and the number of vote rows."""
    return fetch(lambda: (
        db.session.get(Idea, idea_id).vote_count,
        db.session.execute(select(func.count()).where(Vote.idea_id == idea_id)).scalar_one(),
    ))


def test_voting_from_a_form_adds_one_vote_and_redirects(client, auth, make_user, make_idea, fetch):
    idea = make_idea()
    auth.login(make_user())

    response = client.post(f"/ideas/{idea.id}/vote", data={"next": "/?sort=top"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/?sort=top"
    assert stored_and_counted(fetch, idea.id) == (1, 1)


def test_voting_twice_counts_once(client, auth, make_user, make_idea, fetch):
    idea = make_idea()
    auth.login(make_user())

    client.post(f"/ideas/{idea.id}/vote")
    client.post(f"/ideas/{idea.id}/vote")

    assert stored_and_counted(fetch, idea.id) == (1, 1)


def test_withdrawing_a_vote_removes_it(client, auth, make_user, make_idea, fetch):
    idea = make_idea()
    auth.login(make_user())
    client.post(f"/ideas/{idea.id}/vote")

    response = client.post(f"/ideas/{idea.id}/unvote")

    assert response.status_code == 303
    assert stored_and_counted(fetch, idea.id) == (0, 0)


def test_withdrawing_without_a_vote_changes_nothing(client, auth, make_user, make_idea, fetch):
    idea = make_idea()
    auth.login(make_user())

    client.post(f"/ideas/{idea.id}/unvote")

    assert stored_and_counted(fetch, idea.id) == (0, 0)


def test_htmx_vote_answers_the_vote_fragment(client, auth, make_user, make_idea):
    idea = make_idea(title="Offline mode")
    auth.login(make_user())

    response = client.post(f"/ideas/{idea.id}/vote", headers=htmx_headers(f"idea-{idea.id}-vote"))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert f'id="idea-{idea.id}-vote"' in body
    assert 'aria-pressed="true"' in body
    assert "You back “Offline mode”. 1 vote." in body  # announced to screen readers
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_vote_on_the_idea_page_also_updates_the_follow_button(client, auth, make_user, make_idea):
    idea = make_idea()
    auth.login(make_user())

    response = client.post(f"/ideas/{idea.id}/vote", data={"on_idea_page": "1"},
                           headers=htmx_headers(f"idea-{idea.id}-vote"))

    body = response.get_data(as_text=True)
    assert f'id="idea-{idea.id}-follow" hx-swap-oob="true"' in body
    assert "2 followers" in body  # the author and the voter


def test_boosted_vote_gets_a_client_redirect_not_a_3xx(client, auth, make_user, make_idea):
    idea = make_idea()
    auth.login(make_user())

    response = client.post(f"/ideas/{idea.id}/vote", headers=BOOSTED)

    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/ideas/{idea.id}"


def test_the_board_shows_which_ideas_i_backed(client, auth, make_user, make_idea):
    backed, other = make_idea(title="Backed one"), make_idea(title="Other one")
    auth.login(make_user())
    client.post(f"/ideas/{backed.id}/vote")

    body = client.get("/").get_data(as_text=True)

    assert f'action="/ideas/{backed.id}/unvote"' in body
    assert f'action="/ideas/{other.id}/vote"' in body


def test_voting_follows_the_idea(client, auth, make_user, make_idea, fetch):
    idea, voter = make_idea(), make_user()
    auth.login(voter)

    client.post(f"/ideas/{idea.id}/vote")

    assert fetch(lambda: db.session.get(Follow, (voter.id, idea.id)).following) is True


def test_voting_after_unfollowing_does_not_follow_again(app, make_user, make_idea, fetch):
    idea, voter = make_idea(), make_user()
    with app.app_context():
        member = db.session.get(User, voter.id)
        unfollow_idea(member, db.session.get(Idea, idea.id))
        cast_vote(member, db.session.get(Idea, idea.id))
        db.session.commit()

    assert fetch(lambda: db.session.get(Follow, (voter.id, idea.id)).following) is False


@pytest.mark.parametrize("status", ["shipped", "declined", "merged"])
def test_voting_is_closed_on_finished_ideas(client, auth, make_user, make_idea, fetch, status):
    idea = make_idea(status=status)
    auth.login(make_user())

    response = client.post(f"/ideas/{idea.id}/vote")

    assert response.status_code == 409
    assert "Voting is closed" in response.get_data(as_text=True)
    assert stored_and_counted(fetch, idea.id) == (0, 0)


def test_closed_idea_page_says_why_voting_is_closed(client, make_idea):
    idea = make_idea(status="shipped")

    body = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    assert "Voting closed: shipped" in body


def test_domain_refuses_a_vote_on_a_declined_idea(app, make_user, make_idea):
    idea, voter = make_idea(status="declined"), make_user()
    with app.app_context():
        with pytest.raises(VotingClosed):
            cast_vote(db.session.get(User, voter.id), db.session.get(Idea, idea.id))


def test_vote_updates_the_stored_trending_score(app, make_user, make_idea, fetch):
    idea = make_idea()
    voters = [make_user() for _ in range(10)]
    with app.app_context():
        for voter in voters:
            cast_vote(db.session.get(User, voter.id), db.session.get(Idea, idea.id))
        db.session.commit()

    score = fetch(lambda: db.session.get(Idea, idea.id).trending_score)
    assert score == pytest.approx(trending_score(10, idea.created_at))


def test_withdraw_in_the_domain_reports_whether_a_vote_was_removed(app, make_user, make_idea):
    idea, voter = make_idea(), make_user()
    with app.app_context():
        member, target = db.session.get(User, voter.id), db.session.get(Idea, idea.id)
        assert cast_vote(member, target) is True
        assert cast_vote(member, target) is False
        assert withdraw_vote(member, target) is True
        assert withdraw_vote(member, target) is False


def test_signed_out_visitors_are_sent_to_sign_in(client, make_idea, fetch):
    idea = make_idea()

    response = client.post(f"/ideas/{idea.id}/vote")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=")
    assert stored_and_counted(fetch, idea.id) == (0, 0)


@pytest.mark.sqlite_only
def test_the_vote_answer_is_rendered_without_the_write_lock(app, client, auth, make_idea, make_user):
    idea = make_idea(title="Dark mode")
    auth.login(make_user())

    with recorded_begins(app) as begins:
        response = client.post(f"/ideas/{idea.id}/vote", headers=htmx_headers(f"idea-{idea.id}-vote"))

    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.text
    # The vote's own transaction is the only one holding the write lock; reading for the answer
    # begins a plain one.
    assert begins[0] == "BEGIN IMMEDIATE"
    assert begins.count("BEGIN IMMEDIATE") == 1
    assert "BEGIN" in begins[1:]
