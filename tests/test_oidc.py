"""Signing in through the company's OpenID Connect provider (ideas/sso.py, ideas/oidc/,
ideas/web/sso.py), against a real provider: npm's oidc-provider, one per test session.

The app runs in the test client; the provider's pages are walked with requests, as the person's
browser would, and its answer is handed back to the app's callback.
"""
import logging
import re

import pytest
from sqlalchemy import func, select

from ideas.oidc import protocol as oidc_protocol
from ideas.access import issue_sign_in_code
from ideas.extensions import db
from ideas.models import AuditEntry, Identity, User, utcnow
from ideas.site_settings import get_setting, set_setting

from helpers import PASSWORD
from oidc.openid_provider import APP_ORIGIN, CLIENT_ID, claims_of, new_key

ALICE = dict(sub="alice-123", email="alice@customer.example", name="Alice Customer")


@pytest.fixture
def sso_site(app, openid_provider):
    """The app with the test provider set up from the environment, as for the first admin."""
    app.config.update(OIDC_ISSUER=openid_provider.issuer, OIDC_CLIENT_ID=openid_provider.client_id,
                      OIDC_CLIENT_SECRET=openid_provider.client_secret)
    return openid_provider


@pytest.fixture
def setting(app):
    """setting("sso_only", "1") stores a site setting."""
    def store(key, value):
        with app.app_context():
            set_setting(key, value)
            db.session.commit()

    return store


@pytest.fixture
def sso_sign_in(client, sso_site):
    """sso_sign_in(sub=..., email=...) presses the sign-in page's button, signs in at the provider
    and returns the app's answer to the provider's redirect back."""
    def sign_in(next="", cancel=False, start="/auth/sso/start", **person):
        leaving = client.post(start, data={"next": next})
        assert leaving.status_code == 303, leaving.get_data(as_text=True)[:1000]
        location = leaving.headers["Location"]
        back = sso_site.cancel(location) if cancel else sso_site.sign_in(location, **{**ALICE, **person})
        return client.get(back.removeprefix(APP_ORIGIN))

    return sign_in


def _signed_in_as(client):
    """The email of the member the client is signed in as, read from the account page, or None."""
    page = client.get("/account/settings")
    if page.status_code != 200:
        return None
    return re.search(r'class="email-address">([^<]+)<', page.get_data(as_text=True)).group(1)


def _count(fetch, model):
    return fetch(lambda: db.session.scalar(select(func.count()).select_from(model)))


def _identity_of(fetch, sub):
    return fetch(lambda: db.session.execute(select(Identity).where(Identity.subject == sub)).scalar())


# A new customer, and a returning one.

def test_a_new_customer_gets_a_confirmed_account_and_is_signed_in(client, sso_site, sso_sign_in, fetch):
    response = sso_sign_in()

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert _signed_in_as(client) == ALICE["email"]
    member = fetch(lambda: db.session.execute(select(User).where(User.email == ALICE["email"])).scalar_one())
    assert (member.name, member.password_hash, member.role) == ("Alice Customer", None, "member")
    assert member.email_confirmed_at is not None
    identity = _identity_of(fetch, ALICE["sub"])
    assert (identity.user_id, identity.issuer) == (member.id, sso_site.issuer)


def test_sign_in_lands_on_the_page_asked_for(sso_sign_in):
    assert sso_sign_in(next="/roadmap").headers["Location"] == "/roadmap"


def test_sign_in_never_lands_on_another_site(sso_sign_in):
    assert sso_sign_in(next="//evil.example/").headers["Location"] == "/"


def test_a_returning_identity_signs_in_its_member_even_with_a_new_address(client, sso_sign_in, fetch):
    sso_sign_in()
    client.post("/auth/logout")

    response = sso_sign_in(email="alice@new-employer.example")

    assert response.status_code == 303
    assert _signed_in_as(client) == ALICE["email"]
    assert _count(fetch, User) == 1 and _count(fetch, Identity) == 1


def test_a_private_site_lets_visitors_sign_in_through_the_provider(client, sso_sign_in, setting):
    setting("private_mode", "1")

    assert sso_sign_in(next="/roadmap").headers["Location"] == "/roadmap"
    assert client.get("/roadmap").status_code == 200


