"""htmx details a member notices: what else changes in place, what a screen reader hears."""
import re

import pytest
from playwright.sync_api import expect

from browser_steps import DARK_MODE, EXPORT_CSV, PRAISE, SEARCH_PROBLEM, no_page_load

pytestmark = pytest.mark.browser


def test_voting_on_the_idea_page_follows_the_idea_in_place(member_page, live_server):
    page = member_page
    page.goto(f"{live_server}/ideas/{EXPORT_CSV}")
    follow = page.locator(f"#idea-{EXPORT_CSV}-follow")
    expect(follow.locator("button[aria-pressed]")).to_have_text("Follow")
    followers = int(follow.locator(".muted").first.inner_text().split()[0])

    with no_page_load(page):
        page.locator(f"#idea-{EXPORT_CSV}-vote").get_by_role("button").click()
        expect(follow.locator("button[aria-pressed]")).to_have_text("Following")
        expect(follow.locator(".muted").first).to_have_text(f"{followers + 1} followers")


def test_the_vote_announcement_is_heard_not_seen(member_page, live_server):
    page = member_page
    page.goto(f"{live_server}/ideas/{PRAISE}")
    announcer = page.locator("#announcer")

    page.locator(f"#idea-{PRAISE}-vote").get_by_role("button").click()

    expect(announcer).to_contain_text("You back “The new board is lovely”")
    assert announcer.get_attribute("aria-live") == "polite"
    assert "visually-hidden" in (announcer.get_attribute("class") or "").split()


def test_searching_the_board_narrows_the_results_in_place(page, live_server):
    page.goto(f"{live_server}/")
    cards = page.locator("#board-results .idea-card")
    expect(cards.first).to_be_visible()

    with no_page_load(page, pushes_url=True):
        page.get_by_role("searchbox", name="Search").press_sequentially("csv", delay=25)
        expect(cards).to_have_count(1)
        expect(cards).to_contain_text("Export my data as CSV")

    assert "q=csv" in page.url  # the filtered board can be bookmarked and shared


def test_an_empty_comment_is_refused_in_place(member_page, live_server):
    page = member_page
    page.goto(f"{live_server}/ideas/{DARK_MODE}")

    with no_page_load(page):
        page.get_by_role("button", name="Comment", exact=True).click()
        expect(page.locator("#comments")).to_contain_text("Write something first.")

    expect(page.get_by_label("Comment", exact=True)).to_have_attribute("aria-invalid", "true")


def test_an_author_corrects_then_deletes_a_comment_in_place(member_page, live_server):
    page = member_page
    page.goto(f"{live_server}/ideas/{SEARCH_PROBLEM}")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_label("Comment", exact=True).fill("It forgets the sort too.")
    page.get_by_role("button", name="Comment", exact=True).click()
    comment = page.locator("#comments .comment", has_text="It forgets the sort too.")
    comment_id = comment.get_attribute("id")
    comment = page.locator(f"#{comment_id}")

    with no_page_load(page):
        comment.get_by_role("link", name="Edit", exact=True).click()
        page.locator("#edit-body").fill("It forgets the sort order too.")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(comment).to_contain_text("It forgets the sort order too.")
        expect(comment).to_contain_text("edited")

        comment.get_by_role("button", name="Delete", exact=True).click()
        expect(comment).to_have_text("Comment deleted")


def test_an_author_withdraws_an_idea_after_confirming(member_page, live_server):
    page = member_page
    page.goto(f"{live_server}/ideas/new")
    page.get_by_label("Title", exact=True).fill("A second logo, just in case")
    page.get_by_role("button", name="Post idea", exact=True).click()
    expect(page).to_have_url(re.compile(r"/ideas/\d+$"))
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))

    page.get_by_role("button", name="Withdraw", exact=True).click()

    expect(page).to_have_url(f"{live_server}/")
    expect(page.locator("#notices")).to_contain_text("Your idea was withdrawn.")
    expect(page.locator("#board-results")).not_to_contain_text("A second logo")
    assert dialogs == ["Withdraw this idea? It will leave the board."]
