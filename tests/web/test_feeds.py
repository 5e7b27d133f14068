"""Atom feeds: the board's new ideas, the roadmap's status changes, each idea's story.

Feeds show what a signed-out visitor reads, to everyone: never an internal note, a hidden or deleted
comment, or a hidden, withdrawn or unapproved idea.
"""
from datetime import timedelta
from urllib.parse import urlsplit

import feedparser
import pytest
from sqlalchemy import select

from ideas.comments import add_comment, delete_comment
from ideas.extensions import db
from ideas.models import Comment, Idea, TimelineEntry, User, utcnow
from ideas.moderation import hide_comment
from ideas.statuses import change_status

BASE = utcnow().replace(microsecond=0) - timedelta(days=1)
FEEDS = ["/feeds/ideas.atom", "/feeds/roadmap.atom"]


def minute(number):
    """A fixed moment, so the tests state the order of events rather than race the clock."""
    return BASE + timedelta(minutes=number)


def dated(app, number, make):
    """Run `make()` in an app context and date what it returns at minute `number`; its id."""
    with app.app_context():
        obj = make()
        db.session.flush()
        obj.created_at = minute(number)
        db.session.commit()
        return obj.id


def moved(app, staff, idea, status, note="", at=0):
    """Staff move the idea to `status` with a public note; the timeline entry's id."""
    def make():
        change_status(db.session.get(User, staff.id), db.session.get(Idea, idea.id), status, note)
        return db.session.execute(
            select(TimelineEntry).order_by(TimelineEntry.id.desc()).limit(1)).scalar_one()
    return dated(app, at, make)


def commented(app, author, idea, body, at=0, **kind):
    """A comment (or, with internal=/official=, a staff note or response); its id."""
    return dated(app, at, lambda: add_comment(
        db.session.get(User, author.id), db.session.get(Idea, idea.id), body, **kind))


def parse(response):
    """The feed, parsed; fails on any error feedparser reports (bozo)."""
    assert response.status_code == 200, response.get_data(as_text=True)
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    return feed


@pytest.fixture
def staff(make_user):
    """A product manager (not signed in: feeds are read signed out)."""
    return make_user(role="staff", name="Pat Product")


# The board feed.

def test_board_feed_lists_public_ideas_newest_first(client, make_user, make_idea):
    author = make_user(name="Ada Author")
    make_idea(title="Oldest", created_at=minute(1), author=author)
    newest = make_idea(title="Newest", description="Please *soon*.", created_at=minute(3), author=author)
    make_idea(title="Middle", created_at=minute(2), author=author)

    feed = parse(client.get("/feeds/ideas.atom"))

    assert [entry.title for entry in feed.entries] == ["Newest", "Middle", "Oldest"]
    entry = feed.entries[0]
    assert entry.link == f"http://localhost/ideas/{newest.id}"
    assert entry.id == f"tag:localhost,2026:idea-{newest.id}"
    assert entry.author == "Ada Author"
    assert entry.content[0].type == "text/html"
    assert entry.content[0].value == "<p>Please <em>soon</em>.</p>"
    assert entry.published == entry.updated == minute(3).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert entry.tags[0].term == "idea"


def test_board_feed_holds_the_newest_fifty(app, client, make_user):
    author = make_user()
    with app.app_context():
        for number in range(51):
            db.session.add(Idea(title=f"Idea {number}", author_id=author.id, created_at=minute(number)))
        db.session.commit()

    titles = [entry.title for entry in parse(client.get("/feeds/ideas.atom")).entries]

    assert len(titles) == 50
    assert titles[0] == "Idea 50" and titles[-1] == "Idea 1"


def test_board_feed_entry_updates_when_the_idea_is_edited(client, make_idea):
    make_idea(title="Edited", created_at=minute(1), edited_at=minute(5))

    entry = parse(client.get("/feeds/ideas.atom")).entries[0]

    assert entry.published == minute(1).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert entry.updated == minute(5).strftime("%Y-%m-%dT%H:%M:%SZ")


# The roadmap feed.

