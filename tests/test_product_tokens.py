"""Signing in from the company's product with a signed token (ideas/product_tokens.py,
ideas/web/product_sign_in.py): the sign-in, the linking rules, every bad token, one use per
token even under concurrency, rotating secrets, and the admins' page with its test box."""
import base64
import html
import json
import logging
import re
import shutil
import subprocess
import sys
import threading
import time
import uuid

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select
from werkzeug.serving import make_server

from ideas import product_sign_in, product_tokens, sso
from ideas.database import writing
from ideas.extensions import db
from ideas.models import (
    PRODUCT_ISSUER, AuditEntry, Identity, ProductSecret, SignedInSession, UsedProductToken, User, utcnow,
)
from ideas.oidc import VerifiedIdentity
from ideas.site_settings import set_setting
from ideas.web.product_sign_in_examples import EXAMPLE_CUSTOMER, SECRET_VARIABLE

AUDIENCE = "http://localhost"  # TestingConfig's BASE_URL
ADA = {"sub": "cust-1001", "email": "ada@customer.example", "name": "Ada Customer"}
DROP = object()  # a claim left out of the token
LOG = "ideas.web.product_sign_in"


class Product:
    """The company's product as the tests play it: signs tokens with a secret made on this site."""

    def __init__(self, kid, secret):
        self.kid, self.secret = kid, secret

    def token(self, key=None, kid=None, algorithm="HS256", header=None, **claims):
        """A token for Ada (by default) lasting five minutes; DROP leaves a claim out."""
        now = int(time.time())
        payload = {**ADA, "email_verified": True, "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex,
                   "aud": AUDIENCE, **claims}
        payload = {name: value for name, value in payload.items() if value is not DROP}
        headers = {"kid": self.kid if kid is None else kid, **(header or {})}
        return jwt.encode(payload, self.secret if key is None else key, algorithm=algorithm, headers=headers)


def _generate(app, admin):
    with app.app_context():
        row, value = product_tokens.generate_secret(db.session.get(User, admin.id))
        db.session.commit()
        return Product(row.kid, value)


@pytest.fixture
def product(app, admin):
    """A live secret, and the product signing with it."""
    return _generate(app, admin)


@pytest.fixture
def arrive(client):
    """arrive(token, next=...) follows the product's link to this site."""
    def follow(token, next=None):
        query = {"token": token} if next is None else {"token": token, "next": next}
        return client.get("/auth/product", query_string=query)

    return follow


def _text(response):
    """The page as a person reads it: entities such as &#39; turned back into characters."""
    return html.unescape(response.get_data(as_text=True))


def _signed_in_as(client):
    """The email of the member the client is signed in as, from the account page, or None."""
    page = client.get("/account/settings")
    if page.status_code != 200:
        return None
    return re.search(r'class="email-address">([^<]+)<', page.get_data(as_text=True)).group(1)


def _count(fetch, model, *where):
    return fetch(lambda: db.session.scalar(select(func.count()).select_from(model).where(*where)))


def _member(fetch, email):
    return fetch(lambda: db.session.execute(select(User).where(User.email == email)).scalar_one_or_none())


def _product_identity(fetch, sub):
    return fetch(lambda: db.session.execute(select(Identity).where(
        Identity.issuer == PRODUCT_ISSUER, Identity.subject == sub)).scalar())


def _store(app, **settings):
    with app.app_context():
        for key, value in settings.items():
            set_setting(key, value)
        db.session.commit()


def _update_member(app, member_id, **columns):
    with app.app_context():
        member = db.session.get(User, member_id)
        for name, value in columns.items():
            setattr(member, name, value)
        db.session.commit()


# A customer arrives from the product.

