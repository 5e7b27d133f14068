"""A text field's live limit note and an idea's decline reason, read on a 390 px phone: the field says
it is invalid while its text is too long (and not once it fits), the note wraps between phrases, and
the reason takes the page's width under the vote instead of a narrow column beside it. Screenshots
go to test-artifacts/ for a person to look at."""
import re

import pytest
from playwright.sync_api import expect

from browser_steps import CSRF_FIELD, no_page_load
from demo_site import served_copy
from helpers import PASSWORD
from ideas.extensions import db
from ideas.models import User, utcnow
from ideas.passwords import hash_password
from ideas.proposals import propose_idea
from ideas.statuses import change_status

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
MEMBER_EMAIL, STAFF_EMAIL = "mia-member@example.com", "sam-staff@example.com"
TITLE_MAX = 120
TOO_LONG = "Typed " + "x" * 124  # 130 characters: 10 over the limit
REASON = ("This would clash with the single sign-on we plan for next year, and few customers asked for "
          "it. We will look again when the sign-on work is done.")


def seed(app):
    """A member, a staff member and an idea declined with a reason; returns the idea's id."""
    with app.app_context():
        people = [User(name=name, email=email, role=role, password_hash=hash_password(PASSWORD),
                       email_confirmed_at=utcnow())
                  for name, email, role in (("Mia Member", MEMBER_EMAIL, "member"),
                                            ("Sam Staff", STAFF_EMAIL, "staff"))]
        db.session.add_all(people)
        db.session.flush()
        member, staff = people
        # A short title: the vote column beside it is the taller, the case a reason could slip into.
        idea = propose_idea(member, "Fax support", "Send orders by fax.", "idea")
        change_status(staff, idea, "declined", REASON)
        db.session.commit()
        idea_id = idea.id
        db.session.remove()
    return idea_id


@pytest.fixture(scope="module")
def site(sqlite_template, tmp_path_factory):
    """The app on its own database with the declined idea, CSRF on, at a free port: (url, idea id)."""
    with served_copy(sqlite_template, tmp_path_factory, "phone-fields", seed) as served:
        yield served


@pytest.fixture
def tab(browser, page_log):
    """open(viewport, email=None): a tab of that size, signed in as `email` when given, watched by
    `page_log`; closed at the end of the test."""
    contexts = []

    def open_tab(base_url, viewport, email=None):
        context = browser.new_context(viewport=viewport)
        contexts.append(context)
        context.set_default_timeout(5_000)
        if email:
            form = context.request.get(f"{base_url}/auth/login").text()
            response = context.request.post(f"{base_url}/auth/login", max_redirects=0, form={
                "csrf_token": CSRF_FIELD.search(form).group(1), "email": email, "password": PASSWORD})
            assert response.status == 303, response.text()
        page = context.new_page()
        page.on("console", lambda message: page_log.console.append(message))
        page.on("pageerror", lambda error: page_log.page_errors.append(str(error)))
        return page

    yield open_tab
    for context in contexts:
        context.close()


# -- the limit note --------------------------------------------------------------------------------


def test_a_title_is_marked_invalid_while_it_is_too_long_and_not_once_it_fits(site, tab, page_log):
    base_url, _ = site
    page = tab(base_url, PHONE, MEMBER_EMAIL)
    page.goto(f"{base_url}/ideas/new")
    title = page.get_by_label("Title", exact=True)
    note = page.locator("#title-limit")
    assert title.get_attribute("aria-invalid") is None

    with no_page_load(page):
        title.press_sequentially(TOO_LONG)
        expect(note).to_contain_text("10 too many")
        expect(title).to_have_attribute("aria-invalid", "true")
        assert "title-limit" in title.get_attribute("aria-describedby").split()

        for _ in range(10):
            title.press("Backspace")
        expect(note).to_have_text(f"{TITLE_MAX} / {TITLE_MAX} characters")
        expect(title).not_to_have_attribute("aria-invalid", re.compile(".*"))

    assert page_log.errors() == [] and page_log.page_errors == []


def test_the_note_over_the_limit_wraps_between_its_phrases_on_a_phone(site, tab, artifacts):
    base_url, _ = site
    page = tab(base_url, PHONE, MEMBER_EMAIL)
    page.goto(f"{base_url}/ideas/new")
    page.get_by_label("Title", exact=True).press_sequentially(TOO_LONG)
    note = page.locator("#title-limit")
    expect(note).to_contain_text("10 too many")
    page.screenshot(path=artifacts / "limit-note-390.png", clip={"x": 0, "y": 0, **PHONE})

    lines = note.evaluate("""note => {
        const tops = rects => [...new Set([...rects].map(rect => Math.round(rect.top)))];
        const count = document.createRange();
        count.selectNodeContents(note.firstChild);  // "130 / 120 characters — "
        const over = note.querySelector(".error");   // "10 too many: shorten the text to send it."
        return {count: tops(count.getClientRects()).length, over: over.getClientRects().length,
                overLeft: over.getBoundingClientRect().left, noteLeft: note.getBoundingClientRect().left};
    }""")

    assert lines["count"] == 1  # the count is never split
    assert lines["over"] == 1  # what is too many stays one piece, after its warning sign too
    assert abs(lines["overLeft"] - lines["noteLeft"]) < 1  # on a line of its own at this width


# -- the decline reason ----------------------------------------------------------------------------


def boxes(page):
    """The bounding boxes of the idea's header, its vote and its decline reason."""
    return {name: page.locator(selector).bounding_box() for name, selector in (
        ("header", ".idea-header"), ("vote", ".idea-header .vote"), ("reason", ".decline-reason"))}


def test_the_decline_reason_goes_under_the_vote_at_full_width_on_a_phone_only(site, tab, artifacts):
    base_url, idea_id = site
    phone, laptop = tab(base_url, PHONE), tab(base_url, LAPTOP)
    for page in (phone, laptop):
        page.goto(f"{base_url}/ideas/{idea_id}")
        expect(page.locator(".decline-reason")).to_contain_text("single sign-on")
    phone.screenshot(path=artifacts / "decline-reason-390.png", clip={"x": 0, "y": 0, **PHONE})

    header, vote, reason = boxes(phone).values()
    badge = phone.locator(".idea-header .status-declined").bounding_box()
    _, laptop_vote, laptop_reason = boxes(laptop).values()

    assert reason["y"] >= vote["y"] + vote["height"]  # below the vote, not beside it
    assert abs(reason["x"] - header["x"]) < 1
    assert reason["width"] > header["width"] - 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The badge it explains stays above it, beside the vote.
    assert badge["y"] + badge["height"] <= reason["y"] and badge["x"] >= vote["x"] + vote["width"]
    # A laptop has the room: there the reason stays beside the vote, under the badge.
    assert laptop_reason["x"] >= laptop_vote["x"] + laptop_vote["width"]
