"""The idea page's status badge says why an idea was declined, right where the badge is."""
import re

import pytest
from sqlalchemy import select

from ideas.extensions import db
from ideas.models import Idea, TimelineEntry, User
from ideas.statuses import change_status

RLO = "\u202e"


@pytest.fixture
def staff(make_user):
    """A staff member who moves ideas."""
    return make_user(role="staff")


@pytest.fixture
def move(app, staff):
    """move(idea, status, note): a staff member changes the idea's status through the rule."""
    def run(idea, status, note=""):
        with app.app_context():
            change_status(db.session.get(User, staff.id), db.session.get(Idea, idea.id), status, note)
            db.session.commit()

    return run


def reason_block(body):
    """The decline reason shown in the idea's header, or None."""
    match = re.search(r'<div class="notice notice-info decline-reason">.*?</div>\s*</div>', body, re.S)
    return match.group(0) if match else None


def test_a_declined_idea_shows_its_reason_beside_the_badge(client, make_idea, move, fetch):
    idea = make_idea(title="Fax support")
    move(idea, "declined", "Nobody has a fax machine any more.")

    response = client.get(f"/ideas/{idea.id}")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    reason = reason_block(body)
    assert reason and "Why it was declined" in reason
    assert "Nobody has a fax machine any more." in reason
    # In the header, after the badge and before the description and the discussion.
    badge = body.index('<span class="badge status status-declined">Declined</span>')
    assert badge < body.index(reason) < body.index("Night owls need it.")
    assert fetch(lambda: db.session.execute(select(Idea.status).where(Idea.id == idea.id)).scalar_one()) \
        == "declined"


def test_a_signed_in_member_sees_the_reason_too(client, auth, make_user, make_idea, move):
    idea = make_idea()
    move(idea, "declined", "Out of scope.")
    auth.login(make_user())

    body = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    assert "Out of scope." in (reason_block(body) or "")


def test_the_latest_decline_reason_is_the_one_shown(client, make_idea, move, fetch):
    idea = make_idea()
    move(idea, "declined", "Too costly.")
    move(idea, "under_review", "Looking again.")
    move(idea, "declined", "Still too costly after a second look.")

    reason = reason_block(client.get(f"/ideas/{idea.id}").get_data(as_text=True))

    assert reason and "Still too costly after a second look." in reason
    assert "Too costly." not in reason
    assert fetch(lambda: len(db.session.execute(select(TimelineEntry.id).where(
        TimelineEntry.idea_id == idea.id, TimelineEntry.to_status == "declined")).all())) == 2


def test_an_idea_moved_on_from_declined_shows_no_reason(client, make_idea, move):
    idea = make_idea()
    move(idea, "declined", "Too costly.")
    move(idea, "planned", "We found a cheap way.")

    body = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    assert reason_block(body) is None
    assert "Why it was declined" not in body


def test_an_idea_never_declined_shows_no_reason(client, make_idea):
    idea = make_idea()

    body = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    assert "decline-reason" not in body


def test_a_hostile_reason_is_escaped_and_isolated(client, make_idea, move):
    idea = make_idea()
    move(idea, "declined", f'<script>alert(1)</script> **Because** {RLO}sdrawkcab <img src=x onerror="x()">')

    body = client.get(f"/ideas/{idea.id}").get_data(as_text=True)

    reason = reason_block(body)
    assert reason is not None
    assert "<script" not in reason and "<img" not in reason
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in reason  # shown as the text it is
    assert "<strong>Because</strong>" in reason
    # The override stays inside an element that isolates it from the app's own words.
    text = re.search(r'<div class="prose" dir="auto">(.*?)</div>', reason, re.S)
    assert text and f"{RLO}sdrawkcab" in text.group(1)
