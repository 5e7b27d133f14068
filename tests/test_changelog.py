"""The changelog: staff tell customers what became of their ideas, each once (announcements:
test_announcements.py)."""
import json
from collections import Counter
from datetime import timedelta

import feedparser
import pytest
from flask import render_template_string
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value

from ideas.changelog import create_entry, publish_entry, shipped_in
from ideas.comments import add_comment
from ideas.errors import Conflict
from ideas.extensions import db
from ideas.following import follow_idea, unfollow_idea
from ideas.models import AuditEntry, ChangelogEntry, Event, Idea, OutboxRow, TimelineEntry, User, utcnow
from ideas.moderation import hide_idea
from staff_writing import follow

LOGIN = "login"


def told(fetch, kind):
    """(member id, idea id of the event) for every outbox row of events of `kind`."""
    return fetch(lambda: db.session.execute(
        select(OutboxRow.user_id, Event.idea_id).join(Event, Event.id == OutboxRow.event_id)
        .where(Event.kind == kind).order_by(OutboxRow.id)).all())


def published(app, author, title, ideas=(), body="", at=None, mark_shipped=False):
    """An entry published through the domain (dated `at`, when given); its id."""
    with app.app_context():
        actor = db.session.get(User, author.id)
        entry = create_entry(actor, title, body, [idea.id for idea in ideas])
        publish_entry(actor, entry, mark_shipped=mark_shipped, link=f"/changelog/{entry.id}")
        if at is not None:
            entry.published_at = at
        db.session.commit()
        return entry.id


def count(fetch, model):
    """How many rows the model's table holds."""
    return fetch(lambda: db.session.execute(select(func.count()).select_from(model)).scalar_one())


def parse(response):
    """The feed, parsed; fails on any error feedparser reports (bozo)."""
    assert response.status_code == 200, response.get_data(as_text=True)
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


def entry_form(**fields):
    return {"title": "Faster exports", "body": "Exports now take *seconds*.", "ideas": "",
            "date": "", "mark_shipped": "y", "action": "publish", **fields}


# Publishing an entry.

@pytest.fixture
def delivered(app, make_user, make_idea):
    """Three ideas an entry delivers, and who follows which."""
    people = {name: make_user(name=name) for name in ("Ada", "Bo", "Cy", "Di", "Eve", "Fay", "Gus")}
    ideas = {
        "export": make_idea(title="Faster CSV export", author=people["Ada"], status="in_progress"),
        "filters": make_idea(title="Saved filters", author=people["Bo"], status="planned"),
        "search": make_idea(title="Search in notes", author=people["Cy"], status="shipped"),
    }
    follow(app, people["Di"], ideas["export"], ideas["filters"], ideas["search"])  # follows all three
    follow(app, people["Eve"], ideas["filters"])
    follow(app, people["Ada"], ideas["filters"])  # an author following another linked idea
    with app.app_context():
        gus, export = db.session.get(User, people["Gus"].id), db.session.get(Idea, ideas["export"].id)
        follow_idea(gus, export)
        unfollow_idea(gus, export)
        db.session.commit()
    return people, ideas


def test_publishing_ships_the_linked_ideas_and_tells_each_follower_once(client, staff, delivered, fetch):
    people, ideas = delivered
    numbers = f"{ideas['export'].id}, #{ideas['filters'].id} {ideas['search'].id}"

    response = client.post("/changelog/new", data=entry_form(ideas=numbers))

    assert response.status_code == 303
    entry = fetch(lambda: db.session.execute(select(ChangelogEntry)).scalar_one())
    assert response.headers["Location"] == f"/changelog/{entry.id}"
    assert entry.published_at is not None
    assert entry.body_html.strip() == "<p>Exports now take <em>seconds</em>.</p>"
    statuses = fetch(lambda: {i.id: i.status for i in db.session.execute(select(Idea)).scalars()})
    assert set(statuses.values()) == {"shipped"}
    steps = fetch(lambda: db.session.execute(
        select(TimelineEntry.idea_id, TimelineEntry.from_status, TimelineEntry.to_status,
               TimelineEntry.note_html).order_by(TimelineEntry.id)).all())
    # The idea already shipped gets no second step.
    assert [step[:3] for step in steps] == [(ideas["export"].id, "in_progress", "shipped"),
                                            (ideas["filters"].id, "planned", "shipped")]
    assert f'<a href="/changelog/{entry.id}" rel="nofollow ugc noopener">Faster exports</a>' in steps[0][3]

    rows = told(fetch, "changelog")
    counts = Counter(user for user, _ in rows)
    expected = {people[name].id for name in ("Ada", "Bo", "Cy", "Di", "Eve")}
    assert set(counts) == expected and set(counts.values()) == {1}
    # Each hears of an idea they follow, the first linked one when they follow several.
    assert dict(rows)[people["Di"].id] == ideas["export"].id
    assert dict(rows)[people["Eve"].id] == ideas["filters"].id
    # The status change is not told a second time for the same step.
    assert told(fetch, "status_changed") == []
    assert fetch(lambda: db.session.execute(
        select(func.count()).select_from(Event).where(Event.kind == "status_changed")).scalar_one()) == 2