def test_roadmap_feed_lists_status_changes_newest_first(app, client, staff, make_idea):
    sync = make_idea(title="Calendar sync")
    export = make_idea(title="CSV export")
    moved(app, staff, sync, "planned", "Next quarter.", at=1)
    moved(app, staff, export, "under_review", at=2)
    latest = moved(app, staff, sync, "in_progress", "We *started*.", at=3)

    feed = parse(client.get("/feeds/roadmap.atom"))

    assert [entry.title for entry in feed.entries] == [
        "Calendar sync: Planned → In progress",
        "CSV export: New → Under review",
        "Calendar sync: New → Planned",
    ]
    entry = feed.entries[0]
    assert entry.link == f"http://localhost/ideas/{sync.id}#event-{latest}"
    assert entry.id == f"tag:localhost,2026:timeline-{latest}"
    assert entry.author == "Pat Product"
    assert entry.content[0].value == "<p>We <em>started</em>.</p>"
    assert "content" not in feed.entries[1]


def test_roadmap_feed_leaves_out_other_timeline_steps(app, client, staff, make_idea):
    idea = make_idea(title="Reworded")
    moved(app, staff, idea, "planned", at=1)
    with app.app_context():
        db.session.add(TimelineEntry(idea_id=idea.id, actor_id=staff.id, action="staff_edit",
                                     created_at=minute(2)))
        db.session.commit()

    feed = parse(client.get("/feeds/roadmap.atom"))

    assert [entry.title for entry in feed.entries] == ["Reworded: New → Planned"]


# One idea's feed.

@pytest.fixture
def story(app, staff, make_user, make_idea):
    """An idea with every kind of public and private history, each step a minute apart."""
    member = make_user(name="Mo Member")
    idea = make_idea(title="Offline mode", description="Work on the *train*.", created_at=minute(0))
    ids = {
        "comment": commented(app, member, idea, "I would use this daily.", at=1),
        "internal": commented(app, staff, idea, "Secret internal note about costs", at=2, internal=True),
        "planned": moved(app, staff, idea, "planned", "Coming in **Q3**.", at=3),
        "hidden": commented(app, member, idea, "Spam hidden by moderators", at=4),
        "deleted": commented(app, member, idea, "Deleted words of regret", at=5),
        "official": commented(app, staff, idea, "Here is our plan.", at=6, official=True),
    }
    with app.app_context():
        hide_comment(db.session.get(User, staff.id), db.session.get(Comment, ids["hidden"]))
        delete_comment(db.session.get(User, member.id), db.session.get(Comment, ids["deleted"]))
        db.session.commit()
    return idea, ids


def test_idea_feed_tells_the_public_story_newest_first(client, story):
    idea, ids = story

    feed = parse(client.get(f"/feeds/ideas/{idea.id}.atom"))

    assert [entry.title for entry in feed.entries] == [
        "Offline mode: official response by Pat Product",
        "Offline mode: New → Planned",
        "Offline mode: comment by Mo Member",
        "Offline mode",
    ]
    assert [entry.link for entry in feed.entries] == [
        f"http://localhost/ideas/{idea.id}#comment-{ids['official']}",
        f"http://localhost/ideas/{idea.id}#event-{ids['planned']}",
        f"http://localhost/ideas/{idea.id}#comment-{ids['comment']}",
        f"http://localhost/ideas/{idea.id}",
    ]
    assert [entry.content[0].value for entry in feed.entries] == [
        "<p>Here is our plan.</p>",
        "<p>Coming in <strong>Q3</strong>.</p>",
        "<p>I would use this daily.</p>",
        "<p>Work on the <em>train</em>.</p>",
    ]


def test_idea_feed_links_lead_to_the_entries_on_the_idea_page(client, story):
    idea, _ = story

    feed = parse(client.get(f"/feeds/ideas/{idea.id}.atom"))

    for entry in feed.entries:
        link = urlsplit(entry.link)
        page = client.get(link.path)
        assert page.status_code == 200
        if link.fragment:
            assert f'id="{link.fragment}"' in page.get_data(as_text=True)


