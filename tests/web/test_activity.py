"""'My activity' marks what changed on the member's ideas since their previous visit to the page.

Views less than ACTIVITY_VISIT_GAP_MINUTES apart are one visit; most tests make every view a visit
of its own, so a test's second view marks what changed after its first.
"""
import re

import pytest
from sqlalchemy import select

from ideas.comments import add_comment
from ideas.extensions import db
from ideas.merging import merge_ideas
from ideas.models import Idea, User
from ideas.statuses import change_status


@pytest.fixture(autouse=True)
def every_view_a_visit(app):
    app.config["ACTIVITY_VISIT_GAP_MINUTES"] = 0


@pytest.fixture
def staff(make_user):
    """A staff member who moves, answers and merges ideas."""
    return make_user(role="staff")


@pytest.fixture
def member(make_user):
    """The member who proposed ideas and comes back to see what became of them."""
    return make_user(name="Nora")


@pytest.fixture
def as_staff(app, staff):
    """as_staff(lambda actor, idea: ...): run a rule as staff on a fresh copy of the idea, and commit."""
    def run(idea, rule):
        with app.app_context():
            rule(db.session.get(User, staff.id), db.session.get(Idea, idea.id))
            db.session.commit()

    return run


def seen_at(fetch, member):
    """When the member last opened "My activity", as stored."""
    return fetch(lambda: db.session.execute(
        select(User.activity_seen_at).where(User.id == member.id)).scalar_one())


def marks(body):
    """{idea title: what the page says changed} for every marked row."""
    found = {}
    for row in re.findall(r'<li class="idea-row">(.*?)</li>', body, re.S):
        title = re.search(r'<a href="/ideas/\d+" dir="auto">([^<]*)</a>', row).group(1)
        if change := re.search(r'<p class="activity-change">(.*?)</p>', row, re.S):
            found[title] = " ".join(re.sub(r"<[^>]+>", " ", change.group(1)).split())
    return found


def test_the_first_visit_marks_nothing_and_is_remembered(client, auth, member, make_idea, as_staff,
                                                         fetch):
    idea = make_idea(title="Dark mode", author=member)
    as_staff(idea, lambda actor, idea: change_status(actor, idea, "planned"))
    auth.login(member)

    response = client.get("/account/activity")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Dark mode" in body and marks(body) == {}
    assert "From your next visit on, this page marks the ideas that changed in between." in body
    assert seen_at(fetch, member) is not None


def test_a_status_change_since_the_last_visit_is_marked(client, auth, member, make_idea, as_staff,
                                                        fetch):
    idea = make_idea(title="Dark mode", author=member)
    as_staff(idea, lambda actor, idea: change_status(actor, idea, "planned"))
    auth.login(member)
    client.get("/account/activity")
    first_visit = seen_at(fetch, member)
    as_staff(idea, lambda actor, idea: change_status(actor, idea, "in_progress"))

    response = client.get("/account/activity")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert marks(body) == {"Dark mode": "Changed Planned → In progress, just now"}
    assert "Ideas that changed since your last visit," in body
    assert seen_at(fetch, member) > first_visit


def test_several_moves_read_as_one_from_first_to_last(client, auth, member, make_idea, as_staff):
    idea = make_idea(title="Dark mode", author=member)
    auth.login(member)
    client.get("/account/activity")
    as_staff(idea, lambda actor, idea: change_status(actor, idea, "planned"))
    as_staff(idea, lambda actor, idea: change_status(actor, idea, "in_progress"))

    body = client.get("/account/activity").get_data(as_text=True)

    assert marks(body) == {"Dark mode": "Changed New → In progress, just now"}


def test_changes_before_the_last_visit_are_not_marked_again(client, auth, member, make_idea, as_staff):
    idea = make_idea(title="Dark mode", author=member)
    auth.login(member)
    client.get("/account/activity")
    as_staff(idea, lambda actor, idea: change_status(actor, idea, "planned"))
    assert marks(client.get("/account/activity").get_data(as_text=True)) != {}

    response = client.get("/account/activity")

    assert response.status_code == 200
    assert marks(response.get_data(as_text=True)) == {}


def test_a_reload_within_the_visit_keeps_its_marks(app, client, auth, member, make_idea, as_staff):
    idea = make_idea(title="Dark mode", author=member)
    auth.login(member)
    client.get("/account/activity")
    as_staff(idea, lambda actor, idea: change_status(actor, idea, "planned"))
    client.get("/account/activity")
    app.config["ACTIVITY_VISIT_GAP_MINUTES"] = 30
    client.get(f"/ideas/{idea.id}")

    response = client.get("/account/activity")

    assert response.status_code == 200
    assert marks(response.get_data(as_text=True)) == {"Dark mode": "Changed New → Planned, just now"}


