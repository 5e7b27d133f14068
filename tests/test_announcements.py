"""Announcements: staff tell the followers of an idea, or of a tag's ideas (of one kind), what is
being done and when; they preview it with the exact audience, and everyone who may see it reads it
on its own page."""
import json
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from ideas.announcements import announce, audience_size, choose_target
from ideas.delivery import compose_notification_email, fill_inboxes
from ideas.errors import InvalidInput
from ideas.extensions import db
from ideas.idea_references import link_references
from ideas.models import Announcement, AuditEntry, Event, Idea, Notification, OutboxRow, Tag, User, utcnow
from ideas.moderation import hide_idea
from ideas.site_settings import set_setting
from staff_writing import follow

LATER = date.today() + timedelta(days=40)


def told(fetch):
    """(member id, idea id of the event) for every outbox row of an announcement."""
    return fetch(lambda: db.session.execute(
        select(OutboxRow.user_id, Event.idea_id).join(Event, Event.id == OutboxRow.event_id)
        .where(Event.kind == "announcement").order_by(OutboxRow.id)).all())


def count(fetch, model):
    """How many rows the model's table holds."""
    return fetch(lambda: db.session.execute(select(func.count()).select_from(model)).scalar_one())


def sent(fetch):
    """The one announcement sent (detached)."""
    return fetch(lambda: db.session.execute(select(Announcement)).scalar_one())


def sent_by(app, author, message="We are on it.", **target):
    """An announcement sent through the domain; its id."""
    with app.app_context():
        if "tag" in target:
            target["tag"] = db.session.get(Tag, target["tag"].id)
        announcement = announce(db.session.get(User, author.id), message, **target)
        db.session.commit()
        return announcement.id


def email_to(app, member, announcement_id):
    """The email `member` gets about the announcement, as the worker composes it."""
    with app.app_context():
        row = db.session.execute(
            select(OutboxRow).join(Announcement, Announcement.event_id == OutboxRow.event_id)
            .where(Announcement.id == announcement_id, OutboxRow.user_id == member.id)).scalar_one()
        return compose_notification_email(db.session.get(User, member.id), [row])


@pytest.fixture
def tagged(app, make_user, make_tag, make_idea):
    """Ideas tagged "delivery" (two problems, one idea, one hidden), one tagged otherwise, and their
    followers: Ann wrote the problems, Ben follows both problems, Cat the late problem and the
    suggestion, Fay only the suggestion, Dan the other tag's idea."""
    delivery, other = make_tag("delivery"), make_tag("billing")
    people = {name: make_user(name=name) for name in ("Ann", "Ben", "Cat", "Dan", "Eli", "Fay")}
    late = make_idea(title="Parcels arrive late", kind="problem", tags=[delivery], author=people["Ann"])
    lost = make_idea(title="Parcels get lost", kind="problem", tags=[delivery], author=people["Ann"])
    lockers = make_idea(title="Parcel lockers", kind="idea", tags=[delivery], author=people["Fay"])
    hidden = make_idea(title="Hidden delivery gripe", kind="problem", tags=[delivery], author=people["Eli"],
                       hidden_at=utcnow())
    invoice = make_idea(title="Invoice PDF", tags=[other], author=people["Cat"])
    follow(app, people["Ben"], late, lost)
    follow(app, people["Cat"], late, lockers)
    follow(app, people["Dan"], invoice)
    ideas = {"late": late, "lost": lost, "lockers": lockers, "hidden": hidden, "invoice": invoice}
    return people, ideas, delivery


# Sending

