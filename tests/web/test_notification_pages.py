"""The member's side of notifications: the inbox, the header count, email settings, follow level."""
import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from helpers import BOOSTED, PASSWORD, htmx_headers
from ideas.delivery import drain
from ideas.extensions import db
from ideas.comments import add_comment
from ideas.following import follow_idea, set_follow_level
from ideas import create_app
from ideas.models import Event, Follow, Idea, Notification, User, utcnow
from ideas.proposals import propose_idea
from ideas.statuses import change_status


def notify(app, staff, member, *titles):
    """For each title, in order: an idea the member follows moves to Planned; the worker delivers."""
    with app.app_context():
        actor = db.session.get(User, staff.id)
        follower = db.session.get(User, member.id)
        for title in titles:
            idea = propose_idea(actor, title)
            follow_idea(follower, idea)
            change_status(actor, idea, "planned", f"{title} is next.")
            db.session.commit()
        drain()


def inbox_items(body):
    """(title, unread?) of each notification on the page, in page order (unread ones are buttons)."""
    return [(link or button, "is-unread" in classes) for classes, link, button in re.findall(
        r'<li class="(notification[^"]*)">.*?(?:<a href="/ideas/\d+" dir="auto">([^<]*)</a>'
        r'|<button type="submit" class="link-button notification-open" dir="auto">([^<]*)</button>)',
        body, re.S)]


def notification_of(fetch, member, title):
    """The id of the member's notification about the idea titled `title`."""
    return fetch(lambda: db.session.execute(
        select(Notification.id).join(Event, Event.id == Notification.event_id)
        .join(Idea, Idea.id == Event.idea_id)
        .where(Notification.user_id == member.id, Idea.title == title)).scalar_one())


def read_titles(fetch, member):
    """The titles of the member's notifications that are read, sorted."""
    return sorted(fetch(lambda: db.session.execute(
        select(Idea.title).join(Event, Event.idea_id == Idea.id)
        .join(Notification, Notification.event_id == Event.id)
        .where(Notification.user_id == member.id, Notification.read_at.is_not(None))).scalars().all()))


def idea_id_of(fetch, title):
    """The id of the idea titled `title`."""
    return fetch(lambda: db.session.execute(select(Idea.id).where(Idea.title == title)).scalar_one())


def unread_in_db(fetch, member):
    """How many of the member's notifications are unread in the database."""
    return fetch(lambda: db.session.execute(select(func.count()).where(
        Notification.user_id == member.id, Notification.read_at.is_(None))).scalar_one())


@pytest.fixture
def staff(make_user):
    """A staff member who moves ideas."""
    return make_user(role="staff")


@pytest.fixture
def member(make_user):
    """The member whose inbox and settings the tests look at."""
    return make_user(name="Nora")


@pytest.fixture
def three_notifications(app, staff, member):
    """Alpha, Beta, Gamma moved in that order; Alpha's notification is already read."""
    notify(app, staff, member, "Alpha", "Beta", "Gamma")
    with app.app_context():
        alpha = db.session.execute(select(Notification).where(Notification.user_id == member.id)
                                   .order_by(Notification.id).limit(1)).scalar_one()
        alpha.read_at = utcnow()
        db.session.commit()


# The inbox.

def test_inbox_lists_newest_first_with_unread_marked(client, auth, member, three_notifications):
    auth.login(member)

    response = client.get("/notifications")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert inbox_items(body) == [("Gamma", True), ("Beta", True), ("Alpha", False)]
    assert "2 unread" in body
    assert "moved from New to Planned" in body and "Gamma is next." in body


def test_inbox_shows_a_note_and_a_comment_written_in_markdown_as_plain_words(app, client, auth, staff,
                                                                            member, make_user):
    commenter = make_user(name="Cleo")
    with app.app_context():
        idea = propose_idea(db.session.get(User, staff.id), "Rate limits")
        follow_idea(db.session.get(User, member.id), idea)
        set_follow_level(db.session.get(User, member.id), idea, "all")
        change_status(db.session.get(User, staff.id), idea, "planned", "Adds **per-key limits**.")
        add_comment(db.session.get(User, commenter.id), idea, "Needed _badly_, see [the docs](https://example.com).")
        db.session.commit()
        drain()
    auth.login(member)

    body = client.get("/notifications").get_data(as_text=True)

    assert "moved from New to Planned: “Adds per-key limits.”" in body
    assert "Cleo commented: “Needed badly, see the docs.”" in body
    for markdown in ("**", "_badly_", "](https://"):
        assert markdown not in body


