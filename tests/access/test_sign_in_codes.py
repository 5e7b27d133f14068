"""Signing in with a one-time code sent by email, beside passwords."""
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from helpers import dispose, run_worker
from ideas import create_app
from ideas.access import CODE_MAX_TRIES, CODES_PER_HOUR, issue_sign_in_code
from ideas.extensions import db, limiter
from ideas.models import AccountEmail, SignInCode, User, utcnow
from smtp import free_port

SENT = "If an account uses that address, we emailed it a sign-in code."


def code_in(message):
    """The six-digit code in the message, the same in its text and HTML parts."""
    text = re.findall(r"\b(\d{6})\b", message.get_body(("plain",)).get_content())
    html = re.findall(r"<strong>(\d{6})</strong>", message.get_body(("html",)).get_content())
    assert len(text) == 1 and text == html, (text, html)
    return text[0]


def ask_for_code(client, email, **params):
    """Ask for a code through the form, then run the worker, which sends it; the form's answer."""
    response = client.post("/auth/code", query_string=params, data={"email": email})
    run_worker(client.application)
    return response


def enter_code(client, email, code, **params):
    """Enter a code through the form."""
    return client.post("/auth/code/enter", query_string=params, data={"email": email, "code": code})


def signed_in(client):
    """True when the browser may open its account settings."""
    return client.get("/account/settings").status_code == 200


def codes_of(fetch, member):
    """The member's codes as (attempts, used), oldest first."""
    return fetch(lambda: [(c.attempts, c.used_at is not None) for c in db.session.execute(
        select(SignInCode).where(SignInCode.user_id == member.id).order_by(SignInCode.id)).scalars()])


def test_asking_for_a_code_emails_six_digits_over_smtp(mail_client, make_user, smtp_server):
    member = make_user(email="ada@example.com")

    response = ask_for_code(mail_client, "Ada@Example.com ")

    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/code/enter"
    [message] = smtp_server.messages
    assert message["To"] == member.email
    assert message["Subject"] == "Your sign-in code for Ideas"
    assert "It works once, for 10 minutes" in message.get_body(("plain",)).get_content()
    assert re.fullmatch(r"\d{6}", code_in(message))


def test_only_a_keyed_hash_of_the_code_is_stored(mail_client, make_user, smtp_server, fetch):
    member = make_user()
    ask_for_code(mail_client, member.email)
    code = code_in(smtp_server.messages[0])

    [row] = fetch(lambda: db.session.execute(select(SignInCode)).scalars().all())

    assert re.fullmatch(r"[0-9a-f]{64}", row.code_hash)
    assert code not in row.code_hash
    assert row.expires_at - row.created_at == timedelta(minutes=10)
    assert (row.attempts, row.used_at) == (0, None)


def test_an_unknown_address_gets_the_same_answer_and_no_email(mail_client, make_user, smtp_server, fetch):
    member = make_user()
    known = ask_for_code(mail_client, member.email)
    smtp_server.messages.clear()

    unknown = ask_for_code(mail_client, "nobody@example.com")

    assert unknown.status_code == known.status_code == 303
    assert unknown.headers["Location"] == known.headers["Location"]
    assert SENT in mail_client.get("/auth/code/enter").get_data(as_text=True)
    assert smtp_server.messages == []
    assert fetch(lambda: len(db.session.execute(select(SignInCode)).all())) == 1


def test_the_code_page_remembers_the_address_asked_for(mail_client, make_user):
    member = make_user()
    ask_for_code(mail_client, member.email)

    page = mail_client.get("/auth/code/enter").get_data(as_text=True)

    assert f'value="{member.email}"' in page
    assert 'autocomplete="one-time-code"' in page


def test_entering_the_emailed_code_signs_in(mail_client, make_user, smtp_server, fetch):
    member = make_user()
    ask_for_code(mail_client, member.email)

    response = enter_code(mail_client, member.email, code_in(smtp_server.messages[0]))

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert signed_in(mail_client)
    assert codes_of(fetch, member) == [(1, True)]


def test_a_member_without_a_password_signs_in_with_a_code(mail_client, make_user, smtp_server):
    member = make_user(password=None)
    refused = mail_client.post("/auth/login", data={"email": member.email, "password": "any guess"})
    assert refused.status_code == 422
    ask_for_code(mail_client, member.email)

    enter_code(mail_client, member.email, code_in(smtp_server.messages[0]))

    assert signed_in(mail_client)