def test_announcement_to_a_tag_reaches_each_follower_once(client, staff, tagged, fetch):
    people, _, _ = tagged

    response = client.post("/announcements/new", data={
        "target": "tag", "tag": "delivery", "message": "We switched **carriers**."})

    announcement = sent(fetch)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/announcements/{announcement.id}"
    per_member = Counter(fetch(lambda: db.session.execute(
        select(OutboxRow.user_id).where(OutboxRow.event_id == announcement.event_id)).scalars().all()))
    # Ann wrote two of the ideas and Ben follows two: each hears once. Dan follows another tag;
    # Eli's idea is hidden, so it is not among the ideas everyone sees with that tag.
    assert per_member == {people[name].id: 1 for name in ("Ann", "Ben", "Cat", "Fay")}
    assert (announcement.target, announcement.tag_name, announcement.idea_kind) == ("tag", "delivery", None)
    assert announcement.recipient_count == 4
    assert announcement.message_html.strip() == "<p>We switched <strong>carriers</strong>.</p>"
    event = fetch(lambda: db.session.get(Event, announcement.event_id))
    payload = json.loads(event.payload)
    assert (event.kind, payload["message"], payload["announcement_id"]) == (
        "announcement", "We switched **carriers**.", announcement.id)
    audit = fetch(lambda: db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "announcement.sent")).scalar_one())
    assert (audit.actor_id, audit.target_type, audit.target_id) == (
        staff.id, "announcements", announcement.id)


def test_announcement_to_one_idea_reaches_its_followers(client, staff, tagged, fetch):
    people, ideas, _ = tagged

    response = client.post("/announcements/new", data={
        "target": "idea", "idea": f"#{ideas['invoice'].id}", "message": "PDFs are coming."})

    assert response.status_code == 303
    assert sorted(told(fetch)) == sorted([(people["Cat"].id, ideas["invoice"].id),
                                          (people["Dan"].id, ideas["invoice"].id)])


def test_the_kind_filter_reaches_only_the_followers_of_that_kind(client, staff, tagged, fetch):
    people, _, _ = tagged

    response = client.post("/announcements/new", data={
        "target": "tag", "tag": "delivery", "kind": "problem", "message": "New carrier from Monday."})

    assert response.status_code == 303
    # Fay follows only the suggestion (her own); Cat follows a problem as well, so she hears.
    assert {member for member, _ in told(fetch)} == {people[name].id for name in ("Ann", "Ben", "Cat")}
    assert (sent(fetch).idea_kind, sent(fetch).recipient_count) == ("problem", 3)


def test_the_kind_filter_is_only_for_a_tag(app, team_member, tagged):
    _, ideas, _ = tagged
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        choose_target(idea_id=ideas["late"].id, kind="problem")

    assert "kind" in refused.value.fields


def test_the_expected_day_is_kept(client, staff, tagged, fetch):
    client.post("/announcements/new", data={"target": "tag", "tag": "delivery", "message": "Soon.",
                                            "expected_on": LATER.isoformat()})

    assert sent(fetch).expected_on == LATER


def test_a_refused_member_sends_nothing(client, auth, make_user, make_idea, fetch):
    idea = make_idea()
    auth.login(make_user())

    response = client.post("/announcements/new",
                           data={"target": "idea", "idea": str(idea.id), "message": "Hi"})

    assert response.status_code == 403
    assert count(fetch, Event) == 0 and count(fetch, Announcement) == 0


@pytest.mark.parametrize("data, field_error", [
    ({"target": "idea", "idea": "abc"}, "Type the idea&#39;s number, e.g. 12."),
    ({"target": "idea", "idea": "9999"}, "There is no idea #9999."),
    ({"target": "tag", "tag": ""}, "Choose a tag from the list."),
    ({"target": "tag", "tag": "no-such-tag"}, "Choose a tag from the list."),
    ({"target": "tag", "tag": "empty"}, "Nobody follows that yet"),
    ({"target": "tag", "tag": "delivery", "kind": "praise"}, "Nobody follows that yet"),
    ({"target": "tag", "tag": "delivery", "kind": "complaint"}, "Not a valid choice"),
    ({"target": "idea", "idea": "1", "message": " "}, "Write the message first."),
    ({"target": "idea", "idea": "1", "message": "x" * 5_001}, "5,000"),
    ({"target": "tag", "tag": "delivery", "expected_on": "2001-01-01"}, "Choose today or a later day"),
    ({"target": "tag", "tag": "delivery", "expected_on": "next week"}, "Not a valid date value."),
], ids=["not-a-number", "unknown-idea", "no-tag", "unknown-tag", "nobody-follows", "nobody-of-that-kind",
        "unknown-kind", "no-message", "too-long", "day-past", "not-a-day"])
