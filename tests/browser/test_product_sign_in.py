"""A customer arrives from the company's product in a real browser, signed token in hand: signed in
without an account of their own here, they back an idea, and hear when the team plans it."""
import secrets
import time
import uuid
from urllib.parse import urlencode

import jwt
import pytest
from playwright.sync_api import expect

from ideas.delivery import fill_inboxes
from ideas.extensions import db
from ideas.models import Idea, ProductSecret, User, utcnow
from ideas.passwords import hash_password
from ideas.proposals import propose_idea
from ideas.statuses import change_status

from helpers import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def from_the_product(live_app):
    """A live secret the product signs with, a staff member, and a fresh New idea, straight in the
    live database."""
    with live_app.app_context():
        staff = User(name="Pia Planner", email=f"pia-{uuid.uuid4().hex[:8]}@example.com", role="staff",
                     password_hash=hash_password(PASSWORD), email_confirmed_at=utcnow())
        secret = ProductSecret(kid=f"browser-{uuid.uuid4().hex[:8]}", secret=secrets.token_urlsafe(32))
        db.session.add_all([staff, secret])
        idea = propose_idea(db.session.get(User, 1), "Single sign-on for our whole team",
                            "Everyone signs in with the company account.", "idea", backed=False)
        db.session.commit()
        case = {"staff_id": staff.id, "idea_id": idea.id, "title": idea.title, "kid": secret.kid,
                "secret": secret.secret, "audience": live_app.config["BASE_URL"]}
        db.session.remove()
    return case


def _sign_in_link(base_url, case, customer, next_page):
    """What the product's server makes (ideas/web/product_sign_in_examples.py, in Python)."""
    now = int(time.time())
    token = jwt.encode({"sub": customer["id"], "email": customer["email"], "name": customer["name"],
                        "email_verified": True, "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex,
                        "aud": case["audience"]},
                       case["secret"], algorithm="HS256", headers={"kid": case["kid"]})
    return f"{base_url}/auth/product?" + urlencode({"token": token, "next": next_page})


def test_a_customer_from_the_product_backs_an_idea_and_hears_it_is_planned(page, page_log, live_server,
                                                                           live_app, from_the_product):
    case = from_the_product
    customer = {"id": f"cust-{uuid.uuid4().hex[:8]}", "email": f"kim-{uuid.uuid4().hex[:8]}@customer.example",
                "name": "Kim Customer"}
    idea_url = f"{live_server}/ideas/{case['idea_id']}"

    page.goto(_sign_in_link(live_server, case, customer, f"/ideas/{case['idea_id']}"))

    expect(page).to_have_url(idea_url)  # the token left the address bar
    expect(page.get_by_role("link", name="Kim Customer", exact=True)).to_be_visible()
    vote = page.locator(f"#idea-{case['idea_id']}-vote")
    vote.get_by_role("button").click()
    expect(vote.locator(".vote-label")).to_have_text("Backed")
    expect(vote.locator(".vote-count")).to_have_text("1")

    # The team plans it (its own pages are driven in test_staff_journey.py); the worker fills inboxes.
    with live_app.app_context():
        change_status(db.session.get(User, case["staff_id"]), db.session.get_one(Idea, case["idea_id"]),
                      "planned", "Next month.")
        fill_inboxes()
        db.session.commit()
        db.session.remove()

    page.goto(f"{live_server}/notifications")
    note = page.locator(".notification", has_text=case["title"])
    expect(note).to_contain_text("Planned")
    expect(note).to_contain_text("Next month.")
    note.get_by_role("button", name=case["title"]).click()
    expect(page).to_have_url(idea_url)
    expect(page.locator(".timeline-entry").last).to_contain_text("Planned")
    assert page_log.csp_violations() == []
    assert page_log.page_errors == []