def test_spaces_and_dashes_in_the_typed_code_are_ignored(mail_client, make_user, smtp_server):
    member = make_user()
    ask_for_code(mail_client, member.email)
    code = code_in(smtp_server.messages[0])

    enter_code(mail_client, member.email, f" {code[:3]}-{code[3:]} ")

    assert signed_in(mail_client)


def test_signing_in_with_a_code_confirms_the_address(mail_client, make_user, smtp_server, fetch):
    member = make_user(confirmed=False)
    ask_for_code(mail_client, member.email)

    enter_code(mail_client, member.email, code_in(smtp_server.messages[0]))

    assert fetch(lambda: db.session.get(User, member.id).is_confirmed)


def test_a_code_works_only_once(mail_client, mail_app, make_user, smtp_server):
    member = make_user()
    ask_for_code(mail_client, member.email)
    code = code_in(smtp_server.messages[0])
    enter_code(mail_client, member.email, code)
    other_browser = mail_app.test_client()

    response = enter_code(other_browser, member.email, code)

    assert response.status_code == 422
    assert not signed_in(other_browser)


def test_a_wrong_code_is_refused_with_the_form_kept_and_counted(mail_client, make_user, smtp_server, fetch):
    member = make_user()
    ask_for_code(mail_client, member.email)
    right = code_in(smtp_server.messages[0])
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = enter_code(mail_client, member.email, wrong)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "That code is wrong or has expired" in page
    assert f'value="{member.email}"' in page and f'value="{wrong}"' in page
    assert not signed_in(mail_client)
    assert codes_of(fetch, member) == [(1, False)]


def test_after_five_wrong_tries_even_the_right_code_is_refused(mail_client, make_user, smtp_server, fetch):
    member = make_user()
    ask_for_code(mail_client, member.email)
    right = code_in(smtp_server.messages[0])
    for attempt in range(CODE_MAX_TRIES):
        wrong = f"{(int(right) + 1 + attempt) % 1_000_000:06d}"
        assert enter_code(mail_client, member.email, wrong).status_code == 422

    response = enter_code(mail_client, member.email, right)

    assert response.status_code == 422
    assert not signed_in(mail_client)
    assert codes_of(fetch, member) == [(CODE_MAX_TRIES, False)]


def test_a_code_expires_after_ten_minutes(client, app, make_user):
    member = make_user()
    with app.app_context():
        _, code = issue_sign_in_code(member.email, now=utcnow() - timedelta(minutes=10, seconds=1))
        db.session.commit()

    response = enter_code(client, member.email, code)

    assert response.status_code == 422
    assert not signed_in(client)


def test_a_code_still_works_just_before_it_expires(client, app, make_user):
    member = make_user()
    with app.app_context():
        _, code = issue_sign_in_code(member.email, now=utcnow() - timedelta(minutes=9, seconds=50))
        db.session.commit()

    enter_code(client, member.email, code)

    assert signed_in(client)


def test_a_new_code_replaces_the_earlier_one(mail_client, make_user, smtp_server, fetch):
    member = make_user()
    ask_for_code(mail_client, member.email)
    ask_for_code(mail_client, member.email)
    first, second = (code_in(message) for message in smtp_server.messages)

    if first != second:
        assert enter_code(mail_client, member.email, first).status_code == 422
    assert enter_code(mail_client, member.email, second).status_code == 303
    assert signed_in(mail_client)


def test_at_most_five_codes_an_hour_reach_one_inbox(mail_client, make_user, smtp_server):
    member = make_user()

    answers = [ask_for_code(mail_client, member.email).status_code for _ in range(CODES_PER_HOUR + 2)]

    assert answers == [303] * (CODES_PER_HOUR + 2)
    assert len(smtp_server.messages) == CODES_PER_HOUR


def test_a_code_whose_email_could_not_be_sent_is_withdrawn_and_not_counted(database_url, mail_app, make_user,
                                                                           smtp_server, fetch):
    member = make_user()
    down = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url,
                                  "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port()})
    for _ in range(CODES_PER_HOUR):
        ask_for_code(down.test_client(), member.email)  # each worker pass fails to reach the server
    dispose(down)
    assert codes_of(fetch, member) == []  # no code lives without its email

    fetch(lambda: (db.session.execute(update(AccountEmail).values(next_attempt_at=utcnow())),
                   db.session.commit()))
    run_worker(mail_app)  # the mail server is back: every queued email is tried again

    assert len(smtp_server.messages) == CODES_PER_HOUR


def test_a_suspended_member_gets_no_code(mail_client, make_user, smtp_server, fetch):
    member = make_user()
    fetch(lambda: (setattr(db.session.get(User, member.id), "suspended_at", utcnow()), db.session.commit()))

    response = ask_for_code(mail_client, member.email)

    assert response.status_code == 303
    assert smtp_server.messages == []