@pytest.mark.parametrize("action", ["send", "preview"])
def test_bad_announcement_is_422_and_keeps_the_form(client, staff, tagged, make_tag, fetch, data,
                                                     field_error, action):
    make_tag("empty")
    data = {"message": "Typed message stays", "action": action, **data}

    response = client.post("/announcements/new", data=data)

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error in body
    if data["message"].strip():
        assert data["message"][:100] in body
    if data.get("expected_on"):
        assert f'value="{data["expected_on"]}"' in body
    assert "This will reach" not in body
    assert count(fetch, Announcement) == 0
    assert told(fetch) == []


def test_tag_rename_keeps_the_announcement_as_sent(app, client, staff, tagged):
    _, _, delivery = tagged
    client.post("/announcements/new", data={"target": "tag", "tag": "delivery", "message": "Hello"})
    with app.app_context():
        db.session.get(Tag, delivery.id).name = "shipping"
        db.session.commit()

    listing = client.get("/announcements").get_data(as_text=True)

    assert "News about #delivery" in listing and 'href="/?tag=shipping"' in listing


# Preview

def test_preview_shows_the_message_and_whom_it_reaches_and_sends_nothing(client, staff, tagged, fetch):
    _, ideas, _ = tagged

    response = client.post("/announcements/new", data={
        "action": "preview", "target": "tag", "tag": "delivery", "kind": "problem",
        "message": f"Better **carriers**, see #{ideas['late'].id}.", "expected_on": LATER.isoformat()})

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This will reach 3 people." in body
    assert "Better <strong>carriers</strong>" in body
    assert f'href="http://localhost/ideas/{ideas["late"].id}"' in body
    assert "News about #delivery" in body and f'<time datetime="{LATER.isoformat()}">' in body
    # What was typed stays, and the send button says how many it tells.
    assert "Better **carriers**" in body and '<option selected value="problem">' in body
    assert f'value="{LATER.isoformat()}"' in body
    assert 'name="action" value="send"' in body and "Send to 3 people" in body
    assert count(fetch, Announcement) == 0 and count(fetch, Event) == 0 and count(fetch, OutboxRow) == 0


def test_the_form_offers_preview_before_send(client, staff):
    body = client.get("/announcements/new").get_data(as_text=True)

    assert 'name="action" value="preview"' in body and 'value="send"' not in body


@pytest.mark.parametrize("target", [
    {"target": "tag", "tag": "delivery"},
    {"target": "tag", "tag": "delivery", "kind": "problem"},
    {"target": "tag", "tag": "delivery", "kind": "idea"},
    {"target": "idea", "idea": "late"},
], ids=["tag", "tag-problems", "tag-ideas", "idea"])
def test_the_preview_count_is_the_number_told(app, client, auth, tagged, fetch, target):
    people, ideas, _ = tagged
    # The sender is staff and follows the late parcels: never counted, never told.
    sender = people["Cat"]
    with app.app_context():
        db.session.get(User, sender.id).role = "staff"
        db.session.commit()
    auth.login(sender)
    if "idea" in target:
        target = {**target, "idea": str(ideas[target["idea"]].id)}
    data = {"message": "Counting.", **target}

    preview = client.post("/announcements/new", data={**data, "action": "preview"}).get_data(as_text=True)
    client.post("/announcements/new", data={**data, "action": "send"})

    announcement = sent(fetch)
    outbox = fetch(lambda: db.session.execute(
        select(func.count()).select_from(OutboxRow).where(OutboxRow.event_id == announcement.event_id)
    ).scalar_one())
    promised = int(preview.split("This will reach ")[1].split(" ")[0])
    assert promised == announcement.recipient_count == outbox
    assert sender.id not in {member for member, _ in told(fetch)}


