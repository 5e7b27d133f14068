"""A board's moderators (members an admin names on the board) may hide, tag and merge that board's
ideas, and hide its comments, nothing more: the same routes refuse them on another board's ideas
and on the main board's, and refuse members who moderate nothing; staff may do it all."""
import pytest
from sqlalchemy import select

from ideas.boards import create_board
from ideas.comments import add_comment
from ideas.extensions import db
from ideas.models import Comment, Idea, Tag, User

# What a moderator may do: (path, form, check on the idea/comment once done).
ACTIONS = {
    "hide": ("/ideas/{idea}/hide", {}, lambda ids: db.session.get(Idea, ids["idea"]).hidden_at is not None),
    "tag": ("/ideas/{idea}/tags", {"tags": "{tag}"},
            lambda ids: [tag.id for tag in db.session.get(Idea, ids["idea"]).tags] == [ids["tag"]]),
    "merge": ("/ideas/{idea}/merge", {"into": "{other}"},
              lambda ids: db.session.get(Idea, ids["idea"]).merged_into_id == ids["other"]),
    "hide a comment": ("/ideas/comments/{comment}/hide", {},
                       lambda ids: db.session.get(Comment, ids["comment"]).hidden_at is not None),
}
# What stays the team's: (path, form).
TEAM_ONLY = {
    "status": ("/ideas/{idea}/status", {"status": "planned", "note": ""}),
    "move": ("/ideas/{idea}/board", {"board": "main"}),
    "priority": ("/ideas/{idea}/priority", {"impact": "4", "effort": "2"}),
    "vote for": ("/ideas/{idea}/vote-for", {"email": "someone@example.com"}),
    "approve": ("/staff/ideas/{idea}/approve", {}),
}


@pytest.fixture
def world(app, make_user, make_idea, make_tag):
    """Two public boards, a moderator of the first, and on each board two ideas and a comment."""
    admin, moderator = make_user(role="admin"), make_user(name="Mo Moderator")
    tag = make_tag("mobile")
    with app.app_context():
        actor = db.session.get(User, admin.id)
        mine = create_board(actor, {"name": "Mobile", "access": "public", "moderators": moderator.email})
        theirs = create_board(actor, {"name": "Desktop", "access": "public"})
        db.session.commit()
        boards = {"mine": mine.id, "theirs": theirs.id, "main": None}
    ids = {}
    for name, board_id in boards.items():
        idea = make_idea(title=f"Idea on {name}", board_id=board_id)
        other = make_idea(title=f"Duplicate on {name}", board_id=board_id)
        with app.app_context():
            comment = add_comment(db.session.get(User, admin.id), db.session.get(Idea, idea.id), "Noted.")
            db.session.commit()
            ids[name] = {"idea": idea.id, "other": other.id, "comment": comment.id, "tag": tag.id}
    return moderator, ids


def _form(data, ids):
    return {key: value.format(**ids) for key, value in data.items()}


@pytest.mark.parametrize("action", ACTIONS)
def test_a_moderator_acts_on_their_boards_ideas(app, client, auth, world, action):
    moderator, ids = world
    path, data, check = ACTIONS[action]
    auth.login(moderator)
    response = client.post(path.format(**ids["mine"]), data=_form(data, ids["mine"]))
    assert response.status_code == 303
    with app.app_context():
        assert check(ids["mine"])


@pytest.mark.parametrize("board", ["theirs", "main"])
@pytest.mark.parametrize("action", ACTIONS)
def test_a_moderator_may_not_act_on_other_boards(app, client, auth, world, action, board):
    moderator, ids = world
    path, data, check = ACTIONS[action]
    auth.login(moderator)
    response = client.post(path.format(**ids[board]), data=_form(data, ids[board]))
    assert response.status_code == 403
    with app.app_context():
        assert not check(ids[board])


