"""Screenshots in a real browser: uploaded in place with htmx (what was typed stays), or as a plain
form without JavaScript, then posted with the idea and shown on its page, within the CSP."""
import pytest
from playwright.sync_api import expect

import image_files
from browser_steps import idea_id_from, no_page_load, sign_up_quickly

pytestmark = pytest.mark.browser


def _file(path, data):
    path.write_bytes(data)
    return str(path)


def test_a_screenshot_uploaded_in_place_is_posted_with_the_idea(member_page, page_log, live_server, tmp_path):
    page = member_page
    page.goto(f"{live_server}/ideas/new")
    page.get_by_label("Title").fill("Annotate screenshots")
    page.get_by_label("Add a screenshot").set_input_files(_file(tmp_path / "shot.png", image_files.png()))

    with no_page_load(page):
        page.get_by_role("button", name="Upload screenshot").click()
        expect(page.locator("#idea-form-uploader input[name=attachments]")).to_have_count(1)
    expect(page.get_by_label("Title")).to_have_value("Annotate screenshots")

    page.get_by_label("Add a screenshot").set_input_files(_file(tmp_path / "drawing.svg", image_files.SVG))
    with no_page_load(page):
        page.get_by_role("button", name="Upload screenshot").click()
        expect(page.locator("#idea-form-uploader")).to_contain_text(
            "This file is not a PNG, JPEG or WebP image.")
    expect(page.locator("#idea-form-uploader input[name=attachments]")).to_be_checked()

    page.get_by_role("button", name="Post idea").click()
    expect(page.locator("h1")).to_have_text("Annotate screenshots")
    image = page.get_by_role("img", name="Screenshot 1 of “Annotate screenshots”")
    expect(image).to_be_visible()
    assert page.evaluate("element => element.naturalWidth", image.element_handle()) > 0
    assert page_log.csp_violations() == [] and page_log.page_errors == []


def test_without_javascript_the_upload_is_a_plain_form(nojs_page, live_server, new_member, tmp_path):
    page = nojs_page
    sign_up_quickly(page, live_server, new_member("Nora Noscript"))
    page.goto(f"{live_server}/ideas/new")
    page.get_by_label("Add a screenshot").set_input_files(_file(tmp_path / "shot.jpg", image_files.jpeg()))
    page.get_by_role("button", name="Upload screenshot").click()
    expect(page.locator("#idea-form-uploader input[name=attachments]")).to_be_checked()
    page.get_by_label("Title").fill("Paste images into comments")
    page.get_by_role("button", name="Post idea").click()
    expect(page.get_by_role("img", name="Screenshot 1 of “Paste images into comments”")).to_be_visible()
    idea_id = idea_id_from(page.url)
    assert idea_id > 0
