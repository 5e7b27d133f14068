"""Accounts: sign up, confirm, sign in and out, passwords, the confirmation rule, the CLI."""
import logging
import re
import sqlite3

import pytest
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from helpers import PASSWORD, dispose, run_worker
from ideas import create_app
from ideas.accounts import (
    check_password, confirmation_token, find_member_by_email, password_reset_token, sign_in_with,
)
from ideas.extensions import db
from ideas.models import Comment, Idea, User, Vote
from ideas.passwords import hash_password, verify_password
from ideas.site_settings import get_setting, set_setting
from smtp import free_port

NEW_PASSWORD = "a brand new passphrase"
SIGN_UP = {"name": "Nora Newcomer", "email": "nora@example.com", "password": "nora's passphrase"}


# Mail goes to a real SMTP server in the test process.

def _app_with_mail(database_url, host, port):
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url,
                                  "MAIL_SERVER": host, "MAIL_PORT": port})


def emailed_link(message, path):
    """The local part of the one `path…` link in `message`, the same in its text and HTML parts."""
    pattern = re.compile(rf"http://localhost({re.escape(path)}[A-Za-z0-9_.\-]+)")
    in_text = pattern.findall(message.get_body(("plain",)).get_content())
    in_html = pattern.findall(message.get_body(("html",)).get_content())
    assert len(set(in_text)) == 1 and in_text[:1] == in_html[:1], (in_text, in_html)
    return in_text[0]


def part_types(message):
    """The content types of the message's parts."""
    return [part.get_content_type() for part in message.iter_parts()]


# Reading the database and the session.

def stored_member(fetch, email):
    """The account using `email` as it is stored now, or None."""
    def load():
        member = find_member_by_email(email)
        if member is not None:
            db.session.expunge(member)
        return member

    return fetch(load)


def password_is(fetch, user, password):
    """True when `password` is the member's password now."""
    return fetch(lambda: verify_password(db.session.get(User, user.id).password_hash, password))


def rows(fetch, model):
    """How many rows `model`'s table holds."""
    return fetch(lambda: db.session.execute(select(func.count()).select_from(model)).scalar_one())


def is_signed_in(client):
    """True when `client` may open its account settings (signed-out visitors are sent away)."""
    status = client.get("/account/settings").status_code
    assert status in (200, 302)
    return status == 200


def reset_link(fetch, user):
    """The link a forgotten-password email would carry for `user`."""
    return f"/auth/reset/{fetch(lambda: password_reset_token(db.session.get(User, user.id)))}"


def sign_in(client, user, password=PASSWORD, remember=False):
    """Sign `client` in through the form; asserts that it worked."""
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response


# Signing up.

def test_signing_up_creates_an_argon2id_account_and_signs_in(mail_client, fetch):
    response = mail_client.post("/auth/signup", data=SIGN_UP)

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    member = stored_member(fetch, "nora@example.com")
    assert (member.name, member.role) == ("Nora Newcomer", "member")
    assert member.email_confirmed_at is None
    assert member.password_hash.startswith("$argon2id$")
    assert password_is(fetch, member, SIGN_UP["password"])
    assert is_signed_in(mail_client)


def test_signing_up_emails_a_confirmation_link_over_smtp(mail_client, smtp_server):
    mail_client.post("/auth/signup", data=SIGN_UP)
    run_worker(mail_client.application)

    [message] = smtp_server.messages
    assert message["To"] == "nora@example.com"
    assert message["Subject"] == "Confirm your email address"
    assert message["Message-ID"]
    assert part_types(message) == ["text/plain", "text/html"]
    assert emailed_link(message, "/auth/confirm/")


def test_opening_the_confirmation_link_only_shows_a_button(mail_client, smtp_server, fetch):
    mail_client.post("/auth/signup", data=SIGN_UP)
    run_worker(mail_client.application)
    link = emailed_link(smtp_server.messages[0], "/auth/confirm/")

    response = mail_client.get(link)

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<form method="post" action="{link}">' in body
    assert "Confirm my address" in body
    assert stored_member(fetch, "nora@example.com").email_confirmed_at is None


def test_pressing_the_confirmation_button_confirms_the_address(mail_client, smtp_server, fetch):
    mail_client.post("/auth/signup", data=SIGN_UP)
    run_worker(mail_client.application)
    link = emailed_link(smtp_server.messages[0], "/auth/confirm/")

    response = mail_client.post(link)

    assert response.status_code == 303
    assert stored_member(fetch, "nora@example.com").email_confirmed_at is not None


