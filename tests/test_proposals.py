"""Proposing, editing and withdrawing ideas."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ideas.errors import NotAllowed
from ideas.extensions import db
from ideas.models import AuditEntry, Follow, Idea, User, Vote, utcnow
from ideas.proposals import change_idea


def only_idea(fetch):
    """The single idea in the database, or None."""
    return fetch(lambda: db.session.execute(select(Idea)).scalar_one_or_none())


def test_member_proposes_an_idea(client, auth, make_user, make_tag, fetch):
    author, tag = make_user(), make_tag("mobile")
    auth.login(author)

    response = client.post("/ideas/new", data={
        "title": "  Offline   mode ", "description": "Our drivers lose **signal**.",
        "kind": "problem", "tags": [str(tag.id)],
    })

    idea = only_idea(fetch)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/ideas/{idea.id}"
    assert (idea.title, idea.kind, idea.status) == ("Offline mode", "problem", "open")
    assert "<strong>signal</strong>" in idea.description_html
    assert fetch(lambda: [t.name for t in db.session.get(Idea, idea.id).tags]) == ["mobile"]


def test_proposing_follows_the_idea(client, auth, make_user, fetch):
    author = make_user()
    auth.login(author)

    client.post("/ideas/new", data={"title": "Gift cards", "kind": "idea"})

    idea = only_idea(fetch)
    follow = fetch(lambda: db.session.get(Follow, (author.id, idea.id)))
    assert (follow.following, follow.reason) == (True, "author")


def votes_on(fetch, idea):
    """The idea's stored count and the members whose vote rows it has."""
    return fetch(lambda: (db.session.get(Idea, idea.id).vote_count, set(db.session.execute(
        select(Vote.user_id).where(Vote.idea_id == idea.id)).scalars())))


def test_proposing_backs_the_idea_with_the_authors_vote(client, auth, make_user, fetch):
    author = make_user()
    auth.login(author)

    response = client.post("/ideas/new", data={"title": "Gift cards", "kind": "idea"})

    idea = only_idea(fetch)
    assert response.status_code == 303
    assert votes_on(fetch, idea) == (1, {author.id})
    body = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert f'id="idea-{idea.id}-vote-button" class="vote-button" aria-pressed="true"' in body


def test_the_authors_vote_leaves_them_following_all_activity(client, auth, make_user, fetch):
    author = make_user()
    auth.login(author)

    client.post("/ideas/new", data={"title": "Gift cards", "kind": "idea"})

    follow = fetch(lambda: db.session.get(Follow, (author.id, only_idea(fetch).id)))
    assert (follow.reason, follow.level) == ("author", "all")


def test_the_author_may_withdraw_their_own_vote(client, auth, make_user, make_idea, fetch):
    author = make_user()
    idea = make_idea(author=author, backed=True)
    assert votes_on(fetch, idea) == (1, {author.id})
    auth.login(author)

    response = client.post(f"/ideas/{idea.id}/unvote")

    assert response.status_code == 303
    assert votes_on(fetch, idea) == (0, set())
    body = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert f'id="idea-{idea.id}-vote-button" class="vote-button" aria-pressed="false"' in body


def test_an_idea_posted_unbacked_has_no_vote(make_user, make_idea, fetch):
    idea = make_idea(author=make_user(), backed=False)

    assert votes_on(fetch, idea) == (0, set())


def test_the_new_idea_form_shows_similar_ideas_for_a_given_title(client, auth, make_user, make_idea):
    make_idea(title="Add a dark mode")
    auth.login(make_user())

    body = client.get("/ideas/new?title=dark+mode+please").get_data(as_text=True)

    assert "Is it one of these?" in body
    assert "Add a dark mode" in body


def test_check_for_similar_ideas_shows_them_without_posting(client, auth, make_user, make_idea, fetch):
    existing = make_idea(title="Add a dark mode")
    auth.login(make_user())

    response = client.post("/ideas/new", data={"title": "dark mode please", "description": "Kept",
                                               "kind": "idea", "check": "1"})

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'href="/ideas/{existing.id}"' in body
    assert 'value="dark mode please"' in body and "Kept" in body
    assert fetch(lambda: db.session.execute(select(func.count(Idea.id))).scalar_one()) == 1


