"""Knowing who asks, in a real browser: an Enterprise customer backs an idea as critical with a
note; the product manager sees the revenue at stake and the note, sorts the inbox by priority for
the Enterprise segment, moves the idea to Planned, and the customer is told."""
import json
import uuid

import pytest
from playwright.sync_api import expect

from helpers import PASSWORD
from ideas.delivery import fill_inboxes
from ideas.extensions import db
from ideas.models import Company, CompanyAttribute, CompanyMember, Segment, User, utcnow
from ideas.passwords import hash_password
from ideas.priority import recompute_all
from ideas.proposals import propose_idea
from ideas.vote_importance import back_idea

pytestmark = pytest.mark.browser


@pytest.fixture
def enterprise_case(live_app):
    """A product manager; an Enterprise company (12,000 a month) with one customer; a Starter
    customer whose idea already has a vote; the Enterprise segment. Straight in the live database."""
    tag = uuid.uuid4().hex[:8]
    now = utcnow()
    with live_app.app_context():
        def person(name, role="member"):
            member = User(name=name, email=f"{name.split()[0].lower()}-{tag}@example.com", role=role,
                          password_hash=hash_password(PASSWORD), email_confirmed_at=now)
            db.session.add(member)
            return member

        manager, customer = person("Pam Manager", "staff"), person("Erin Enterprise")
        small = person("Sam Starter")
        for name, plan, revenue, member in (("Northwind", "Enterprise", 12_000, customer),
                                            ("Tiny Shop", "Starter", 20, small)):
            company = Company(external_id=f"{name}-{tag}", name=f"{name} {tag}", name_source="staff")
            company.attributes = [
                CompanyAttribute(name="plan", text_value=plan, source="staff"),
                CompanyAttribute(name="monthly_revenue", text_value=str(revenue), number_value=revenue,
                                 source="staff")]
            db.session.add_all([company, CompanyMember(member=member, company=company, source="staff")])
        segment = Segment(name=f"Enterprise {tag}", rules=json.dumps(
            [{"field": "attribute.plan", "operator": "is", "value": "Enterprise"}]))
        db.session.add(segment)
        author = db.session.get(User, 1)
        wanted = propose_idea(author, f"Audit log export {tag}", "For our compliance team.", "idea",
                              backed=False)
        popular = propose_idea(author, f"Emoji reactions {tag}", "Fun.", "idea", backed=False)
        db.session.flush()
        back_idea(small, popular)
        db.session.commit()
        case = {"manager": manager.email, "customer": customer.email, "segment": str(segment.id),
                "wanted": wanted.id, "wanted_title": wanted.title, "popular_title": popular.title}
        db.session.remove()
    return case


def sign_in(page, base_url, email):
    page.context.clear_cookies()
    page.goto(f"{base_url}/auth/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def the_worker(live_app):
    """What the worker does between requests: priority scores, then inboxes."""
    with live_app.app_context():
        recompute_all()
        fill_inboxes()
        db.session.commit()
        db.session.remove()


def test_an_enterprise_customers_critical_need_reaches_the_plan(page, page_log, live_server, live_app,
                                                                enterprise_case):
    case = enterprise_case
    idea_url = f"{live_server}/ideas/{case['wanted']}"

    # The customer backs the idea, saying it is critical and why.
    sign_in(page, live_server, case["customer"])
    page.goto(idea_url)
    page.get_by_label("How much does this matter?").select_option("critical")
    page.get_by_label("Why you need this").fill("Our auditors ask for it every quarter.")
    page.locator(f"#idea-{case['wanted']}-vote").get_by_role("button").click()
    expect(page.locator(f"#idea-{case['wanted']}-vote .vote-label")).to_have_text("Backed")
    the_worker(live_app)

    # The product manager sees what is at stake and why.
    sign_in(page, live_server, case["manager"])
    page.goto(idea_url)
    expect(page.locator("#staff-panel")).to_contain_text("12,000")
    expect(page.locator("#backer-notes")).to_contain_text("Our auditors ask for it every quarter.")
    expect(page.locator("#backer-notes")).to_contain_text("Critical")
    expect(page.locator("#priority-formula")).to_contain_text("12 revenue at stake ÷ 1,000")

    # The inbox by priority, for the Enterprise segment only.
    page.get_by_role("link", name="Inbox").click()
    page.get_by_label("Sort").select_option("priority")
    page.get_by_label("Segment").select_option(case["segment"])
    page.get_by_role("button", name="Apply").click()
    results = page.locator("#inbox-results")
    expect(results).to_contain_text(case["wanted_title"])
    expect(results).not_to_contain_text(case["popular_title"])
    expect(page.locator("#inbox-priority-formula")).to_contain_text("Priority = (votes × 1")

    page.get_by_label(f"Select “{case['wanted_title']}”").check()
    page.get_by_label("New status").select_option("planned")
    page.locator("#bulk-form textarea[name=note]").fill("Planned for the spring release.")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("#notices")).to_contain_text("Planned")
    the_worker(live_app)

    # The customer is told.
    sign_in(page, live_server, case["customer"])
    page.goto(f"{live_server}/notifications")
    note = page.locator(".notification", has_text=case["wanted_title"])
    expect(note).to_contain_text("Planned")
    expect(note).to_contain_text("Planned for the spring release.")
    assert page_log.csp_violations() == []
    assert page_log.errors() == []