def test_the_sign_in_page_offers_the_provider_only_once_set_up(app, client, openid_provider):
    assert b"/auth/sso/start" not in client.get("/auth/login").data

    app.config.update(OIDC_ISSUER=openid_provider.issuer, OIDC_CLIENT_ID=openid_provider.client_id,
                      OIDC_CLIENT_SECRET=openid_provider.client_secret)

    page = client.get("/auth/login?next=/roadmap").get_data(as_text=True)
    assert 'action="/auth/sso/start"' in page
    assert 'name="next" value="/roadmap"' in page


def test_a_page_with_the_sign_in_button_lets_its_form_go_on_to_the_provider_only(client, sso_site):
    """Browsers apply form-action to the 303 that leaves for the provider (a browser test saw
    Chromium block it); pages without the button keep form-action to this site alone."""
    origin = sso_site.issuer.split("/", 3)
    origin = f"{origin[0]}//{origin[2]}"

    sign_in = client.get("/auth/login").headers["Content-Security-Policy"]
    board = client.get("/").headers["Content-Security-Policy"]

    assert sign_in.endswith(f"form-action 'self' {origin}")
    assert board.endswith("form-action 'self'")


# Linking to an existing member, by the rules.

def test_a_verified_address_links_the_member_who_confirmed_it(client, sso_sign_in, make_user, fetch):
    member = make_user(email=ALICE["email"], confirmed=True)

    response = sso_sign_in()

    assert response.status_code == 303
    assert _signed_in_as(client) == ALICE["email"]
    assert _identity_of(fetch, ALICE["sub"]).user_id == member.id
    assert _count(fetch, User) == 1


def test_an_address_never_confirmed_here_is_refused_with_a_way_forward(client, sso_sign_in, make_user, fetch,
                                                                       caplog):
    member = make_user(email=ALICE["email"], confirmed=False)

    with caplog.at_level(logging.WARNING, "ideas.web.sso"):
        response = sso_sign_in()

    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "never confirmed" in page
    assert "/auth/code" in page and "account page" in page
    assert "address_unconfirmed" in caplog.text
    assert _signed_in_as(client) is None
    assert _count(fetch, Identity) == 0
    assert fetch(lambda: db.session.get(User, member.id).email_confirmed_at) is None


def test_an_address_the_provider_did_not_verify_is_refused(client, sso_sign_in, fetch, caplog):
    with caplog.at_level(logging.WARNING, "ideas.web.sso"):
        response = sso_sign_in(email_verified=False)

    assert response.status_code == 403
    assert "has not verified your email address" in response.get_data(as_text=True)
    assert "email_unverified" in caplog.text
    assert _count(fetch, User) == 0 and _count(fetch, Identity) == 0
    assert _signed_in_as(client) is None


def test_an_identity_without_an_address_is_refused(client, sso_sign_in, fetch):
    response = sso_sign_in(email="")

    assert response.status_code == 403
    assert "did not tell us your email address" in response.get_data(as_text=True)
    assert _count(fetch, User) == 0 and _count(fetch, Identity) == 0


def test_an_unverified_address_never_reaches_an_existing_member(client, sso_sign_in, make_user, fetch):
    make_user(email=ALICE["email"], confirmed=True)

    assert sso_sign_in(email_verified=False).status_code == 403
    assert _count(fetch, Identity) == 0


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_team_accounts_are_never_linked_automatically(client, sso_sign_in, make_user, fetch, role):
    make_user(email=ALICE["email"], role=role, confirmed=True)

    response = sso_sign_in()

    assert response.status_code == 403
    assert "account page" in response.get_data(as_text=True)
    assert _count(fetch, Identity) == 0
    assert _signed_in_as(client) is None


def test_staff_link_their_own_identity_from_the_account_page(client, auth, sso_sign_in, make_user, fetch):
    staff = make_user(email="sam@company.example", role="staff")
    auth.login(staff)
    assert b"/account/sso/link" in client.get("/account/settings").data

    linked = sso_sign_in(start="/account/sso/link", sub="sam-at-idp", email="sam@company.example")

    assert linked.status_code == 303
    assert linked.headers["Location"] == "/account/settings#sso"
    assert _identity_of(fetch, "sam-at-idp").user_id == staff.id
    auth.logout()
    assert sso_sign_in(sub="sam-at-idp", email="sam@company.example").status_code == 303
    assert _signed_in_as(client) == "sam@company.example"


def test_an_identity_that_signs_in_someone_else_cannot_be_linked(client, auth, sso_sign_in, make_user, fetch):
    sso_sign_in()  # Alice's identity now signs Alice in
    client.post("/auth/logout")
    bob = make_user(email="bob@customer.example")
    auth.login(bob)

    response = sso_sign_in(start="/account/sso/link")

    assert response.status_code == 403
    assert "already signs in another member" in response.get_data(as_text=True)
    assert _identity_of(fetch, ALICE["sub"]).user_id != bob.id