def test_confirmation_link_works_signed_out(client, make_user, fetch):
    member = make_user(confirmed=False)
    token = fetch(lambda: confirmation_token(db.session.get(User, member.id)))

    response = client.post(f"/auth/confirm/{token}")

    assert response.status_code == 303
    assert stored_member(fetch, member.email).email_confirmed_at is not None


def test_a_forged_confirmation_link_confirms_nothing(client, make_user, fetch):
    member = make_user(confirmed=False)

    response = client.post("/auth/confirm/not-a-real-token")

    assert response.headers["Location"] == "/"
    assert stored_member(fetch, member.email).email_confirmed_at is None


@pytest.mark.parametrize("changes, problem", [
    pytest.param({"name": ""}, "Tell us your name.", id="empty-name"),
    pytest.param({"name": "   "}, "Tell us your name.", id="name-of-spaces"),
    pytest.param({"name": "N" * 81}, "At most 80 characters: this has 81, 1 too many.",
                 id="name-of-81-characters"),
    pytest.param({"email": "nora-at-example.com"}, "Enter a valid email address.",
                 id="invalid-email"),
    pytest.param({"email": ""}, "Enter your email address.", id="empty-email"),
    pytest.param({"password": "7-chars"}, "between 8 and 200 characters", id="short-password"),
])
def test_bad_sign_up_reshows_the_form_with_what_was_typed(client, fetch, changes, problem):
    data = {**SIGN_UP, **changes}

    response = client.post("/auth/signup", data=data)

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert problem in body
    for name in ("name", "email"):
        if data[name].strip():
            assert f'value="{escape(data[name])}"' in body
    assert data["password"] not in body
    assert rows(fetch, User) == 0


@pytest.mark.parametrize("accept_language, kept", [
    ("de-DE,de;q=0.9,en;q=0.5", "de"),
    ("en-GB,en;q=0.8", None),  # English is the default: the member keeps following the browser
    ("fr-FR", None),
    (None, None),
])
def test_sign_up_keeps_the_language_the_browser_asked_for(client, fetch, accept_language, kept):
    headers = {"Accept-Language": accept_language} if accept_language else {}

    response = client.post("/auth/signup", data=SIGN_UP, headers=headers)

    assert response.status_code == 303
    assert stored_member(fetch, "nora@example.com").locale == kept


def test_sign_up_with_a_taken_email_in_other_case_is_refused(client, make_user, fetch):
    member = make_user()

    response = client.post("/auth/signup", data={**SIGN_UP, "email": member.email.upper()})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "An account with this email already exists." in body
    assert f'value="{member.email.upper()}"' in body
    assert 'value="Nora Newcomer"' in body
    assert SIGN_UP["password"] not in body
    assert rows(fetch, User) == 1


def test_without_a_mail_server_the_email_is_written_to_the_log(client, caplog):
    caplog.set_level(logging.INFO, logger="ideas")

    response = client.post("/auth/signup", data=SIGN_UP)
    run_worker(client.application)

    assert response.status_code == 303
    assert "Email not sent (MAIL_SERVER unset)" in caplog.text
    assert "To: nora@example.com" in caplog.text
    assert "/auth/confirm/" in caplog.text


def test_sign_up_still_succeeds_while_the_mail_server_is_down(database_url, fetch):
    down = _app_with_mail(database_url, "127.0.0.1", free_port())
    try:
        response = down.test_client().post("/auth/signup", data=SIGN_UP)
    finally:
        dispose(down)

    assert response.status_code == 303
    assert stored_member(fetch, "nora@example.com") is not None


def test_forgotten_password_answers_the_same_while_the_mail_server_is_down(database_url, make_user):
    member = make_user()
    down = _app_with_mail(database_url, "127.0.0.1", free_port())
    down.testing = False  # answer errors with pages, as in production, instead of raising
    try:
        client = down.test_client()
        known = client.post("/auth/forgot", data={"email": member.email})
        unknown = client.post("/auth/forgot", data={"email": "nobody@example.com"})
    finally:
        dispose(down)

    assert known.status_code == unknown.status_code == 303


# Signing in and out.

