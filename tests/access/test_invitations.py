"""Invitations: staff invite by email; the emailed link (a signed token) lets that address sign up,
whatever the sign-up rule, once, for a while."""
import json
import re
import time

import pytest
from sqlalchemy import func, select

from helpers import dispose, run_worker
from ideas import create_app
from ideas.access import invitation_token
from ideas.extensions import db
from ideas.models import AccountEmail, AuditEntry, Invitation, User, utcnow
from ideas.site_settings import set_setting
from smtp import free_port

NEW_MEMBER = {"name": "Ines Invited", "password": "ines's passphrase"}


@pytest.fixture
def staff_client(mail_app, make_user):
    """A browser on `mail_app` signed in as staff."""
    client = mail_app.test_client()
    staff = make_user(role="staff", name="Sam Staff")
    assert client.post("/auth/login", data={"email": staff.email, "password": "correct horse battery"}
                       ).status_code == 303
    client.staff = staff
    return client


def invitation_link(message):
    """The invitation link's local part, the same in the text and HTML parts."""
    pattern = re.compile(r"http://localhost(/auth/invitation\?token=[A-Za-z0-9_.\-]+)")
    in_text = pattern.findall(message.get_body(("plain",)).get_content())
    in_html = pattern.findall(message.get_body(("html",)).get_content())
    assert len(in_text) == 1 and in_text == in_html, (in_text, in_html)
    return in_text[0]


def invitations_of(fetch, email):
    """The invitations to `email` as (state, invited_by_id, accepted_by_id), oldest first."""
    return fetch(lambda: [(i.state, i.invited_by_id, i.accepted_by_id) for i in db.session.execute(
        select(Invitation).where(Invitation.email == email).order_by(Invitation.id)).scalars()])


def member_with(fetch, email):
    """The account using `email`, detached, or None."""
    def load():
        member = db.session.execute(select(User).where(User.email == email)).scalar()
        if member is not None:
            db.session.expunge(member)
        return member

    return fetch(load)


def invite(client, email):
    """Invite `email` through the staff form, then run the worker, which emails it; the answer."""
    response = client.post("/staff/invitations", data={"email": email})
    run_worker(client.application)
    return response


def set_rule(app, **values):
    """Store access settings directly."""
    with app.app_context():
        for key, value in values.items():
            set_setting(key, value)
        db.session.commit()


# Who may invite.

@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("role, expected", [(None, "login"), ("member", 403), ("staff", "ok"),
                                            ("admin", "ok")])
def test_only_staff_invite(client, auth, make_user, fetch, method, role, expected):
    if role:
        auth.login(make_user(role=role))

    response = client.open("/staff/invitations", method=method, data={"email": "guest@example.com"})

    if expected == "login":
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
    elif expected == "ok":
        assert response.status_code == (200 if method == "GET" else 303)
    else:
        assert response.status_code == expected
    made = invitations_of(fetch, "guest@example.com")
    assert len(made) == (1 if method == "POST" and expected == "ok" else 0)


@pytest.mark.parametrize("role, expected", [(None, "login"), ("member", 403), ("staff", 303), ("admin", 303)])
def test_only_staff_withdraw_an_invitation(app, client, auth, make_user, fetch, role, expected):
    with app.app_context():
        invitation = Invitation(email="guest@example.com")
        db.session.add(invitation)
        db.session.commit()
        invitation_id = invitation.id
    if role:
        auth.login(make_user(role=role))

    response = client.post(f"/staff/invitations/{invitation_id}/revoke")

    if expected == "login":
        assert response.headers["Location"].startswith("/auth/login")
    else:
        assert response.status_code == expected
    assert invitations_of(fetch, "guest@example.com")[0][0] == ("revoked" if expected == 303 else "pending")


# Inviting.

def test_staff_invite_by_email_over_smtp(staff_client, smtp_server, fetch):
    response = invite(staff_client, "Guest@Example.com ")

    assert response.status_code == 303
    [message] = smtp_server.messages
    assert message["To"] == "guest@example.com"
    assert message["Subject"] == "You are invited to Ideas"
    assert "Sam Staff invites you to join Ideas" in message.get_body(("plain",)).get_content()
    assert "The link works for 14 days" in message.get_body(("plain",)).get_content()
    invitation_link(message)
    assert invitations_of(fetch, "guest@example.com") == [("pending", staff_client.staff.id, None)]