def test_a_new_customer_gets_an_account_and_lands_on_the_page_asked_for(client, product, arrive, fetch):
    response = arrive(product.token(), next="/ideas/5")

    assert response.status_code == 303
    assert response.headers["Location"] == "/ideas/5"  # the token leaves the address bar
    assert _signed_in_as(client) == ADA["email"]
    member = _member(fetch, ADA["email"])
    assert (member.name, member.role, member.password_hash) == ("Ada Customer", "member", None)
    assert member.email_confirmed_at is not None  # the token said email_verified
    identity = _product_identity(fetch, ADA["sub"])
    assert identity.user_id == member.id


def test_a_new_customer_whose_address_the_product_did_not_verify_stays_unconfirmed(product, arrive, fetch):
    assert arrive(product.token(email_verified=DROP)).status_code == 303

    assert _member(fetch, ADA["email"]).email_confirmed_at is None


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/ideas", "/\\evil.example"])
def test_the_sign_in_never_lands_on_another_site(product, arrive, target):
    assert arrive(product.token(), next=target).headers["Location"] == "/"


def test_a_returning_customer_is_brought_up_to_date(client, product, arrive, fetch):
    arrive(product.token())
    client.post("/auth/logout")

    response = arrive(product.token(email="ada@new-employer.example", name="Ada Lovelace"))

    assert response.status_code == 303
    assert _signed_in_as(client) == "ada@new-employer.example"
    assert _count(fetch, User) == 2 and _count(fetch, Identity) == 1  # the admin and Ada
    member = _member(fetch, "ada@new-employer.example")
    assert member.name == "Ada Lovelace"
    assert _product_identity(fetch, ADA["sub"]).email == "ada@new-employer.example"


def test_an_address_change_the_product_did_not_verify_unconfirms_the_address(product, arrive, fetch):
    arrive(product.token())

    arrive(product.token(email="ada@new-employer.example", email_verified=False))

    assert _member(fetch, "ada@new-employer.example").email_confirmed_at is None


def test_an_address_change_onto_another_account_is_refused_not_merged(client, product, arrive, make_user,
                                                                     fetch, caplog):
    arrive(product.token())
    client.post("/auth/logout")
    other = make_user(email="bea@customer.example")

    with caplog.at_level(logging.WARNING, LOG):
        response = arrive(product.token(email="bea@customer.example"))

    assert response.status_code == 403
    assert "never merged" in _text(response)
    assert "email_taken" in caplog.text
    assert _signed_in_as(client) is None
    assert _member(fetch, ADA["email"]) is not None
    assert _member(fetch, "bea@customer.example").id == other.id
    assert _product_identity(fetch, ADA["sub"]).email == ADA["email"]


def test_a_customer_already_signed_in_gets_no_second_session(client, product, arrive, fetch):
    arrive(product.token())

    assert arrive(product.token(), next="/roadmap").headers["Location"] == "/roadmap"

    assert _count(fetch, SignedInSession) == 1


def test_a_private_site_lets_the_product_sign_customers_in(app, client, product, arrive):
    _store(app, private_mode="1")

    assert arrive(product.token(), next="/roadmap").headers["Location"] == "/roadmap"
    assert client.get("/roadmap").status_code == 200


def test_a_well_formed_company_claim_is_accepted(product, arrive, fetch):
    company = {"id": "acme-7", "name": "Acme", "attributes": {"plan": "pro", "seats": 40, "mrr": 1200.5,
                                                               "trial": False, "region": None}}

    assert arrive(product.token(company=company)).status_code == 303
    assert _member(fetch, ADA["email"]) is not None


# Linking to a member who is already here.

def test_a_confirmed_address_the_product_verified_links_its_member(client, product, arrive, make_user, fetch):
    member = make_user(email=ADA["email"], confirmed=True)

    response = arrive(product.token())

    assert response.status_code == 303
    assert _signed_in_as(client) == ADA["email"]
    assert _product_identity(fetch, ADA["sub"]).user_id == member.id
    assert _count(fetch, User, User.email == ADA["email"]) == 1


