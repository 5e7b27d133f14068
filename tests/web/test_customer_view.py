"""The single view of one customer, for the team: what they follow and at which level, what the team
told them (each notification, whether it reached their inbox, whether and when an email went), their
votes' importance and private notes (staff only), and the same notes on their company's page."""
import re

import pytest
from sqlalchemy import select

from ideas.customer_view import NO_EMAIL_REASONS
from ideas.delivery import drain
from ideas.delivery.rules import _no_email_rules
from ideas.extensions import db
from ideas.following import follow_idea, set_follow_level, unfollow_idea
from ideas.models import Idea, Notification, OutboxRow, User
from ideas.moderation import hide_idea
from ideas.notifications import mark_all_read
from ideas.statuses import change_status
from ideas.vote_importance import back_idea

NOTE = "We lose the Hamburg contract without this"


@pytest.fixture
def staff(make_user):
    """The product manager who reads the page."""
    return make_user(name="Pat PM", role="staff")


@pytest.fixture
def customer(make_user):
    """Cora, the customer whose page it is."""
    return make_user(name="Cora")


def as_user(user):
    """The member's row in the current session."""
    return db.session.get(User, user.id)


def idea_named(title):
    """The idea titled `title`, in the current session."""
    return db.session.execute(select(Idea).where(Idea.title == title)).scalar_one()


def move(app, staff, title, status, note=""):
    """Staff move the idea titled `title` to `status`, and commit."""
    with app.app_context():
        change_status(as_user(staff), idea_named(title), status, note)
        db.session.commit()


def section(body, heading):
    """The part of the page under the <h2> `heading`, up to the end of its section."""
    start = body.index(f">{heading}</h2>")
    return body[start:body.index("</section>", start)]


def rows(part):
    """Each table row of a section as its words, tags dropped and spaces squeezed."""
    words = [" ".join(re.sub(r"<[^>]+>", " ", row).split())
             for row in re.findall(r"<tr[^>]*>(.*?)</tr>", part, re.S)][1:]
    return [row.replace(" :", ":") for row in words]


def told_rows(body):
    """The rows of "What the team told them", as words."""
    return rows(section(body, "What the team told them"))


def set_email_mode(fetch, member, mode):
    """The member's email setting, as they would choose it."""
    def change():
        as_user(member).email_mode = mode
        db.session.commit()

    fetch(change)


def outbox_of(fetch, member):
    """(email state, sent?) of each of the member's outbox rows, oldest first."""
    return fetch(lambda: [(state, sent_at is not None) for state, sent_at in db.session.execute(
        select(OutboxRow.email_state, OutboxRow.sent_at).where(OutboxRow.user_id == member.id)
        .order_by(OutboxRow.id)).all()])


@pytest.fixture
def following(app, make_idea, staff, customer):
    """Cora proposed "Dark mode", backed "Export to CSV", follows "Zapier" for all activity and
    unfollowed "Gift cards" after backing it."""
    make_idea(title="Dark mode", author=customer)
    for title in ("Export to CSV", "Zapier", "Gift cards"):
        make_idea(title=title, author=staff)
    with app.app_context():
        cora = as_user(customer)
        back_idea(cora, idea_named("Export to CSV"), "critical", NOTE)
        follow_idea(cora, idea_named("Zapier"))
        set_follow_level(cora, idea_named("Zapier"), "all")
        back_idea(cora, idea_named("Gift cards"))
        unfollow_idea(cora, idea_named("Gift cards"))
        db.session.commit()
    return customer


# Follows.

def test_staff_see_each_idea_the_customer_follows_with_its_level_and_why(client, auth, staff, following):
    auth.login(staff)

    body = client.get(f"/staff/members/{following.id}").get_data(as_text=True)

    follows = section(body, "Follows")
    assert sorted(rows(follows)) == [
        "Dark mode New All activity, comments too Proposed it just now",
        "Export to CSV New Status changes and responses Voted for it just now",
        "Zapier New All activity, comments too Chose to follow it just now",
    ]
    assert "Follows 3 ideas." in follows
    assert "Gift cards" not in follows


def test_a_customer_who_follows_nothing_reads_so(client, auth, staff, customer):
    auth.login(staff)

    body = client.get(f"/staff/members/{customer.id}").get_data(as_text=True)

    assert "Follows no idea." in section(body, "Follows")
    assert "Nothing yet: the team has told them of nothing." in section(body, "What the team told them")


# What the team told them.

def test_staff_see_a_notification_and_when_its_email_went(app, client, auth, staff, following, fetch):
    move(app, staff, "Export to CSV", "planned", "On the way.")
    with app.app_context():
        drain()
    auth.login(staff)

    body = client.get(f"/staff/members/{following.id}").get_data(as_text=True)

    assert outbox_of(fetch, following) == [("sent", True)]
    [row] = told_rows(body)
    assert row.startswith("Export to CSV: moved from New to Planned: “On the way.” just now")
    assert row.endswith("Unread Emailed just now")
    assert "1 notification, 1 of it emailed." in body


def test_a_notification_without_an_email_says_why(app, client, auth, staff, following, fetch):
    set_email_mode(fetch, following, "never")
    move(app, staff, "Export to CSV", "planned")
    with app.app_context():
        drain()
    auth.login(staff)

    body = client.get(f"/staff/members/{following.id}").get_data(as_text=True)

    assert outbox_of(fetch, following) == [("skipped", False)]
    [row] = told_rows(body)
    assert row.endswith("Not emailed: they chose no email")
    assert "1 notification, 0 of it emailed." in body


def test_a_digest_readers_notification_waits_for_the_digest(app, client, auth, staff, following, fetch):
    set_email_mode(fetch, following, "digest")
    move(app, staff, "Export to CSV", "planned")
    with app.app_context():
        drain()
    auth.login(staff)

    body = client.get(f"/staff/members/{following.id}").get_data(as_text=True)

    [row] = told_rows(body)
    assert row.endswith("Unread Waiting for the daily digest")


