"""WCAG 2.2 AA: axe-core finds nothing on any kind of page, for anyone, in either theme.

axe-core is vendored under tests/browser/vendor/ (MPL-2.0, licence beside it) and added as an init
script, which the Content-Security-Policy does not govern. No rule is disabled.
"""
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from browser_steps import no_page_load
from demo_site import ADMIN, MEMBER, STAFF, sign_in
from flask import url_for

from ideas.access import invitation_token, invite
from ideas.accounts import confirmation_token, password_reset_token
from ideas.announcements import announce
from ideas.delivery import fill_inboxes
from ideas.extensions import db
from ideas.models import User
from ideas.unsubscribe import unsubscribe_token

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
THEMES = ("light", "dark")

RUN_AXE = """tags => axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
  .then(result => result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " :: " + n.failureSummary.split("\\n")[1]),
  })))"""


def visitor_pages(site):
    """Addresses a signed-out visitor reads."""
    return ["/", "/?status=planned&kind=problem&sort=new", "/?q=zzzzzz", f"/ideas/{site.showcase_id}",
            "/roadmap", "/changelog", "/changelog/1", "/auth/login", "/auth/signup", "/auth/forgot",
            "/ideas/similar?title=dark+mode", "/ideas/999999", "/auth/code", "/pulse", "/pulse?days=7",
            "/accountability"]


def token_pages(site):
    """Addresses reached only from an emailed link (signed out), and the API's docs page."""
    with site.app.test_request_context():
        member = db.session.execute(select(User).where(User.email == MEMBER)).scalar_one()
        staff = db.session.execute(select(User).where(User.email == STAFF)).scalar_one()
        invitation = invite(staff, "invited-for-axe@example.com")
        db.session.commit()
        pages = [url_for("auth.reset_password", token=password_reset_token(member)),
                 url_for("auth.confirm", token=confirmation_token(member)),
                 url_for("notifications.unsubscribe", token=unsubscribe_token(member)),
                 url_for("access.accept_invitation", token=invitation_token(invitation)),
                 url_for("access.accept_invitation", token="not-a-token"),
                 url_for("access.enter_code"), "/api/v1/docs"]
        db.session.remove()
    return pages


def member_pages(site):
    """Addresses a member reads, beyond the visitor's."""
    return ["/", f"/ideas/{site.showcase_id}", "/ideas/new", "/account/settings",
            "/account/notifications", "/notifications", "/account/activity",
            f"/comments/{site.comment_id}/reply", f"/ideas/{site.showcase_id}/mentions"]


def staff_pages(site):
    """Addresses staff read, beyond the member's."""
    return [f"/ideas/{site.showcase_id}", "/staff/", "/staff/?status=planned", "/staff/members",
            f"/staff/members/{site.member_id}", "/changelog", "/changelog/new", "/announcements",
            "/announcements/new", "/changelog/1/edit", "/staff/invitations", "/staff/csv/",
            "/staff/companies/", "/staff/companies/new", "/accountability"]


def admin_pages(site):
    """Addresses only admins read."""
    return ["/admin/settings", "/admin/tags", "/admin/audit", "/staff/members", "/admin/branding",
            "/admin/access", "/admin/webhooks", "/admin/webhooks/new", "/admin/segments/",
            "/admin/segments/new", "/admin/boards/", "/admin/boards/new", "/admin/boards/1/edit",
            "/admin/statuses/", "/admin/statuses/new", "/admin/statuses/planned/edit",
            "/admin/accountability"]


@pytest.fixture
def axe_context(browser):
    """make(): a browser context with axe-core loaded in every page."""
    contexts = []

    def make():
        # Reduced motion turns the colour transitions off, so a theme switch is complete at once.
        context = browser.new_context(reduced_motion="reduce")
        context.set_default_timeout(10_000)
        context.add_init_script(path=str(AXE))
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def axe_violations(page, where):
    """Run axe in both themes on the page as it stands; one line per problem found."""
    found = []
    for theme in THEMES:
        page.emulate_media(color_scheme=theme)
        for violation in page.evaluate(RUN_AXE, WCAG_22_AA):
            found.append(f"{where} [{theme}] {violation['id']} ({violation['impact']}): "
                         f"{violation['help']} -> {violation['nodes']}")
    return found