def test_a_member_suspended_after_asking_cannot_use_the_code(mail_client, make_user, smtp_server, fetch):
    member = make_user()
    ask_for_code(mail_client, member.email)
    fetch(lambda: (setattr(db.session.get(User, member.id), "suspended_at", utcnow()), db.session.commit()))

    response = enter_code(mail_client, member.email, code_in(smtp_server.messages[0]))

    assert response.status_code == 422
    assert not signed_in(mail_client)


def test_a_code_signs_in_only_the_member_it_was_sent_to(mail_client, make_user, smtp_server):
    member, other = make_user(), make_user()
    ask_for_code(mail_client, member.email)
    ask_for_code(mail_client, other.email)

    response = enter_code(mail_client, other.email, code_in(smtp_server.messages[0]))

    assert response.status_code == 422
    assert not signed_in(mail_client)


@pytest.mark.parametrize("email", ["", "not-an-address", "a@" + "b" * 260 + ".com"])
def test_a_bad_address_is_named_with_the_form_kept(client, email):
    response = ask_for_code(client, email)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter a" in page
    assert 'id="email"' in page


def test_an_empty_code_is_named(client, make_user):
    member = make_user()

    response = enter_code(client, member.email, "")

    assert response.status_code == 422
    assert "Enter the code from the email." in response.get_data(as_text=True)


def test_where_to_go_next_survives_the_code_and_stays_on_site(mail_client, make_user, smtp_server):
    member = make_user()
    asked = ask_for_code(mail_client, member.email, next="/roadmap")
    assert asked.headers["Location"] == "/auth/code/enter?next=/roadmap"

    response = enter_code(mail_client, member.email, code_in(smtp_server.messages[0]), next="//evil.example")

    assert response.headers["Location"] == "/"


def test_the_code_sends_you_back_where_you_were(mail_client, make_user, smtp_server):
    member = make_user()
    ask_for_code(mail_client, member.email)

    response = enter_code(mail_client, member.email, code_in(smtp_server.messages[0]), next="/roadmap")

    assert response.headers["Location"] == "/roadmap"


def test_the_sign_in_page_offers_a_code_instead_of_a_password(client):
    page = client.get("/auth/login").get_data(as_text=True)

    assert 'href="/auth/code"' in page


@pytest.fixture
def limited_app(database_url):
    """The app with the sign-in limit on: 3 a minute per address."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True,
                                 "RATELIMIT_LOGIN": "3 per minute",
                                 "RATELIMIT_KEY_PREFIX": f"codes-{uuid.uuid4().hex[:12]}"})
    storage = limiter.storage
    yield app
    storage.reset()
    dispose(app)


@pytest.mark.parametrize("path, data", [
    ("/auth/code", {"email": "someone@example.com"}),
    ("/auth/code/enter", {"email": "someone@example.com", "code": "123456"}),
], ids=["asking", "entering"])
def test_codes_are_rate_limited_like_password_sign_in(limited_app, path, data):
    answers = [limited_app.test_client().post(path, data=data) for _ in range(4)]

    assert all(answer.status_code != 429 for answer in answers[:3])
    assert answers[3].status_code == 429
    assert int(answers[3].headers["Retry-After"]) > 0


def test_a_wrong_code_takes_the_same_steps_whatever_the_address(app, make_user, count_queries, monkeypatch):
    from ideas.access import sign_in_codes

    with_code, without_code, suspended = make_user(), make_user(), make_user()
    with app.app_context():
        issue_sign_in_code(with_code.email)
        db.session.get(User, suspended.id).suspended_at = utcnow()
        db.session.commit()
    hashed = []
    real_hash = sign_in_codes._code_hash

    def counting_hash(member_id, code):
        hashed.append(member_id)
        return real_hash(member_id, code)

    monkeypatch.setattr(sign_in_codes, "_code_hash", counting_hash)
    steps = {}
    for name, email in (("live code", with_code.email), ("no code", without_code.email),
                        ("suspended", suspended.email), ("no account", "nobody@example.com")):
        hashed.clear()
        with app.app_context(), count_queries() as statements:
            assert sign_in_codes.redeem_sign_in_code(email, "000000") is None
            db.session.rollback()
        steps[name] = ([" ".join(statement.split()) for statement in statements], len(hashed))

    assert len({repr(taken) for taken in steps.values()}) == 1, steps
    assert steps["live code"][1] == 1