def test_an_existing_address_the_product_did_not_verify_is_refused(client, product, arrive, make_user, fetch,
                                                                  caplog):
    make_user(email=ADA["email"], confirmed=True)

    with caplog.at_level(logging.WARNING, LOG):
        response = arrive(product.token(email_verified=DROP))

    assert response.status_code == 403
    assert "has not confirmed that the address is yours" in _text(response)
    assert "email_unverified" in caplog.text
    assert _count(fetch, Identity) == 0
    assert _signed_in_as(client) is None


def test_an_address_never_confirmed_here_is_refused_with_a_way_forward(client, product, arrive, make_user,
                                                                      fetch, caplog):
    member = make_user(email=ADA["email"], confirmed=False)

    with caplog.at_level(logging.WARNING, LOG):
        response = arrive(product.token())

    assert response.status_code == 403
    page = _text(response)
    assert "never confirmed" in page and "/auth/code" in page
    assert "address_unconfirmed" in caplog.text
    assert _count(fetch, Identity) == 0
    assert fetch(lambda: db.session.get(User, member.id).email_confirmed_at) is None


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_a_token_never_signs_in_or_links_a_team_account(client, product, arrive, make_user, fetch, role):
    make_user(email=ADA["email"], role=role, confirmed=True)

    response = arrive(product.token())

    assert response.status_code == 403
    assert "member of the site's team" in _text(response)
    assert _count(fetch, Identity) == 0
    assert _signed_in_as(client) is None


def test_a_customer_made_staff_later_is_no_longer_signed_in_by_tokens(app, client, product, arrive, fetch):
    arrive(product.token())
    client.post("/auth/logout")
    _update_member(app, _member(fetch, ADA["email"]).id, role="staff")

    response = arrive(product.token(name="Renamed"))

    assert response.status_code == 403
    assert _signed_in_as(client) is None
    assert _member(fetch, ADA["email"]).name == "Ada Customer"


def test_a_suspended_member_is_refused(app, client, product, arrive, fetch):
    arrive(product.token())
    client.post("/auth/logout")
    _update_member(app, _member(fetch, ADA["email"]).id, suspended_at=utcnow())

    response = arrive(product.token(name="Renamed"))

    assert response.status_code == 403
    assert "suspended" in _text(response)
    assert _signed_in_as(client) is None
    assert _member(fetch, ADA["email"]).name == "Ada Customer"


def test_an_account_linked_to_another_customer_is_not_linked_again(client, product, arrive, fetch):
    arrive(product.token())
    client.post("/auth/logout")

    response = arrive(product.token(sub="cust-2002"))

    assert response.status_code == 403
    assert _count(fetch, Identity) == 1
    assert _signed_in_as(client) is None


def test_a_new_customer_follows_the_sign_up_rule(app, product, arrive, fetch):
    _store(app, signup_mode="invitation")

    response = arrive(product.token())

    assert response.status_code == 403
    assert "by invitation only" in _text(response)
    assert _member(fetch, ADA["email"]) is None


def test_a_refused_token_is_spent_all_the_same(client, product, arrive, make_user, fetch):
    make_user(email=ADA["email"], confirmed=False)
    token = product.token()
    arrive(token)

    assert _count(fetch, UsedProductToken) == 1
    assert "already used" in _text(arrive(token))


# Tokens that cannot be trusted: a page in plain words, the reason logged, nothing written.

def _none_token(**claims):
    """A token with `alg: none` and no signature, as an attacker would send it."""
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    now = int(time.time())
    return part({"alg": "none", "kid": claims.pop("kid")}) + "." + part(
        {**ADA, "iat": now, "exp": now + 300, "jti": "x1", "aud": AUDIENCE}) + "."


def _tampered(product):
    header, payload, signature = product.token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["email"] = "mallory@attacker.example"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