def test_mark_all_read_marks_every_notification(client, auth, member, three_notifications, fetch):
    auth.login(member)

    response = client.post("/notifications/read")

    assert response.status_code == 303
    assert response.headers["Location"] == "/notifications"
    assert unread_in_db(fetch, member) == 0
    body = client.get("/notifications").get_data(as_text=True)
    assert inbox_items(body) == [("Gamma", False), ("Beta", False), ("Alpha", False)]
    assert "Mark all read" not in body


def test_mark_all_read_leaves_other_members_alone(app, client, auth, member, make_user, staff,
                                                  three_notifications, fetch):
    other = make_user()
    notify(app, staff, other, "Delta")
    auth.login(member)

    client.post("/notifications/read")

    assert unread_in_db(fetch, other) == 1


def test_inbox_offers_mark_all_read_only_with_unread(client, auth, member, three_notifications):
    auth.login(member)

    body = client.get("/notifications").get_data(as_text=True)

    assert '<form method="post" action="/notifications/read">' in body
    assert "Mark all read" in body


def test_empty_inbox_says_what_will_arrive_and_where_to_find_ideas_to_follow(client, auth, member):
    auth.login(member)

    body = client.get("/notifications").get_data(as_text=True)

    empty = re.search(r'<div class="empty-state" id="notifications-empty">.*?</div>', body, re.S).group(0)
    assert "No notifications yet." in empty
    assert "When an idea you follow changes status or the team answers, you hear it here." in empty
    assert "You follow the ideas you propose or back; press Follow on any other idea’s page." in empty
    assert '<a class="button" href="/">Find ideas to follow</a>' in empty
    assert "0 unread" in body


def test_unread_notifications_are_badged_unread_not_new(client, auth, member, three_notifications):
    auth.login(member)

    body = client.get("/notifications").get_data(as_text=True)

    assert body.count('<span class="badge">Unread</span>') == 2
    assert '<span class="badge">New</span>' not in body


def test_an_unread_notification_opens_through_a_post_form(client, auth, member, three_notifications,
                                                          fetch):
    gamma = notification_of(fetch, member, "Gamma")
    auth.login(member)

    body = client.get("/notifications").get_data(as_text=True)

    form = re.search(rf'<form method="post" action="/notifications/{gamma}/open" class="inline-form">'
                     r'.*?</form>', body, re.S)
    assert form and 'name="csrf_token"' in form.group(0) and ">Gamma</button>" in form.group(0)
    assert f'<a href="/ideas/{idea_id_of(fetch, "Alpha")}" dir="auto">Alpha</a>' in body


def test_opening_a_notification_marks_only_it_read_and_goes_where_it_leads(
        client, auth, member, three_notifications, fetch):
    auth.login(member)

    response = client.post(f"/notifications/{notification_of(fetch, member, 'Gamma')}/open")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/ideas/{idea_id_of(fetch, 'Gamma')}"
    assert read_titles(fetch, member) == ["Alpha", "Gamma"]
    body = client.get("/notifications").get_data(as_text=True)
    assert inbox_items(body) == [("Gamma", False), ("Beta", True), ("Alpha", False)]
    assert "1 unread" in body


def test_opening_a_notification_drops_the_header_count_by_one(client, auth, member,
                                                              three_notifications, fetch):
    auth.login(member)

    client.post(f"/notifications/{notification_of(fetch, member, 'Beta')}/open")

    count = header_count(client.get("/").get_data(as_text=True))
    assert re.search(r'class="count-badge">1<span class="visually-hidden"> unread</span>', count)
    assert unread_in_db(fetch, member) == 1


def test_opening_with_htmx_answers_a_client_redirect(client, auth, member, three_notifications, fetch):
    auth.login(member)

    response = client.post(f"/notifications/{notification_of(fetch, member, 'Beta')}/open",
                           headers=BOOSTED)

    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/ideas/{idea_id_of(fetch, 'Beta')}"
    assert read_titles(fetch, member) == ["Alpha", "Beta"]


def test_opening_a_read_notification_again_keeps_it_read(client, auth, member, three_notifications,
                                                         fetch):
    auth.login(member)

    response = client.post(f"/notifications/{notification_of(fetch, member, 'Alpha')}/open")

    assert response.status_code == 303
    assert response.headers["Location"] == f"/ideas/{idea_id_of(fetch, 'Alpha')}"
    assert read_titles(fetch, member) == ["Alpha"]


def test_opening_another_members_notification_is_not_found(app, client, auth, member, make_user,
                                                           staff, three_notifications, fetch):
    other = make_user()
    notify(app, staff, other, "Delta")
    auth.login(member)

    response = client.post(f"/notifications/{notification_of(fetch, other, 'Delta')}/open")

    assert response.status_code == 404
    assert unread_in_db(fetch, other) == 1
    assert unread_in_db(fetch, member) == 2


