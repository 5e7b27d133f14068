"""The live character counter in a real browser (issue 15): typing past a field's limit is told as it
happens, in words a screen reader hears politely, and nothing typed is cut; without JavaScript the
field keeps its plain limit line."""
import pytest
from playwright.sync_api import expect

from browser_steps import no_page_load

pytestmark = pytest.mark.browser

TITLE_MAX = 120
TOO_LONG = "Typed " + "x" * 124  # 130 characters: 10 over the limit


def test_typing_past_the_title_limit_shows_how_many_too_many_and_keeps_every_character(
        member_page, live_server, page_log):
    page = member_page
    page.goto(f"{live_server}/ideas/new")
    title = page.get_by_label("Title", exact=True)
    note = page.locator("#title-limit")
    expect(note).to_have_text(f"At most {TITLE_MAX} characters.")

    with no_page_load(page):
        title.press_sequentially(TOO_LONG)
        expect(note).to_have_text(f"130 / {TITLE_MAX} characters — 10 too many: shorten the text to send it.")

    assert title.input_value() == TOO_LONG
    assert note.get_attribute("aria-live") == "polite"
    assert "title-limit" in title.get_attribute("aria-describedby").split()
    assert page_log.csp_violations() == [] and page_log.errors() == [] and page_log.page_errors == []


def test_the_count_follows_the_text_back_under_the_limit(member_page, live_server):
    page = member_page
    page.goto(f"{live_server}/ideas/new")
    title = page.get_by_label("Title", exact=True)
    note = page.locator("#title-limit")
    title.press_sequentially(TOO_LONG)
    expect(note).to_contain_text("10 too many")

    for _ in range(10):
        title.press("Backspace")

    expect(note).to_have_text(f"{TITLE_MAX} / {TITLE_MAX} characters")
    assert title.input_value() == TOO_LONG[:TITLE_MAX]


def test_an_emoji_is_counted_as_one_character(member_page, live_server):
    page = member_page
    page.goto(f"{live_server}/ideas/new")
    title = page.get_by_label("Title", exact=True)
    title.focus()

    page.keyboard.insert_text("\U0001F680" * TITLE_MAX)  # 240 UTF-16 units, as a paste

    expect(page.locator("#title-limit")).to_have_text(f"{TITLE_MAX} / {TITLE_MAX} characters")


def test_without_javascript_the_limit_line_stays_as_it_was(nojs_page, live_server):
    page = nojs_page
    page.goto(f"{live_server}/auth/signup")
    name = page.get_by_label("Name", exact=True)

    name.fill("x" * 100)

    expect(page.locator("#name-limit")).to_have_text("At most 80 characters.")
    assert name.input_value() == "x" * 100