@pytest.mark.parametrize("fields, field, message", [
    ({"title": ""}, "title", "Give your idea a title."),
    ({"title": "     "}, "title", "Give your idea a title."),
    ({"title": "x" * 121}, "title", "At most 120 characters: this has 121, 1 too many."),
    ({"description": "x" * 10_001}, "description",
     "At most 10,000 characters: this has 10,001, 1 too many."),
    ({"kind": "rant"}, "kind", "Not a valid choice."),
    ({"tags": ["999"]}, "tags", "Choose tags from the list."),
    ({"tags": ["abc"]}, "tags", "Choose tags from the list."),
    ({"title": "Nul\x00byte"}, "title", "cannot be stored"),
])
def test_bad_input_reshows_the_form_with_what_was_typed(client, auth, make_user, fetch,
                                                         fields, field, message):
    auth.login(make_user())
    data = {"title": "Saved filters", "description": "Typed with care", "kind": "idea", **fields}

    response = client.post("/ideas/new", data=data)

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    assert f'id="{field}-error"' in body or field in ("kind", "tags")
    assert "Typed with care" in body or field == "description"
    assert only_idea(fetch) is None


def test_signed_out_visitors_must_sign_in_to_propose(client, fetch):
    response = client.post("/ideas/new", data={"title": "Gift cards", "kind": "idea"})

    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
    assert only_idea(fetch) is None


def test_idea_page_shows_the_idea(client, make_idea, make_tag):
    idea = make_idea(title="Bulk edit", description="Prices on *300* products", kind="idea",
                     tags=[make_tag("billing")])

    response = client.get(f"/ideas/{idea.id}")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in ("Bulk edit", "<em>300</em>", "New", "Idea", "#billing", "1 follower",
                 "Discussion (0)"):
        assert text in body


def test_missing_idea_is_404(client):
    assert client.get("/ideas/999").status_code == 404


def test_author_edits_their_new_idea(client, auth, make_user, make_idea, fetch):
    author = make_user()
    idea = make_idea(author=author)
    auth.login(author)

    response = client.post(f"/ideas/{idea.id}/edit",
                           data={"title": "Better title", "description": "More", "kind": "praise"})

    assert response.status_code == 303
    edited = fetch(lambda: db.session.get(Idea, idea.id))
    assert (edited.title, edited.kind, edited.edited_at is not None) == ("Better title", "praise", True)


def test_edit_form_is_prefilled(client, auth, make_user, make_idea, make_tag):
    author, tag = make_user(), make_tag("mobile")
    idea = make_idea(author=author, title="Prefilled title", tags=[tag])
    auth.login(author)

    body = client.get(f"/ideas/{idea.id}/edit").get_data(as_text=True)

    assert 'value="Prefilled title"' in body
    assert f'value="{tag.id}" checked' in body


def test_edit_with_bad_input_keeps_what_was_typed(client, auth, make_user, make_idea, fetch):
    author = make_user()
    idea = make_idea(author=author, title="Original")
    auth.login(author)

    response = client.post(f"/ideas/{idea.id}/edit",
                           data={"title": "", "description": "New words", "kind": "idea"})

    assert response.status_code == 422
    assert "New words" in response.get_data(as_text=True)
    assert fetch(lambda: db.session.get(Idea, idea.id).title) == "Original"


@pytest.mark.parametrize("columns", [
    {"status": "planned"},
    {"created_at": utcnow() - timedelta(hours=1, minutes=1)},
])
def test_author_cannot_edit_after_new_or_after_an_hour(client, auth, make_user, make_idea, fetch,
                                                        columns):
    author = make_user()
    idea = make_idea(author=author, title="Original", **columns)
    auth.login(author)

    response = client.post(f"/ideas/{idea.id}/edit", data={"title": "Changed", "kind": "idea"})

    assert response.status_code == 403
    assert fetch(lambda: db.session.get(Idea, idea.id).title) == "Original"
    assert "Edit</a>" not in client.get(f"/ideas/{idea.id}").get_data(as_text=True)


def test_the_edit_form_is_refused_to_another_member(client, auth, make_user, make_idea):
    idea = make_idea()
    auth.login(make_user())

    assert client.get(f"/ideas/{idea.id}/edit").status_code == 403


