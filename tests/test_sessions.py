"""Signed-in sessions: one per browser, ended on the server when signing out (ideas.signins)."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from helpers import PASSWORD
from ideas import signins
from ideas.extensions import db
from ideas.models import SignedInSession, User, utcnow

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")


def sign_in(client, member, remember=False, user_agent=FIREFOX):
    data = {"email": member.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data, headers={"User-Agent": user_agent})
    assert response.status_code == 303, response.get_data(as_text=True)


def is_signed_in(client):
    status = client.get("/account/settings").status_code
    assert status in (200, 302)
    return status == 200


def with_cookie(app, name, value):
    """A fresh browser holding only a copy of one cookie."""
    browser = app.test_client()
    browser.set_cookie(name, value)
    return browser


def sessions_of(fetch, member):
    return fetch(lambda: db.session.execute(
        select(SignedInSession).where(SignedInSession.user_id == member.id)
        .order_by(SignedInSession.id)).scalars().all())


# Signing out ends the session wherever its cookies went.

def test_a_copied_session_cookie_is_worthless_after_signing_out(app, client, make_user):
    sign_in(client, make_user())
    copied = client.get_cookie("session").value
    assert is_signed_in(with_cookie(app, "session", copied))  # a working copy, so far

    client.post("/auth/logout")

    assert not is_signed_in(with_cookie(app, "session", copied))


def test_a_copied_remember_cookie_is_worthless_after_signing_out(app, client, make_user):
    sign_in(client, make_user(), remember=True)
    copied = client.get_cookie("remember_token").value
    assert is_signed_in(with_cookie(app, "remember_token", copied))

    client.post("/auth/logout")

    assert not is_signed_in(with_cookie(app, "remember_token", copied))


def test_signing_out_one_browser_leaves_the_others_signed_in(app, make_user, fetch):
    member = make_user()
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, member)
    sign_in(phone, member, user_agent=IPHONE)

    laptop.post("/auth/logout")

    assert not is_signed_in(laptop)
    assert is_signed_in(phone)
    assert [row.user_agent for row in sessions_of(fetch, member)] == [IPHONE]


def test_each_sign_in_keeps_only_a_hash_of_its_secret(client, make_user, fetch):
    member = make_user()
    sign_in(client, member)

    row, = sessions_of(fetch, member)
    session_id, secret = _session_key(client).split(":")
    assert int(session_id) == row.id
    assert secret not in (row.secret_hash, row.user_agent)
    assert len(row.secret_hash) == 64


def _session_key(client):
    with client.session_transaction() as session:
        return session["_user_id"]


# The account page lists them and ends them.

def test_the_account_page_lists_each_browser_and_marks_this_one(app, client, make_user):
    member = make_user()
    sign_in(client, member, user_agent=FIREFOX)
    sign_in(app.test_client(), member, remember=True, user_agent=IPHONE)

    page = client.get("/account/settings").get_data(as_text=True)

    listed = page[page.index('id="sessions"'):]
    assert "Firefox on Linux" in listed
    assert "Safari on iPhone" in listed
    assert listed.count("This browser") == 1
    assert listed.index("This browser") < listed.index("Safari on iPhone")  # this one first
    assert "Remembered" in listed


def test_signing_another_browser_out_from_the_account_page(app, client, make_user, fetch):
    member = make_user()
    phone = app.test_client()
    sign_in(client, member)
    sign_in(phone, member, user_agent=IPHONE)
    phone_session = sessions_of(fetch, member)[1]

    response = client.post(f"/account/sessions/{phone_session.id}/end")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account/settings#sessions")
    assert "That browser is signed out." in client.get("/account/settings").get_data(as_text=True)
    assert not is_signed_in(phone)
    assert [row.id for row in sessions_of(fetch, member)] != [phone_session.id]


def test_nobody_can_end_another_members_session(app, client, make_user, fetch):
    victim = make_user()
    sign_in(app.test_client(), victim)
    sign_in(client, make_user())
    victims_session, = sessions_of(fetch, victim)

    response = client.post(f"/account/sessions/{victims_session.id}/end")

    assert response.status_code == 404
    assert [row.id for row in sessions_of(fetch, victim)] == [victims_session.id]


def test_ending_sessions_needs_signing_in(client):
    assert client.post("/account/sessions/1/end").status_code == 302
    assert client.post("/account/sessions/end-all").status_code == 302


def test_signing_out_everywhere_ends_every_session_this_one_too(app, client, make_user, fetch):
    member = make_user()
    phone = app.test_client()
    sign_in(client, member)
    sign_in(phone, member, remember=True, user_agent=IPHONE)
    remembered = phone.get_cookie("remember_token").value

    response = client.post("/account/sessions/end-all")

    assert response.status_code == 303
    assert response.headers["Location"].startswith("/auth/login")
    assert not is_signed_in(client)
    assert not is_signed_in(phone)
    assert not is_signed_in(with_cookie(app, "remember_token", remembered))
    assert sessions_of(fetch, member) == []


# How long a session lasts, and what is written while it does.

def _key_and_member(app, remember=False, user_agent=FIREFOX):
    with app.app_context():
        member = User(name="Sam", email="sam@example.com")
        db.session.add(member)
        db.session.flush()
        key = signins.start(member, remember=remember, user_agent=user_agent)
        db.session.commit()
        return key, member.id


def test_a_session_runs_out_after_remember_days_whatever_its_cookie_says(app):
    key, member_id = _key_and_member(app, remember=True)
    with app.app_context():
        days = app.config["REMEMBER_DAYS"]
        assert signins.find(key, now=utcnow() + timedelta(days=days - 1)).member.id == member_id
        assert signins.find(key, now=utcnow() + timedelta(days=days, minutes=1)) is None


def test_a_wrong_secret_or_unknown_session_finds_nobody(app):
    key, _ = _key_and_member(app)
    session_id = key.split(":")[0]
    with app.app_context():
        assert signins.find(f"{session_id}:not-the-secret") is None
        assert signins.find("999999:whatever") is None
        assert signins.find("1:2:3:no") is None
        assert signins.find("") is None
        assert signins.find(f"{'9' * 40}:x") is None


def test_a_suspended_members_session_finds_nobody(app):
    key, member_id = _key_and_member(app)
    with app.app_context():
        db.session.get(User, member_id).suspended_at = utcnow()
        db.session.commit()
        assert signins.find(key) is None


def test_last_seen_is_written_at_most_every_few_minutes(app, client, make_user, fetch):
    member = make_user()
    sign_in(client, member)
    row, = sessions_of(fetch, member)

    client.get("/")  # just signed in: nothing to write
    assert sessions_of(fetch, member)[0].last_seen_at == row.last_seen_at

    def seen_long_ago():
        db.session.get(SignedInSession, row.id).last_seen_at = utcnow() - timedelta(hours=2)
        db.session.commit()
    fetch(seen_long_ago)
    client.get("/")

    assert sessions_of(fetch, member)[0].last_seen_at > utcnow() - timedelta(minutes=1)


def test_sessions_that_ran_out_are_removed_at_the_next_sign_in(app, client, make_user, fetch):
    member = make_user()
    sign_in(app.test_client(), member)

    def run_out():
        for row in db.session.execute(select(SignedInSession)).scalars():
            row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    fetch(run_out)
    sign_in(client, member)

    assert len(sessions_of(fetch, member)) == 1


@pytest.mark.parametrize("user_agent, named", [
    (FIREFOX, ("Firefox", "Linux")),
    (IPHONE, ("Safari", "iPhone")),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", ("Edge", "Windows")),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36", ("Chrome", "macOS")),
    ("curl/8.5.0", ("curl", "")),
    ("", ("", "")),
])
def test_browsers_are_named_for_people(user_agent, named):
    assert signins.device_name(user_agent) == named


def test_a_hostile_user_agent_is_shown_as_text(app, client, make_user):
    sign_in(client, make_user(), user_agent='<script>alert(1)</script>' + "x" * 400)

    page = client.get("/account/settings").get_data(as_text=True)

    assert "<script>alert(1)" not in page
    assert re.search(r"&lt;script&gt;alert\(1\)&lt;/script&gt;x{200}", page)


# A browser whose session was ended from elsewhere is told so once; nobody else is.

ENDED_ELSEWHERE = ("You were signed out: this session was ended from another browser or by a password "
                   "change. Sign in again to go on.")
WRITES = ("INSERT", "UPDATE", "DELETE")


def _laptop_and_phone(app, member, phone_remembers=False):
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, member)
    sign_in(phone, member, remember=phone_remembers, user_agent=IPHONE)
    return laptop, phone


def test_a_browser_signed_out_from_the_account_page_is_told_once_without_a_write(
        app, make_user, fetch, count_queries):
    member = make_user()
    laptop, phone = _laptop_and_phone(app, member)
    phone_session = sessions_of(fetch, member)[1]
    laptop.post(f"/account/sessions/{phone_session.id}/end")

    with count_queries() as statements:
        told = phone.get("/")
    again = phone.get("/").get_data(as_text=True)

    assert told.status_code == 200
    assert ENDED_ELSEWHERE in told.get_data(as_text=True)
    assert [sql for sql in statements if sql.lstrip().upper().startswith(WRITES)] == []
    assert ENDED_ELSEWHERE not in again
    assert not is_signed_in(phone)


@pytest.mark.parametrize("remember", [False, True], ids=["session-cookie", "remember-me"])
def test_signing_out_everywhere_tells_the_other_browser_not_this_one(app, make_user, remember):
    laptop, phone = _laptop_and_phone(app, make_user(), phone_remembers=remember)

    here = laptop.post("/account/sessions/end-all", follow_redirects=True).get_data(as_text=True)
    told = phone.get("/").get_data(as_text=True)

    assert "You are signed out everywhere." in here and ENDED_ELSEWHERE not in here
    assert told.count(ENDED_ELSEWHERE) == 1
    assert phone.get_cookie("remember_token") is None  # its key is forgotten with the session's
    assert ENDED_ELSEWHERE not in phone.get("/").get_data(as_text=True)


def test_a_remembered_browser_reopened_after_being_signed_out_elsewhere_is_told(app, make_user):
    laptop, phone = _laptop_and_phone(app, make_user(), phone_remembers=True)
    reopened = with_cookie(app, "remember_token", phone.get_cookie("remember_token").value)
    laptop.post("/account/sessions/end-all")

    told = reopened.get("/").get_data(as_text=True)

    assert ENDED_ELSEWHERE in told
    assert reopened.get_cookie("remember_token") is None


def test_a_password_change_tells_the_other_browser_not_this_one(app, make_user):
    laptop, phone = _laptop_and_phone(app, make_user())
    changed = laptop.post("/account/password", data={
        "current_password": PASSWORD, "password": "a new password 123", "confirm": "a new password 123"})
    assert changed.status_code == 303

    assert ENDED_ELSEWHERE in phone.get("/").get_data(as_text=True)
    assert ENDED_ELSEWHERE not in laptop.get("/account/settings").get_data(as_text=True)
    assert is_signed_in(laptop)


def test_a_browser_that_signs_itself_out_is_told_only_that(app, make_user, fetch):
    member = make_user()
    laptop, phone = _laptop_and_phone(app, member, phone_remembers=True)
    laptop.post(f"/account/sessions/{sessions_of(fetch, member)[1].id}/end")  # the phone, from here

    signed_out = laptop.post("/auth/logout", follow_redirects=True).get_data(as_text=True)

    assert "You are signed out." in signed_out and ENDED_ELSEWHERE not in signed_out
    assert ENDED_ELSEWHERE not in laptop.get("/").get_data(as_text=True)
    assert ENDED_ELSEWHERE in phone.get("/").get_data(as_text=True)


def test_a_session_that_ran_out_is_not_told_as_ended_while_one_ended_early_is(app, make_user, fetch):
    member = make_user()
    lapsed = app.test_client()
    app.config["REMEMBER_DAYS"] = 0  # it runs out as it starts, its key and row alike
    sign_in(lapsed, member)
    app.config["REMEMBER_DAYS"] = 30
    laptop, phone = _laptop_and_phone(app, member)  # the sign-ins remove the row that ran out
    assert [row.user_agent for row in sessions_of(fetch, member)] == [FIREFOX, IPHONE]
    laptop.post(f"/account/sessions/{sessions_of(fetch, member)[1].id}/end")

    lapsed_page = lapsed.get("/").get_data(as_text=True)

    assert not is_signed_in(lapsed)
    assert ENDED_ELSEWHERE not in lapsed_page
    assert ENDED_ELSEWHERE in phone.get("/").get_data(as_text=True)


def test_only_a_key_whose_row_went_before_it_ran_out_was_ended_early(app):
    key, member_id = _key_and_member(app)
    session_id, _, secret = key.partition(":")
    days = app.config["REMEMBER_DAYS"]
    with app.app_context():
        assert not signins.ended_early(key)  # live
        row = db.session.get(SignedInSession, int(session_id))
        live_hash, row.secret_hash = row.secret_hash, "0" * 64  # its id another session's now
        assert signins.ended_early(key)
        row.secret_hash = live_hash
        signins.end_all(db.session.get(User, member_id))
        db.session.commit()
        assert signins.ended_early(key)
        assert not signins.ended_early(key, now=utcnow() + timedelta(days=days, minutes=1))
        assert not signins.ended_early(f"{session_id}:{secret.partition('.')[0]}")  # no end in it
        assert not signins.ended_early("")
        assert not signins.ended_early(f"{'9' * 40}:x.{'9' * 10}")
