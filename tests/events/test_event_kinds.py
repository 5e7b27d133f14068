"""Every registered event kind reads right: its summary, both email parts and its webhook
payload, in every language, for every reader it tells, with the content it quotes hidden or not.

A kind added to the registry without a sample here fails the first test, so no kind ships
without being rendered once."""
import json

import pytest
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import select

from ideas.delivery import compose_notification_email
from ideas.events import (
    Announced, ChangelogPublished, CommentPosted, IdeaCreated, IdeaMerged, IdeaWithdrawn,
    OfficialResponse, StatusChanged, VoteCast, registered_kinds,
)
from ideas.events.publish import publish
from ideas.extensions import db
from ideas.following import follow_idea, set_follow_level
from ideas.links import external_url
from ideas.models import ChangelogEntry, Comment, Idea, OutboxRow, User, utcnow
from ideas.notifications import followers_of, hidden_from_member, payload_of, summary
from ideas.voting import cast_vote
from ideas.webhooks import event_body, webhook_json

LANGUAGES = ("en", "de")
TITLE = "Export <to> CSV & Excel"
NOTE = ("Next **sprint**", "<p>Next <strong>sprint</strong></p>")


def _comment(people, idea, official=False):
    author = people["staff_actor"] if official else people["commenter"]
    comment = Comment(idea_id=idea.id, author=author, body="Me **too**",
                      body_html="<p>Me <strong>too</strong></p>", official=official, created_at=utcnow())
    db.session.add(comment)
    db.session.flush()
    return comment


def _entry(people):
    entry = ChangelogEntry(title="Spring release", author_id=people["staff_actor"].id, published_at=utcnow())
    db.session.add(entry)
    db.session.flush()
    return entry


def _other_idea(people):
    now = utcnow()
    other = Idea(title="CSV export", description="", description_html="", kind="idea", status="planned",
                 author=people["author"], created_at=now, updated_at=now, status_changed_at=now)
    db.session.add(other)
    db.session.flush()
    return other


# One sample event of each kind: (people, idea) -> (typed event, the comment it quotes or None).
SAMPLES = {
    "idea_created": lambda p, idea: (IdeaCreated(p["author"], idea), None),
    "status_changed": lambda p, idea: (StatusChanged(p["staff_actor"], idea, "open", "planned", *NOTE), None),
    "comment": lambda p, idea: (lambda c: (CommentPosted(p["commenter"], idea, c), c))(
        _comment(p, idea)),
    "official_response": lambda p, idea: (lambda c: (OfficialResponse(p["staff_actor"], idea, c), c))(
        _comment(p, idea, official=True)),
    "merged": lambda p, idea: (IdeaMerged(p["staff_actor"], idea, _other_idea(p), "open", 2, 0), None),
    "vote_created": lambda p, idea: (VoteCast(p["reader"], idea, p["staff_actor"]), None),
    "withdrawn": lambda p, idea: (IdeaWithdrawn(p["author"], idea), None),
    "changelog": lambda p, idea: (ChangelogPublished(p["staff_actor"], idea, _entry(p),
                                                     followers_of([idea.id]), shipped=True), None),
    "announcement": lambda p, idea: (Announced(p["staff_actor"], idea, followers_of([idea.id]),
                                               "Fixed **next week**",
                                               "<p>Fixed <strong>next week</strong></p>"),
                                     None),
}
READERS = ("reader", "staff_reader")


def test_every_registered_kind_has_a_sample_here():
    assert sorted(kind.name for kind in registered_kinds()) == sorted(SAMPLES)


@pytest.fixture
def people(make_user):
    """The author, two readers who back and follow at "all activity", and the actors."""
    return dict(author=make_user(), reader=make_user(), staff_reader=make_user(role="staff"),
                staff_actor=make_user(role="staff"), commenter=make_user())


