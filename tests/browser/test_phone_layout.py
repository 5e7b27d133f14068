"""Layout under hostile text (issue 15): no page is wider than a 360 px phone whatever people write,
the staff header keeps to one row at 1280 px, and the staff inbox reads on a phone without a
sideways scroll."""

import pytest

from browser_steps import CSRF_FIELD
from demo_site import served_copy
from helpers import PASSWORD
from ideas.changelog import create_entry, publish_entry
from ideas.comments import add_comment
from ideas.delivery import drain
from ideas.extensions import db
from ideas.models import User, utcnow
from ideas.passwords import hash_password
from ideas.proposals import propose_idea
from ideas.statuses import change_status
from ideas.tags import create_tag

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}

# The longest unbroken words each field takes (names 80, titles 120, tags 40 characters); free
# text gets a 300-character word and a 300-character address.
LONG_NAME = "W" * 80
LONG_EMAIL = f"{'m' * 64}@{'d' * 63}.example.com"
LONG_TITLE = "T" * 120
LONG_TAG = "g" * 40
LONG_WORD = "L" * 300
LONG_URL = "https://example.com/" + "u" * 300
LONG_ENTRY = "E" * 150
MEMBER_EMAIL, OTHER_EMAIL, ADMIN_EMAIL, STAFF_EMAIL = (
    LONG_EMAIL, "other@example.com", "alex-admin@example.com", "sam-staff@example.com")


def _person(name, email, role="member"):
    person = User(name=name, email=email, role=role, password_hash=hash_password(PASSWORD),
                  email_confirmed_at=utcnow())
    db.session.add(person)
    return person


def seed_hostile_text(app):
    """A member with the longest name and address, whose idea, tag, comments, status note and
    changelog entry are each one unbroken word; returns the ids the pages need."""
    with app.app_context():
        member = _person(LONG_NAME, MEMBER_EMAIL)
        other = _person("Olive Other", OTHER_EMAIL)
        admin = _person("Alex Admin", ADMIN_EMAIL, role="admin")
        _person("Sam Staff", STAFF_EMAIL, role="staff")
        db.session.flush()
        tag = create_tag(admin, LONG_TAG, "green")
        idea = propose_idea(member, LONG_TITLE, f"{LONG_WORD}\n\n{LONG_URL}", "problem", [tag.id])
        propose_idea(member, LONG_WORD[:120], LONG_WORD, "idea", [tag.id])  # New: in the inbox
        add_comment(member, idea, f"{LONG_WORD} {LONG_URL}")
        add_comment(other, idea, LONG_WORD)
        add_comment(admin, idea, LONG_WORD, official=True)
        change_status(admin, idea, "planned", f"{LONG_WORD} {LONG_URL}")
        publish_entry(admin, create_entry(admin, LONG_ENTRY, LONG_WORD, [idea.id]))
        db.session.commit()
        drain()
        ids = {"idea": idea.id, "member": member.id}
        db.session.remove()
    return ids


@pytest.fixture(scope="module")
def hostile_site(sqlite_template, tmp_path_factory):
    """The app on its own database of hostile text, CSRF on, served at a free port: (url, ids)."""
    with served_copy(sqlite_template, tmp_path_factory, "hostile", seed_hostile_text) as served:
        yield served


def open_tab(browser, base_url, viewport, email=None):
    """A tab of the given size, signed in as `email` through the sign-in form's POST when given."""
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(5_000)
    if email:
        form = context.request.get(f"{base_url}/auth/login").text()
        token = CSRF_FIELD.search(form).group(1)
        response = context.request.post(f"{base_url}/auth/login", max_redirects=0,
                                        form={"csrf_token": token, "email": email, "password": PASSWORD})
        assert response.status == 303, response.text()
    return context, context.new_page()


def page_width(page, url):
    """How wide the page at `url` lays out, in CSS pixels (what a phone would scroll sideways)."""
    response = page.goto(url)
    assert response.status == 200, url
    return page.evaluate("document.documentElement.scrollWidth")


def widths_at(browser, base_url, viewport, email, paths):
    """{path: layout width} for each path, read by one tab signed in as `email`."""
    context, page = open_tab(browser, base_url, viewport, email)
    try:
        return {path: page_width(page, base_url + path) for path in paths}
    finally:
        context.close()


def test_no_page_is_wider_than_a_phone_whatever_people_write(browser, hostile_site):
    base_url, ids = hostile_site
    idea = f"/ideas/{ids['idea']}"
    readers = {
        None: ["/", idea, "/roadmap", "/changelog", "/?status=planned"],
        MEMBER_EMAIL: ["/", idea, "/account/activity", "/notifications", "/account/settings"],
        ADMIN_EMAIL: [idea, "/staff/", f"/staff/members/{ids['member']}", "/staff/members", "/admin/tags",
                      "/admin/audit"],
    }

    too_wide = {}
    for email, paths in readers.items():
        for path, width in widths_at(browser, base_url, PHONE, email, paths).items():
            if width > PHONE["width"]:
                too_wide[f"{email or 'visitor'} {path}"] = width

    assert too_wide == {}


def test_the_open_menu_fits_a_phone_with_the_longest_name(browser, hostile_site):
    base_url, _ = hostile_site
    context, page = open_tab(browser, base_url, PHONE, MEMBER_EMAIL)
    try:
        page.goto(base_url + "/")
        page.locator(".nav-menu-button").click()
        name = page.get_by_role("link", name=LONG_NAME)

        assert name.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        box = name.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"]
    finally:
        context.close()


def header_height(browser, base_url, email):
    """The site header's height at 1280 px on the board, for a reader signed in as `email`."""
    context, page = open_tab(browser, base_url, LAPTOP, email)
    try:
        page.goto(base_url + "/")
        return page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
    finally:
        context.close()


@pytest.mark.parametrize("email", [STAFF_EMAIL, ADMIN_EMAIL], ids=["staff", "admin"])
def test_the_staff_header_keeps_to_one_row_at_1280_px(browser, hostile_site, email):
    base_url, _ = hostile_site

    assert header_height(browser, base_url, email) == header_height(browser, base_url, None)


def test_the_staff_inbox_reads_on_a_phone_without_a_sideways_scroll(browser, hostile_site):
    base_url, _ = hostile_site
    context, page = open_tab(browser, base_url, PHONE, ADMIN_EMAIL)
    try:
        assert page_width(page, base_url + "/staff/") <= PHONE["width"]
        # Nothing hides behind a scrolling box either: every row's votes and date are in view.
        scrolled = page.evaluate("""[...document.querySelectorAll('#inbox-results *')]
            .filter(element => element.scrollWidth > element.clientWidth + 1
                    && ['auto', 'scroll'].includes(getComputedStyle(element).overflowX))
            .map(element => element.className || element.tagName)""")
        assert scrolled == []
        for cell in page.locator(".inbox-table tbody td").all():
            box = cell.bounding_box()
            assert box is None or box["x"] + box["width"] <= PHONE["width"] + 0.5
    finally:
        context.close()