def test_the_audience_counts_each_member_once_and_never_the_sender(app, team_member, tagged):
    people, ideas, delivery = tagged
    with app.app_context():
        actor, tag = db.session.get(User, people["Ann"].id), db.session.get(Tag, delivery.id)
        actor.role = "staff"

        assert audience_size(actor, choose_target(tag=tag)) == 3  # Ben, Cat, Fay
        assert audience_size(db.session.get(User, team_member.id), choose_target(tag=tag)) == 4


# Who may do what

@pytest.mark.parametrize("actor", ["anonymous", "member", "staff", "admin"])
@pytest.mark.parametrize("method, route, data, status", [
    ("GET", "/announcements/new", {}, 200),
    ("POST", "/announcements/new", {"target": "idea", "idea": "{idea}", "message": "Sent by the matrix",
                                    "action": "preview"}, 200),
    ("POST", "/announcements/new", {"target": "idea", "idea": "{idea}", "message": "Sent by the matrix"},
     303),
], ids=["form", "preview", "send"])
def test_only_staff_write_announcements(app, client, auth, make_user, make_idea, fetch, method, route,
                                        data, status, actor):
    idea = make_idea()  # its author follows it: someone to tell
    if actor != "anonymous":
        auth.login(make_user(role=actor))

    response = client.open(route, method=method,
                           data={name: value.format(idea=idea.id) for name, value in data.items()})

    if actor == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
    elif actor == "member":
        assert response.status_code == 403
    else:
        assert response.status_code == status, response.get_data(as_text=True)[:2000]
    sent_one = actor in ("staff", "admin") and status == 303
    assert count(fetch, Announcement) == (1 if sent_one else 0)
    if sent_one:  # audited with the text it was sent
        assert fetch(lambda: db.session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.after.contains("Sent by the matrix"))).scalar_one()) == 1


@pytest.mark.parametrize("private", [False, True], ids=["public-site", "private-site"])
@pytest.mark.parametrize("actor", ["anonymous", "member", "staff", "admin"])
def test_everyone_who_may_see_the_board_reads_announcements(app, client, auth, make_user, team_member,
                                                            tagged, actor, private):
    _, ideas, delivery = tagged
    to_tag = sent_by(app, team_member, "For the #delivery followers.", tag=delivery)
    to_idea = sent_by(app, team_member, "For the lockers.", idea_id=ideas["lockers"].id)
    if private:
        with app.app_context():
            set_setting("private_mode", "1")
            db.session.commit()
    if actor != "anonymous":
        auth.login(make_user(role=actor))

    responses = [client.get(url) for url in
                 ("/announcements", f"/announcements/{to_tag}", f"/announcements/{to_idea}")]

    if private and actor == "anonymous":
        assert all(response.status_code == 302 for response in responses)
        assert all(response.headers["Location"].startswith("/auth/login") for response in responses)
        return
    assert [response.status_code for response in responses] == [200, 200, 200]
    listing = responses[0].get_data(as_text=True)
    assert "For the #delivery followers." in listing and "For the lockers." in listing
    assert "News about #delivery" in responses[1].get_data(as_text=True)
    assert "News about “<bdi>Parcel lockers</bdi>”" in responses[2].get_data(as_text=True)
    # Staff also read how many each reached; others do not.
    assert ("Reached 4 members" in listing) == (actor in ("staff", "admin"))
    assert ("Write an announcement" in listing) == (actor in ("staff", "admin"))


