"""Following ideas, and the member's own activity page."""
from helpers import BOOSTED, htmx_headers
from ideas.extensions import db
from ideas.models import Follow


def following(fetch, member, idea):
    """The member's follow row for the idea: True, False (unfollowed) or None."""
    row = fetch(lambda: db.session.get(Follow, (member.id, idea.id)))
    return None if row is None else row.following


def test_follow_button_follows(client, auth, make_user, make_idea, fetch):
    idea, member = make_idea(), make_user()
    auth.login(member)

    response = client.post(f"/ideas/{idea.id}/follow")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/ideas/{idea.id}"
    assert following(fetch, member, idea) is True


def test_unfollow_is_remembered_when_commenting_later(client, auth, make_user, make_idea, fetch):
    idea, member = make_idea(), make_user()
    auth.login(member)
    client.post(f"/ideas/{idea.id}/vote")

    client.post(f"/ideas/{idea.id}/unfollow")
    client.post(f"/ideas/{idea.id}/comments", data={"body": "Still interested, quietly"})

    assert following(fetch, member, idea) is False


def test_follow_again_after_unfollowing(client, auth, make_user, make_idea, fetch):
    idea, member = make_idea(), make_user()
    auth.login(member)
    client.post(f"/ideas/{idea.id}/unfollow")

    client.post(f"/ideas/{idea.id}/follow")

    assert following(fetch, member, idea) is True


def test_htmx_follow_answers_the_button_with_the_new_count(client, auth, make_user, make_idea):
    idea = make_idea()
    auth.login(make_user())

    response = client.post(f"/ideas/{idea.id}/follow", headers=htmx_headers(f"idea-{idea.id}-follow"))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert "2 followers" in body
    assert "Following" in body


def test_boosted_follow_gets_a_client_redirect(client, auth, make_user, make_idea):
    idea = make_idea()
    auth.login(make_user())

    response = client.post(f"/ideas/{idea.id}/unfollow", headers=BOOSTED)

    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/ideas/{idea.id}"


def test_idea_page_counts_only_current_followers(client, auth, make_user, make_idea):
    author = make_user()
    idea = make_idea(author=author)
    auth.login(author)
    client.post(f"/ideas/{idea.id}/unfollow")

    body = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    assert "0 followers" in body


def test_activity_lists_my_ideas_backed_ideas_with_status_and_follows(client, auth, make_user,
                                                                       make_idea):
    me = make_user()
    make_idea(author=me, title="My own idea")
    backed = make_idea(title="Backed and planned", status="planned")
    followed = make_idea(title="Only followed")
    make_idea(title="Not mine at all")
    auth.login(me)
    client.post(f"/ideas/{backed.id}/vote")
    client.post(f"/ideas/{followed.id}/follow")

    body = client.get("/account/activity").get_data(as_text=True)

    my_part, rest = body.split('id="backed-ideas"')
    backed_part, followed_part = rest.split('id="followed-ideas"')
    assert "My own idea" in my_part
    assert "Backed and planned" in backed_part and "Planned" in backed_part
    assert "Only followed" in followed_part and "My own idea" in followed_part
    assert "Not mine at all" not in body
