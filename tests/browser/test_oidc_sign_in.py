"""A customer signs in through the company's OpenID provider in a real browser: the sign-in page's
button, the provider's own login page (npm's oidc-provider, tests/oidc; it implies consent for
this first-party client), and back to the page they asked for as a new member who can back an idea.

The provider is the suite's one session provider. Its registered client sends browsers back to
http://localhost, the test client's address, so these tests register a client of their own for the
live server's address and give the live site that address as its BASE_URL for the test.
"""
import re
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from ideas.extensions import db
from ideas.models import Identity, User, Vote
from ideas.passwords import hash_password
from ideas.proposals import propose_idea
from ideas.site_settings import set_setting

from helpers import PASSWORD

pytestmark = pytest.mark.browser

LABEL = "Acme account"


def _store_setting(app, key, value):
    with app.app_context():
        set_setting(key, value)
        db.session.commit()
        db.session.remove()


@pytest.fixture
def sso_live(live_app, live_server, openid_provider, monkeypatch):
    """The live site set up with the test provider from the environment (as for a first admin),
    through a client registered for the live server's address; its button names "Acme account"."""
    provider = openid_provider.with_client(f"{live_server}/auth/sso/callback")
    # The app tells the provider where to send the browser back from BASE_URL, never from Host.
    monkeypatch.setitem(live_app.config, "BASE_URL", live_server)
    monkeypatch.setitem(live_app.config, "OIDC_ISSUER", provider.issuer)
    monkeypatch.setitem(live_app.config, "OIDC_CLIENT_ID", provider.client_id)
    monkeypatch.setitem(live_app.config, "OIDC_CLIENT_SECRET", provider.client_secret)
    _store_setting(live_app, "oidc_label", LABEL)
    yield provider
    _store_setting(live_app, "oidc_label", "")


@pytest.fixture
def customer():
    """Who the provider says signs in: a subject and an address no other test uses."""
    tag = uuid.uuid4().hex[:8]
    return {"sub": f"acme-{tag}", "email": f"lee-{tag}@customer.example", "name": "Lee Customer"}


def _leave_for_the_provider(page, live_server, provider, next_page=""):
    """Open the sign-in page and press the provider's button; lands on the provider's login page."""
    page.goto(f"{live_server}/auth/login" + (f"?next={next_page}" if next_page else ""))
    page.get_by_role("button", name=f"Sign in with {LABEL}", exact=True).click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))


def _sign_in_at_the_provider(page, person):
    """Fill in the provider's own login form as this person (address verified there) and submit it."""
    page.get_by_label("sub", exact=True).fill(person["sub"])
    page.get_by_label("email", exact=True).fill(person["email"])
    page.get_by_label("name", exact=True).fill(person["name"])
    expect(page.get_by_label("email verified")).to_be_checked()
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_a_customer_signs_in_at_the_provider_and_backs_the_idea_they_were_reading(
        page, page_log, live_server, live_app, sso_live, customer):
    with live_app.app_context():
        idea = propose_idea(db.session.get(User, 1), "Sign in with the company account",
                            "No second password to forget.", "idea", backed=False)
        db.session.commit()
        idea_id = idea.id
        db.session.remove()

    _leave_for_the_provider(page, live_server, sso_live, next_page=f"/ideas/{idea_id}")
    _sign_in_at_the_provider(page, customer)

    expect(page).to_have_url(f"{live_server}/ideas/{idea_id}")
    expect(page.get_by_role("link", name=customer["name"], exact=True)).to_be_visible()
    vote = page.locator(f"#idea-{idea_id}-vote")
    vote.get_by_role("button").click()
    expect(vote.locator(".vote-label")).to_have_text("Backed")
    expect(vote.locator(".vote-count")).to_have_text("1")
    with live_app.app_context():
        member = db.session.execute(select(User).where(User.email == customer["email"])).scalar_one()
        identity = db.session.execute(
            select(Identity).where(Identity.subject == customer["sub"])).scalar_one()
        voters = db.session.scalars(select(Vote.user_id).where(Vote.idea_id == idea_id)).all()
        assert (member.name, member.role, member.password_hash) == ("Lee Customer", "member", None)
        assert member.email_confirmed_at is not None
        assert (identity.user_id, identity.issuer) == (member.id, sso_live.issuer)
        assert voters == [member.id]
        db.session.remove()
    assert page_log.csp_violations() == []
    assert page_log.page_errors == []


def test_a_member_who_never_confirmed_their_address_is_told_how_to_go_on(
        page, live_server, live_app, sso_live, customer):
    with live_app.app_context():
        member = User(name="Early Bird", email=customer["email"], password_hash=hash_password(PASSWORD))
        db.session.add(member)
        db.session.commit()
        member_id = member.id
        db.session.remove()

    _leave_for_the_provider(page, live_server, sso_live)
    with page.expect_response(lambda response: "/auth/sso/callback" in response.url) as answer:
        _sign_in_at_the_provider(page, customer)

    assert answer.value.status == 403
    expect(page.get_by_role("heading", name="Sign-in failed")).to_be_visible()
    expect(page.locator("main")).to_contain_text("its address was never confirmed")
    expect(page.get_by_role("link", name="sign in to it with an emailed code")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in", exact=True)).to_be_visible()  # still signed out
    with live_app.app_context():
        assert db.session.execute(select(Identity).where(Identity.subject == customer["sub"])).first() is None
        assert db.session.get(User, member_id).email_confirmed_at is None
        db.session.remove()