@pytest.mark.parametrize("typed", [
    pytest.param(lambda email: email, id="as-stored"),
    pytest.param(str.upper, id="upper-case"),
    pytest.param(lambda email: f"  {email} ", id="surrounding-spaces"),
])
def test_signing_in_with_the_right_password_signs_in(client, make_user, typed):
    member = make_user()

    response = client.post("/auth/login", data={"email": typed(member.email), "password": PASSWORD})

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert is_signed_in(client)


def test_signing_in_with_a_wrong_password_keeps_the_email(client, make_user):
    member = make_user()

    response = client.post("/auth/login",
                           data={"email": member.email, "password": "not my password"})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "That email and password do not match an account." in body
    assert f'value="{member.email}"' in body
    assert "not my password" not in body
    assert not is_signed_in(client)


def test_signing_in_with_an_unknown_email_is_refused_the_same_way(client):
    response = client.post("/auth/login",
                           data={"email": "nobody@example.com", "password": PASSWORD})

    assert response.status_code == 422
    assert "That email and password do not match an account." in response.get_data(as_text=True)


@pytest.mark.sqlite_only
def test_checking_a_password_keeps_no_other_writer_waiting(app, client, make_user, monkeypatch):
    """Argon2id is slow on purpose; on SQLite, while it runs another writer can still write."""
    member = make_user()
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    other_writer_could_write = []

    def verify_while_another_writes(stored_hash, password):
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            other_writer_could_write.append(True)
        except sqlite3.OperationalError:
            other_writer_could_write.append(False)
        finally:
            other.close()
        return verify_password(stored_hash, password)

    monkeypatch.setattr("ideas.accounts.verify_password", verify_while_another_writes)

    response = client.post("/auth/login", data={"email": member.email, "password": PASSWORD})

    assert response.status_code == 303
    assert other_writer_could_write == [True]
    assert is_signed_in(client)


def test_a_password_changed_while_it_was_checked_signs_nobody_in(app, make_user):
    member = make_user()
    with app.app_context():
        match = check_password(member.email, PASSWORD)
        db.session.get(User, member.id).password_hash = hash_password("another password entirely")
        db.session.commit()

        assert match is not None and sign_in_with(match) is None


def test_an_old_hash_is_upgraded_when_its_member_signs_in(app, client, make_user, fetch):
    member = make_user()
    old_hash = fetch(lambda: db.session.get(User, member.id).password_hash)
    app.config["ARGON2_TIME_COST"] = 2
    app.extensions.pop("ideas.password_hasher")  # made with the old parameters

    response = client.post("/auth/login", data={"email": member.email, "password": PASSWORD})

    new_hash = fetch(lambda: db.session.get(User, member.id).password_hash)
    assert response.status_code == 303
    assert new_hash != old_hash and "t=2" in new_hash
    with app.app_context():
        assert verify_password(new_hash, PASSWORD)


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_signing_in_never_sends_the_browser_off_site(client, make_user, target):
    member = make_user()

    response = client.post("/auth/login", data={"email": member.email, "password": PASSWORD,
                                                "next": target})

    assert response.headers["Location"] == "/"


def test_signing_in_returns_to_the_page_that_asked(client, make_user):
    member = make_user()

    response = client.post("/auth/login", data={"email": member.email, "password": PASSWORD,
                                                "next": "/account/settings"})

    assert response.headers["Location"] == "/account/settings"


@pytest.mark.parametrize("remember", [True, False])
def test_remember_me_sets_a_remember_cookie_only_when_asked(client, make_user, remember):
    sign_in(client, make_user(), remember=remember)

    assert (client.get_cookie("remember_token") is not None) is remember


def test_remember_me_lasts_thirty_days_unless_configured(app, client, make_user):
    from datetime import datetime, timedelta, timezone

    sign_in(client, make_user(), remember=True)

    lasts = client.get_cookie("remember_token").expires - datetime.now(timezone.utc)
    assert timedelta(days=29) < lasts <= timedelta(days=30)


def test_remember_days_follows_the_environment(monkeypatch):
    from datetime import timedelta

    from config import TestingConfig

    monkeypatch.setenv("REMEMBER_DAYS", "7")

    assert TestingConfig().REMEMBER_COOKIE_DURATION == timedelta(days=7)