def test_changelog_news_carries_the_entry(client, staff, delivered, fetch):
    _, ideas = delivered

    client.post("/changelog/new", data=entry_form(ideas=str(ideas["export"].id)))

    event = fetch(lambda: db.session.execute(select(Event).where(Event.kind == "changelog")).scalar_one())
    entry_id = fetch(lambda: db.session.execute(select(ChangelogEntry.id)).scalar_one())
    payload = json.loads(event.payload)
    assert (payload["entry_title"], payload["entry_id"], payload["title"]) == (
        "Faster exports", entry_id, "Faster CSV export")


def test_publishing_without_shipping_keeps_statuses_and_still_tells(client, staff, delivered, fetch):
    people, ideas = delivered

    client.post("/changelog/new", data=entry_form(ideas=str(ideas["filters"].id), mark_shipped=""))

    assert fetch(lambda: db.session.get(Idea, ideas["filters"].id).status) == "planned"
    assert count(fetch, TimelineEntry) == 0
    assert sorted(user for user, _ in told(fetch, "changelog")) == sorted(
        people[name].id for name in ("Ada", "Bo", "Di", "Eve"))


def test_a_draft_tells_nobody_until_it_is_published(client, staff, delivered, fetch):
    people, ideas = delivered

    client.post("/changelog/new", data=entry_form(ideas=str(ideas["export"].id), action="draft"))
    entry_id = fetch(lambda: db.session.execute(select(ChangelogEntry.id)).scalar_one())

    assert fetch(lambda: db.session.get(ChangelogEntry, entry_id).published_at) is None
    assert told(fetch, "changelog") == []
    assert fetch(lambda: db.session.get(Idea, ideas["export"].id).status) == "in_progress"

    response = client.post(f"/changelog/{entry_id}/edit",
                           data=entry_form(ideas=str(ideas["export"].id), action="publish"))

    assert response.status_code == 303
    assert fetch(lambda: db.session.get(Idea, ideas["export"].id).status) == "shipped"
    assert sorted(user for user, _ in told(fetch, "changelog")) == sorted(
        [people["Ada"].id, people["Di"].id])


def test_an_entry_can_be_dated_in_the_past_and_redated(app, client, staff, fetch):
    published(app, staff, "Recent entry")

    client.post("/changelog/new", data=entry_form(title="Back-dated entry", date="2020-05-04"))
    entry_id = fetch(lambda: db.session.execute(
        select(ChangelogEntry.id).where(ChangelogEntry.title == "Back-dated entry")).scalar_one())

    page = client.get("/changelog").get_data(as_text=True)
    assert page.index(">Recent entry</a>") < page.index(">Back-dated entry</a>")
    assert '<time datetime="2020-05-04">4 May 2020</time>' in page
    client.post(f"/changelog/{entry_id}/edit",
                data=entry_form(title="Back-dated entry", date="2021-06-07", action="save"))
    assert str(fetch(lambda: db.session.get(ChangelogEntry, entry_id).published_at.date())) == "2021-06-07"


def test_an_entry_is_published_once(app, team_member, delivered, fetch):
    _, ideas = delivered
    with app.app_context():
        actor = db.session.get(User, team_member.id)
        entry = create_entry(actor, "Once", "", [ideas["export"].id])
        db.session.commit()
        publish_entry(actor, entry)
        db.session.commit()
        # As a second request that read the draft before the first one committed sees it.
        stale = db.session.get(ChangelogEntry, entry.id)
        set_committed_value(stale, "published_at", None)
        with pytest.raises(Conflict):
            publish_entry(actor, stale)
        db.session.rollback()

    assert len(told(fetch, "changelog")) == 2