def test_a_member_unlinks_an_identity_and_no_one_else_can(client, auth, sso_sign_in, make_user, fetch):
    sso_sign_in()
    identity = _identity_of(fetch, ALICE["sub"])
    client.post("/auth/logout")
    auth.login(make_user())
    assert client.post(f"/account/sso/{identity.id}/unlink").status_code == 404
    client.post("/auth/logout")
    sso_sign_in()

    response = client.post(f"/account/sso/{identity.id}/unlink")

    assert response.status_code == 303
    assert _count(fetch, Identity) == 0


def test_a_suspended_member_is_refused(client, sso_sign_in, fetch):
    sso_sign_in()
    client.post("/auth/logout")
    fetch(lambda: (setattr(db.session.execute(select(User)).scalar_one(), "suspended_at", utcnow()),
                   db.session.commit()))

    response = sso_sign_in()

    assert response.status_code == 403
    assert "suspended" in response.get_data(as_text=True)
    assert _signed_in_as(client) is None


def test_a_new_customer_follows_the_sign_up_rule(client, sso_sign_in, setting, fetch):
    setting("signup_mode", "invitation")

    response = sso_sign_in()

    assert response.status_code == 403
    assert "by invitation only" in response.get_data(as_text=True)
    assert _count(fetch, User) == 0


# What bad input gets: a page that says why, a log line with the reason, nothing written.

def _refused_for(response, caplog, reason, words, fetch, client):
    """The answer is a failure page with these words, the log names the reason, and nothing changed."""
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page[:1000]
    assert "Sign-in failed" in page and words in page
    assert f"Single sign-on failed ({reason})" in caplog.text
    assert _count(fetch, User) == 0 and _count(fetch, Identity) == 0
    assert _signed_in_as(client) is None


@pytest.mark.sqlite_only
def test_cancelling_at_the_provider_says_so(client, sso_sign_in, fetch, caplog):
    with caplog.at_level(logging.WARNING, "ideas.web.sso"):
        response = sso_sign_in(cancel=True)

    _refused_for(response, caplog, "denied", "was cancelled at", fetch, client)


@pytest.mark.sqlite_only
def test_an_answer_with_another_state_is_refused(client, sso_site, fetch, caplog):
    location = client.post("/auth/sso/start").headers["Location"]
    back = sso_site.sign_in(location, **ALICE)

    with caplog.at_level(logging.WARNING, "ideas.web.sso"):
        response = client.get(re.sub(r"state=[^&]+", "state=forged", back.removeprefix(APP_ORIGIN)))

    _refused_for(response, caplog, "state", "not started in this browser", fetch, client)


@pytest.mark.sqlite_only
def test_an_answer_naming_another_issuer_is_refused(client, sso_site, fetch, caplog):
    location = client.post("/auth/sso/start").headers["Location"]
    back = sso_site.sign_in(location, **ALICE).removeprefix(APP_ORIGIN)
    assert "iss=" in back  # the provider names itself in its answer (RFC 9207)

    with caplog.at_level(logging.WARNING, "ideas.web.sso"):
        response = client.get(re.sub(r"iss=[^&]+", "iss=https%3A%2F%2Fevil.example", back))

    _refused_for(response, caplog, "issuer", "came from somewhere other", fetch, client)


@pytest.mark.sqlite_only
def test_an_answer_is_used_once(client, sso_site, fetch, caplog):
    location = client.post("/auth/sso/start").headers["Location"]
    back = sso_site.sign_in(location, **ALICE).removeprefix(APP_ORIGIN)
    assert client.get(back).status_code == 303
    client.post("/auth/logout")

    with caplog.at_level(logging.WARNING, "ideas.web.sso"):
        response = client.get(back)

    assert response.status_code == 400
    assert "Single sign-on failed (state)" in caplog.text
    assert _signed_in_as(client) is None


@pytest.mark.sqlite_only
def test_an_answer_carried_to_another_browser_is_refused(app, client, sso_site, fetch, caplog):
    location = client.post("/auth/sso/start").headers["Location"]
    back = sso_site.sign_in(location, **ALICE).removeprefix(APP_ORIGIN)
    other_browser = app.test_client()

    with caplog.at_level(logging.WARNING, "ideas.web.sso"):
        response = other_browser.get(back)

    _refused_for(response, caplog, "state", "not started in this browser", fetch, other_browser)