def test_an_invitation_is_audited(staff_client, fetch):
    invite(staff_client, "guest@example.com")

    [entry] = fetch(lambda: db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "invitation.sent")).scalars().all())
    assert (entry.actor_id, entry.target_type) == (staff_client.staff.id, "invitations")
    assert json.loads(entry.after) == {"email": "guest@example.com"}


def test_inviting_a_pending_address_again_sends_a_fresh_link_not_a_second_invitation(
        staff_client, smtp_server, fetch):
    invite(staff_client, "guest@example.com")
    invite(staff_client, "guest@example.com")

    assert len(smtp_server.messages) == 2
    assert len(invitations_of(fetch, "guest@example.com")) == 1


def test_the_invitations_page_lists_invitations_with_their_state(staff_client, smtp_server):
    invite(staff_client, "guest@example.com")

    page = staff_client.get("/staff/invitations").get_data(as_text=True)

    assert "guest@example.com" in page
    assert "Pending" in page
    assert "Withdraw" in page


@pytest.mark.parametrize("email, problem", [
    ("", "Enter an email address."),
    ("not-an-address", "Enter a valid email address."),
    ("x@" + "y" * 250 + ".com", "At most 254 characters: this has 256, 2 too many."),
])
def test_a_bad_address_is_named_with_the_form_kept(staff_client, fetch, email, problem):
    response = invite(staff_client, email)

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert problem in page
    assert f'value="{email}"' in page if email else 'id="email"' in page
    assert fetch(lambda: db.session.execute(select(func.count()).select_from(Invitation)).scalar_one()) == 0


def test_inviting_a_member_is_refused_with_the_reason(staff_client, make_user, smtp_server):
    member = make_user()

    response = invite(staff_client, member.email)

    assert response.status_code == 422
    assert "Someone with this address is already a member." in response.get_data(as_text=True)
    assert smtp_server.messages == []


def test_an_invitation_is_kept_and_its_email_retried_when_the_mail_server_is_down(database_url, make_user,
                                                                                  fetch):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url,
                                 "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port()})
    client = app.test_client()
    staff = make_user(role="staff")
    client.post("/auth/login", data={"email": staff.email, "password": "correct horse battery"})

    response = invite(client, "guest@example.com")

    assert response.status_code == 303
    assert invitations_of(fetch, "guest@example.com") == [("pending", staff.id, None)]
    [email] = fetch(lambda: db.session.execute(select(AccountEmail)).scalars().all())
    assert (email.kind, email.state, email.attempts) == ("invite", "pending", 1)
    assert email.next_attempt_at > utcnow()
    dispose(app)


def test_an_invitation_withdrawn_before_the_worker_runs_is_not_emailed(staff_client, smtp_server, fetch):
    staff_client.post("/staff/invitations", data={"email": "guest@example.com"})
    invitation_id = fetch(lambda: db.session.execute(select(Invitation.id)).scalar_one())
    staff_client.post(f"/staff/invitations/{invitation_id}/revoke")

    run_worker(staff_client.application)

    assert smtp_server.messages == []
    [email] = fetch(lambda: db.session.execute(select(AccountEmail)).scalars().all())
    assert (email.state, email.last_error) == ("skipped", "no pending invitation for this address")


# Accepting.

def test_the_link_shows_the_invited_address(staff_client, mail_app, smtp_server):
    invite(staff_client, "guest@example.com")
    visitor = mail_app.test_client()

    response = visitor.get(invitation_link(smtp_server.messages[0]))

    assert response.status_code == 200
    assert "You were invited as <strong>guest@example.com</strong>" in response.get_data(as_text=True)


def test_the_link_makes_a_confirmed_account_and_signs_in(staff_client, mail_app, smtp_server, fetch):
    invite(staff_client, "guest@example.com")
    visitor = mail_app.test_client()

    response = visitor.post(invitation_link(smtp_server.messages[0]), data=NEW_MEMBER)

    assert response.status_code == 303
    member = member_with(fetch, "guest@example.com")
    assert (member.name, member.is_confirmed) == ("Ines Invited", True)
    assert invitations_of(fetch, "guest@example.com") == [("accepted", staff_client.staff.id, member.id)]
    assert visitor.get("/account/settings").status_code == 200


def test_an_account_made_from_an_invitation_keeps_the_browsers_language(staff_client, mail_app, smtp_server,
                                                                        fetch):
    invite(staff_client, "gast@example.com")

    mail_app.test_client().post(invitation_link(smtp_server.messages[0]), data=NEW_MEMBER,
                                headers={"Accept-Language": "de"})

    assert member_with(fetch, "gast@example.com").locale == "de"


