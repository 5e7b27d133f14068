"""Discussing ideas: post, edit within 15 minutes, delete leaving a marker."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from helpers import BOOSTED, htmx_headers
from ideas.extensions import db
from ideas.models import Comment, Follow, Idea, utcnow


def comment_state(fetch, idea_id):
    """(stored comment_count, live comment rows) of an idea."""
    return fetch(lambda: (
        db.session.get(Idea, idea_id).comment_count,
        db.session.execute(select(func.count()).where(
            Comment.idea_id == idea_id, Comment.deleted_at.is_(None))).scalar_one(),
    ))


@pytest.fixture
def commenter(auth, make_user):
    """A signed-in member."""
    member = make_user(name="Chris Commenter")
    auth.login(member)
    return member


def test_comment_posts_and_redirects_to_it(client, commenter, make_idea, fetch):
    idea = make_idea()

    response = client.post(f"/ideas/{idea.id}/comments", data={"body": "We need this *too*"})

    comment_id = fetch(lambda: db.session.execute(select(Comment.id)).scalar_one())
    assert response.status_code == 303
    assert response.headers["Location"] == f"/ideas/{idea.id}#comment-{comment_id}"
    assert comment_state(fetch, idea.id) == (1, 1)
    body = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "We need this <em>too</em>" in body
    assert "Chris Commenter" in body


def test_htmx_comment_answers_the_discussion_with_a_fresh_form(client, commenter, make_idea):
    idea = make_idea()

    response = client.post(f"/ideas/{idea.id}/comments", data={"body": "In place"},
                           headers=htmx_headers("comments"))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="comments"')
    assert "In place" in body
    assert "Discussion (1)" in body
    assert "<textarea" in body and "In place</textarea>" not in body


def test_boosted_comment_gets_a_client_redirect(client, commenter, make_idea):
    idea = make_idea()

    response = client.post(f"/ideas/{idea.id}/comments", data={"body": "Boosted"}, headers=BOOSTED)

    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith(f"/ideas/{idea.id}#comment-")


@pytest.mark.parametrize("body, message", [
    ("", "Write something first."),
    ("   \n  ", "Write something first."),
    ("x" * 5001, "At most 5,000 characters: this has 5,001, 1 too many."),
])
def test_bad_comment_reshows_the_form_with_the_text(client, commenter, make_idea, fetch, body, message):
    idea = make_idea()

    for headers in ({}, htmx_headers("comments")):
        response = client.post(f"/ideas/{idea.id}/comments", data={"body": body}, headers=headers)

        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert comment_state(fetch, idea.id) == (0, 0)


def test_long_comment_keeps_what_was_typed(client, commenter, make_idea):
    idea = make_idea()
    text = "keep me " * 700

    response = client.post(f"/ideas/{idea.id}/comments", data={"body": text})

    assert response.status_code == 422
    assert text.strip() in response.get_data(as_text=True)


def test_commenting_follows_the_idea(client, commenter, make_idea, fetch):
    idea = make_idea()

    client.post(f"/ideas/{idea.id}/comments", data={"body": "Following now"})

    follow = fetch(lambda: db.session.get(Follow, (commenter.id, idea.id)))
    assert (follow.following, follow.reason) == (True, "comment")


def post_comment(client, idea, body="First words"):
    client.post(f"/ideas/{idea.id}/comments", data={"body": body})
    return client.application, body


def only_comment(fetch):
    return fetch(lambda: db.session.execute(select(Comment)).scalar_one())


def test_author_edits_a_comment_within_15_minutes(client, commenter, make_idea, fetch):
    idea = make_idea()
    post_comment(client, idea)
    comment = only_comment(fetch)

    response = client.post(f"/comments/{comment.id}/edit", data={"edit-body": "Better words"})

    assert response.status_code == 303
    edited = only_comment(fetch)
    assert (edited.body, edited.edited_at is not None) == ("Better words", True)


def test_htmx_edit_swaps_the_comment_in_place(client, commenter, make_idea):
    idea = make_idea()
    post_comment(client, idea)

    form = client.get("/comments/1/edit", headers=htmx_headers("comment-1"))
    saved = client.post("/comments/1/edit", data={"edit-body": "Swapped"},
                        headers=htmx_headers("comment-1"))

    assert form.get_data(as_text=True).lstrip().startswith('<form id="comment-1"')
    assert saved.get_data(as_text=True).lstrip().startswith('<article class="comment" id="comment-1"')
    assert "Swapped" in saved.get_data(as_text=True)


def test_bad_edit_keeps_the_text_and_the_original(client, commenter, make_idea, fetch):
    idea = make_idea()
    post_comment(client, idea, "Original words")

    response = client.post("/comments/1/edit", data={"edit-body": "   "})

    assert response.status_code == 422
    assert only_comment(fetch).body == "Original words"


def test_comment_cannot_be_edited_after_15_minutes(client, app, commenter, make_idea, fetch):
    idea = make_idea()
    post_comment(client, idea, "Original words")
    with app.app_context():
        db.session.get(Comment, 1).created_at = utcnow() - timedelta(minutes=16)
        db.session.commit()

    response = client.post("/comments/1/edit", data={"edit-body": "Too late"})

    assert response.status_code == 403
    assert "15 minutes" in response.get_data(as_text=True)
    assert only_comment(fetch).body == "Original words"


def test_deleting_leaves_a_comment_deleted_marker(client, commenter, make_idea, fetch):
    idea = make_idea()
    post_comment(client, idea, "Regrettable words")

    response = client.post("/comments/1/delete")

    assert response.status_code == 303
    assert comment_state(fetch, idea.id) == (0, 0)
    body = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Comment deleted" in body
    assert "Regrettable words" not in body
    assert only_comment(fetch).body == ""


def test_htmx_delete_answers_the_marker(client, commenter, make_idea):
    idea = make_idea()
    post_comment(client, idea)

    response = client.post("/comments/1/delete", headers=htmx_headers("comment-1"))

    assert "Comment deleted" in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)


def test_other_members_cannot_edit_or_delete(client, auth, commenter, make_user, make_idea, fetch):
    idea = make_idea()
    post_comment(client, idea, "Mine")
    auth.logout()
    auth.login(make_user())

    edit = client.post("/comments/1/edit", data={"edit-body": "Hijacked"})
    delete = client.post("/comments/1/delete")

    assert edit.status_code == 403
    assert delete.status_code == 403
    assert (only_comment(fetch).body, only_comment(fetch).deleted_at) == ("Mine", None)


def test_no_comments_on_a_merged_idea(client, commenter, make_idea, fetch):
    idea = make_idea(status="merged")

    response = client.post(f"/ideas/{idea.id}/comments", data={"body": "Too late"})

    assert response.status_code == 403
    assert comment_state(fetch, idea.id) == (0, 0)


@pytest.mark.parametrize("role", ["member", "staff"])
def test_the_page_thread_holds_the_same_comments_as_comments_on(app, make_idea, make_user, role):
    from flask_login import AnonymousUserMixin

    from ideas.comments import add_comment, comments_on, thread_of
    from ideas.models import User

    idea = make_idea()
    author, staff = make_user(), make_user(role="staff")
    viewer = make_user(role=role)
    with app.app_context():
        stored = db.session.get(Idea, idea.id)
        add_comment(db.session.get(User, author.id), stored, "Public")
        add_comment(db.session.get(User, staff.id), stored, "Staff only", internal=True)
        hidden = add_comment(db.session.get(User, author.id), stored, "Hidden later")
        hidden.hidden_at = utcnow()
        db.session.commit()
        for reader in (db.session.get(User, viewer.id), AnonymousUserMixin()):
            expected = [(c.id, c.author.name, c.body_html) for c in
                        db.session.execute(comments_on(stored, reader)).scalars()]
            thread = [(c.id, c.author.name, c.body_html) for c in thread_of(stored, reader)]
            assert thread == expected
            assert len(thread) == (3 if reader.is_authenticated and role == "staff" else 1)


@pytest.mark.parametrize("role", ["member", "staff"])
def test_the_page_finds_the_same_official_response_in_its_thread_as_official_response(
        app, make_idea, make_user, role):
    from flask_login import AnonymousUserMixin

    from ideas.comments import add_comment, official_in, official_response, thread_of
    from ideas.models import User

    idea = make_idea()
    staff, viewer = make_user(role="staff"), make_user(role=role)
    with app.app_context():
        stored, sam = db.session.get(Idea, idea.id), db.session.get(User, staff.id)
        assert official_in(thread_of(stored, sam)) is None and official_response(stored) is None
        add_comment(sam, stored, "The answer", official=True)
        add_comment(sam, stored, "A plain comment")
        hidden = add_comment(sam, stored, "A hidden answer", official=True)
        hidden.hidden_at = utcnow()
        deleted = add_comment(sam, stored, "A withdrawn answer", official=True)
        deleted.deleted_at = utcnow()
        db.session.commit()
        for reader in (db.session.get(User, viewer.id), AnonymousUserMixin()):
            found, expected = official_in(thread_of(stored, reader)), official_response(stored)
            assert (found.id, found.body_html) == (expected.id, expected.body_html)
            assert "The answer" in found.body_html


def test_a_staff_comment_swapped_in_place_reads_nothing_of_the_staff_panel(client, auth, make_user, make_idea,
                                                                           monkeypatch):
    """The fragment holds the discussion only: demand and priority are read for the whole page."""
    from ideas.web import ideas as idea_pages

    def not_here(*args, **kwargs):
        raise AssertionError("the staff panel was read for a fragment")

    monkeypatch.setattr(idea_pages, "staff_panel_context", not_here)
    idea = make_idea()
    auth.login(make_user(role="staff"))

    response = client.post(f"/ideas/{idea.id}/comments", data={"body": "On it.", "visibility": "public"},
                           headers=htmx_headers("comments"))

    assert response.status_code == 200
    assert "On it." in response.get_data(as_text=True)
