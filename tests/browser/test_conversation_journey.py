"""A conversation in a real browser (issue 21): an Enterprise customer proposes an idea on the
Enterprise board with a screenshot and starts its discussion; a colleague replies in place,
choosing her from the @mention list while typing; she is told, opens the notice and lands on the
reply; a customer of another segment cannot fetch the screenshot."""
import json
import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

import image_files
from browser_steps import idea_id_from, sign_in_with_form, no_page_load
from demo_site import served_copy
from helpers import PASSWORD, run_worker
from ideas.boards import create_board
from ideas.extensions import db
from ideas.models import Company, CompanyAttribute, CompanyMember, Segment, User, utcnow
from ideas.passwords import hash_password

pytestmark = pytest.mark.browser

BOARD = "Enterprise programme"
TITLE = "Redact customer names in exports"


def _seed(app) -> dict:
    """An admin, two Enterprise customers and a Free one, and a board open to the Enterprise segment."""
    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        password_hash = hash_password(PASSWORD)  # one hash for everyone: argon2 is slow on purpose
        people = {role: User(name=name, email=f"{name.split()[0].lower()}-{tag}@example.com",
                             role="admin" if role == "admin" else "member", password_hash=password_hash,
                             email_confirmed_at=utcnow())
                  for role, name in (("admin", "Ada Admin"), ("erin", "Erin Enterprise"),
                                     ("ben", "Ben Builder"), ("fred", "Fred Free"))}
        db.session.add_all(people.values())
        for name, plan, members in (("Northwind", "Enterprise", ("erin", "ben")),
                                    ("Tiny Shop", "Free", ("fred",))):
            company = Company(external_id=f"{name}-{tag}", name=name, name_source="staff")
            company.attributes = [CompanyAttribute(name="plan", text_value=plan, source="staff")]
            db.session.add(company)
            db.session.add_all(CompanyMember(member=people[who], company=company, source="staff")
                               for who in members)
        segment = Segment(name="Enterprise", rules=json.dumps(
            [{"field": "attribute.plan", "operator": "is", "value": "Enterprise"}]))
        db.session.add(segment)
        db.session.flush()
        create_board(people["admin"], {"name": BOARD, "access": "chosen", "segment_ids": [segment.id]})
        db.session.commit()
        found: dict = {role: (person.email, person.handle) for role, person in people.items()}
        db.session.remove()
    return {"app": app, **found}


@pytest.fixture(scope="module")
def conversation_site(sqlite_template, tmp_path_factory) -> Iterator[dict]:
    with served_copy(sqlite_template, tmp_path_factory, "conversation", _seed) as (url, people):
        yield {"url": url, **people}


def sign_in(page: Page, base_url: str, email: str) -> None:
    sign_in_with_form(page, base_url, email, PASSWORD)


def test_a_reply_with_a_mention_reaches_the_one_mentioned_and_the_screenshot_stays_in_its_segment(
        page, page_log, conversation_site, tmp_path):
    site, base = conversation_site, conversation_site["url"]
    erin_email, erin_handle = site["erin"]

    # Erin proposes on the Enterprise board, with a screenshot, and starts the discussion.
    sign_in(page, base, erin_email)
    page.goto(f"{base}/ideas/new")
    page.get_by_label("Board", exact=True).select_option(label=BOARD)
    page.get_by_label("Title", exact=True).fill(TITLE)
    shot = tmp_path / "export.png"
    shot.write_bytes(image_files.png())
    page.get_by_label("Add a screenshot").set_input_files(str(shot))
    with no_page_load(page):
        page.get_by_role("button", name="Upload screenshot").click()
        expect(page.locator("#idea-form-uploader input[name=attachments]")).to_be_checked()
    page.get_by_role("button", name="Post idea", exact=True).click()
    expect(page).to_have_url(re.compile(r"/ideas/\d+$"))
    idea_url = page.url
    image = page.get_by_role("img", name=f"Screenshot 1 of “{TITLE}”")
    expect(image).to_be_visible()
    image_url = base + page.locator(".gallery a").first.get_attribute("href")
    page.get_by_label("Comment", exact=True).fill("Our auditors flag every export with names in it.")
    page.locator("#comment-submit").click()
    comment = page.locator(".comment", has_text="Our auditors flag")
    expect(comment).to_be_visible()
    comment_id = comment.get_attribute("id").removeprefix("comment-")

    # Ben replies in place, choosing Erin from the mention list as he types.
    sign_in(page, base, site["ben"][0])
    page.goto(idea_url)
    with no_page_load(page):
        page.locator(f"#reply-form-{comment_id}").get_by_role("link", name="Reply").click()
        box = page.locator(f"#reply-{comment_id}-body")
        expect(box).to_be_focused()
        box.press_sequentially("Agreed @eri", delay=30)
        choice = page.locator(f"#mention-suggestions-reply-{comment_id}").get_by_role(
            "button", name=re.compile(f"@{erin_handle}"))
        choice.click()
        expect(box).to_have_value(f"Agreed @{erin_handle} ")
        box.press_sequentially("— we need it for the spring audit.")
        page.locator(f"#reply-{comment_id}").get_by_role("button", name="Reply", exact=True).click()
        replies = page.locator(f"#replies-{comment_id}")
        expect(replies).to_contain_text("we need it for the spring audit")
    run_worker(site["app"])

    # Erin is told once, opens the notice and lands on the reply.
    sign_in(page, base, erin_email)
    page.goto(f"{base}/notifications")
    notice = page.locator(".notification", has_text=TITLE)
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("Ben Builder mentioned you")
    notice.get_by_role("button", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"/ideas/{idea_id_from(idea_url)}#comment-\d+$"))
    reply_id = page.url.rsplit("#comment-", 1)[1]
    expect(page.locator(f"#comment-{reply_id}")).to_contain_text("we need it for the spring audit")

    # A customer of another segment can fetch neither the idea nor its screenshot.
    sign_in(page, base, site["fred"][0])
    assert page.request.get(image_url).status == 404
    assert page.request.get(idea_url).status == 404
    assert page_log.csp_violations() == [] and page_log.page_errors == []