BAD_TOKENS = {
    "tampered": (lambda p: _tampered(p), "signature", "was changed after it was made"),
    "another secret": (lambda p: p.token(key="another secret of at least thirty-two bytes"), "signature",
                       "was changed after it was made"),
    "expired": (lambda p: p.token(iat=int(time.time()) - 600, exp=int(time.time()) - 61), "expired",
                "has expired"),
    "dated in the future": (lambda p: p.token(iat=int(time.time()) + 120, exp=int(time.time()) + 300),
                            "not_yet_valid", "dated in the future"),
    "another site": (lambda p: p.token(aud="https://ideas.other.example"), "audience",
                     "made for another site"),
    "no audience": (lambda p: p.token(aud=DROP), "claims", "lacks details about you"),
    "alg none": (lambda p: _none_token(kid=p.kid), "algorithm", "not signed the way this site expects"),
    "HS512": (lambda p: p.token(key=p.secret * 2, algorithm="HS512"), "algorithm",
              "not signed the way this site expects"),
    "RS256": (lambda p: p.token(key=RSA_KEY, algorithm="RS256"), "algorithm",
              "not signed the way this site expects"),
    "unknown kid": (lambda p: p.token(kid="never-made"), "unknown_key", "key this site does not accept"),
    "no kid": (lambda p: p.token(kid=""), "unknown_key", "key this site does not accept"),
    "lifetime too long": (lambda p: p.token(exp=int(time.time()) + 541, iat=int(time.time()) - 60),
                          "lifetime", "last longer than this site allows"),
    "not a token": (lambda p: "not-a-token", "malformed", "damaged or cut short"),
    "no token": (lambda p: "", "missing", "did not carry the details"),
    "cut short": (lambda p: p.token().rpartition(".")[0], "malformed", "damaged or cut short"),
    "not an address": (lambda p: p.token(email="not an address"), "claims", "lacks details about you"),
    "numeric sub": (lambda p: p.token(sub=1001), "claims", "lacks details about you"),
    "NUL in sub": (lambda p: p.token(sub="cust\x00"), "claims", "lacks details about you"),
    "iat as text": (lambda p: p.token(iat=str(int(time.time()))), "claims", "lacks details about you"),
    "company as text": (lambda p: p.token(company="Acme"), "company", "describes your company"),
    "company without id": (lambda p: p.token(company={"name": "Acme"}), "company", "describes your company"),
    "company with nested attributes": (lambda p: p.token(company={"id": 7, "name": "Acme", "attributes": {
        "plan": {"tier": "pro"}}}), "company", "describes your company"),
    "company with unknown fields": (lambda p: p.token(company={"id": 7, "name": "Acme", "plan": "pro"}),
                                    "company", "describes your company"),
}
MISSING = {f"no {claim}": (lambda p, claim=claim: p.token(**{claim: DROP}), "claims",
                           "lacks details about you")
           for claim in ("sub", "email", "name", "iat", "exp", "jti")}


@pytest.mark.parametrize("make, reason, words", [*BAD_TOKENS.values(), *MISSING.values()],
                         ids=[*BAD_TOKENS, *MISSING])
def test_a_token_that_cannot_be_trusted_fails_in_plain_words_and_writes_nothing(
        client, product, arrive, fetch, caplog, make, reason, words):
    with caplog.at_level(logging.WARNING, LOG):
        response = arrive(make(product), next="/roadmap")

    assert response.status_code == 400
    page = _text(response)
    assert "Sign-in failed" in page and words in page
    assert response.headers["Cache-Control"] == "no-store"
    assert f"Product sign-in failed ({reason})" in caplog.text
    assert _count(fetch, User) == 1  # the admin alone
    assert _count(fetch, Identity) == 0 and _count(fetch, UsedProductToken) == 0
    assert _signed_in_as(client) is None


def test_a_token_a_little_past_its_expiry_is_still_taken_for_clock_drift(product, arrive):
    now = int(time.time())

    assert arrive(product.token(iat=now - 330, exp=now - 30)).status_code == 303


def test_a_bad_token_changes_nobody_already_here(app, client, product, arrive, fetch):
    arrive(product.token())
    client.post("/auth/logout")

    arrive(product.token(name="Renamed", email="new@customer.example", exp=int(time.time()) + 900))

    member = _member(fetch, ADA["email"])
    assert member.name == "Ada Customer"