def test_a_notification_the_worker_has_not_delivered_reads_so(app, client, auth, staff, following):
    move(app, staff, "Export to CSV", "planned")
    auth.login(staff)

    body = client.get(f"/staff/members/{following.id}").get_data(as_text=True)

    [row] = told_rows(body)
    assert row.endswith("Not delivered yet Not sent yet")


def test_a_read_notification_says_when_it_was_read(app, client, auth, staff, following):
    move(app, staff, "Export to CSV", "planned")
    with app.app_context():
        drain()
        mark_all_read(as_user(following))
        db.session.commit()
    auth.login(staff)

    body = client.get(f"/staff/members/{following.id}").get_data(as_text=True)

    [row] = told_rows(body)
    assert row.endswith("Read just now Emailed just now")


def test_a_notification_about_an_idea_hidden_since_is_marked(app, client, auth, staff, following):
    move(app, staff, "Export to CSV", "planned")
    with app.app_context():
        drain()
        hide_idea(as_user(staff), idea_named("Export to CSV"))
        db.session.commit()
    auth.login(staff)

    body = client.get(f"/staff/members/{following.id}").get_data(as_text=True)

    [row] = told_rows(body)
    assert "Hidden from them now" in row


def test_notifications_are_listed_newest_first_a_page_at_a_time(app, client, auth, staff, following,
                                                                 monkeypatch):
    monkeypatch.setattr("ideas.web.staff.HISTORY_PER_PAGE", 2)
    for status in ("under_review", "planned", "in_progress"):
        move(app, staff, "Export to CSV", status)
    with app.app_context():
        drain()
    auth.login(staff)
    url = f"/staff/members/{following.id}"

    first = client.get(url).get_data(as_text=True)
    second = client.get(f"{url}?told_page=2&follows_page=2").get_data(as_text=True)

    assert [row.split(" just now")[0] for row in told_rows(first)] == [
        "Export to CSV: moved from Planned to In progress",
        "Export to CSV: moved from Under review to Planned",
    ]
    assert f'href="/staff/members/{following.id}?told_page=2"' in first
    assert [row.split(" just now")[0] for row in told_rows(second)] == [
        "Export to CSV: moved from New to Under review"]
    assert "3 notifications, 3 of them emailed." in second
    # Paging one section keeps the page the other one is on.
    assert f'href="/staff/members/{following.id}?follows_page=2&amp;told_page=1"' in second


def test_every_reason_the_worker_gives_for_no_email_has_words(app):
    with app.app_context():
        reasons = {reason for state, reason, _ in _no_email_rules() if state == "skipped"}

    assert reasons <= set(NO_EMAIL_REASONS)


def test_the_page_runs_a_fixed_number_of_queries(app, client, auth, staff, following, make_idea,
                                                 count_queries):
    move(app, staff, "Export to CSV", "planned")
    with app.app_context():
        drain()
    auth.login(staff)
    url = f"/staff/members/{following.id}"
    with count_queries() as few:
        client.get(url)
    for number in range(4):
        idea = make_idea(title=f"More {number}", author=staff)
        with app.app_context():
            follow_idea(as_user(following), db.session.get(Idea, idea.id))
            db.session.commit()
        move(app, staff, f"More {number}", "planned")
    with app.app_context():
        drain()

    with count_queries() as many:
        body = client.get(url).get_data(as_text=True)

    assert len(told_rows(body)) == 5
    assert len(many) == len(few)


# Who may see it, and the private notes.

def test_a_member_cannot_open_a_customers_page_nor_read_their_note(client, auth, make_user, following):
    auth.login(make_user())

    response = client.get(f"/staff/members/{following.id}")

    assert response.status_code == 403
    assert NOTE not in response.get_data(as_text=True)


def test_the_customer_cannot_open_their_own_staff_page(client, auth, following):
    auth.login(following)

    response = client.get(f"/staff/members/{following.id}")

    assert response.status_code == 403
    assert NOTE not in response.get_data(as_text=True)


def test_staff_read_the_importance_and_private_note_on_the_customers_page(client, auth, staff, following):
    auth.login(staff)

    body = client.get(f"/staff/members/{following.id}").get_data(as_text=True)

    [row] = [row for row in rows(section(body, "Votes")) if "Export to CSV" in row]
    assert "Critical" in row and NOTE in row


@pytest.fixture
def company(make_company, following):
    """Northwind, Cora's company."""
    return make_company("Northwind", members=[following], plan="Enterprise", monthly_revenue="12000")


def test_staff_read_each_votes_importance_and_note_on_the_company_page(client, auth, staff, company):
    auth.login(staff)

    body = client.get(f"/staff/companies/{company.id}").get_data(as_text=True)

    votes = rows(section(body, "Their votes"))
    [critical] = [row for row in votes if "Export to CSV" in row]
    [plain] = [row for row in votes if "Gift cards" in row]
    assert "Critical" in critical and NOTE in critical
    assert "Critical" not in plain


def test_a_member_of_the_company_cannot_open_its_page(client, auth, following, company):
    auth.login(following)

    response = client.get(f"/staff/companies/{company.id}")

    assert response.status_code == 403
    assert NOTE not in response.get_data(as_text=True)


def test_notifications_never_carry_the_note(app, staff, following, fetch):
    move(app, staff, "Export to CSV", "planned")
    with app.app_context():
        drain()

    said = fetch(lambda: [notification.event.payload for notification in db.session.execute(
        select(Notification).where(Notification.user_id == following.id)).scalars()])

    assert said and all(NOTE not in payload for payload in said)