def test_ideas_added_to_a_published_entry_tell_only_those_not_told(client, staff, delivered, fetch):
    people, ideas = delivered
    client.post("/changelog/new", data=entry_form(ideas=str(ideas["export"].id)))
    entry_id = fetch(lambda: db.session.execute(select(ChangelogEntry.id)).scalar_one())
    before = len(told(fetch, "changelog"))

    response = client.post(f"/changelog/{entry_id}/edit", data=entry_form(
        ideas=f"{ideas['export'].id}, {ideas['filters'].id}", action="save"))

    assert response.status_code == 303
    later = told(fetch, "changelog")[before:]
    # Ada and Di heard of the entry already through the export idea.
    assert sorted(user for user, _ in later) == sorted([people["Bo"].id, people["Eve"].id])
    assert fetch(lambda: db.session.get(Idea, ideas["filters"].id).status) == "shipped"


def test_publishing_is_in_the_audit_log(client, staff, delivered, fetch):
    _, ideas = delivered

    client.post("/changelog/new", data=entry_form(ideas=str(ideas["export"].id)))

    actions = fetch(lambda: db.session.execute(
        select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all())
    assert actions == ["changelog.created", "changelog.published", "idea.status_changed"]


# Reading the changelog.

def test_changelog_lists_published_entries_newest_first_with_their_ideas(app, client, team_member,
                                                                          make_idea):
    idea = make_idea(title="Dark mode")
    now = utcnow()
    published(app, team_member, "Older entry", at=now - timedelta(days=3))
    newest = published(app, team_member, "Newest entry", ideas=[idea], body="**Bold** words",
                       at=now - timedelta(days=1))
    with app.app_context():
        create_entry(db.session.get(User, team_member.id), "Secret draft", "", [])
        db.session.commit()

    page = client.get("/changelog").get_data(as_text=True)

    assert page.index("Newest entry") < page.index("Older entry")
    assert "Secret draft" not in page
    assert f'href="/changelog/{newest}"' in page and f'href="/ideas/{idea.id}"' in page
    assert "<strong>Bold</strong> words" in page
    assert 'type="application/atom+xml" title="Changelog' in page
    one = client.get(f"/changelog/{newest}")
    assert one.status_code == 200 and "Dark mode" in one.get_data(as_text=True)


def test_a_draft_is_404_except_for_staff(app, client, auth, team_member, make_user):
    with app.app_context():
        entry = create_entry(db.session.get(User, team_member.id), "Draft entry", "", [])
        db.session.commit()
        entry_id = entry.id

    assert client.get(f"/changelog/{entry_id}").status_code == 404
    auth.login(make_user())
    assert client.get(f"/changelog/{entry_id}").status_code == 404
    auth.login(team_member)
    assert client.get(f"/changelog/{entry_id}").status_code == 200
    assert "Draft entry" in client.get("/changelog").get_data(as_text=True)


@pytest.mark.parametrize("entry_id", [999, 2**40])
def test_a_missing_entry_is_404(client, entry_id):
    assert client.get(f"/changelog/{entry_id}").status_code == 404


def test_shipped_in_names_the_entry_that_shipped_the_idea(app, team_member, make_idea, fetch):
    shipped = make_idea(title="Shipped one", status="in_progress")
    linked_only = make_idea(title="Only mentioned", status="planned")
    entry_id = published(app, team_member, "Release 2", ideas=[shipped], mark_shipped=True)
    published(app, team_member, "Mentions", ideas=[linked_only])

    assert fetch(lambda: shipped_in(db.session.get(Idea, shipped.id)).id) == entry_id
    assert fetch(lambda: shipped_in(db.session.get(Idea, linked_only.id))) is None
    # Templates have it too, for the idea page's "Shipped in …" line.
    with app.test_request_context():
        line = render_template_string(
            "{% set entry = shipped_in(idea) %}"
            "<a href=\"{{ url_for('changelog.show', entry_id=entry.id) }}\">{{ entry.title }}</a> "
            "{{ entry.published_at|changelog_date }}",
            idea=db.session.get(Idea, shipped.id))
    assert line.startswith(f'<a href="/changelog/{entry_id}">Release 2</a> <time datetime="')


def test_entry_body_is_sanitised(client, staff, fetch):
    client.post("/changelog/new", data=entry_form(
        body='<script>alert(1)</script> [x](javascript:alert(2)) <b onclick="x()">b</b>'))

    html = fetch(lambda: db.session.execute(select(ChangelogEntry.body_html)).scalar_one())
    page = client.get("/changelog").get_data(as_text=True)
    assert "<script" not in html and 'href="javascript' not in html and "<b onclick" not in html
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


# Bad input.

@pytest.fixture
def unlinkable(app, team_member, make_idea):
    """Ideas that cannot be linked: merged, withdrawn, hidden; and one that can."""
    from ideas.merging import merge_ideas

    good = make_idea(title="Good idea")
    survivor = make_idea(title="Survivor")
    merged = make_idea(title="Duplicate")
    with app.app_context():
        merge_ideas(db.session.get(User, team_member.id), db.session.get(Idea, merged.id),
                    db.session.get(Idea, survivor.id))
        db.session.commit()
    withdrawn = make_idea(title="Withdrawn", withdrawn_at=utcnow())
    hidden = make_idea(title="Hidden", hidden_at=utcnow())
    return {"good": good.id, "survivor": survivor.id, "merged": merged.id, "withdrawn": withdrawn.id,
            "hidden": hidden.id}


@pytest.mark.parametrize("fields, message", [
    ({"ideas": "{good}, 9999"}, "There is no idea #9999."),
    ({"ideas": "{good}, 99999999999"}, "There is no idea #99999999999."),
    ({"ideas": "{merged}"}, "was merged into #{survivor}: use that one."),
    ({"ideas": "{withdrawn}"}, "was withdrawn by its author."),
    ({"ideas": "{hidden}"}, "is not public."),
    ({"ideas": "{good}, twelve"}, "“twelve” is not an idea number"),
    ({"title": "   "}, "Give the entry a title."),
    ({"title": "x" * 151}, "At most 150 characters: this has 151, 1 too many."),
    ({"date": "2999-01-01"}, "Choose today or an earlier date"),
    ({"date": "yesterday"}, "Not a valid date value."),
], ids=["unknown", "huge", "merged", "withdrawn", "hidden", "not-a-number", "no-title", "long-title",
        "future", "bad-date"])
def test_bad_entry_input_is_422_and_keeps_the_form(client, staff, unlinkable, fetch, fields, message):
    fields = {name: value.format(**unlinkable) for name, value in fields.items()}
    data = entry_form(body="Typed *body* stays", **fields)

    response = client.post("/changelog/new", data=data)

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message.format(**unlinkable) in body
    assert "Typed *body* stays" in body
    if "ideas" in fields:
        assert f'value="{fields["ideas"]}"' in body
    assert count(fetch, ChangelogEntry) == 0
    assert fetch(lambda: db.session.get(Idea, unlinkable["good"]).status) == "open"
    assert told(fetch, "changelog") == []


def test_a_refused_edit_keeps_the_form_and_the_entry(app, client, staff, unlinkable, fetch):
    good = fetch(lambda: db.session.get(Idea, unlinkable["good"]))
    entry_id = published(app, staff, "Release", ideas=[good])

    response = client.post(f"/changelog/{entry_id}/edit", data=entry_form(
        title="Renamed", ideas=f"{good.id}, 9999", action="save"))

    assert response.status_code == 422
    assert 'value="Renamed"' in response.get_data(as_text=True)
    assert fetch(lambda: db.session.get(ChangelogEntry, entry_id).title) == "Release"


# Who may write.

# (method, route, valid form, what a success answers); {entry} and {idea} are filled in.
STAFF_ROUTES = [
    ("GET", "/changelog/new", {}, 200),
    ("POST", "/changelog/new", entry_form(title="Sent by the matrix"), 303),
    ("GET", "/changelog/{entry}/edit", {}, 200),
    ("POST", "/changelog/{entry}/edit", entry_form(title="Sent by the matrix", action="save"), 303),
]


@pytest.mark.parametrize("actor", ["anonymous", "member", "staff", "admin"])
@pytest.mark.parametrize("method, route, data, status", STAFF_ROUTES,
                         ids=[f"{method} {route}" for method, route, _, _ in STAFF_ROUTES])
def test_only_staff_write_the_changelog(app, client, auth, team_member, make_user, make_idea, fetch,
                                        method, route, data, status, actor):
    entry_id = published(app, team_member, "Release")
    ids = {"entry": entry_id, "idea": make_idea().id}  # its author follows it: someone to tell
    if actor != "anonymous":
        auth.login(make_user(role=actor))

    response = client.open(route.format(**ids), method=method,
                           data={name: value.format(**ids) for name, value in data.items()})

    if actor == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
    elif actor == "member":
        assert response.status_code == 403
    else:
        assert response.status_code == status, response.get_data(as_text=True)[:2000]
        if method == "POST":  # each write is audited with the text it was sent
            assert fetch(lambda: db.session.execute(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.after.contains("Sent by the matrix"))).scalar_one()) == 1