@pytest.fixture
def arranged(app, people, make_idea):
    """An idea both readers back and follow at every level of detail."""
    idea = make_idea(title=TITLE, author=people["author"])
    with app.app_context():
        for name in READERS:
            member = db.session.get(User, people[name].id)
            stored = db.session.get(Idea, idea.id)
            cast_vote(member, stored)
            follow_idea(member, stored)
            set_follow_level(member, stored, "all")
        db.session.commit()
    return idea


def _readers_row(event_row, member):
    if event_row is None:
        return None
    return db.session.execute(select(OutboxRow).where(OutboxRow.event_id == event_row.id,
                                                      OutboxRow.user_id == member.id)).scalar_one_or_none()


def _check_email(kind, row, member, link, language):
    """The email's subject and both parts say what the kind says, in `language`: what a member
    wrote in Markdown reads as plain words in the summary and the text part, and shows as its
    stored HTML in the HTML part, beside the summary without it."""
    member.locale = language
    message = compose_notification_email(member, [row])
    data = payload_of(row.event)
    with force_locale(language):
        said = summary(kind.name, data)
        headline = summary(kind.name, data, quoting=False)
        subject = kind.subject(data)
    assert said and "%(" not in said and subject and "%(" not in subject
    assert message["subject"] == f"[Ideas] {subject}"
    assert TITLE in message["text_body"] and said in message["text_body"] and link in message["text_body"]
    assert "**" not in said and "**" not in message["text_body"]
    assert "Export &lt;to&gt; CSV &amp; Excel" in message["html_body"] and TITLE not in message["html_body"]
    assert f'href="{link}"' in message["html_body"] and str(escape(headline)) in message["html_body"]
    markdown = [key.removesuffix("_html") for key in data if key.endswith("_html")]
    assert markdown == ([kind.quote] if markdown else []), "a kind quoting Markdown declares it as `quote`"
    for key in markdown:
        assert data[f"{key}_html"] in message["html_body"] and "**" not in message["html_body"]
    return subject


def _check_webhook(kind, event, idea_id):
    """The webhook's label reads in each language and its body is JSON naming the idea."""
    labels = set()
    for language in LANGUAGES:
        with force_locale(language):
            labels.add(str(kind.webhook.label))
            body = json.loads(event_body(kind.webhook.name, webhook_json(kind.webhook.data(event)), utcnow()))
        assert body["event"] == kind.webhook.name
        ideas = [value for value in body["data"].values() if isinstance(value, dict) and "title" in value]
        assert idea_id in [value["id"] for value in ideas]
    assert len(labels) == len(LANGUAGES)  # translated, not English twice


@pytest.mark.parametrize("hidden", ["nothing", "idea", "comment"])
@pytest.mark.parametrize("kind", registered_kinds(), ids=lambda kind: kind.name)
def test_kind_reads_right_for_every_reader_in_every_language(app, people, arranged, kind, hidden):
    with app.app_context(), app.test_request_context():
        idea = db.session.get(Idea, arranged.id)
        event, comment = SAMPLES[kind.name]({name: db.session.get(User, person.id)
                                             for name, person in people.items()}, idea)
        if hidden == "idea":
            idea.hidden_at = utcnow()
        event_row = publish(event)
        if hidden == "comment" and comment is not None:
            comment.hidden_at = utcnow()
        db.session.flush()
        if kind.webhook is not None:
            _check_webhook(kind, event, idea.id)
        if kind.audience is None:
            assert event_row is None
            return
        endpoint, values = kind.link(idea.id, payload_of(event_row))
        link = external_url(endpoint, **values)
        for name in READERS:
            member = db.session.get(User, people[name].id)
            row = _readers_row(event_row, member)
            hidden_from_them = not member.is_staff and (hidden == "idea" or (hidden == "comment" and comment))
            if hidden_from_them:
                assert row is None or db.session.execute(
                    select(hidden_from_member(event_row.id, member.id))).scalar()
                continue
            assert row is not None, f"{name} was not told"
            subjects = {_check_email(kind, row, member, link, language) for language in LANGUAGES}
            assert len(subjects) == len(LANGUAGES)  # the German subject is German
        db.session.rollback()
