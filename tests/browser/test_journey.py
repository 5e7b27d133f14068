"""A member's first visit, in a real browser: sign up, propose, vote, follow, comment.

With JavaScript on, htmx swaps each part in place and the page never reloads; with it off,
the same controls are plain forms that answer 303 and land on a page showing the change.
"""
import re
from urllib.parse import urljoin

import pytest
from playwright.sync_api import expect

from browser_steps import idea_id_from, no_page_load, sign_up, submit

pytestmark = pytest.mark.browser

COMMENT = "Yes please, and for the emails too."



def take_part_with_javascript(page, base_url, member, title, artifacts=None):
    """The whole journey with htmx; each step checks that only part of the page changed.

    `title` starts with "dark mode" so that the seeded "Add a dark mode" shows as similar.
    """
    sign_up(page, base_url, member)

    page.goto(f"{base_url}/ideas/new")
    similar = page.locator("#similar-ideas")
    expect(similar).not_to_contain_text("Add a dark mode")
    with no_page_load(page):
        page.get_by_label("Title", exact=True).press_sequentially(title, delay=25)
        expect(similar.get_by_role("link", name="Add a dark mode")).to_be_visible()

    page.get_by_label("Description", exact=True).fill("The board is too bright at night.")
    page.get_by_role("button", name="Post idea", exact=True).click()
    expect(page).to_have_url(re.compile(r"/ideas/\d+$"))
    expect(page.locator("#notices")).to_contain_text("Your idea is posted")
    idea_id = idea_id_from(page.url)

    page.goto(f"{base_url}/?sort=new")
    vote = page.locator(f"#idea-{idea_id}-vote")
    expect(vote.locator(".vote-count")).to_have_text("1")  # proposing backs it
    expect(vote.locator(".vote-label")).to_have_text("Backed")
    with no_page_load(page):
        vote.get_by_role("button").click()  # the author may withdraw their vote
        expect(vote.locator(".vote-count")).to_have_text("0")
        expect(vote.get_by_role("button")).to_have_attribute("aria-pressed", "false")
        vote.get_by_role("button").click()
        expect(vote.locator(".vote-count")).to_have_text("1")
        expect(vote.locator(".vote-label")).to_have_text("Backed")
        expect(vote.get_by_role("button")).to_have_attribute("aria-pressed", "true")
    if artifacts:
        page.screenshot(path=artifacts / "board.png", full_page=True)

    page.get_by_role("link", name=title, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/ideas/{idea_id}$"))
    expect(page.locator(f"#idea-{idea_id}-vote .vote-count")).to_have_text("1")

    follow = page.locator(f"#idea-{idea_id}-follow").locator("button[aria-pressed]")
    expect(follow).to_have_text("Following")  # authors follow their own ideas
    with no_page_load(page):
        follow.click()
        expect(follow).to_have_text("Follow")
        expect(follow).to_have_attribute("aria-pressed", "false")
        follow.click()
        expect(follow).to_have_text("Following")

    comments = page.locator("#comments")
    with no_page_load(page):
        page.get_by_label("Comment", exact=True).fill(COMMENT)
        page.get_by_role("button", name="Comment", exact=True).click()
        expect(comments.locator(".comment")).to_contain_text(COMMENT)
        expect(comments.get_by_role("heading")).to_have_text("Discussion (1)")
        expect(page.get_by_label("Comment", exact=True)).to_have_value("")  # ready for another
    if artifacts:
        page.screenshot(path=artifacts / "idea.png", full_page=True)


def test_a_member_takes_part_with_javascript_without_a_page_load(
        page, page_log, live_server, new_member, artifacts):
    take_part_with_javascript(page, live_server, new_member(), "dark mode please", artifacts)

    assert page_log.csp_violations() == []
    assert page_log.page_errors == []


def test_the_javascript_journey_logs_no_console_errors(page, page_log, live_server, new_member):
    take_part_with_javascript(page, live_server, new_member("Casey Console"),
                              "dark mode for the emails")

    assert page_log.errors() == []


def test_the_browser_finds_a_favicon(page, live_server):
    page.goto(f"{live_server}/")
    icon = page.locator('link[rel~="icon"]')
    href = icon.first.get_attribute("href") if icon.count() else "/favicon.ico"

    assert page.request.get(urljoin(page.url, href)).ok


def test_a_member_takes_part_without_javascript_through_plain_forms(
        nojs_page, live_server, new_member):
    page = nojs_page
    sign_up(page, live_server, new_member("Nora Noscript"))

    page.goto(f"{live_server}/ideas/new?title=dark+mode+please")
    expect(page.locator("#similar-ideas")).to_contain_text("Add a dark mode")

    page.goto(f"{live_server}/")
    page.get_by_role("searchbox", name="Search").fill("keyboard shortcuts")
    page.get_by_role("button", name="Apply", exact=True).click()
    expect(page.locator("#board-results")).to_contain_text("No ideas match")
    page.get_by_role("link", name="Propose it", exact=True).click()
    expect(page.get_by_label("Title", exact=True)).to_have_value("keyboard shortcuts")
    page.get_by_label("Title", exact=True).fill("Keyboard shortcuts for the board")
    page.get_by_label("Description", exact=True).fill("j and k to move, v to vote.")
    assert submit(page, page.get_by_role("button", name="Post idea", exact=True)) == 303
    expect(page.locator("#notices")).to_contain_text("Your idea is posted")
    idea_id = idea_id_from(page.url)

    page.goto(f"{live_server}/?sort=new")
    vote = page.locator(f"#idea-{idea_id}-vote")
    expect(vote.locator(".vote-count")).to_have_text("1")  # proposing backs it
    assert submit(page, vote.get_by_role("button")) == 303  # the author withdraws their vote
    assert page.url == f"{live_server}/?sort=new"  # back where the vote was withdrawn
    expect(vote.locator(".vote-count")).to_have_text("0")
    assert submit(page, vote.get_by_role("button")) == 303
    expect(vote.locator(".vote-count")).to_have_text("1")
    expect(vote.locator(".vote-label")).to_have_text("Backed")

    page.goto(f"{live_server}/ideas/{idea_id}")
    follow = page.locator(f"#idea-{idea_id}-follow").locator("button[aria-pressed]")
    expect(follow).to_have_text("Following")
    assert submit(page, follow) == 303
    expect(page).to_have_url(f"{live_server}/ideas/{idea_id}")
    expect(follow).to_have_text("Follow")
    assert submit(page, follow) == 303
    expect(follow).to_have_text("Following")

    page.get_by_label("Comment", exact=True).fill("Shortcuts would save me hours.")
    assert submit(page, page.get_by_role("button", name="Comment", exact=True)) == 303
    expect(page).to_have_url(re.compile(rf"/ideas/{idea_id}#comment-\d+$"))
    expect(page.locator("#comments .comment")).to_contain_text("Shortcuts would save me hours.")
    expect(page.locator("#comments").get_by_role("heading")).to_have_text("Discussion (1)")