def audit(page, base_url, paths):
    """Visit each path and collect what axe finds."""
    found = []
    for path in paths:
        page.goto(f"{base_url}{path}")
        expect(page.locator("main")).to_be_visible()
        found += axe_violations(page, path)
    return found


def test_axe_finds_nothing_for_a_visitor(axe_context, demo_site):
    page = axe_context().new_page()

    found = audit(page, demo_site.url, visitor_pages(demo_site))

    assert found == [], "\n".join(found)


def test_axe_finds_nothing_on_pages_reached_by_emailed_links(axe_context, demo_site):
    page = axe_context().new_page()
    found = []

    for path in token_pages(demo_site):
        response = page.goto(f"{demo_site.url}{path}")
        assert page.url == f"{demo_site.url}{path}", f"{path} led to {page.url}: its token was refused"
        assert response.status == (404 if "not-a-token" in path else 200)
        found += axe_violations(page, path.partition("?")[0])

    assert found == [], "\n".join(found)


def test_axe_finds_nothing_for_a_member(axe_context, demo_site):
    context = axe_context()
    sign_in(context, demo_site.url, MEMBER)
    page = context.new_page()

    found = audit(page, demo_site.url, member_pages(demo_site))
    page.goto(f"{demo_site.url}/ideas/new")
    page.get_by_role("button", name="Post idea").click()
    expect(page.locator(".notice-error")).to_be_visible()
    found += axe_violations(page, "/ideas/new (422)")

    assert found == [], "\n".join(found)


def test_axe_finds_nothing_for_staff(axe_context, demo_site):
    context = axe_context()
    sign_in(context, demo_site.url, STAFF)
    page = context.new_page()

    found = audit(page, demo_site.url, staff_pages(demo_site))

    assert found == [], "\n".join(found)


def test_axe_finds_nothing_for_an_admin(axe_context, demo_site):
    context = axe_context()
    sign_in(context, demo_site.url, ADMIN)
    page = context.new_page()

    found = audit(page, demo_site.url, admin_pages(demo_site))

    assert found == [], "\n".join(found)


def test_axe_sees_a_violation_so_its_silence_means_something(axe_context, demo_site):
    page = axe_context().new_page()
    page.goto(f"{demo_site.url}/auth/login")

    page.evaluate("""() => { const img = document.createElement("img");
        img.src = "/static/favicon.svg"; document.querySelector("main").append(img); }""")

    assert any(" image-alt " in line for line in axe_violations(page, "/auth/login"))


# The header on a phone: one row, the links in a menu that opens without JavaScript.

PHONE = {"width": 360, "height": 780}


def test_on_a_phone_the_admin_header_is_one_row_and_its_menu_passes_axe(axe_context, demo_site):
    context = axe_context()
    sign_in(context, demo_site.url, ADMIN)
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.goto(f"{demo_site.url}/staff/")

    assert page.locator(".site-header").bounding_box()["height"] < 70
    expect(page.get_by_role("link", name="Members")).to_be_hidden()
    found = axe_violations(page, "/staff/ (phone, menu closed)")
    page.get_by_text("Menu").click()
    expect(page.get_by_role("link", name="Members")).to_be_visible()
    found += axe_violations(page, "/staff/ (phone, menu open)")

    assert found == [], "\n".join(found)


def test_on_a_phone_the_menu_opens_and_is_walked_by_keyboard(axe_context, demo_site):
    context = axe_context()
    sign_in(context, demo_site.url, STAFF)
    page = context.new_page()
    page.set_viewport_size(PHONE)
    page.route("**/*.js", lambda route: route.abort())  # the menu needs no script
    page.goto(f"{demo_site.url}/")

    tab_to(page, ".nav-menu-button")
    page.keyboard.press("Enter")
    tab_to(page, ".nav-links a[href='/staff/']", most=10)
    expect(page.get_by_role("link", name="Inbox")).to_be_visible()
    tab_to(page, ".nav-links .link-button", most=10)
    page.keyboard.press("Enter")

    expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_on_a_wide_screen_every_header_link_shows_without_opening_a_menu(axe_context, demo_site):
    context = axe_context()
    sign_in(context, demo_site.url, ADMIN)
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{demo_site.url}/roadmap")

    expect(page.locator(".nav-menu-button")).to_be_hidden()
    for name in ("Board", "Inbox", "Members", "Admin", "Sign out"):
        expect(page.get_by_role("navigation", name="Main").get_by_role(
            "button" if name == "Sign out" else "link", name=name, exact=True)).to_be_visible()