def test_a_reload_of_the_first_visit_marks_nothing(app, client, auth, member, make_idea, as_staff):
    app.config["ACTIVITY_VISIT_GAP_MINUTES"] = 30
    idea = make_idea(title="Dark mode", author=member)
    as_staff(idea, lambda actor, idea: change_status(actor, idea, "planned"))
    auth.login(member)
    client.get("/account/activity")

    response = client.get("/account/activity")

    assert marks(response.get_data(as_text=True)) == {}


def test_only_the_ideas_that_changed_are_marked(client, auth, member, make_idea, as_staff):
    moved = make_idea(title="Dark mode", author=member)
    make_idea(title="Export", author=member)
    auth.login(member)
    client.get("/account/activity")
    as_staff(moved, lambda actor, idea: change_status(actor, idea, "declined", "Out of scope."))

    body = client.get("/account/activity").get_data(as_text=True)

    assert "Export" in body
    assert marks(body) == {"Dark mode": "Changed New → Declined, just now"}


def test_an_official_response_is_marked_but_an_internal_note_is_not(client, auth, member, make_idea,
                                                                    as_staff):
    answered = make_idea(title="Dark mode", author=member)
    noted = make_idea(title="Export", author=member)
    auth.login(member)
    client.get("/account/activity")
    as_staff(answered, lambda actor, idea: add_comment(actor, idea, "We hear you.", official=True))
    as_staff(noted, lambda actor, idea: add_comment(actor, idea, "Costly.", internal=True))

    body = client.get("/account/activity").get_data(as_text=True)

    assert marks(body) == {"Dark mode": "Changed Official response, just now"}


def test_a_merge_is_marked_with_the_surviving_idea(client, auth, member, make_idea, as_staff, fetch):
    duplicate = make_idea(title="Night theme", author=member)
    survivor = make_idea(title="Dark mode")
    auth.login(member)
    client.get("/account/activity")
    as_staff(duplicate, lambda actor, idea: merge_ideas(actor, idea, db.session.get(Idea, survivor.id)))

    body = client.get("/account/activity").get_data(as_text=True)

    assert marks(body) == {"Night theme": f"Changed Merged into #{survivor.id} , just now"}
    assert f'<a href="/ideas/{survivor.id}">#{survivor.id}</a>' in body
    assert fetch(lambda: db.session.get(Idea, duplicate.id).merged_into_id) == survivor.id


def test_backed_and_followed_ideas_are_marked_too(client, auth, member, make_idea, as_staff):
    idea = make_idea(title="Dark mode")
    auth.login(member)
    client.post(f"/ideas/{idea.id}/vote")
    client.get("/account/activity")
    as_staff(idea, lambda actor, idea: change_status(actor, idea, "planned"))

    body = client.get("/account/activity").get_data(as_text=True)

    # Backed and followed (a backer follows): marked in both lists.
    assert body.count('<p class="activity-change">') == 2
    assert marks(body) == {"Dark mode": "Changed New → Planned, just now"}


def test_another_members_visit_is_not_mine(app, client, auth, member, make_user, make_idea, as_staff,
                                           fetch):
    other = make_user()
    idea = make_idea(title="Dark mode", author=member)
    auth.login(member)
    client.get("/account/activity")
    as_staff(idea, lambda actor, idea: change_status(actor, idea, "planned"))
    other_client = app.test_client()
    other_client.post("/auth/login", data={"email": other.email, "password": "correct horse battery"})
    other_client.get("/account/activity")

    body = client.get("/account/activity").get_data(as_text=True)

    assert marks(body) == {"Dark mode": "Changed New → Planned, just now"}
    assert seen_at(fetch, other) is not None


def test_the_page_costs_the_same_statements_however_many_ideas_changed(client, auth, member,
                                                                       make_idea, as_staff,
                                                                       count_queries):
    ideas = [make_idea(title=f"Idea {n}", author=member) for n in range(3)]
    auth.login(member)
    client.get("/account/activity")
    as_staff(ideas[0], lambda actor, idea: change_status(actor, idea, "planned"))
    with count_queries() as one_changed:
        client.get("/account/activity")
    for idea in ideas:
        as_staff(idea, lambda actor, idea: change_status(actor, idea, "under_review"))

    with count_queries() as all_changed:
        body = client.get("/account/activity").get_data(as_text=True)

    assert len(marks(body)) == 3
    assert len(all_changed) == len(one_changed)