@pytest.mark.parametrize("hide", ["hidden", "withdrawn"])
def test_an_announcement_about_an_idea_the_reader_may_not_see_is_404(app, client, auth, make_user,
                                                                     team_member, tagged, hide):
    people, ideas, delivery = tagged
    about_idea = sent_by(app, team_member, "Lockers in May.", idea_id=ideas["lockers"].id)
    to_tag = sent_by(app, team_member, "Carriers in May.", tag=delivery)
    with app.app_context():
        idea = db.session.get(Idea, ideas["lockers"].id)
        if hide == "hidden":
            hide_idea(db.session.get(User, team_member.id), idea)
        else:
            idea.withdrawn_at = utcnow()
        db.session.commit()

    for who in (None, people["Fay"], make_user()):  # a visitor, the idea's author, another member
        if who is not None:
            auth.login(who)
        assert client.get(f"/announcements/{about_idea}").status_code == 404
        listing = client.get("/announcements").get_data(as_text=True)
        assert "Lockers in May." not in listing and "Parcel lockers" not in listing
        assert "Carriers in May." in listing
        assert client.get(f"/announcements/{to_tag}").status_code == 200
    auth.login(make_user(role="staff"))
    assert client.get(f"/announcements/{about_idea}").status_code == 200
    assert "Lockers in May." in client.get("/announcements").get_data(as_text=True)


@pytest.mark.parametrize("role", [None, "member", "staff"])
def test_the_list_runs_a_fixed_number_of_queries(app, client, auth, make_user, team_member, tagged,
                                                 count_queries, role):
    """More announcements, to ideas and to tags, add no query (no N+1)."""
    _, ideas, delivery = tagged
    if role:
        auth.login(make_user(role=role))

    def grow(count):
        for number in range(count):
            sent_by(app, team_member, f"Idea news {number}", idea_id=ideas["late"].id)
            sent_by(app, team_member, f"Tag news {number}", tag=delivery)

    grow(1)
    with count_queries() as few:
        client.get("/announcements")
    grow(4)
    with count_queries() as many:
        assert "Tag news 3" in client.get("/announcements").get_data(as_text=True)

    assert len(many) == len(few)


@pytest.mark.parametrize("announcement_id", ["0", "9999", "99999999999"])
def test_a_missing_announcement_is_404(client, announcement_id):
    assert client.get(f"/announcements/{announcement_id}").status_code == 404


def test_the_changelog_links_the_announcements(client):
    body = client.get("/changelog").get_data(as_text=True)

    assert 'href="/announcements"' in body


def test_the_page_shows_the_expected_day_and_whom_it_was_for(app, client, team_member, tagged):
    _, _, delivery = tagged
    announcement_id = sent_by(app, team_member, "New carrier.", tag=delivery, kind="problem",
                              expected_on=date(2031, 3, 14))

    body = client.get(f"/announcements/{announcement_id}").get_data(as_text=True)

    assert 'Expected: <time datetime="2031-03-14">14 March 2031</time>' in body
    assert "To everyone who follows a problem tagged" in body
    assert 'href="/?tag=delivery&amp;kind=problem"' in body


# What members read: email and in-app

def test_a_tag_announcement_email_names_the_topic_and_why(app, team_member, tagged):
    people, ideas, delivery = tagged
    announcement_id = sent_by(app, team_member, "We switched **carriers**, see #{}.".format(ideas["late"].id),
                              tag=delivery, expected_on=date(2031, 3, 14))

    email = email_to(app, people["Fay"], announcement_id)

    link = f"http://localhost/announcements/{announcement_id}"
    late = ideas["late"].id
    idea_link = f'<a href="http://localhost/ideas/{late}" rel="nofollow ugc noopener">#{late}</a>'
    assert email["subject"] == "[Ideas] News about #delivery"
    for part in ("text_body", "html_body"):
        assert "You get this because you follow an idea tagged #delivery." in email[part]
        assert "this idea" not in email[part] and "has news" not in email[part]
        assert link in email[part]
    assert f"We switched carriers, see #{late}. (expected 14 March 2031)" in email["text_body"]
    assert "**" not in email["text_body"]
    assert "<strong>carriers</strong>" in email["html_body"] and idea_link in email["html_body"]
    assert "Expected: 14 March 2031" in email["html_body"]