# Keyboard and screen readers.

def tab_to(page, selector, most=80):
    """Press Tab until the element matching `selector` has focus; fails if it never does."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def settled(page):
    """Wait until htmx has finished swapping and settling."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def focused(page):
    """The focused element's id, or its tag and text when it has none."""
    return page.evaluate("() => document.activeElement.id || document.activeElement.outerHTML.slice(0, 120)")


def test_skip_link_is_first_shows_on_focus_and_leads_to_the_content(axe_context, demo_site):
    page = axe_context().new_page()
    page.goto(f"{demo_site.url}/")

    page.keyboard.press("Tab")

    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["y"] >= 0
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_a_vote_by_keyboard_keeps_focus_on_the_button_and_is_announced(axe_context, demo_site):
    context = axe_context()
    sign_in(context, demo_site.url, MEMBER)  # who backs the showcase idea
    page = context.new_page()
    page.goto(f"{demo_site.url}/ideas/{demo_site.showcase_id}")
    button = f"#idea-{demo_site.showcase_id}-vote-button"
    before = int(page.locator(f"{button} .vote-count").inner_text())

    tab_to(page, button)
    with no_page_load(page):
        page.keyboard.press("Enter")
        expect(page.locator(button)).to_have_attribute("aria-pressed", "false")
        settled(page)

    expect(page.locator(button)).to_have_attribute("aria-pressed", "false")
    expect(page.locator(f"{button} .vote-count")).to_have_text(str(before - 1))
    assert focused(page) == button[1:]
    expect(page.locator("#announcer")).to_contain_text("You no longer back “Add a dark mode”")
    expect(page.locator("#announcer")).to_have_attribute("aria-live", "polite")
    with no_page_load(page):
        page.keyboard.press("Enter")  # the same button, still focused, backs it again
        expect(page.locator(button)).to_have_attribute("aria-pressed", "true")
        settled(page)
    expect(page.locator("#announcer")).to_contain_text(f"You back “Add a dark mode”. {before} votes.")
    assert focused(page) == button[1:]


def test_show_more_by_keyboard_moves_focus_to_the_first_new_idea(axe_context, demo_site):
    page = axe_context().new_page()
    page.goto(f"{demo_site.url}/?sort=new")
    shown = page.locator(".idea-card").count()

    tab_to(page, "#show-more a")
    page.keyboard.press("Enter")

    expect(page.locator(".idea-card").nth(shown)).to_be_visible()
    first_new = page.locator(".idea-card").nth(shown).locator(".card-title a")
    expect(first_new).to_be_focused()


def test_a_filter_chosen_by_keyboard_keeps_focus_and_announces_the_results(axe_context, demo_site):
    page = axe_context().new_page()
    page.goto(f"{demo_site.url}/")

    tab_to(page, "#board-kind")
    page.keyboard.press("ArrowDown")  # Chromium changes a closed select's value with the arrow keys

    expect(page.locator("#announcer")).to_contain_text("Showing")
    expect(page.locator("#board-kind")).to_be_focused()
    assert page.locator("#board-kind").input_value() != ""


def test_a_new_notification_is_announced_when_the_count_polls(axe_context, demo_site):
    context = axe_context()
    sign_in(context, demo_site.url, MEMBER)
    page = context.new_page()
    page.clock.install()
    page.goto(f"{demo_site.url}/account/activity")
    expect(page.locator("#announcer")).to_be_empty()
    with demo_site.app.app_context():
        staff = db.session.execute(select(User).where(User.email == STAFF)).scalar_one()
        announce(staff, "The dark theme reaches every page next week.", idea_id=demo_site.showcase_id)
        fill_inboxes()
        db.session.commit()
        db.session.remove()

    page.clock.run_for(31_000)

    expect(page.locator("#announcer")).to_contain_text("unread notification")
    expect(page.locator("#notification-count .count-badge")).to_be_visible()
