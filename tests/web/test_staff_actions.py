"""The product team on an idea's page: statuses with notes, timeline, responses, notes, merges."""
import json

import pytest
from sqlalchemy import func, select

from ideas.extensions import db
from ideas.models import AuditEntry, Comment, Idea, TimelineEntry, User, Vote, utcnow


@pytest.fixture
def staff(auth, make_user):
    """A signed-in product manager."""
    member = make_user(role="staff", name="Pat Product")
    auth.login(member)
    return member


def timeline(fetch, idea_id):
    """(action, from, to, note) of each timeline entry, oldest first."""
    return fetch(lambda: [
        (e.action, e.from_status, e.to_status, e.note) for e in db.session.execute(
            select(TimelineEntry).where(TimelineEntry.idea_id == idea_id)
            .order_by(TimelineEntry.id)).scalars()])


def test_staff_move_an_idea_with_a_public_note(client, staff, make_idea, fetch):
    idea = make_idea()

    response = client.post(f"/ideas/{idea.id}/status",
                           data={"status": "planned", "note": "Coming in **Q3**."})

    assert response.status_code == 303
    assert fetch(lambda: db.session.get(Idea, idea.id).status) == "planned"
    assert timeline(fetch, idea.id) == [("status", "open", "planned", "Coming in **Q3**.")]
    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert "Pat Product" in page and "Coming in <strong>Q3</strong>." in page
    assert 'status-planned">Planned' in page


def test_the_timeline_sits_between_the_comments_newest_last(client, staff, make_idea):
    idea = make_idea()
    client.post(f"/ideas/{idea.id}/comments", data={"body": "First comment"})
    client.post(f"/ideas/{idea.id}/status", data={"status": "under_review", "note": "Looking"})
    client.post(f"/ideas/{idea.id}/comments", data={"body": "Second comment"})

    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    assert page.index("First comment") < page.index("Looking") < page.index("Second comment")


def test_declining_without_a_reason_is_refused_and_keeps_the_form(client, staff, make_idea, fetch):
    idea = make_idea()

    response = client.post(f"/ideas/{idea.id}/status", data={"status": "declined", "note": "  "})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Say why the idea is declined" in body
    assert '<option selected value="declined">' in body or 'value="declined" selected' in body
    assert fetch(lambda: db.session.get(Idea, idea.id).status) == "open"
    assert timeline(fetch, idea.id) == []


def test_the_status_select_starts_on_the_current_status(client, staff, make_idea):
    idea = make_idea(status="planned")

    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    assert '<option selected value="planned">' in page
    assert '<option selected value="open">' not in page


def test_a_note_without_a_change_of_status_is_refused_and_tells_no_one(client, staff, make_idea, fetch):
    from ideas.models import Event

    idea = make_idea(status="planned")

    response = client.post(f"/ideas/{idea.id}/status", data={"status": "planned", "note": "Still on it."})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The idea is already planned." in body
    assert "post an official response or an internal note" in body
    assert "Still on it." in body  # the note typed is kept
    assert fetch(lambda: db.session.get(Idea, idea.id).status) == "planned"
    assert timeline(fetch, idea.id) == []
    assert fetch(lambda: db.session.scalar(select(func.count()).select_from(Event)
                                           .where(Event.kind == "status_changed"))) == 0


def test_staff_cannot_set_merged_by_hand(client, staff, make_idea, fetch):
    idea = make_idea()

    response = client.post(f"/ideas/{idea.id}/status", data={"status": "merged", "note": ""})

    assert response.status_code == 422
    assert fetch(lambda: db.session.get(Idea, idea.id).status) == "open"


def test_voting_closes_on_shipped_and_reopens_when_moved_back(client, auth, staff, make_user,
                                                              make_idea, fetch):
    idea = make_idea()
    client.post(f"/ideas/{idea.id}/status", data={"status": "shipped", "note": "Done"})
    closed = client.post(f"/ideas/{idea.id}/vote")
    client.post(f"/ideas/{idea.id}/status", data={"status": "in_progress", "note": "Not quite"})
    reopened = client.post(f"/ideas/{idea.id}/vote")

    assert closed.status_code == 409
    assert reopened.status_code == 303
    assert fetch(lambda: db.session.get(Idea, idea.id).vote_count) == 1


def test_status_change_is_in_the_audit_log(client, staff, make_idea, fetch):
    idea = make_idea()

    client.post(f"/ideas/{idea.id}/status", data={"status": "planned", "note": "Soon"})

    entry = fetch(lambda: db.session.execute(select(AuditEntry)).scalar_one())
    assert (entry.actor_id, entry.action, entry.target_id) == (staff.id, "idea.status_changed", idea.id)
    assert json.loads(entry.before) == {"status": "open"}
    assert json.loads(entry.after) == {"status": "planned", "note": "Soon"}


