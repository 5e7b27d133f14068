"""What staff hide stops reaching followers: inboxes, unread counts, emails and digests."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ideas.comments import add_comment
from ideas.delivery import drain, send_due_digests
from ideas.extensions import db
from ideas.following import set_follow_level
from ideas.models import Event, Idea, OutboxRow, User, utcnow
from ideas.moderation import hide_comment, hide_idea
from ideas.statuses import change_status

SECRET = "the leaked customer list is attached"


def act(app, function, *rows, **kwargs):
    """Call function(*rows, **kwargs) on freshly loaded rows, then commit, as a request does."""
    with app.app_context():
        loaded = [db.session.get(type(row), row.id) for row in rows]
        result = function(*loaded, **kwargs)
        db.session.commit()
        if isinstance(result, db.Model):  # handed back detached, ready for the next act()
            db.session.refresh(result)
            db.session.expunge(result)
        return result


def deliver(app):
    """Run the worker until nothing is due."""
    with app.app_context():
        drain()


@pytest.fixture
def world(app, smtp_server, make_user, make_idea):
    """An idea whose author hears of everything, a staff member, mail to the real SMTP server."""
    app.config.update(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port)
    author, staff, commenter = make_user(name="Ada"), make_user(role="staff"), make_user(name="Eve")
    idea = make_idea(title="Export to CSV", author=author)
    act(app, set_follow_level, author, idea, level="all")
    act(app, set_follow_level, staff, idea, level="all")
    return idea, author, staff, commenter


def inbox_page(client, auth, member):
    """The member's /notifications page."""
    auth.login(member)
    return client.get("/notifications").get_data(as_text=True)


def test_a_comment_hidden_after_it_was_delivered_leaves_the_inbox_and_the_count(
        app, client, auth, world):
    idea, author, staff, commenter = world
    comment = act(app, add_comment, commenter, idea, body=SECRET)
    deliver(app)
    act(app, hide_comment, staff, comment)

    assert SECRET not in inbox_page(client, auth, author)


def test_staff_still_see_a_hidden_comment_in_their_inbox(app, client, auth, world):
    idea, author, staff, commenter = world
    comment = act(app, add_comment, commenter, idea, body=SECRET)
    deliver(app)
    act(app, hide_comment, staff, comment)

    assert SECRET in inbox_page(client, auth, staff)


def test_a_status_note_on_an_idea_hidden_afterwards_leaves_the_inbox(app, client, auth, world):
    idea, author, staff, _ = world
    act(app, change_status, staff, idea, status="planned", note=SECRET)
    deliver(app)
    act(app, hide_idea, staff, idea)

    assert SECRET not in inbox_page(client, auth, author)


def test_the_unread_count_leaves_out_what_was_hidden(app, world, fetch):
    from ideas.notifications import unread_count

    idea, author, staff, commenter = world
    comment = act(app, add_comment, commenter, idea, body=SECRET)
    act(app, add_comment, commenter, idea, body="A fine comment")
    deliver(app)
    act(app, hide_comment, staff, comment)

    assert fetch(lambda: unread_count(db.session.get(User, author.id))) == 1
    assert fetch(lambda: unread_count(db.session.get(User, staff.id))) == 2


def test_a_comment_hidden_before_the_worker_ran_is_never_emailed(app, world, smtp_server, fetch):
    idea, author, staff, commenter = world
    comment = act(app, add_comment, commenter, idea, body=SECRET)
    act(app, hide_comment, staff, comment)

    deliver(app)

    assert [m["To"] for m in smtp_server.messages] == [staff.email]
    rows = fetch(lambda: db.session.execute(select(OutboxRow.email_state, OutboxRow.last_error)
                                            .where(OutboxRow.user_id == author.id)).all())
    assert [tuple(row) for row in rows] == [("skipped", "hidden by the team since")]


def test_a_digest_leaves_out_what_was_hidden_after_it_was_queued(app, world, smtp_server):
    idea, author, staff, commenter = world
    with app.app_context():
        db.session.execute(update(User).where(User.id == author.id).values(email_mode="digest"))
        db.session.commit()
    hidden = act(app, add_comment, commenter, idea, body=SECRET)
    act(app, add_comment, commenter, idea, body="A fine comment")
    deliver(app)
    act(app, hide_comment, staff, hidden)
    smtp_server.messages.clear()

    with app.app_context():
        tomorrow_morning = (utcnow() + timedelta(days=1)).replace(hour=9)  # after DIGEST_HOUR, UTC
        send_due_digests(now=tomorrow_morning)

    [digest] = [m for m in smtp_server.messages if m["To"] == author.email]
    text = digest.get_body(("plain",)).get_content()
    assert "A fine comment" in text and SECRET not in text


def test_an_event_on_a_hidden_idea_is_queued_for_staff_only(app, world, make_user, fetch):
    idea, author, staff, _ = world
    moderator = make_user(role="staff")
    act(app, hide_idea, moderator, idea)

    act(app, change_status, moderator, idea, status="planned", note=SECRET)

    queued = fetch(lambda: db.session.execute(
        select(OutboxRow.user_id).join(Event).where(Event.kind == "status_changed")).scalars().all())
    assert queued == [staff.id]  # the author follows too, but may not see the idea now
    assert fetch(lambda: db.session.get(Idea, idea.id).hidden_at) is not None