def test_a_token_works_once(client, product, arrive, fetch, caplog):
    token = product.token()
    assert arrive(token).status_code == 303
    client.post("/auth/logout")

    with caplog.at_level(logging.WARNING, LOG):
        response = arrive(token)

    assert response.status_code == 400
    assert "already used" in _text(response)
    assert "Product sign-in failed (reused)" in caplog.text
    assert _signed_in_as(client) is None


def test_used_tokens_are_forgotten_once_they_expire(app, product, arrive, fetch):
    with app.app_context():
        db.session.add(UsedProductToken(jti="old", expires_at=utcnow().replace(year=2020)))
        db.session.commit()

    arrive(product.token(jti="new"))

    assert fetch(lambda: db.session.scalars(select(UsedProductToken.jti)).all()) == ["new"]


# Two requests at once.

@pytest.fixture
def live(app):
    """The test app served on a free port in threads of its own; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


def _at_once(*calls):
    """Run the calls in threads released together; their results (or exceptions) in order."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001  (handed back to the test)
            results[index] = error

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_one_token_used_twice_at_once_signs_in_once(live, product, fetch):
    url = f"{live}/auth/product"
    token = product.token()

    def use():
        return requests.get(url, params={"token": token}, allow_redirects=False, timeout=20)

    answers = _at_once(use, use)

    assert sorted(answer.status_code for answer in answers) == [303, 400]
    refused = next(answer for answer in answers if answer.status_code == 400)
    assert "already used" in refused.text
    assert _count(fetch, UsedProductToken) == 1 and _count(fetch, Identity) == 1
    assert _count(fetch, SignedInSession) == 1


def _racing_sign_in(app, sign_in, started, hold):
    """sign_in() in a transaction of its own holding SQLite's write lock; the first caller keeps its
    transaction open until `hold` is set, so the second races it. Returns the member's id or the
    refusal's reason."""
    with app.app_context(), writing():
        try:
            member = sign_in()
        except sso.SignInRefused as refusal:
            db.session.rollback()
            return refusal.reason
        started.set()
        hold.wait(timeout=10)
        db.session.commit()
        return member.id


@pytest.mark.parametrize("path", ["product", "openid"])
def test_two_first_sign_ins_at_once_make_one_member_and_no_error(app, product, path, fetch):
    """The second waits on the first's new rows (PostgreSQL: the unique index; SQLite: the write
    lock), then either finds the member made or is refused with a "try again": never a 500."""
    def sign_in():
        if path == "product":
            return product_sign_in.sign_in_with_token(product_tokens.read_token(product.token()))
        return sso.sign_in_with(VerifiedIdentity(issuer="https://login.example.com", subject="ada-at-idp",
                                                 email=ADA["email"], email_verified=True, name="Ada"))

    started, hold, first, go_on = threading.Event(), threading.Event(), {}, threading.Event()
    go_on.set()
    holder = threading.Thread(target=lambda: first.update(id=_racing_sign_in(app, sign_in, started, hold)))
    holder.start()
    assert started.wait(timeout=10)
    threading.Timer(0.5, hold.set).start()  # once the second is waiting on the first's rows
    second = _racing_sign_in(app, sign_in, threading.Event(), go_on)
    holder.join(timeout=10)

    assert isinstance(first["id"], int)
    assert second in (first["id"], "race")
    assert _count(fetch, User, User.email == ADA["email"]) == 1
    assert _count(fetch, Identity) == 1


# Rotating secrets.

def test_two_live_secrets_both_sign_customers_in(app, client, admin, product, arrive):
    newer = _generate(app, admin)

    assert arrive(product.token()).status_code == 303
    client.post("/auth/logout")
    assert arrive(newer.token()).status_code == 303