@pytest.mark.parametrize("rule", [{"signup_mode": "invitation"},
                                  {"signup_mode": "domains", "allowed_domains": "acme.example"}])
def test_an_invitation_works_whatever_the_sign_up_rule(staff_client, mail_app, smtp_server, fetch, rule):
    set_rule(mail_app, private_mode="1", **rule)
    invite(staff_client, "guest@example.com")
    visitor = mail_app.test_client()
    link = invitation_link(smtp_server.messages[0])

    assert visitor.get(link).status_code == 200
    assert visitor.post(link, data=NEW_MEMBER).status_code == 303
    assert member_with(fetch, "guest@example.com") is not None


def test_the_link_works_once(staff_client, mail_app, smtp_server, fetch):
    invite(staff_client, "guest@example.com")
    link = invitation_link(smtp_server.messages[0])
    mail_app.test_client().post(link, data=NEW_MEMBER)

    again = mail_app.test_client().post(link, data=dict(NEW_MEMBER, name="Someone Else"))

    assert again.status_code == 404
    assert "This invitation does not work any more" in again.get_data(as_text=True)
    assert member_with(fetch, "guest@example.com").name == "Ines Invited"


def test_a_withdrawn_invitation_link_stops_working(staff_client, mail_app, smtp_server, fetch):
    invite(staff_client, "guest@example.com")
    invitation_id = fetch(lambda: db.session.execute(select(Invitation.id)).scalar_one())
    assert staff_client.post(f"/staff/invitations/{invitation_id}/revoke").status_code == 303

    response = mail_app.test_client().post(invitation_link(smtp_server.messages[0]), data=NEW_MEMBER)

    assert response.status_code == 404
    assert member_with(fetch, "guest@example.com") is None


def test_withdrawing_twice_is_a_conflict(staff_client, fetch):
    invite(staff_client, "guest@example.com")
    invitation_id = fetch(lambda: db.session.execute(select(Invitation.id)).scalar_one())
    staff_client.post(f"/staff/invitations/{invitation_id}/revoke")

    assert staff_client.post(f"/staff/invitations/{invitation_id}/revoke").status_code == 409


def test_a_link_older_than_fourteen_days_is_refused(app, client, monkeypatch, fetch):
    with app.app_context():
        invitation = Invitation(email="guest@example.com")
        db.session.add(invitation)
        db.session.commit()
        monkeypatch.setattr("itsdangerous.timed.TimestampSigner.get_timestamp",
                            lambda self: int(time.time()) - 14 * 86400 - 60)
        token = invitation_token(invitation)
    monkeypatch.undo()

    response = client.post("/auth/invitation", query_string={"token": token}, data=NEW_MEMBER)

    assert response.status_code == 404
    assert member_with(fetch, "guest@example.com") is None


@pytest.mark.parametrize("token", ["", "garbage", "WzEsImd1ZXN0QGV4YW1wbGUuY29tIl0.forged.sig"])
def test_a_missing_or_forged_token_is_refused(client, token):
    assert client.get("/auth/invitation", query_string={"token": token}).status_code == 404


def test_a_bad_password_is_named_with_the_form_kept(staff_client, mail_app, smtp_server, fetch):
    invite(staff_client, "guest@example.com")

    response = mail_app.test_client().post(invitation_link(smtp_server.messages[0]),
                                           data={"name": "Ines Invited", "password": "short"})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Field must be between 8 and 200 characters long." in page
    assert 'value="Ines Invited"' in page
    assert member_with(fetch, "guest@example.com") is None
    assert invitations_of(fetch, "guest@example.com")[0][0] == "pending"


def test_an_address_that_joined_meanwhile_is_told_to_sign_in(staff_client, mail_app, smtp_server,
                                                              make_user, fetch):
    invite(staff_client, "guest@example.com")
    make_user(email="guest@example.com")

    response = mail_app.test_client().post(invitation_link(smtp_server.messages[0]), data=NEW_MEMBER)

    assert response.status_code == 422
    assert "An account with this email already exists." in response.get_data(as_text=True)


def test_the_members_page_leads_staff_to_invitations(client, auth, make_user):
    auth.login(make_user(role="staff"))

    assert 'href="/staff/invitations"' in client.get("/staff/members").get_data(as_text=True)