def test_opening_a_notification_about_a_hidden_idea_is_not_found(app, client, auth, member,
                                                                  three_notifications, fetch):
    with app.app_context():
        db.session.get(Idea, idea_id_of(fetch, "Gamma")).hidden_at = utcnow()
        db.session.commit()
    auth.login(member)

    response = client.post(f"/notifications/{notification_of(fetch, member, 'Gamma')}/open")

    assert response.status_code == 404
    assert read_titles(fetch, member) == ["Alpha"]


def test_viewing_pages_marks_nothing_read(client, auth, member, three_notifications, fetch):
    gamma = notification_of(fetch, member, "Gamma")
    auth.login(member)

    idea_page = client.get(f"/ideas/{idea_id_of(fetch, 'Gamma')}")
    open_by_get = client.get(f"/notifications/{gamma}/open")

    assert idea_page.status_code == 200
    assert open_by_get.status_code == 405
    assert unread_in_db(fetch, member) == 2


def test_opening_without_a_csrf_token_is_refused(database_url, member, three_notifications, fetch):
    gamma = notification_of(fetch, member, "Gamma")
    guarded = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    client = guarded.test_client()
    try:
        page = client.get("/auth/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                          r'name="csrf_token" value="([^"]+)"', page)
        client.post("/auth/login", data={"email": member.email, "password": PASSWORD,
                                         "csrf_token": token.group(1) or token.group(2)})
        refused = client.post(f"/notifications/{gamma}/open")
        inbox_page = client.get("/notifications").get_data(as_text=True)
    finally:
        with guarded.app_context():
            db.session.remove()
            db.engine.dispose()

    assert refused.status_code == 400
    assert unread_in_db(fetch, member) == 2
    assert "2 unread" in inbox_page  # signed in all along: only the token was missing


# The unread count in the header.

def header_count(body):
    """The header's notification link (the whole fragment)."""
    match = re.search(r'<a id="notification-count".*?</a>', body, re.S)
    assert match, "no notification count in the page"
    return match.group(0)


def test_header_shows_the_unread_count(client, auth, member, three_notifications):
    auth.login(member)

    count = header_count(client.get("/").get_data(as_text=True))

    assert re.search(r'class="count-badge">2<span class="visually-hidden"> unread</span>', count)


def test_header_has_no_badge_when_all_is_read(client, auth, member, three_notifications):
    auth.login(member)
    client.post("/notifications/read")

    count = header_count(client.get("/").get_data(as_text=True))

    assert "count-badge" not in count


def test_count_for_htmx_is_the_fragment(client, auth, member, three_notifications):
    auth.login(member)

    response = client.get("/notifications/count", headers=htmx_headers("notification-count"))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert body.strip().startswith('<a id="notification-count"')
    assert 'hx-get="/notifications/count"' in body and 'hx-trigger="every 30s"' in body
    assert 'class="count-badge">2<' in body
    assert "HX-Request" in response.headers.get("Vary", "")


def test_count_fragment_is_the_one_the_page_includes(client, auth, member, three_notifications):
    auth.login(member)

    fragment = client.get("/notifications/count", headers=htmx_headers("notification-count"))
    page = client.get("/notifications")

    assert fragment.get_data(as_text=True).strip() == header_count(page.get_data(as_text=True))


def test_count_without_htmx_sends_the_browser_to_the_inbox(client, auth, member):
    auth.login(member)

    response = client.get("/notifications/count")

    assert response.status_code == 303
    assert response.headers["Location"] == "/notifications"


def test_count_for_a_signed_out_poll_is_empty_so_polling_stops(client):
    response = client.get("/notifications/count", headers=htmx_headers("notification-count"))

    assert response.status_code == 200
    assert response.get_data(as_text=True).strip() == ""


# Email settings.

def stored_settings(fetch, member):
    """(email_mode, timezone) as stored."""
    return fetch(lambda: (lambda user: (user.email_mode, user.timezone))(db.session.get(User, member.id)))


def test_settings_page_shows_the_current_choice(client, auth, member):
    auth.login(member)

    response = client.get("/account/notifications")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert checked(body, "immediate")
    assert '<option value="Asia/Tokyo">' in body


def test_settings_save_email_mode_and_time_zone(client, auth, member, fetch):
    auth.login(member)

    response = client.post("/account/notifications",
                           data={"email_mode": "digest", "timezone": "Asia/Tokyo"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/account/notifications"
    assert stored_settings(fetch, member) == ("digest", "Asia/Tokyo")
    body = client.get("/account/notifications").get_data(as_text=True)
    assert "Your email settings are saved." in body
    assert selected(body, "Asia/Tokyo")


def test_settings_back_to_utc_clears_the_time_zone(client, auth, member, fetch):
    auth.login(member)
    client.post("/account/notifications", data={"email_mode": "digest", "timezone": "Asia/Tokyo"})

    client.post("/account/notifications", data={"email_mode": "never", "timezone": ""})

    assert stored_settings(fetch, member) == ("never", None)


def checked(body, value):
    """True when the radio button with `value` is checked."""
    return bool(re.search(rf'<input checked[^>]*value="{value}"|<input[^>]*value="{value}"[^>]*checked',
                          body))


def selected(body, value):
    """True when the option with `value` is selected."""
    return bool(re.search(rf'<option selected value="{value}">|<option value="{value}" selected>', body))


def test_a_bad_email_choice_is_refused_with_the_time_zone_kept(client, auth, member, fetch):
    auth.login(member)

    response = client.post("/account/notifications",
                           data={"email_mode": "weekly", "timezone": "Asia/Tokyo"})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please correct the fields marked below." in body
    assert selected(body, "Asia/Tokyo")
    assert stored_settings(fetch, member) == ("immediate", None)


def test_a_bad_email_choice_is_marked_on_the_form(client, auth, member):
    auth.login(member)

    response = client.post("/account/notifications",
                           data={"email_mode": "weekly", "timezone": "Asia/Tokyo"})

    assert "Not a valid choice" in response.get_data(as_text=True)


def test_a_bad_time_zone_is_refused_with_the_email_choice_kept(client, auth, member, fetch):
    auth.login(member)

    response = client.post("/account/notifications",
                           data={"email_mode": "digest", "timezone": "Mars/Olympus_Mons"})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not a valid choice" in body
    assert checked(body, "digest")
    assert stored_settings(fetch, member) == ("immediate", None)


# The follow level on an idea.

def follow_row(fetch, member, idea):
    """(following, level) of the member's follow row for the idea, or None."""
    row = fetch(lambda: db.session.get(Follow, (member.id, idea.id)))
    return None if row is None else (row.following, row.level)


def test_choosing_all_activity_answers_a_browser_with_303(client, auth, member, make_idea, fetch):
    idea = make_idea()
    auth.login(member)
    client.post(f"/ideas/{idea.id}/follow")

    response = client.post(f"/ideas/{idea.id}/follow-level", data={"level": "all"})

    assert response.status_code == 303
    assert response.headers["Location"] == f"/ideas/{idea.id}"
    assert follow_row(fetch, member, idea) == (True, "all")


def test_choosing_a_level_with_htmx_answers_the_follow_fragment(client, auth, member, make_idea,
                                                                fetch):
    idea = make_idea()
    auth.login(member)
    client.post(f"/ideas/{idea.id}/follow")

    response = client.post(f"/ideas/{idea.id}/follow-level", data={"level": "all"},
                           headers=htmx_headers(f"idea-{idea.id}-follow"))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert body.strip().startswith(f'<div class="follow" id="idea-{idea.id}-follow"')
    assert checked(body, "all")
    assert follow_row(fetch, member, idea) == (True, "all")


def test_choosing_a_level_boosted_gets_a_client_redirect(client, auth, member, make_idea):
    idea = make_idea()
    auth.login(member)

    response = client.post(f"/ideas/{idea.id}/follow-level", data={"level": "status"}, headers=BOOSTED)

    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/ideas/{idea.id}"


def test_author_follows_all_activity_and_may_narrow_it(client, auth, member, make_idea, fetch):
    idea = make_idea(author=member)
    assert follow_row(fetch, member, idea) == (True, "all")
    auth.login(member)

    client.post(f"/ideas/{idea.id}/follow-level", data={"level": "status"})

    assert follow_row(fetch, member, idea) == (True, "status")


def test_an_unknown_level_is_refused(client, auth, member, make_idea, fetch):
    idea = make_idea(author=member)
    auth.login(member)

    response = client.post(f"/ideas/{idea.id}/follow-level", data={"level": "everything"})

    assert response.status_code == 422
    assert follow_row(fetch, member, idea) == (True, "all")


# Signed out.

@pytest.mark.parametrize("method, path", [
    ("get", "/notifications"),
    ("post", "/notifications/read"),
    ("post", "/notifications/1/open"),
    ("get", "/account/notifications"),
    ("post", "/account/notifications"),
    ("post", "/ideas/{idea}/follow-level"),
])
def test_signed_out_visitors_are_sent_to_sign_in(client, make_idea, fetch, method, path):
    idea = make_idea()
    path = path.format(idea=idea.id)

    if method == "get":
        response, back = client.get(path), path
    else:  # a POST cannot be replayed: back to the page the form was on
        back = f"/ideas/{idea.id}"
        response = client.post(path, data={"level": "all", "email_mode": "never"},
                               headers={"Referer": f"http://localhost{back}"})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/auth/login?next={quote(back, safe='')}"
    assert fetch(lambda: db.session.execute(select(func.count()).select_from(Follow)).scalar_one()) == 1