def test_a_step_in_both_feeds_keeps_one_id(app, client, staff, make_idea):
    idea = make_idea(created_at=minute(0))
    moved(app, staff, idea, "planned", at=1)

    roadmap = parse(client.get("/feeds/roadmap.atom")).entries[0]
    own = parse(client.get(f"/feeds/ideas/{idea.id}.atom")).entries[0]

    assert roadmap.id == own.id and roadmap.title == own.title


def test_idea_feed_says_what_merging_did(app, client, staff, make_idea):
    from ideas.merging import merge_ideas

    survivor = make_idea(title="Survivor")
    duplicate = make_idea(title="Duplicate")
    with app.app_context():
        merge_ideas(db.session.get(User, staff.id), db.session.get(Idea, duplicate.id),
                    db.session.get(Idea, survivor.id))
        db.session.commit()

    merged = parse(client.get(f"/feeds/ideas/{duplicate.id}.atom"))
    kept = parse(client.get(f"/feeds/ideas/{survivor.id}.atom"))

    assert merged.entries[0].title == f"Duplicate: merged into #{survivor.id}"
    assert kept.entries[0].title == f"Survivor: #{duplicate.id} merged into it"


# What never reaches a feed.

SECRETS = ["Secret internal note", "Spam hidden by moderators", "Deleted words of regret",
           "Hidden idea title", "Hidden idea words", "Withdrawn idea title", "Unapproved idea title",
           "Said on a hidden idea", "Planned note"]


@pytest.fixture
def secrets(app, story, staff, make_user, make_idea):
    """Next to the story's private comments: a hidden, a withdrawn and an unapproved idea with history."""
    hidden = make_idea(title="Hidden idea title", description="Hidden idea words", hidden_at=utcnow())
    withdrawn = make_idea(title="Withdrawn idea title", withdrawn_at=utcnow())
    unapproved = make_idea(title="Unapproved idea title", awaiting_approval=True)
    with app.app_context():
        for idea in (hidden, withdrawn, unapproved):
            db.session.add(TimelineEntry(idea_id=idea.id, actor_id=staff.id, action="status",
                                         from_status="open", to_status="planned", note="Planned note",
                                         created_at=minute(9)))
        db.session.commit()
    commented(app, make_user(), hidden, "Said on a hidden idea", at=10)
    return story


@pytest.mark.parametrize("feed", [*FEEDS, "story"])
def test_private_things_never_reach_a_feed(client, secrets, feed):
    idea, _ = secrets
    url = f"/feeds/ideas/{idea.id}.atom" if feed == "story" else feed

    response = client.get(url)

    parse(response)
    xml = response.get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in xml
    assert "Offline mode" in xml


@pytest.mark.parametrize("flag", [
    {"hidden_at": utcnow()},
    {"withdrawn_at": utcnow()},
    {"awaiting_approval": True},
], ids=["hidden", "withdrawn", "awaiting-approval"])
@pytest.mark.parametrize("reader", ["visitor", "author", "staff"])
def test_feed_of_an_idea_visitors_cannot_see_is_404(client, auth, make_user, make_idea, flag, reader):
    author = make_user()
    idea = make_idea(title="Not for everyone", author=author, **flag)
    if reader != "visitor":
        # Feeds are the same for everyone: being allowed to see the page does not make a feed.
        auth.login(author if reader == "author" else make_user(role="staff"))

    response = client.get(f"/feeds/ideas/{idea.id}.atom")

    assert response.status_code == 404
    assert "Not for everyone" not in response.get_data(as_text=True)


@pytest.mark.parametrize("idea_id", [999, 2**40])
def test_feed_of_a_missing_idea_is_404(client, idea_id):
    assert client.get(f"/feeds/ideas/{idea_id}.atom").status_code == 404


# Escaping and the feed itself.

def test_markup_in_titles_is_escaped_text(app, client, staff, make_user, make_idea):
    title = "Fix <script>alert(1)</script> & friends"
    author = make_user(name="Eve <b>&</b>")
    idea = make_idea(title=title, author=author, description="<img src=x onerror=alert(1)> & more",
                     created_at=minute(0))
    moved(app, staff, idea, "planned", "<script>alert(2)</script>", at=1)
    commented(app, author, idea, "<script>alert(3)</script>", at=2)

    for url in [*FEEDS, f"/feeds/ideas/{idea.id}.atom"]:
        response = client.get(url)
        feed = parse(response)
        xml = response.get_data(as_text=True)
        assert "<script" not in xml and "<img" not in xml and "<b>" not in xml
        assert "Fix &lt;script&gt;alert(1)&lt;/script&gt; &amp; friends" in xml
        assert feed.entries[-1].title.startswith(title)
    assert feed.feed.title == f"{title} · Ideas"
    assert feed.entries[-1].author == "Eve <b>&</b>"