@pytest.mark.sqlite_only
def test_an_id_token_with_another_nonce_is_refused(client, sso_site, fetch, caplog):
    location = client.post("/auth/sso/start").headers["Location"]
    with client.session_transaction() as session:  # the provider signs the nonce it was sent
        session["sso_pending"] = {**session["sso_pending"], "nonce": "another-nonce"}
    back = sso_site.sign_in(location, **ALICE)

    with caplog.at_level(logging.WARNING, "ideas.web.sso"):
        response = client.get(back.removeprefix(APP_ORIGIN))

    _refused_for(response, caplog, "nonce", "belongs to another sign-in", fetch, client)


def _tampered_signature(provider, claims, token):
    head, body, signature = token.split(".")
    return f"{head}.{body}.{signature[:-6]}{'A' * 6 if signature[-6:] != 'A' * 6 else 'B' * 6}"


def _resigned(**changes):
    def forge(provider, claims, token):
        return provider.sign({**claims, **changes})
    return forge


def _signed_by_another_key(provider, claims, token):
    return provider.sign(claims, key=new_key(kid=provider.key.kid))


def _unsigned(provider, claims, token):
    head, body, _ = token.split(".")
    return f"eyJhbGciOiJub25lIn0.{body}."


BAD_TOKENS = [
    ("tampered", _tampered_signature, "signature", "was not signed by it"),
    ("another key", _signed_by_another_key, "signature", "was not signed by it"),
    ("alg none", _unsigned, "signature", "was not signed by it"),
    ("another issuer", _resigned(iss="https://evil.example"), "issuer", "came from somewhere other"),
    ("another audience", _resigned(aud="another-client"), "audience", "meant for another site"),
    # Authlib alone lets this one through: `azp` names us, and it checks `aud` only when told to.
    ("another audience, us as azp", _resigned(aud=["another-client"], azp=CLIENT_ID), "audience",
     "meant for another site"),
    ("expired", _resigned(exp=1_000_000_000, iat=999_999_000), "expired", "had already expired"),
]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("forge, reason, words", [row[1:] for row in BAD_TOKENS],
                         ids=[row[0] for row in BAD_TOKENS])
def test_a_bad_id_token_is_refused(client, sso_site, sso_sign_in, monkeypatch, fetch, caplog, forge, reason,
                                   words):
    real_exchange = oidc_protocol.exchange_code

    def exchange_in_the_middle(*args):  # the token endpoint's answer, altered on the way
        token = real_exchange(*args)
        token["id_token"] = forge(sso_site, claims_of(token["id_token"]), token["id_token"])
        return token

    monkeypatch.setattr(oidc_protocol, "exchange_code", exchange_in_the_middle)

    with caplog.at_level(logging.WARNING, "ideas.web.sso"):
        response = sso_sign_in()

    _refused_for(response, caplog, reason, words, fetch, client)


# Members sign in only through the provider; staff keep a way in.

@pytest.fixture
def sso_only(sso_site, setting):
    """A site whose members must sign in through the provider."""
    setting("sso_only", "1")


def test_sso_only_refuses_a_members_password(client, auth, make_user, sso_only):
    member = make_user()

    response = client.post("/auth/login", data={"email": member.email, "password": PASSWORD})

    assert response.status_code == 403
    assert "sign in with" in response.get_data(as_text=True)
    assert _signed_in_as(client) is None


def test_sso_only_refuses_a_members_emailed_code(app, client, make_user, sso_only):
    member = make_user()
    with app.app_context():
        _, code = issue_sign_in_code(member.email)
        db.session.commit()

    response = client.post("/auth/code/enter", data={"email": member.email, "code": code})

    assert response.status_code == 403
    assert _signed_in_as(client) is None


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_sso_only_keeps_the_teams_password(client, auth, make_user, sso_only, role):
    auth.login(make_user(role=role))

    assert _signed_in_as(client) is not None


def test_sso_only_keeps_a_signed_in_member_who_changes_their_password(client, auth, make_user, sso_site,
                                                                    setting):
    member = make_user()
    auth.login(member)
    setting("sso_only", "1")

    new = "a new password"
    response = client.post("/account/password", data={"current_password": PASSWORD, "password": new,
                                                       "confirm": new})

    assert response.status_code == 303
    assert _signed_in_as(client) == member.email


