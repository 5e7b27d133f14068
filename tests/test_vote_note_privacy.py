"""A backer's private note reaches the product team only: walked through every page, feed and API
answer as other members and anonymously, every row the app writes (events, notifications, emails,
webhooks, audit), and the CSV exports."""
import pytest
from flask import url_for
from sqlalchemy import String, Text, select

from ideas import accounts, webhooks
from ideas.access.feed_tokens import feed_token
from ideas.api_keys import create_api_key
from ideas.boards import create_board
from ideas.comments import add_comment
from ideas.extensions import db
from ideas.models import (
    Announcement, ChangelogEntry, Idea, Segment, User, Vote, WebhookEndpoint, utcnow,
)
from ideas.statuses import change_status
from ideas.unsubscribe import unsubscribe_token
from ideas.vote_importance import back_idea, set_importance

MARKER = "zq-private-note-7f3a"


@pytest.fixture
def noted(app, make_user, make_idea, make_tag, make_company):
    """An idea whose backer left a note (then changed it), with everything else that happens to an
    idea around it: comments, a status change that tells followers, webhooks listening to all,
    a company, a segment, a changelog entry and an announcement. Returns ids and people."""
    author, backer = make_user(name="Ann Author"), make_user(name="Bea Backer")
    staff, admin = make_user(role="staff"), make_user(role="admin")
    tag = make_tag("sample")
    idea = make_idea(author=author, tags=[tag])
    company = make_company("Acme", members=[backer])
    with app.test_request_context():
        db.session.add(WebhookEndpoint(url="https://hooks.example.com/all", secret="s" * 32,
                                       events=" ".join(webhooks.EVENT_LABELS)))
        webhooks.store_listened_events()
        idea_row, backer_row = db.session.get(Idea, idea.id), db.session.get(User, backer.id)
        back_idea(backer_row, idea_row, "important", f"{MARKER} first")
        set_importance(backer_row, idea_row, "critical", f"{MARKER} why I need this")
        comment = add_comment(backer_row, idea_row, "Public words")
        change_status(db.session.get(User, staff.id), idea_row, "planned", "Coming soon.")
        entry = ChangelogEntry(title="Sample entry", author_id=staff.id, published_at=utcnow())
        announcement = Announcement(author_id=staff.id, message="Sample", message_html="<p>Sample</p>",
                                    target="tag", tag_id=tag.id, tag_name=tag.name)
        segment = Segment(name="Everyone", rules="[]")
        db.session.add_all([entry, announcement, segment])
        board = create_board(db.session.get(User, admin.id), {"name": "Mobile", "access": "public"})
        db.session.commit()
        ids = {"idea_id": idea.id, "comment_id": comment.id, "member_id": backer.id, "tag_id": tag.id,
               "entry_id": entry.id, "announcement_id": announcement.id, "company_id": company.id,
               "segment_id": segment.id, "board_id": board.id, "slug": board.slug, "key": "open",
               "attachment_id": 1,  # none: an image is bytes, and answers 404 here
               "endpoint_id": db.session.execute(
                   select(WebhookEndpoint.id)).scalar_one()}
    return ids, {"author": author, "backer": backer, "staff": staff}


def every_get_url(app, ids, reader):
    """A URL for every GET route of the app (pages, fragments, feeds, the API), filled with the
    sample ids; token routes get `reader`'s own tokens, so their private answers are walked too."""
    with app.test_request_context():
        member = db.session.get(User, reader.id) if reader is not None else None
        tokens = {} if member is None else {
            "auth.reset_password": accounts.password_reset_token(member),
            "auth.confirm": accounts.confirmation_token(member),
            "notifications.unsubscribe": unsubscribe_token(member)}
        urls = []
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            values = {**ids, "token": tokens.get(rule.endpoint, "not-a-token")}
            missing = [name for name in rule.arguments if name not in values]
            assert not missing, f"give the privacy walk a sample {missing} for {rule.endpoint}"
            urls.append(url_for(rule.endpoint, **{name: values[name] for name in rule.arguments}))
        if member is not None:  # the member's private feed links
            urls += [f"{url}?token={feed_token(member)}" for url in urls if url.startswith("/feeds/")]
    return urls


def walk(client, urls, headers=None):
    """The URLs whose answer (followed to its end: streamed CSV, redirects not followed) holds the marker."""
    leaked = []
    for url in urls:
        response = client.get(url, headers=headers or {})
        assert response.status_code < 500, url
        if MARKER in response.get_data(as_text=True):
            leaked.append(url)
    return leaked


@pytest.mark.parametrize("reader", ["anonymous", "author", "other member"])
def test_no_page_feed_or_api_answer_shows_a_note_to_anyone_but_staff(app, client, auth, make_user, noted,
                                                                     reader):
    ids, people = noted
    person = {"anonymous": None, "author": people["author"], "other member": make_user()}[reader]
    headers = {}
    if person is not None:
        auth.login(person)
        with app.app_context():
            _key, token = create_api_key(db.session.get(User, person.id), "walk")
            db.session.commit()
        headers = {"Authorization": f"Bearer {token}"}
    urls = every_get_url(app, ids, person)

    assert walk(client, urls) == []
    assert walk(client, [url for url in urls if url.startswith("/api/")], headers) == []
    assert len(urls) >= 60  # every GET route was visited


def test_staff_do_see_it_so_the_walk_would_notice_a_leak(client, auth, noted):
    ids, people = noted
    auth.login(people["staff"])

    assert MARKER in client.get(f"/ideas/{ids['idea_id']}").get_data(as_text=True)
    assert MARKER in client.get(f"/staff/members/{ids['member_id']}").get_data(as_text=True)


def test_the_exports_carry_no_note(client, auth, noted):
    ids, people = noted
    auth.login(people["staff"])

    for path in ("/staff/csv/ideas.csv", "/staff/csv/votes.csv"):
        response = client.get(path)
        assert response.status_code == 200
        assert MARKER not in response.get_data(as_text=True)


def test_only_the_vote_row_holds_the_note(app, noted):
    """Events, notifications, outbox and email rows, webhook deliveries, the audit log: whatever
    the note's change and the activity around it wrote, the note is in none of it."""
    with app.app_context():
        holders = []
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if (table.name, column.name) == ("votes", "note") or not isinstance(column.type,
                                                                                     (String, Text)):
                    continue
                found = db.session.execute(select(column).where(column.contains(MARKER)).limit(1)).first()
                if found is not None:
                    holders.append(f"{table.name}.{column.name}")
        assert holders == []
        assert db.session.execute(select(Vote.note)).scalar_one().startswith(MARKER)
