"""CSRF protection is on in the browser tests, and a refused token is explained, never silent."""
import pytest
from playwright.sync_api import expect

from browser_steps import SEARCH_PROBLEM, no_page_load
from helpers import PASSWORD

pytestmark = pytest.mark.browser

STALE_TOKEN = """() => {
    document.querySelector("main").setAttribute("hx-headers", '{"X-CSRFToken": "stale"}');
    for (const input of document.querySelectorAll("input[name=csrf_token]")) input.value = "stale";
}"""


def test_a_post_without_the_token_is_refused(page, live_server):
    page.goto(f"{live_server}/auth/login")  # a session whose token the POST leaves out

    response = page.request.post(f"{live_server}/auth/login", max_redirects=0,
                                 form={"email": "seed@example.com", "password": PASSWORD})

    assert response.status == 400
    assert "Reload the page" in response.text()


def test_a_stale_token_asks_the_member_to_reload_in_place(member_page, live_server):
    page = member_page
    page.goto(f"{live_server}/ideas/{SEARCH_PROBLEM}")
    count = page.locator(f"#idea-{SEARCH_PROBLEM}-vote .vote-count")
    before = count.inner_text()
    page.evaluate(STALE_TOKEN)

    with no_page_load(page):
        page.locator(f"#idea-{SEARCH_PROBLEM}-vote").get_by_role("button").click()
        expect(page.locator("#notices")).to_contain_text("Reload the page")

    expect(count).to_have_text(before)
    page.reload()
    expect(count).to_have_text(before)