@pytest.mark.parametrize("action", ACTIONS)
def test_a_member_who_moderates_nothing_is_refused(app, client, auth, make_user, world, action):
    _moderator, ids = world
    path, data, check = ACTIONS[action]
    auth.login(make_user())
    assert client.post(path.format(**ids["mine"]), data=_form(data, ids["mine"])).status_code == 403
    with app.app_context():
        assert not check(ids["mine"])


@pytest.mark.parametrize("action", TEAM_ONLY)
def test_a_moderator_does_nothing_more(app, client, auth, world, action):
    moderator, ids = world
    path, data = TEAM_ONLY[action]
    auth.login(moderator)
    assert client.post(path.format(**ids["mine"]), data=_form(data, ids["mine"])).status_code == 403
    with app.app_context():
        idea = db.session.get(Idea, ids["mine"]["idea"])
        assert (idea.status, idea.board_id is not None) == ("open", True)


def test_a_moderator_may_not_merge_into_another_boards_idea(app, client, auth, world):
    moderator, ids = world
    auth.login(moderator)
    response = client.post(f"/ideas/{ids['mine']['idea']}/merge", data={"into": ids["theirs"]["idea"]})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Only the product team or this board&#39;s moderators may do that." in page
    with app.app_context():
        assert db.session.get(Idea, ids["mine"]["idea"]).merged_into_id is None


def test_a_moderator_sees_the_hidden_ideas_of_their_board(app, client, auth, world):
    moderator, ids = world
    auth.login(moderator)
    client.post(f"/ideas/{ids['mine']['idea']}/hide")
    page = client.get(f"/ideas/{ids['mine']['idea']}")
    assert page.status_code == 200 and "Board moderation" in page.get_data(as_text=True)
    assert client.post(f"/ideas/{ids['mine']['idea']}/unhide").status_code == 303
    with app.app_context():
        assert db.session.get(Idea, ids["mine"]["idea"]).hidden_at is None


def test_a_moderator_unhides_a_comment_they_hid_on_their_board(app, client, auth, world):
    moderator, ids = world
    auth.login(moderator)
    comment = ids["mine"]["comment"]
    assert client.post(f"/ideas/comments/{comment}/hide").status_code == 303

    response = client.post(f"/ideas/comments/{comment}/unhide")

    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Comment, comment).hidden_at is None


def test_other_members_do_not_see_what_a_moderator_hid(app, client, auth, make_user, world):
    moderator, ids = world
    auth.login(moderator)
    client.post(f"/ideas/{ids['mine']['idea']}/hide")
    auth.logout()
    auth.login(make_user())
    assert client.get(f"/ideas/{ids['mine']['idea']}").status_code == 404


def test_the_moderators_panel_is_shown_only_on_their_board(client, auth, world):
    moderator, ids = world
    auth.login(moderator)
    assert "Board moderation" in client.get(f"/ideas/{ids['mine']['idea']}").get_data(as_text=True)
    theirs = client.get(f"/ideas/{ids['theirs']['idea']}").get_data(as_text=True)
    assert "Board moderation" not in theirs and "/hide" not in theirs


def test_an_unknown_moderator_address_is_refused(app, make_user):
    from ideas.errors import InvalidInput

    admin = make_user(role="admin")
    with app.test_request_context(), pytest.raises(InvalidInput) as refused:
        create_board(db.session.get(User, admin.id), {"name": "Mobile", "access": "public",
                                                      "moderators": "nobody@example.com"})
    assert "nobody@example.com" in refused.value.fields["moderators"]


def test_tags_stay_put_when_a_moderator_is_refused(app, client, auth, world):
    moderator, ids = world
    auth.login(moderator)
    client.post(f"/ideas/{ids['theirs']['idea']}/tags", data={"tags": str(ids["theirs"]["tag"])})
    with app.app_context():
        tagged = select(Tag).join(Idea.tags).where(Idea.id == ids["theirs"]["idea"])
        assert db.session.execute(tagged).first() is None