def test_a_refused_member_writes_nothing(client, auth, make_user, make_idea, fetch):
    idea = make_idea()
    auth.login(make_user())

    client.post("/changelog/new", data=entry_form(ideas=str(idea.id)))

    assert count(fetch, Event) == 0
    assert fetch(lambda: db.session.get(Idea, idea.id).status) == "open"


# What never reaches the changelog or its feed.

def test_internal_notes_and_hidden_ideas_never_reach_the_changelog(app, client, team_member, make_user,
                                                                   make_idea):
    public = make_idea(title="Public idea")
    later_hidden = make_idea(title="Later hidden idea")
    with app.app_context():
        add_comment(db.session.get(User, team_member.id), db.session.get(Idea, public.id),
                    "Secret internal note about costs", internal=True)
        db.session.commit()
    entry_id = published(app, team_member, "Release", ideas=[public, later_hidden], mark_shipped=True)
    with app.app_context():
        hide_idea(db.session.get(User, team_member.id), db.session.get(Idea, later_hidden.id))
        create_entry(db.session.get(User, team_member.id), "Draft about pricing", "", [])
        db.session.commit()

    for url in ("/changelog", f"/changelog/{entry_id}", "/feeds/changelog.atom"):
        text = client.get(url).get_data(as_text=True)
        assert "Public idea" in text
        for secret in ("Secret internal note", "Later hidden idea", "Draft about pricing"):
            assert secret not in text, (url, secret)


