"""Guessing one account's password from many addresses, and flooding one inbox with reset emails."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from helpers import PASSWORD, run_worker
from ideas import throttles
from ideas.extensions import db
from ideas.models import Throttle, utcnow

WRONG = "not the password"


def sign_in(client, email, password, address):
    """POST the sign-in form from `address`."""
    return client.post("/auth/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def guess(client, email, times):
    """`times` wrong passwords for `email`, each from a new address; the last answer."""
    for number in range(times):
        response = sign_in(client, email, WRONG, f"203.0.113.{number + 1}")
    return response


def end_pauses(app):
    """Move every pause into the past, as if its time had gone by."""
    with app.app_context():
        db.session.execute(update(Throttle).values(blocked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()


def test_thirty_addresses_guessing_one_account_are_paused_after_five(client, make_user):
    member = make_user()

    answers = [sign_in(client, member.email, WRONG, f"203.0.113.{n}").status_code for n in range(1, 31)]

    assert answers[:5] == [422] * 5
    assert set(answers[5:]) == {429}


def test_a_paused_account_refuses_even_the_right_password_and_says_for_how_long(client, make_user):
    member = make_user()
    guess(client, member.email, 5)

    response = sign_in(client, member.email, PASSWORD, "198.51.100.7")

    body = response.get_data(as_text=True)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 30
    assert "Too many wrong passwords for this account. Try again in 1 minute" in body
    assert f'value="{member.email}"' in body  # the form keeps what was typed


def test_the_right_password_works_once_the_pause_is_over_and_starts_the_count_again(
        app, client, make_user, fetch):
    member = make_user()
    guess(client, member.email, 5)
    end_pauses(app)

    response = sign_in(client, member.email, PASSWORD, "198.51.100.7")

    assert response.status_code == 303
    assert fetch(lambda: db.session.get(Throttle, throttles._key("password", member.email)).hits) == 0


def test_pauses_double_and_stop_at_fifteen_minutes():
    pauses = [throttles.pause_after(n) for n in range(1, 16)]

    assert pauses[:4] == [None] * 4
    assert pauses[4:9] == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480)]
    assert pauses[10:] == [timedelta(minutes=15)] * 5
    assert throttles.pause_after(10_000) == timedelta(minutes=15)


def test_an_unknown_address_is_paused_exactly_like_an_account(client, make_user):
    member = make_user()

    known = guess(client, member.email, 6)
    unknown = guess(client, "nobody@example.com", 6)

    assert known.status_code == unknown.status_code == 429
    assert known.headers["Retry-After"] == unknown.headers["Retry-After"]


def test_the_count_is_per_normalised_address(client, make_user):
    member = make_user()
    guess(client, member.email.upper(), 3)

    response = guess(client, f"  {member.email} ", 3)

    assert response.status_code == 429


def test_an_emailed_sign_in_code_still_works_while_the_password_is_paused(
        mail_client, make_user, smtp_server):
    member = make_user()
    guess(mail_client, member.email, 6)

    mail_client.post("/auth/code", data={"email": member.email})
    run_worker(mail_client.application)
    code = re.search(r"\b(\d{6})\b", smtp_server.messages[-1].get_body(("plain",)).get_content())
    response = mail_client.post("/auth/code/enter", data={"email": member.email, "code": code.group(1)})

    assert response.status_code == 303


@pytest.mark.parametrize("asked", [4, 6])
def test_reset_emails_to_one_address_stop_after_three_an_hour(mail_client, make_user, smtp_server, asked):
    member = make_user()

    for number in range(asked):
        response = mail_client.post("/auth/forgot", data={"email": member.email},
                                    environ_base={"REMOTE_ADDR": f"203.0.113.{number + 1}"})
        assert response.status_code == 303  # the answer never says which were sent
    run_worker(mail_client.application)

    assert len(smtp_server.messages) == 3


def test_reset_emails_flow_again_an_hour_later(app, mail_client, make_user, smtp_server):
    member = make_user()
    for _ in range(4):
        mail_client.post("/auth/forgot", data={"email": member.email})
    run_worker(mail_client.application)
    with app.app_context():
        db.session.execute(update(Throttle).values(window_started_at=utcnow() - timedelta(hours=1)))
        db.session.commit()

    mail_client.post("/auth/forgot", data={"email": member.email})
    run_worker(mail_client.application)

    assert len(smtp_server.messages) == 4
