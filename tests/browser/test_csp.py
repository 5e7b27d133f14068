"""The Content-Security-Policy holds in a real browser: no page or htmx swap breaks it.

The journeys check the pages a member walks through; these check the rest, and that the
watch itself sees a violation, so that its empty list means something.
"""
import pytest
from playwright.sync_api import expect

from browser_steps import DARK_MODE, wait_for

pytestmark = pytest.mark.browser

VISITOR_PAGES = ["/?sort=top&kind=problem&q=dark", f"/ideas/{DARK_MODE}",
                 "/ideas/similar?title=dark+mode", "/auth/login", "/auth/forgot", "/ideas/999999"]
MEMBER_PAGES = ["/account/settings", "/account/activity"]

# What a template or sanitiser slip could put on a page; the policy refuses each.
INJECT_VIOLATIONS = """() => {
    const inline = document.createElement("script");
    inline.textContent = "window.inlineRan = true";
    document.body.append(inline);
    const styled = document.createElement("div");
    styled.innerHTML = '<p style="color: red">styled</p>';
    document.body.append(styled);
    const remote = document.createElement("script");
    remote.src = "https://cdn.example.com/htmx.min.js";
    document.body.append(remote);
}"""


def test_the_watch_catches_csp_violations(page, page_log, live_server):
    page.goto(f"{live_server}/")

    page.evaluate(INJECT_VIOLATIONS)

    assert wait_for(page, lambda: len(page_log.violations) >= 3), page_log.violations
    refused = " ".join(page_log.csp_violations())
    for directive in ("script-src-elem", "style-src-attr"):
        assert directive in refused
    assert "cdn.example.com" in refused
    assert page.evaluate("window.inlineRan") is None


def test_pages_a_visitor_sees_break_no_csp_rule(page, page_log, live_server):
    for path in VISITOR_PAGES:
        page.goto(f"{live_server}{path}")
        expect(page.locator("main")).to_be_visible()

    assert page_log.csp_violations() == []
    assert page_log.page_errors == []


def test_pages_a_member_sees_break_no_csp_rule(member_page, page_log, live_server):
    for path in MEMBER_PAGES:
        member_page.goto(f"{live_server}{path}")
        expect(member_page.locator("main")).to_be_visible()

    assert page_log.csp_violations() == []
    assert page_log.page_errors == []