def test_staff_open_the_edit_form_of_an_idea_past_its_authors_window(client, auth, make_user, make_idea):
    idea = make_idea(title="Dark mod pls", status="planned")
    auth.login(make_user(role="staff"))

    response = client.get(f"/ideas/{idea.id}/edit")

    assert response.status_code == 200
    assert 'value="Dark mod pls"' in response.get_data(as_text=True)


def test_author_withdraws_their_idea_and_it_leaves_the_board(client, auth, make_user, make_idea, fetch):
    author = make_user()
    idea = make_idea(author=author, title="Changed my mind")
    auth.login(author)

    response = client.post(f"/ideas/{idea.id}/withdraw")

    assert response.status_code == 303
    assert fetch(lambda: db.session.get(Idea, idea.id).withdrawn_at) is not None
    assert "Changed my mind" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/ideas/{idea.id}").status_code == 404


def test_staff_still_see_a_withdrawn_idea(client, auth, make_user, make_idea):
    author = make_user()
    idea = make_idea(author=author, title="Changed my mind")
    auth.login(author)
    client.post(f"/ideas/{idea.id}/withdraw")
    auth.logout()
    auth.login(make_user(role="staff"))

    body = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    assert "Changed my mind" in body
    assert "Withdrawn" in body


def test_withdrawn_idea_closes_voting(client, auth, make_user, make_idea, fetch):
    author = make_user()
    idea = make_idea(author=author, withdrawn_at=utcnow())
    auth.login(make_user(role="staff"))

    response = client.post(f"/ideas/{idea.id}/vote")

    assert response.status_code == 409
    assert fetch(lambda: db.session.get(Idea, idea.id).vote_count) == 0


def change_as(app, actor, idea, **changes):
    """change_idea as `actor`, committed; returns the idea's row afterwards, detached."""
    with app.app_context():
        row = db.session.get(Idea, idea.id)
        change_idea(db.session.get(User, actor.id), row, **changes)
        db.session.commit()
        db.session.refresh(row)
        db.session.expunge(row)
        return row


def test_changing_as_the_author_marks_an_authors_edit(app, make_user, make_idea):
    author = make_user()
    idea = make_idea(author=author)

    changed = change_as(app, author, idea, title="Dark mode, please")

    assert changed.title == "Dark mode, please"
    assert (changed.edited_at is not None, changed.staff_edited_at) == (True, None)


def test_changing_as_staff_marks_a_staff_edit_and_audits_it(app, make_user, make_idea, fetch):
    staff = make_user(role="staff")
    idea = make_idea(created_at=utcnow() - timedelta(days=3))

    changed = change_as(app, staff, idea, title="Add a dark theme")

    assert (changed.edited_at, changed.staff_edited_at is not None) == (None, True)
    assert fetch(lambda: db.session.execute(select(AuditEntry.action)).scalar_one()) == "idea.edited"


def test_staff_changing_their_own_new_idea_edit_it_as_its_author(app, make_user, make_idea, fetch):
    staff = make_user(role="staff")
    idea = make_idea(author=staff)

    changed = change_as(app, staff, idea, title="Dark mode, please")

    assert (changed.edited_at is not None, changed.staff_edited_at) == (True, None)
    assert fetch(lambda: db.session.execute(select(func.count()).select_from(AuditEntry)).scalar()) == 0


@pytest.mark.parametrize("who, columns", [
    ("another member", {}),
    ("the author", {"status": "planned"}),
    ("the author", {"created_at": utcnow() - timedelta(hours=1, minutes=1)}),
])
def test_changing_is_refused_to_anyone_but_the_author_in_time_or_staff(app, make_user, make_idea, fetch,
                                                                       who, columns):
    author = make_user()
    idea = make_idea(author=author, title="Original", **columns)
    actor = make_user() if who == "another member" else author

    with pytest.raises(NotAllowed):
        change_as(app, actor, idea, title="Changed")

    assert fetch(lambda: db.session.get(Idea, idea.id).title) == "Original"


def test_fields_left_out_of_a_change_keep_their_value(app, make_user, make_idea, make_tag):
    author, tag = make_user(), make_tag("mobile")
    idea = make_idea(author=author, title="Original", description="Kept words", kind="problem", tags=[tag])

    change_as(app, author, idea, title="Changed")

    with app.app_context():
        row = db.session.get(Idea, idea.id)
        assert (row.title, row.description, row.kind, [t.name for t in row.tags]) == (
            "Changed", "Kept words", "problem", ["mobile"])
