"""A member's first visit, in a real browser: sign up, propose, vote, follow, comment.

With JavaScript on, htmx swaps each part in place and the page never reloads; with it off,
the same controls are plain forms that answer 303 and land back on a page showing the change.
"""
import re
import uuid
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

COMMENT = "Yes please, and for the emails too."


@contextmanager
def no_page_load(page):
    """Fail unless the block changes the page in place: no navigation, window state survives."""
    marker = uuid.uuid4().hex
    page.evaluate("marker => { window.__samePage = marker; }", marker)
    navigations = []

    def record(frame):
        if frame == page.main_frame:
            navigations.append(frame.url)

    page.on("framenavigated", record)
    try:
        yield
    finally:
        page.remove_listener("framenavigated", record)
    assert navigations == [], f"the page navigated to {navigations}"
    assert page.evaluate("window.__samePage") == marker, "the page was loaded again"


def submit(page, button):
    """Press a form's button with JavaScript off; returns the status the POST answered."""
    with page.expect_navigation() as navigation:
        button.click()
    post = navigation.value.request.redirected_from
    assert post is not None, f"{page.url} was not reached by a redirect"
    assert post.method == "POST"
    return post.response().status


def sign_up(page, base_url, member):
    """Create an account through the sign-up form; the member lands signed in on the board."""
    page.goto(f"{base_url}/auth/signup")
    page.get_by_label("Name").fill(member["name"])
    page.get_by_label("Email").fill(member["email"])
    page.get_by_label("Password").fill(member["password"])
    page.get_by_role("button", name="Sign up").click()
    expect(page.locator("#notices")).to_contain_text("Welcome!")
    expect(page.get_by_role("link", name=member["name"])).to_be_visible()


def idea_id_from(url):
    return int(re.search(r"/ideas/(\d+)", url).group(1))


def take_part_with_javascript(page, base_url, member, title, artifacts=None):
    """The whole journey with htmx; each step checks that only part of the page changed.

    `title` starts with "dark mode" so that the seeded "Add a dark mode" shows as similar.
    """
    sign_up(page, base_url, member)

    page.goto(f"{base_url}/ideas/new")
    similar = page.locator("#similar-ideas")
    expect(similar).not_to_contain_text("Add a dark mode")
    with no_page_load(page):
        page.get_by_label("Title").press_sequentially(title, delay=25)
        expect(similar).to_contain_text("Add a dark mode")
        expect(similar.get_by_role("link", name="Add a dark mode")).to_be_visible()

    page.get_by_label("Description").fill("The board is too bright at night.")
    page.get_by_role("button", name="Post idea").click()
    expect(page).to_have_url(re.compile(r"/ideas/\d+$"))
    expect(page.locator("#notices")).to_contain_text("Your idea is posted")
    idea_id = idea_id_from(page.url)

    page.goto(f"{base_url}/?sort=new")
    vote = page.locator(f"#idea-{idea_id}-vote")
    expect(vote.locator(".vote-count")).to_have_text("0")
    with no_page_load(page):
        vote.get_by_role("button").click()
        expect(vote.locator(".vote-count")).to_have_text("1")
        expect(vote.get_by_role("button")).to_have_attribute("aria-pressed", "true")
        expect(vote.locator(".vote-label")).to_have_text("Backed")
    if artifacts:
        page.screenshot(path=artifacts / "board.png", full_page=True)

    page.get_by_role("link", name=title, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/ideas/{idea_id}$"))
    expect(page.locator(f"#idea-{idea_id}-vote .vote-count")).to_have_text("1")

    follow = page.locator(f"#idea-{idea_id}-follow").get_by_role("button")
    expect(follow).to_have_text("Following")  # the author follows their own idea
    with no_page_load(page):
        follow.click()
        expect(follow).to_have_text("Follow")
        expect(follow).to_have_attribute("aria-pressed", "false")
        follow.click()
        expect(follow).to_have_text("Following")

    comments = page.locator("#comments")
    with no_page_load(page):
        page.get_by_label("Comment").fill(COMMENT)
        page.get_by_role("button", name="Comment").click()
        expect(comments.locator(".comment")).to_contain_text(COMMENT)
        expect(comments.get_by_role("heading")).to_have_text("Discussion (1)")
    if artifacts:
        page.screenshot(path=artifacts / "idea.png", full_page=True)
    return idea_id


def test_a_member_takes_part_with_javascript_without_a_page_load(
        page, page_log, live_server, new_member, artifacts):
    take_part_with_javascript(page, live_server, new_member(), "dark mode please", artifacts)

    assert page_log.csp_violations() == []
    assert page_log.page_errors == []


def test_the_javascript_journey_logs_no_console_errors(page, page_log, live_server, new_member):
    take_part_with_javascript(page, live_server, new_member("Casey Console"),
                              "dark mode for the emails")

    assert page_log.errors() == []


def test_the_comment_box_is_empty_after_commenting_with_javascript(
        page, live_server, new_member):
    sign_up(page, live_server, new_member())
    page.goto(f"{live_server}/ideas/1")

    page.get_by_label("Comment").fill("Count me in.")
    page.get_by_role("button", name="Comment").click()

    expect(page.locator("#comments .comment").last).to_contain_text("Count me in.")
    expect(page.get_by_label("Comment")).to_have_value("")


def test_a_member_takes_part_without_javascript_through_plain_forms(
        nojs_page, live_server, new_member):
    page = nojs_page
    sign_up(page, live_server, new_member("Nora Noscript"))

    page.goto(f"{live_server}/ideas/similar?title=dark+mode+please")
    expect(page.locator("#similar-ideas")).to_contain_text("Add a dark mode")

    page.goto(f"{live_server}/ideas/new")
    page.get_by_label("Title").fill("Keyboard shortcuts for the board")
    page.get_by_label("Description").fill("j and k to move, v to vote.")
    assert submit(page, page.get_by_role("button", name="Post idea")) == 303
    expect(page.locator("#notices")).to_contain_text("Your idea is posted")
    idea_id = idea_id_from(page.url)

    page.goto(f"{live_server}/?sort=new")
    vote = page.locator(f"#idea-{idea_id}-vote")
    expect(vote.locator(".vote-count")).to_have_text("0")
    assert submit(page, vote.get_by_role("button")) == 303
    assert page.url.startswith(f"{live_server}/?")  # back where the vote was cast
    expect(vote.locator(".vote-count")).to_have_text("1")
    expect(vote.locator(".vote-label")).to_have_text("Backed")

    page.goto(f"{live_server}/ideas/{idea_id}")
    follow = page.locator(f"#idea-{idea_id}-follow").get_by_role("button")
    expect(follow).to_have_text("Following")
    assert submit(page, follow) == 303
    expect(page).to_have_url(f"{live_server}/ideas/{idea_id}")
    expect(follow).to_have_text("Follow")
    assert submit(page, follow) == 303
    expect(follow).to_have_text("Following")

    page.get_by_label("Comment").fill("Shortcuts would save me hours.")
    assert submit(page, page.get_by_role("button", name="Comment")) == 303
    expect(page).to_have_url(re.compile(rf"/ideas/{idea_id}#comment-\d+$"))
    expect(page.locator("#comments .comment")).to_contain_text("Shortcuts would save me hours.")
    expect(page.locator("#comments").get_by_role("heading")).to_have_text("Discussion (1)")