# The Atom feed.

def test_changelog_feed_lists_published_entries_newest_first(app, client, team_member, make_idea):
    idea = make_idea(title="Dark <mode> & more")
    now = utcnow().replace(microsecond=0)
    older = published(app, team_member, "Older", at=now - timedelta(days=2))
    newer = published(app, team_member, "Newer", ideas=[idea], body="Now *faster*.",
                      at=now - timedelta(days=1))

    feed = parse(client.get("/feeds/changelog.atom"))

    assert [entry.title for entry in feed.entries] == ["Newer", "Older"]
    entry = feed.entries[0]
    assert entry.id == f"tag:localhost,2026:changelog-{newer}"
    assert entry.link == f"http://localhost/changelog/{newer}"
    assert entry.author == "Pat Product"
    assert entry.published == (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    content = entry.content[0].value
    assert content.startswith("<p>Now <em>faster</em>.</p>")
    link = f'<a href="http://localhost/ideas/{idea.id}">#{idea.id} Dark &lt;mode&gt; &amp; more</a>'
    assert link in content
    assert feed.entries[1].id == f"tag:localhost,2026:changelog-{older}"
    assert "content" not in feed.entries[1]
    assert feed.feed.title == "Changelog · Ideas"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"self": "http://localhost/feeds/changelog.atom", "alternate": "http://localhost/changelog"}


def test_an_empty_changelog_feed_is_valid(client):
    assert parse(client.get("/feeds/changelog.atom")).entries == []


def test_changelog_pages_and_feed_run_a_fixed_number_of_queries(app, client, team_member, make_idea,
                                                                 count_queries):
    """More entries with more ideas add no query (no N+1)."""
    def grow(count):
        for number in range(count):
            ideas = [make_idea(title=f"Idea {number}.{n}") for n in range(2)]
            published(app, team_member, f"Entry {number}", ideas=ideas)

    grow(1)
    with count_queries() as few:
        client.get("/changelog")
        parse(client.get("/feeds/changelog.atom"))
    grow(4)
    with count_queries() as many:
        client.get("/changelog")
        assert len(parse(client.get("/feeds/changelog.atom")).entries) == 5

    assert len(many) == len(few)