def test_a_retired_secret_signs_nobody_in_and_is_forgotten(app, client, auth, admin, product, arrive, fetch):
    newer = _generate(app, admin)
    auth.login(admin)
    old = fetch(lambda: db.session.execute(select(ProductSecret).where(ProductSecret.kid == product.kid)
                                           ).scalar_one())

    retired = client.post(f"/admin/product-sign-in/secrets/{old.id}/retire")
    auth.logout()

    assert retired.status_code == 303
    refused = arrive(product.token())
    assert refused.status_code == 400
    assert "key this site does not accept" in _text(refused)
    assert arrive(newer.token()).status_code == 303
    assert fetch(lambda: db.session.get(ProductSecret, old.id).secret) is None
    assert _count(fetch, AuditEntry, AuditEntry.action == "product_sign_in.secret_retired") == 1


def test_a_third_live_secret_is_refused(app, client, auth, admin, product, fetch):
    _generate(app, admin)
    auth.login(admin)

    response = client.post("/admin/product-sign-in/secrets", follow_redirects=True)

    assert "Two secrets are live already" in _text(response)
    assert _count(fetch, ProductSecret) == 2


def test_without_a_live_secret_the_sign_in_says_it_is_not_set_up(app, client, arrive):
    now = int(time.time())
    forged = jwt.encode({**ADA, "iat": now, "exp": now + 60, "jti": "j", "aud": AUDIENCE},
                        "a guessed secret of thirty-two bytes!", algorithm="HS256", headers={"kid": "k"})

    response = arrive(forged)

    assert response.status_code == 400
    assert "not set up on this site" in _text(response)


# The admins' page.

def test_a_new_secret_is_shown_once_and_never_again(client, auth, admin, fetch):
    auth.login(admin)

    made = client.post("/admin/product-sign-in/secrets")

    assert made.status_code == 200
    assert made.headers["Cache-Control"] == "no-store"
    row = fetch(lambda: db.session.execute(select(ProductSecret)).scalar_one())
    assert row.secret in _text(made) and row.kid in _text(made)
    page = _text(client.get("/admin/product-sign-in"))
    assert row.kid in page and row.secret not in page
    assert _count(fetch, AuditEntry, AuditEntry.action == "product_sign_in.secret_created") == 1


def test_the_page_shows_the_format_and_examples_for_this_site(client, auth, admin, product):
    auth.login(admin)

    page = _text(client.get("/admin/product-sign-in"))

    assert "http://localhost/auth/product" in page
    for claim in ("sub", "email", "name", "iat", "exp", "jti", "aud", "email_verified", "company"):
        assert f'<code dir="ltr">{claim}</code>' in page
    examples = _examples(page)
    assert all(f'"{product.kid}"' in code for code in examples.values())
    assert product.secret not in page


def _examples(page):
    """The example programs the page shows, as their source."""
    return {name: html.unescape(re.search(rf'<code id="example-{name}" dir="ltr">(.*?)</code>', page,
                                          re.S).group(1))
            for name in ("python", "javascript")}