def test_sso_only_closes_sign_up_with_a_password(client, sso_only, fetch):
    page = client.get("/auth/signup")
    refused = client.post("/auth/signup", data={"name": "Eve", "email": "eve@example.com",
                                                "password": PASSWORD})

    assert page.status_code == 403 and b"/auth/sso/start" in page.data
    assert refused.status_code == 403
    assert _count(fetch, User) == 0


def test_sso_only_still_signs_members_in_through_the_provider(client, sso_sign_in, sso_only):
    assert sso_sign_in().status_code == 303
    assert _signed_in_as(client) == ALICE["email"]


def test_sso_only_is_off_while_no_provider_is_set_up(client, auth, make_user, setting):
    setting("sso_only", "1")

    auth.login(make_user())

    assert _signed_in_as(client) is not None


# The admins' page.

@pytest.mark.sqlite_only
@pytest.mark.parametrize("actor, status", [("anonymous", 302), ("member", 403), ("staff", 403),
                                           ("admin", 200)])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_only_admins_set_up_the_provider(client, auth, make_user, fetch, actor, status, method):
    if actor != "anonymous":
        auth.login(make_user(role=actor))

    response = client.open("/admin/sso", method=method, data={"issuer": "", "client_id": "", "label": "X"})

    expected = 303 if (method, status) == ("POST", 200) else status
    assert response.status_code == expected
    if status == 302:
        assert response.headers["Location"].startswith("/auth/login")
    assert fetch(lambda: get_setting("oidc_label")) == ("X" if expected == 303 else "")


def test_an_admin_sets_up_the_provider_and_its_secret_is_never_shown(client, auth, make_user, openid_provider,
                                                                     fetch):
    auth.login(make_user(role="admin"))

    saved = client.post("/admin/sso", data={
        "issuer": openid_provider.issuer, "client_id": openid_provider.client_id,
        "client_secret": openid_provider.client_secret, "label": "Acme account", "sso_only": "y"})

    assert saved.status_code == 303
    stored = fetch(lambda: [get_setting(key) for key in ("oidc_issuer", "oidc_client_secret", "sso_only")])
    assert stored == [openid_provider.issuer, openid_provider.client_secret, "1"]
    page = client.get("/admin/sso").get_data(as_text=True)
    assert openid_provider.client_secret not in page
    assert "A secret is stored" in page
    audit = fetch(lambda: db.session.execute(select(AuditEntry).where(
        AuditEntry.action == "settings.sso_changed")).scalar_one())
    assert openid_provider.client_secret not in audit.before + audit.after
    client.post("/auth/logout")
    assert "Sign in with Acme account" in client.get("/auth/login").get_data(as_text=True)


def test_the_saved_provider_signs_members_in(client, auth, make_user, openid_provider, fetch):
    admin = make_user(role="admin")
    auth.login(admin)
    client.post("/admin/sso", data={"issuer": openid_provider.issuer, "client_id": openid_provider.client_id,
                                    "client_secret": openid_provider.client_secret, "label": ""})
    auth.logout()

    location = client.post("/auth/sso/start").headers["Location"]
    response = client.get(openid_provider.sign_in(location, **ALICE).removeprefix(APP_ORIGIN))

    assert response.status_code == 303
    assert _signed_in_as(client) == ALICE["email"]


def test_an_empty_secret_keeps_the_one_in_force(client, auth, make_user, sso_site, fetch):
    auth.login(make_user(role="admin"))

    client.post("/admin/sso", data={"issuer": sso_site.issuer, "client_id": sso_site.client_id,
                                    "client_secret": "", "label": "Renamed"})

    assert fetch(lambda: (get_setting("oidc_label"), get_setting("oidc_client_secret"))) \
        == ("Renamed", sso_site.client_secret)


@pytest.mark.sqlite_only
def test_a_provider_that_does_not_answer_is_not_saved(client, auth, make_user, fetch):
    auth.login(make_user(role="admin"))

    response = client.post("/admin/sso", data={"issuer": "http://127.0.0.1:9/", "client_id": "ideas",
                                               "client_secret": "secret", "label": ""})

    assert response.status_code == 422
    assert "could not read this provider" in response.get_data(as_text=True)
    assert fetch(lambda: get_setting("oidc_saved")) == "0"


@pytest.mark.sqlite_only
def test_an_issuer_over_plain_http_elsewhere_is_refused(client, auth, make_user, fetch):
    auth.login(make_user(role="admin"))

    response = client.post("/admin/sso", data={"issuer": "http://login.example.com", "client_id": "ideas",
                                               "client_secret": "secret", "label": ""})

    assert response.status_code == 422
    assert "starting with https://" in response.get_data(as_text=True)