def test_characters_xml_forbids_do_not_break_a_feed(app, client, make_user, make_idea):
    idea = make_idea(title="Bell\x07 and\x1b escape", description="Form\x0cfeed \x01 text")
    commented(app, make_user(), idea, "Vertical\x0btab", at=1)

    for url in [*FEEDS, f"/feeds/ideas/{idea.id}.atom"]:
        parse(client.get(url))

    assert parse(client.get("/feeds/ideas.atom")).entries[0].title == "Bell and escape"


@pytest.mark.parametrize("url, title, page", [
    ("/feeds/ideas.atom", "New ideas · Acme Ideas", "http://localhost/"),
    ("/feeds/roadmap.atom", "Roadmap · Acme Ideas", "http://localhost/roadmap"),
    ("idea", "Offline mode · Acme Ideas", "http://localhost/ideas/{id}"),
])
def test_feed_says_what_it_is_and_where_it_lives(app, client, story, url, title, page):
    idea, _ = story
    app.config["SITE_NAME"] = "Acme Ideas"
    url = f"/feeds/ideas/{idea.id}.atom" if url == "idea" else url

    response = client.get(url)

    feed = parse(response).feed
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert feed.title == title
    assert feed.id.startswith("tag:localhost,2026:feed-")
    links = {link.rel: link.href for link in feed.links}
    assert links == {"self": f"http://localhost{url}", "alternate": page.format(id=idea.id)}
    assert client.get(urlsplit(links["alternate"]).path).status_code == 200


def test_feed_updated_is_its_newest_entry(client, story):
    idea, _ = story

    feeds = [parse(client.get(url)).feed for url in [*FEEDS, f"/feeds/ideas/{idea.id}.atom"]]

    assert [feed.updated for feed in feeds] == [
        minute(0).strftime("%Y-%m-%dT%H:%M:%SZ"),
        minute(3).strftime("%Y-%m-%dT%H:%M:%SZ"),
        minute(6).strftime("%Y-%m-%dT%H:%M:%SZ"),
    ]


@pytest.mark.parametrize("url", FEEDS)
def test_an_empty_feed_is_valid_and_updated_now(client, url):
    feed = parse(client.get(url))

    assert feed.entries == []
    assert abs(feed.feed.updated_parsed.tm_year - utcnow().year) <= 1


def test_feed_reader_polling_an_unchanged_feed_gets_304(client, make_idea):
    make_idea()
    first = client.get("/feeds/ideas.atom")

    again = client.get("/feeds/ideas.atom", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.data == b""


@pytest.mark.parametrize("feed", ["ideas", "roadmap", "idea"])
def test_feeds_run_a_fixed_number_of_queries(app, client, staff, make_user, make_tag, make_idea,
                                             count_queries, feed):
    """Adding entries by other people adds no query (no N+1)."""
    tag = make_tag("mobile")
    subject = make_idea(title="Subject", tags=[tag])

    statuses = iter(["planned", "open"] * 5)

    def grow(count):
        for number in range(count):
            other = make_idea(title=f"Other {number}", author=make_user(), tags=[tag])
            moved(app, staff, other, "planned", "Note", at=number)
            commented(app, make_user(), subject, f"Comment {number}", at=number)
            moved(app, make_user(role="staff"), subject, next(statuses), at=number)

    url = f"/feeds/ideas/{subject.id}.atom" if feed == "idea" else f"/feeds/{feed}.atom"
    grow(1)
    with count_queries() as few:
        parse(client.get(url))
    grow(4)
    with count_queries() as many:
        entries = parse(client.get(url)).entries

    assert len(entries) > 5
    assert len(many) == len(few) <= 5  # one reads the site's settings (its name, private mode)
