"""The product team in a real browser: triage a New idea to Planned and see it everywhere."""
import pytest
from playwright.sync_api import expect

from helpers import PASSWORD
from ideas.extensions import db
from ideas.models import User, utcnow
from ideas.passwords import hash_password
from ideas.proposals import propose_idea

pytestmark = pytest.mark.browser


@pytest.fixture
def triage_case(live_app):
    """A staff account and a fresh New idea to triage, made straight in the live database."""
    with live_app.app_context():
        staff = User(name="Pat Product", email="pat-product@example.com", role="staff",
                     password_hash=hash_password(PASSWORD), email_confirmed_at=utcnow())
        author = db.session.get(User, 1)
        db.session.add(staff)
        idea = propose_idea(author, "Print shipping labels in bulk", "Twenty at once.", "idea")
        db.session.commit()
        case = {"email": staff.email, "idea_id": idea.id, "title": idea.title}
        db.session.remove()
    return case


def test_staff_triage_a_new_idea_to_planned_and_customers_see_it(page, page_log, live_server,
                                                                 triage_case):
    page.goto(f"{live_server}/auth/login")
    page.get_by_label("Email", exact=True).fill(triage_case["email"])
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("link", name="Inbox")).to_be_visible()

    page.get_by_role("link", name="Inbox").click()
    page.get_by_label(f"Select “{triage_case['title']}”").check()
    page.get_by_label("New status").select_option("planned")
    page.locator("#bulk-form textarea[name=note]").fill("On the plan for **next month**.")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("#notices")).to_contain_text("Planned")

    page.goto(f"{live_server}/roadmap")
    planned = page.locator("section.roadmap-column-planned")
    expect(planned).to_contain_text(triage_case["title"])

    page.goto(f"{live_server}/ideas/{triage_case['idea_id']}")
    entry = page.locator(".timeline-entry").last
    expect(entry).to_contain_text("Pat Product")
    expect(entry).to_contain_text("Planned")
    expect(entry.locator("strong", has_text="next month")).to_be_visible()
    assert page_log.csp_violations() == []
    assert page_log.errors() == []
