"""WCAG 2.2 AA: axe-core finds nothing on any kind of page, for anyone, in either theme.

axe-core is vendored under tests/browser/vendor/ (MPL-2.0, licence beside it) and added as an init
script, which the Content-Security-Policy does not govern. No rule is disabled.
"""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from demo_site import ADMIN, MEMBER, STAFF, sign_in

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
            "/ideas/similar?title=dark+mode", "/ideas/999999"]


def member_pages(site):
    """Addresses a member reads, beyond the visitor's."""
    return ["/", f"/ideas/{site.showcase_id}", "/ideas/new", "/account/settings",
            "/account/notifications", "/notifications", "/account/activity"]


def staff_pages(site):
    """Addresses staff read, beyond the member's."""
    return [f"/ideas/{site.showcase_id}", "/staff/", "/staff/?status=planned", "/staff/members",
            f"/staff/members/{site.member_id}", "/changelog", "/changelog/new", "/announcements",
            "/announcements/new", "/changelog/1/edit"]


def admin_pages(site):
    """Addresses only admins read."""
    return ["/admin/settings", "/admin/tags", "/admin/audit", "/staff/members"]


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