@pytest.mark.parametrize("how", ["password", "code"])
def test_signing_in_starts_a_new_session(mail_client, make_user, smtp_server, how):
    member = make_user()
    with mail_client.session_transaction() as before:
        before["csrf_token"] = "planted-before-sign-in"

    if how == "password":
        sign_in(mail_client, member)
    else:
        mail_client.post("/auth/code", data={"email": member.email})
        run_worker(mail_client.application)
        code = re.search(r"\b(\d{6})\b", smtp_server.messages[-1].get_body(("plain",)).get_content())
        mail_client.post("/auth/code/enter", data={"email": member.email, "code": code.group(1)})

    with mail_client.session_transaction() as after:
        assert after.get("csrf_token") != "planted-before-sign-in"
        assert "_user_id" in after


def test_signing_out_ends_the_session(client, make_user):
    sign_in(client, make_user())

    response = client.post("/auth/logout")

    assert response.status_code == 303
    assert not is_signed_in(client)


def test_signing_out_also_forgets_the_remember_cookie(client, make_user):
    sign_in(client, make_user(), remember=True)

    client.post("/auth/logout")

    assert not is_signed_in(client)


def test_signing_out_by_get_is_not_allowed(client, make_user):
    sign_in(client, make_user())

    response = client.get("/auth/logout")

    assert response.status_code == 405
    assert is_signed_in(client)


# Forgotten passwords.

def test_forgotten_password_emails_a_reset_link_over_smtp(mail_client, make_user, smtp_server):
    member = make_user()

    response = mail_client.post("/auth/forgot", data={"email": member.email.upper()})
    run_worker(mail_client.application)

    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/login"
    [message] = smtp_server.messages
    assert message["To"] == member.email
    assert message["Subject"] == "Reset your password"
    assert part_types(message) == ["text/plain", "text/html"]
    assert emailed_link(message, "/auth/reset/")


@pytest.mark.parametrize("headers", [{"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"}],
                         ids=["host", "forwarded-host"])
def test_a_reset_link_is_on_base_url_whatever_host_the_request_names(mail_app, make_user, smtp_server,
                                                                     headers):
    mail_app.config.update(BASE_URL="https://ideas.example.com", PROXY_COUNT=1)
    member = make_user()

    mail_app.test_client().post("/auth/forgot", data={"email": member.email}, headers=headers)
    run_worker(mail_app)

    body = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert "https://ideas.example.com/auth/reset/" in body
    assert "evil.example" not in body


def test_the_confirmation_link_is_on_base_url_whatever_host_the_request_names(mail_app, smtp_server):
    mail_app.config["BASE_URL"] = "https://ideas.example.com"

    mail_app.test_client().post("/auth/signup", data=SIGN_UP, headers={"Host": "evil.example"})
    run_worker(mail_app)

    body = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert "https://ideas.example.com/auth/confirm/" in body
    assert "evil.example" not in body


def test_forgotten_password_for_an_unknown_email_sends_nothing_but_answers_the_same(
        mail_client, make_user, smtp_server):
    known = mail_client.post("/auth/forgot", data={"email": make_user().email},
                             follow_redirects=True)
    run_worker(mail_client.application)
    smtp_server.messages.clear()

    unknown = mail_client.post("/auth/forgot", data={"email": "nobody@example.com"},
                               follow_redirects=True)
    run_worker(mail_client.application)

    assert smtp_server.messages == []
    assert unknown.status_code == known.status_code == 200
    assert [r.headers["Location"] for r in unknown.history] == ["/auth/login"]
    assert [r.headers["Location"] for r in known.history] == ["/auth/login"]
    notice = "If an account uses that address, we sent it a link to choose a new password."
    assert notice in unknown.get_data(as_text=True)
    assert notice in known.get_data(as_text=True)


def test_the_emailed_reset_link_sets_a_new_password(mail_client, make_user, smtp_server, fetch):
    member = make_user()
    mail_client.post("/auth/forgot", data={"email": member.email})
    run_worker(mail_client.application)
    link = emailed_link(smtp_server.messages[0], "/auth/reset/")

    response = mail_client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 303
    assert password_is(fetch, member, NEW_PASSWORD)
    assert is_signed_in(mail_client)