def test_staff_edit_says_so_and_keeps_before_and_after(client, staff, make_idea, fetch):
    idea = make_idea(title="Dark mod pls", status="planned")

    response = client.post(f"/ideas/{idea.id}/edit",
                           data={"title": "Add a dark mode", "description": "Clearer", "kind": "idea"})

    assert response.status_code == 303
    assert "edited by staff" in client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    entry = fetch(lambda: db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "idea.edited")).scalar_one())
    assert json.loads(entry.before)["title"] == "Dark mod pls"
    assert json.loads(entry.after)["title"] == "Add a dark mode"


def test_official_response_is_pinned_under_the_description(client, staff, make_idea):
    idea = make_idea(description="The description")

    client.post(f"/ideas/{idea.id}/comments",
                data={"body": "We are on it.", "visibility": "official"})

    page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert 'aria-label="Official response"' in page
    assert page.index("The description") < page.index("We are on it.") < page.index("Discussion (1)")


@pytest.fixture
def internal_note(client, staff, make_idea, auth):
    """An idea with one public comment and one internal note; then signed out."""
    idea = make_idea(title="Carrier delays")
    client.post(f"/ideas/{idea.id}/comments", data={"body": "Public words"})
    client.post(f"/ideas/{idea.id}/comments",
                data={"body": "Secret: the carrier contract ends in May", "visibility": "internal"})
    auth.logout()
    return idea


def test_internal_notes_do_not_exist_for_members(client, auth, make_user, internal_note, fetch):
    auth.login(make_user())

    page = client.get(f"/ideas/{internal_note.id}").get_data(as_text=True)
    board = client.get("/").get_data(as_text=True)

    assert "Secret" not in page and "Internal note" not in page
    assert "Discussion (1)" in page
    assert "1 comment<" in board
    assert fetch(lambda: db.session.get(Idea, internal_note.id).comment_count) == 1


def test_internal_notes_do_not_exist_for_visitors_or_search(client, internal_note):
    assert "Secret" not in client.get(f"/ideas/{internal_note.id}").get_data(as_text=True)
    assert "Carrier delays" not in client.get("/?q=contract").get_data(as_text=True)
    assert "Carrier delays" not in client.get("/ideas/similar?title=contract").get_data(as_text=True)


def test_internal_note_single_url_is_404_for_members(client, auth, make_user, internal_note, fetch):
    note_id = fetch(lambda: db.session.execute(
        select(Comment.id).where(Comment.internal.is_(True))).scalar_one())
    auth.login(make_user())

    assert client.get(f"/comments/{note_id}").status_code == 404


def test_staff_see_internal_notes_marked(client, auth, make_user, internal_note):
    auth.login(make_user(role="staff"))

    page = client.get(f"/ideas/{internal_note.id}").get_data(as_text=True)

    assert "Secret: the carrier contract ends in May" in page
    assert "Internal note · staff only" in page


@pytest.mark.parametrize("visibility", ["internal", "official"])
def test_members_cannot_post_internal_notes_or_official_responses(client, auth, make_user, make_idea,
                                                                  fetch, visibility):
    idea = make_idea()
    auth.login(make_user())

    response = client.post(f"/ideas/{idea.id}/comments", data={"body": "x", "visibility": visibility})

    assert response.status_code == 403
    assert fetch(lambda: db.session.execute(select(func.count(Comment.id))).scalar_one()) == 0


def test_merge_from_the_page_and_undo(client, staff, make_user, make_idea, fetch):
    duplicate, survivor = make_idea(title="Dark theme"), make_idea(title="Add a dark mode")

    merged = client.post(f"/ideas/{duplicate.id}/merge", data={"into": survivor.id})
    duplicate_page = client.get(f"/ideas/{duplicate.id}").get_data(as_text=True)
    survivor_page = client.get(f"/ideas/{survivor.id}").get_data(as_text=True)
    undone = client.post(f"/ideas/{duplicate.id}/unmerge")

    assert merged.status_code == undone.status_code == 303
    assert f'This idea was merged into\n      <a href="/ideas/{survivor.id}">#{survivor.id}' in duplicate_page
    assert "Merged into this idea:" in survivor_page and "Dark theme" in survivor_page
    assert fetch(lambda: db.session.get(Idea, duplicate.id).status) == "open"


def test_merge_into_a_missing_idea_is_422(client, staff, make_idea, fetch):
    idea = make_idea()

    response = client.post(f"/ideas/{idea.id}/merge", data={"into": 999})

    assert response.status_code == 422
    assert "There is no idea #999." in response.get_data(as_text=True)
    assert fetch(lambda: db.session.get(Idea, idea.id).status) == "open"