def test_a_problem_announcement_says_you_follow_a_problem(app, team_member, tagged):
    people, _, delivery = tagged
    announcement_id = sent_by(app, team_member, "Soon.", tag=delivery, kind="problem")

    email = email_to(app, people["Ben"], announcement_id)

    assert "You get this because you follow a problem tagged #delivery." in email["text_body"]


def test_an_idea_announcement_email_names_the_idea(app, team_member, tagged):
    people, ideas, _ = tagged
    announcement_id = sent_by(app, team_member, "Lockers in May.", idea_id=ideas["lockers"].id)

    email = email_to(app, people["Cat"], announcement_id)

    assert email["subject"] == "[Ideas] News about “Parcel lockers”"
    assert "You get this because you follow this idea." in email["text_body"]
    assert f"http://localhost/announcements/{announcement_id}" in email["text_body"]


def test_the_in_app_notification_reads_plain_words_and_leads_to_the_page(app, client, auth, team_member,
                                                                         tagged):
    people, _, delivery = tagged
    announcement_id = sent_by(app, team_member, "We switched **carriers**.", tag=delivery,
                              expected_on=date(2031, 3, 14))
    with app.app_context():
        fill_inboxes()
    auth.login(people["Ben"])

    body = client.get("/notifications").get_data(as_text=True)

    assert "We switched carriers. (expected 14 March 2031)" in body and "**" not in body
    assert "#delivery" in body
    opened = client.post(f"/notifications/{_only_notification(app, people['Ben'])}/open")
    assert opened.headers["Location"].endswith(f"/announcements/{announcement_id}")


def _only_notification(app, member):
    """The id of the one notification in the member's inbox."""
    with app.app_context():
        return db.session.execute(
            select(Notification.id).where(Notification.user_id == member.id)).scalar_one()


def test_only_ideas_everyone_sees_are_linked_in_the_message(app, team_member, tagged, fetch):
    _, ideas, delivery = tagged
    hidden, late = ideas["hidden"].id, ideas["late"].id
    announcement_id = sent_by(app, team_member, f"See #{late} and #{hidden}, not `#{late}`.", tag=delivery)

    html = fetch(lambda: db.session.get(Announcement, announcement_id).message_html)

    assert f'href="http://localhost/ideas/{late}"' in html
    assert f"/ideas/{hidden}" not in html and f"#{hidden}" in html
    assert f"<code>#{late}</code>" in html


@pytest.mark.parametrize("html, linked", [
    ("<p>See #12.</p>", '<p>See <a href="/ideas/12" rel="nofollow ugc noopener">#12</a>.</p>'),
    ('<p><a href="https://x.example/#12" rel="nofollow ugc noopener">#12</a></p>',
     '<p><a href="https://x.example/#12" rel="nofollow ugc noopener">#12</a></p>'),
    ("<pre><code>#12\n</code></pre>", "<pre><code>#12\n</code></pre>"),
    ("<p>a#12 C#12 /#12</p>", "<p>a#12 C#12 /#12</p>"),
    ('<p><a href="/" title="x &gt; #12" rel="nofollow ugc noopener">go</a> #3</p>',
     '<p><a href="/" title="x &gt; #12" rel="nofollow ugc noopener">go</a> '
     '<a href="/ideas/3" rel="nofollow ugc noopener">#3</a></p>'),
], ids=["text", "inside-a-link", "inside-code", "part-of-a-word", "inside-an-attribute"])
def test_idea_references_are_linked_only_in_plain_text(html, linked):
    assert link_references(html, lambda number: f"/ideas/{number}") == linked