@pytest.mark.parametrize("language", ["python", "javascript"])
def test_the_examples_on_the_page_sign_a_customer_in(client, auth, admin, product, fetch, language):
    command = [sys.executable, "-"] if language == "python" else [shutil.which("node") or "", "-"]
    if not command[0]:
        pytest.skip("node is not installed, so the JavaScript example cannot be run")
    auth.login(admin)
    source = _examples(_text(client.get("/admin/product-sign-in")))[language]
    auth.logout()

    run = subprocess.run(command, input=source, capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", SECRET_VARIABLE: product.secret})
    assert run.returncode == 0, run.stderr
    response = client.get(run.stdout.strip().removeprefix(AUDIENCE))

    assert response.status_code == 303
    assert response.headers["Location"] == "/ideas/5"
    assert _signed_in_as(client) == EXAMPLE_CUSTOMER["email"]


def _check(client, token):
    return client.post("/admin/product-sign-in/check", data={"token": token})


def test_the_test_box_says_what_a_good_token_would_do_without_using_it(client, auth, admin, product, arrive,
                                                                         fetch):
    auth.login(admin)
    token = product.token()

    response = _check(client, token)

    assert response.status_code == 200
    page = _text(response)
    assert "This token works" in page and "make a new member" in page and ADA["email"] in page
    assert _count(fetch, UsedProductToken) == 0 and _member(fetch, ADA["email"]) is None
    assert _signed_in_as(client) == admin.email  # nobody else was signed in
    auth.logout()
    assert arrive(token).status_code == 303  # and the token still works


@pytest.mark.parametrize("make, words, detail", [
    (lambda p: p.token(exp=int(time.time()) - 100, iat=int(time.time()) - 200), "has expired", "exp is past"),
    (lambda p: p.token(aud="https://elsewhere.example"), "made for another site", "aud must be"),
    (lambda p: p.token(kid="old-key"), "does not accept", "no secret has kid"),
])
def test_the_test_box_says_what_is_wrong_with_a_token(client, auth, admin, product, make, words, detail):
    auth.login(admin)

    page = _text(_check(client, make(product)))

    assert "would not sign anyone in" in page
    assert words in page and detail in page


def test_the_test_box_tells_a_used_token_and_a_refused_member(client, auth, admin, product, arrive,
                                                              make_user):
    used = product.token()
    arrive(used)
    client.post("/auth/logout")
    make_user(email="staff@company.example", role="staff")
    auth.login(admin)

    assert "already used" in _text(_check(client, used))
    refused = _text(_check(client, product.token(sub="s-1", email="staff@company.example")))
    assert "member of the site's team" in refused and "would not sign anyone in" in refused


def test_the_test_box_asks_for_a_token(client, auth, admin):
    auth.login(admin)

    response = _check(client, "")

    assert response.status_code == 422
    assert "Paste a token to check." in _text(response)


def test_the_product_sign_in_page_is_described_on_the_sites_own_address(client):
    document = client.get("/api/v1/openapi.json").get_json()

    page = document["paths"]["/auth/product"]["get"]

    assert page["servers"][0]["url"] == "http://localhost"
    assert {"303", "400", "403"} <= set(page["responses"])
    assert page["responses"]["303"]["headers"]["Location"]["required"] is True
    assert [parameter["name"] for parameter in page["parameters"]] == ["token", "next"]
    assert "ProductTokenClaims" in page["description"]
    assert document["components"]["schemas"]["ProductTokenClaims"]["required"] == [
        "sub", "email", "name", "iat", "exp", "jti", "aud"]


def test_the_admin_navigation_links_the_page(client, auth, admin):
    auth.login(admin)

    assert 'href="/admin/product-sign-in"' in _text(client.get("/admin/sso"))


def test_the_account_page_does_not_offer_to_unlink_the_products_identity(client, product, arrive, fetch):
    arrive(product.token())
    identity = _product_identity(fetch, ADA["sub"])

    page = _text(client.get("/account/settings"))

    assert f"identity-{identity.id}" not in page
    assert client.post(f"/account/sso/{identity.id}/unlink").status_code == 404
    assert _product_identity(fetch, ADA["sub"]) is not None


def test_a_first_sign_in_that_linked_the_customer_between_two_reads_signs_them_in(app, product, monkeypatch):
    """Another tab's first sign-in committed after this one looked the identity up and before it
    looked the address up: the member it finds holds this very customer's identity."""
    with app.app_context(), writing():
        first = product_sign_in.sign_in_with_token(product_tokens.read_token(product.token()))
        db.session.commit()
        member_id = first.id
    monkeypatch.setattr(sso, "find_identity", lambda issuer, subject: None)  # the earlier read

    with app.app_context():
        outcome = product_sign_in.decide(product_tokens.read_token(product.token()))

        assert outcome.member is not None and outcome.member.id == member_id
        assert outcome.identity is not None and outcome.identity.subject == ADA["sub"]
