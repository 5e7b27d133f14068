"""Pasted text in a real browser (issue 15): nothing is cut as it goes in, the limit shows beside the
field, and a post over the limit comes back with every character still there."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

EMOJI_TITLE = "\U0001F680" * 100  # 100 characters for the server, 200 UTF-16 units for a maxlength
TOO_LONG_TITLE = "Paste " + "x" * 144  # 150 characters: 30 over the limit


def paste(page, label, text):
    """Put `text` into the field as a paste does: one insertion, which a maxlength would cut."""
    field = page.get_by_label(label, exact=True)
    field.focus()
    page.keyboard.insert_text(text)
    return field


def test_pasted_emoji_are_kept_whole_and_the_server_takes_them(member_page, live_server):
    member_page.goto(f"{live_server}/ideas/new")

    title = paste(member_page, "Title", EMOJI_TITLE)

    assert title.input_value() == EMOJI_TITLE
    member_page.get_by_role("button", name="Post idea").click()
    expect(member_page.get_by_role("heading", level=1)).to_have_text(EMOJI_TITLE)


def test_a_pasted_title_over_the_limit_is_kept_and_refused_by_name(member_page, live_server):
    member_page.goto(f"{live_server}/ideas/new")
    expect(member_page.get_by_text("At most 120 characters.")).to_be_visible()

    title = paste(member_page, "Title", TOO_LONG_TITLE)
    assert title.input_value() == TOO_LONG_TITLE
    member_page.get_by_role("button", name="Post idea").click()

    expect(member_page.locator("#title-error")).to_contain_text("120")
    assert member_page.get_by_label("Title", exact=True).input_value() == TOO_LONG_TITLE