def test_after_a_reset_the_old_password_stops_working(client, app, make_user, fetch):
    member = make_user()
    client.post(reset_link(fetch, member), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    fresh = app.test_client()

    old = fresh.post("/auth/login", data={"email": member.email, "password": PASSWORD})
    new = fresh.post("/auth/login", data={"email": member.email, "password": NEW_PASSWORD})

    assert (old.status_code, new.status_code) == (422, 303)


def test_a_reset_link_works_only_once(client, make_user, fetch):
    member = make_user()
    link = reset_link(fetch, member)
    client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    third = "a third passphrase"
    again = client.post(link, data={"password": third, "confirm": third})

    assert again.status_code == 303
    assert again.headers["Location"] == "/auth/forgot"
    assert password_is(fetch, member, NEW_PASSWORD)


def test_an_expired_reset_link_is_refused(client, app, make_user, fetch):
    member = make_user()
    link = reset_link(fetch, member)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1  # every token is now older than allowed

    shown = client.get(link)
    posted = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert shown.status_code == posted.status_code == 303
    assert posted.headers["Location"] == "/auth/forgot"
    assert password_is(fetch, member, PASSWORD)
    notice = client.get("/auth/forgot").get_data(as_text=True)
    assert "This link has expired or was already used." in notice


@pytest.mark.parametrize("data, problem", [
    pytest.param({"password": NEW_PASSWORD, "confirm": "something else"},
                 "The two passwords differ.", id="mismatched"),
    pytest.param({"password": "short", "confirm": "short"}, "between 8 and 200 characters",
                 id="too-short"),
    pytest.param({"password": "", "confirm": ""}, "Choose a password.", id="empty"),
])
def test_bad_new_password_on_reset_reshows_the_form(client, make_user, fetch, data, problem):
    member = make_user()
    link = reset_link(fetch, member)

    response = client.post(link, data=data)

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert problem in body
    assert f'action="{link}"' in body
    assert password_is(fetch, member, PASSWORD)
    assert client.get(link).status_code == 200  # the link is still good


def test_resetting_the_password_signs_out_other_sessions(client, app, make_user, fetch):
    member = make_user()
    elsewhere = app.test_client()
    sign_in(elsewhere, member)

    client.post(reset_link(fetch, member), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert not is_signed_in(elsewhere)
    assert is_signed_in(client)


# Changing the password and the name.

CHANGE = {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}


def test_changing_the_password_signs_out_other_sessions_but_not_this_one(app, make_user, fetch):
    member = make_user()
    this, other = app.test_client(), app.test_client()
    sign_in(this, member)
    sign_in(other, member)

    response = this.post("/account/password", data=CHANGE)

    assert response.status_code == 303
    assert password_is(fetch, member, NEW_PASSWORD)
    assert is_signed_in(this)
    other_page = other.get("/account/settings")
    assert other_page.status_code == 302
    assert other_page.headers["Location"].startswith("/auth/login")


def test_changing_the_password_voids_remember_cookies_made_before(app, make_user):
    member = make_user()
    this, other = app.test_client(), app.test_client()
    sign_in(this, member)
    sign_in(other, member, remember=True)
    remember_token = other.get_cookie("remember_token").value

    def fresh_browser_with_the_cookie():
        browser = app.test_client()
        browser.set_cookie("remember_token", remember_token)
        return browser

    assert is_signed_in(fresh_browser_with_the_cookie())  # the cookie alone signs in, so far

    this.post("/account/password", data=CHANGE)

    assert not is_signed_in(fresh_browser_with_the_cookie())


def test_this_browser_keeps_its_remember_cookie_after_changing_the_password(app, make_user):
    member = make_user()
    this = app.test_client()
    sign_in(this, member, remember=True)

    this.post("/account/password", data=CHANGE)
    renewed = app.test_client()
    renewed.set_cookie("remember_token", this.get_cookie("remember_token").value)

    assert is_signed_in(renewed)


@pytest.mark.parametrize("changes, problem", [
    pytest.param({"current_password": "not my password"}, "This is not your current password.",
                 id="wrong-current-password"),
    pytest.param({"password": "short", "confirm": "short"}, "between 8 and 200 characters",
                 id="too-short"),
    pytest.param({"confirm": "something else"}, "The two passwords differ.", id="mismatched"),
])
def test_bad_password_change_is_refused(client, make_user, fetch, changes, problem):
    member = make_user()
    sign_in(client, member)

    response = client.post("/account/password", data={**CHANGE, **changes})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert problem in body
    assert 'action="/account/password"' in body
    assert password_is(fetch, member, PASSWORD)
    assert is_signed_in(client)


def test_changing_the_name_saves_it(client, make_user, fetch):
    member = make_user(name="Old Name")
    sign_in(client, member)

    response = client.post("/account/name", data={"name": "  New Name "})

    assert response.status_code == 303
    assert stored_member(fetch, member.email).name == "New Name"


@pytest.mark.parametrize("name, problem", [
    pytest.param("", "Enter a name.", id="empty"),
    pytest.param("   ", "Enter a name.", id="only-spaces"),
    pytest.param("N" * 81, "At most 80 characters: this has 81, 1 too many.", id="81-characters"),
])
def test_bad_name_is_refused(client, make_user, fetch, name, problem):
    member = make_user(name="Old Name")
    sign_in(client, member)

    response = client.post("/account/name", data={"name": name})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert problem in body
    if name.strip():
        assert f'value="{name}"' in body
    assert stored_member(fetch, member.email).name == "Old Name"


# Requiring a confirmed address before taking part.

PARTICIPATION = {
    "propose": (lambda idea: "/ideas/new", {"title": "Bulk export", "kind": "idea"}, Idea),
    "vote": (lambda idea: f"/ideas/{idea.id}/vote", {}, Vote),
    "comment": (lambda idea: f"/ideas/{idea.id}/comments", {"body": "Me too"}, Comment),
}


@pytest.fixture
def require_confirmation(app):
    """Turn on the site setting that unconfirmed members may not take part."""
    with app.app_context():
        set_setting("require_confirmation", "1")
        db.session.commit()


def take_part(client, fetch, idea, action):
    """Propose, vote or comment; returns the response and how many rows the action added."""
    url, data, model = PARTICIPATION[action]
    before = rows(fetch, model)
    response = client.post(url(idea), data=data)
    return response, rows(fetch, model) - before


def test_admin_turns_on_require_confirmation(client, make_user, fetch):
    sign_in(client, make_user(role="admin"))

    response = client.post("/admin/settings", data={"require_confirmation": "y"})

    assert response.status_code == 303
    assert fetch(lambda: get_setting("require_confirmation")) == "1"
    assert "checked" in client.get("/admin/settings").get_data(as_text=True)


def test_admin_turns_require_confirmation_off_again(client, make_user, fetch, require_confirmation):
    sign_in(client, make_user(role="admin"))

    client.post("/admin/settings", data={})

    assert fetch(lambda: get_setting("require_confirmation")) == "0"


@pytest.mark.parametrize("action", PARTICIPATION)
def test_unconfirmed_members_may_take_part_by_default(client, make_user, make_idea, fetch, action):
    idea = make_idea()
    sign_in(client, make_user(confirmed=False))

    response, added = take_part(client, fetch, idea, action)

    assert response.status_code == 303
    assert added == 1


@pytest.mark.parametrize("action", PARTICIPATION)
def test_unconfirmed_members_are_refused_when_confirmation_is_required(
        client, make_user, make_idea, fetch, require_confirmation, action):
    idea = make_idea()
    sign_in(client, make_user(confirmed=False))

    response, added = take_part(client, fetch, idea, action)

    assert response.status_code == 403
    assert "Confirm your email address first" in response.get_data(as_text=True)
    assert added == 0


@pytest.mark.parametrize("action", PARTICIPATION)
def test_confirmed_members_take_part_when_confirmation_is_required(
        client, make_user, make_idea, fetch, require_confirmation, action):
    idea = make_idea()
    sign_in(client, make_user(confirmed=True))

    response, added = take_part(client, fetch, idea, action)

    assert response.status_code == 303
    assert added == 1


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("role", ["member", "staff"])
def test_only_admins_reach_the_site_settings(client, make_user, fetch, role, method):
    sign_in(client, make_user(role=role))

    response = client.open("/admin/settings", method=method, data={"require_confirmation": "y"})

    assert response.status_code == 403
    assert fetch(lambda: get_setting("require_confirmation")) == "0"


def member_row(body, email):
    """The members table row that shows `email`."""
    [row] = [row for row in body.split("<tr>") if email in row]
    return row.split("</tr>")[0]


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_see_who_is_unconfirmed(client, make_user, role):
    unconfirmed, confirmed = make_user(confirmed=False), make_user(confirmed=True)
    sign_in(client, make_user(role=role))

    response = client.get("/staff/members")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Unconfirmed" in member_row(body, unconfirmed.email)
    assert "Unconfirmed" not in member_row(body, confirmed.email)


def test_members_may_not_see_the_members_page(client, make_user):
    sign_in(client, make_user())

    assert client.get("/staff/members").status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in_for_the_members_page(client):
    response = client.get("/staff/members")

    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=%2Fstaff%2Fmembers"


# Command line.

def test_create_admin_promotes_an_existing_account(runner, make_user, fetch):
    member = make_user()

    result = runner.invoke(args=["create-admin", member.email.upper()])

    assert result.exit_code == 0, result.output
    assert f"{member.email} is an admin." in result.output
    assert stored_member(fetch, member.email).role == "admin"
    assert rows(fetch, User) == 1


def test_create_admin_creates_a_confirmed_admin_when_none_exists(runner, fetch):
    result = runner.invoke(args=["create-admin", "ada@example.com"],
                           input="Name\npassword123\npassword123\n")

    assert result.exit_code == 0, result.output
    admin = stored_member(fetch, "ada@example.com")
    assert (admin.name, admin.role) == ("Name", "admin")
    assert admin.email_confirmed_at is not None
    assert admin.password_hash.startswith("$argon2id$")
    assert password_is(fetch, admin, "password123")


def test_create_admin_refuses_a_short_password(runner, fetch):
    result = runner.invoke(args=["create-admin", "ada@example.com"], input="Ada\nshort\nshort\n")

    assert result.exit_code == 1
    assert "Use between 8 and 200 characters." in result.output
    assert rows(fetch, User) == 0


@pytest.mark.parametrize("name", [pytest.param("   ", id="only-spaces"),
                                  pytest.param("N" * 81, id="81-characters")])
def test_create_admin_refuses_a_name_sign_up_would_refuse(runner, fetch, name):
    result = runner.invoke(args=["create-admin", "ada@example.com"],
                           input=f"{name}\npassword123\npassword123\n")

    assert result.exit_code == 1
    assert "Enter a name of at most 80 characters." in result.output
    assert rows(fetch, User) == 0


def vote_counts(fetch):
    """Each idea's stored vote count next to the number of its vote rows."""
    def load():
        counted = dict(db.session.execute(
            select(Vote.idea_id, func.count()).group_by(Vote.idea_id)).all())
        ideas = db.session.execute(select(Idea.id, Idea.vote_count)).all()
        return {idea_id: (stored, counted.get(idea_id, 0)) for idea_id, stored in ideas}

    return fetch(load)


def test_seed_demo_stores_vote_counts_equal_to_the_vote_rows(runner, fetch):
    result = runner.invoke(args=["seed-demo", "--ideas", "12", "--votes", "50", "--members", "8"])

    assert result.exit_code == 0, result.output
    counts = vote_counts(fetch)
    assert len(counts) == 12
    assert all(stored == counted for stored, counted in counts.values()), counts
    assert sum(stored for stored, _ in counts.values()) == 50
    assert rows(fetch, User) == 3 + 8  # the three demo accounts and the members asked for


def test_seed_demo_if_empty_does_nothing_the_second_time(runner, fetch):
    arguments = ["seed-demo", "--ideas", "12", "--votes", "50", "--members", "8", "--if-empty"]
    runner.invoke(args=arguments)
    loaded = rows(fetch, User), rows(fetch, Idea), rows(fetch, Vote)

    result = runner.invoke(args=arguments)

    assert result.exit_code == 0, result.output
    assert "nothing to do" in result.output
    assert (rows(fetch, User), rows(fetch, Idea), rows(fetch, Vote)) == loaded


def test_members_can_sign_up_and_propose_after_seeding(runner, client, fetch):
    runner.invoke(args=["seed-demo", "--ideas", "12", "--votes", "50", "--members", "8"])

    signed_up = client.post("/auth/signup", data=SIGN_UP)
    proposed = client.post("/ideas/new", data={"title": "A fresh idea", "kind": "idea"})

    assert (signed_up.status_code, proposed.status_code) == (303, 303)
    assert rows(fetch, Idea) == 13