def test_staff_vote_for_a_customer_by_email(client, staff, make_idea, fetch):
    idea = make_idea()

    response = client.post(f"/ideas/{idea.id}/vote-for", data={"email": "Caller@Example.com"})

    assert response.status_code == 303
    customer = fetch(lambda: db.session.execute(
        select(User).where(User.email == "caller@example.com")).scalar_one())
    vote = fetch(lambda: db.session.execute(select(Vote)).scalar_one())
    assert customer.password_hash is None
    assert (vote.user_id, vote.cast_by_id) == (customer.id, staff.id)
    assert fetch(lambda: db.session.get(Idea, idea.id).vote_count) == 1


def test_vote_for_a_customer_with_a_bad_email_keeps_the_form(client, staff, make_idea, fetch):
    idea = make_idea()

    response = client.post(f"/ideas/{idea.id}/vote-for", data={"email": "not an email"})

    assert response.status_code == 422
    assert 'value="not an email"' in response.get_data(as_text=True)
    assert fetch(lambda: db.session.execute(select(func.count(Vote.id))).scalar_one()) == 0


def test_hidden_idea_vanishes_for_members_and_stays_for_staff(client, auth, staff, make_user,
                                                              make_idea):
    idea = make_idea(title="Rude words")
    client.post(f"/ideas/{idea.id}/hide")
    staff_view = client.get(f"/ideas/{idea.id}")
    auth.logout()
    auth.login(make_user())

    assert staff_view.status_code == 200
    assert "Hidden: only staff see this idea." in staff_view.get_data(as_text=True)
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    assert "Rude words" not in client.get("/").get_data(as_text=True)


def test_unhiding_restores_the_idea(client, staff, make_idea, fetch):
    idea = make_idea(hidden_at=utcnow())

    client.post(f"/ideas/{idea.id}/unhide")

    assert fetch(lambda: db.session.get(Idea, idea.id).hidden_at) is None


def test_hidden_comment_vanishes_for_members_and_leaves_the_count(client, auth, staff, make_user,
                                                                  make_idea, fetch):
    idea = make_idea()
    client.post(f"/ideas/{idea.id}/comments", data={"body": "Spam spam spam"})
    comment_id = fetch(lambda: db.session.execute(select(Comment.id)).scalar_one())

    client.post(f"/ideas/comments/{comment_id}/hide")
    auth.logout()

    assert "Spam spam spam" not in client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert fetch(lambda: db.session.get(Idea, idea.id).comment_count) == 0


def test_suspended_member_cannot_sign_in(client, make_user, app):
    member = make_user()
    with app.app_context():
        db.session.get(User, member.id).suspended_at = utcnow()
        db.session.commit()

    response = client.post("/auth/login", data={"email": member.email, "password": "correct horse battery"})

    assert response.status_code == 422
    assert "This account is suspended." in response.get_data(as_text=True)


@pytest.fixture
def first_ideas_held(app):
    """The admin setting that holds a new member's first idea for approval, switched on."""
    from ideas.site_settings import set_setting

    with app.app_context():
        set_setting("approve_first_idea", "1")
        db.session.commit()


def test_a_new_members_first_idea_waits_for_approval(client, auth, make_user, first_ideas_held, fetch):
    author = make_user()
    auth.login(author)

    client.post("/ideas/new", data={"title": "My very first idea", "kind": "idea"})
    idea = fetch(lambda: db.session.execute(select(Idea)).scalar_one())
    own_view = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    auth.logout()
    auth.login(make_user())

    assert idea.awaiting_approval is True
    assert "Waiting for approval" in own_view
    assert client.get(f"/ideas/{idea.id}").status_code == 404
    assert "My very first idea" not in client.get("/").get_data(as_text=True)


def test_after_approval_the_idea_is_public_and_the_next_one_is_not_held(client, auth, make_user,
                                                                      first_ideas_held, fetch):
    author = make_user()
    auth.login(author)
    client.post("/ideas/new", data={"title": "First", "kind": "idea"})
    first = fetch(lambda: db.session.execute(select(Idea)).scalar_one())
    auth.logout()
    auth.login(make_user(role="staff"))
    client.post(f"/staff/ideas/{first.id}/approve")
    auth.logout()
    auth.login(author)

    client.post("/ideas/new", data={"title": "Second", "kind": "idea"})

    held = fetch(lambda: dict(db.session.execute(select(Idea.title, Idea.awaiting_approval)).all()))
    assert held == {"First": False, "Second": False}
