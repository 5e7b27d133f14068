"""Replies: one level under a comment, told to the comment's author and the idea's followers of
all activity, following the idea at all activity, readable under a hidden or deleted comment."""
import pytest
from sqlalchemy import select

from helpers import htmx_headers, run_worker
from ideas.comments import add_comment, delete_comment
from ideas.errors import InvalidInput, NotAllowed
from ideas.extensions import db
from ideas.following import set_follow_level
from ideas.models import Comment, Event, Follow, Idea, OutboxRow, User
from ideas.moderation import hide_comment
from ideas.notifications import inbox, link_target, payload_of, summary


@pytest.fixture
def conversation(app, make_user, make_idea):
    """An idea by its author, a comment on it by a commenter; ids of (idea, comment, author,
    commenter, replier)."""
    author, commenter, replier = make_user(name="Ada Author"), make_user(name="Cem Commenter"), make_user(
        name="Rui Replier")
    idea = make_idea(author=author)
    with app.test_request_context():
        comment = add_comment(db.session.get(User, commenter.id), db.session.get(Idea, idea.id), "First!")
        db.session.commit()
        return dict(idea=idea.id, comment=comment.id, author=author.id, commenter=commenter.id,
                    replier=replier.id, replier_user=replier)


def reply(app, ids, body="Agreed, and more", who="replier", to="comment"):
    with app.test_request_context():
        posted = add_comment(db.session.get(User, ids[who]), db.session.get(Idea, ids["idea"]), body,
                             parent=db.session.get(Comment, ids[to]))
        db.session.commit()
        return posted.id


def test_a_reply_is_stored_under_its_comment_and_counted(app, conversation):
    reply_id = reply(app, conversation)

    with app.app_context():
        stored = db.session.get(Comment, reply_id)
        assert stored.parent_id == conversation["comment"]
        assert db.session.get(Idea, conversation["idea"]).comment_count == 2


def test_a_reply_to_a_reply_goes_under_the_same_comment(app, conversation):
    conversation["first_reply"] = reply(app, conversation)

    second = reply(app, conversation, "Replying to the reply", who="author", to="first_reply")

    with app.app_context():
        assert db.session.get(Comment, second).parent_id == conversation["comment"]


def test_replying_follows_the_idea_at_all_activity(app, conversation):
    reply(app, conversation)

    with app.app_context():
        follow = db.session.get(Follow, (conversation["replier"], conversation["idea"]))
        assert (follow.following, follow.level, follow.reason) == (True, "all", "reply")


def test_a_commenter_following_status_changes_hears_all_activity_once_they_reply(app, conversation):
    with app.app_context():
        assert db.session.get(Follow, (conversation["commenter"], conversation["idea"])).level == "status"

    reply(app, conversation, who="commenter")

    with app.app_context():
        assert db.session.get(Follow, (conversation["commenter"], conversation["idea"])).level == "all"


def test_a_members_own_choice_of_what_to_hear_stays_when_they_reply(app, conversation):
    with app.test_request_context():
        set_follow_level(db.session.get(User, conversation["replier"]),
                         db.session.get(Idea, conversation["idea"]), "status")
        db.session.commit()

    reply(app, conversation)

    with app.app_context():
        assert db.session.get(Follow, (conversation["replier"], conversation["idea"])).level == "status"


def test_the_comments_author_is_told_of_a_reply_even_following_status_only(app, conversation):
    reply(app, conversation, "Yes — and offline too")

    with app.app_context():
        told = set(db.session.execute(
            select(OutboxRow.user_id).join(Event, Event.id == OutboxRow.event_id)
            .where(Event.kind == "reply")).scalars())
    # The commenter follows status changes only; the idea's author follows all activity.
    assert told == {conversation["commenter"], conversation["author"]}


def test_the_reply_notice_quotes_the_reply_and_leads_to_it(app, conversation):
    reply_id = reply(app, conversation, "Yes — and offline too")
    run_worker(app)

    with app.test_request_context():
        notices = db.session.execute(inbox(db.session.get(User, conversation["commenter"]))).scalars().all()
        event = notices[0].event
        data = payload_of(event)
        assert summary(event.kind, data) == "Rui Replier replied to Cem Commenter: “Yes — and offline too”"
        assert link_target(event, data)[1]["_anchor"] == f"comment-{reply_id}"


def test_nobody_is_told_twice_of_one_reply(app, conversation):
    reply(app, conversation, who="author")

    with app.app_context():
        rows = db.session.execute(select(OutboxRow.user_id).join(Event, Event.id == OutboxRow.event_id)
                                  .where(Event.kind == "reply")).scalars().all()
    assert rows == [conversation["commenter"]]


def test_a_reply_to_a_comment_on_another_idea_is_refused(app, conversation, make_idea):
    other = make_idea(title="Another idea")
    with app.test_request_context(), pytest.raises(InvalidInput):
        add_comment(db.session.get(User, conversation["replier"]), db.session.get(Idea, other.id), "Lost",
                    parent=db.session.get(Comment, conversation["comment"]))


def test_a_deleted_comment_takes_no_new_reply(app, conversation):
    with app.test_request_context():
        delete_comment(db.session.get(User, conversation["commenter"]),
                       db.session.get(Comment, conversation["comment"]))
        db.session.commit()

    with app.test_request_context(), pytest.raises(NotAllowed):
        add_comment(db.session.get(User, conversation["replier"]), db.session.get(Idea, conversation["idea"]),
                    "Too late", parent=db.session.get(Comment, conversation["comment"]))


def test_members_cannot_reply_to_an_internal_note(app, conversation, make_user):
    staff = make_user(role="staff")
    with app.test_request_context():
        note = add_comment(db.session.get(User, staff.id), db.session.get(Idea, conversation["idea"]),
                           "Check with sales", internal=True)
        db.session.commit()
        with pytest.raises(NotAllowed):
            add_comment(db.session.get(User, conversation["replier"]),
                        db.session.get(Idea, conversation["idea"]), "Peeking", parent=note)


def test_a_staff_reply_to_an_internal_note_is_internal_and_tells_nobody(app, conversation, make_user):
    staff, colleague = make_user(role="staff"), make_user(role="staff")
    with app.test_request_context():
        note = add_comment(db.session.get(User, staff.id), db.session.get(Idea, conversation["idea"]),
                           "Check with sales", internal=True)
        answer = add_comment(db.session.get(User, colleague.id), db.session.get(Idea, conversation["idea"]),
                             "Sales say yes", parent=note)
        db.session.commit()
        assert answer.internal is True
        assert db.session.get(Idea, conversation["idea"]).comment_count == 1
        assert db.session.execute(select(Event.id).where(Event.kind == "reply")).first() is None


# The pages

@pytest.fixture
def replier(auth, conversation):
    auth.login(conversation["replier_user"])
    return conversation["replier_user"]


def test_the_idea_page_offers_a_reply_link_under_each_comment(client, conversation, replier):
    page = client.get(f"/ideas/{conversation['idea']}").get_data(as_text=True)

    assert f'href="/comments/{conversation["comment"]}/reply"' in page
    assert f'id="reply-form-{conversation["comment"]}"' in page


def test_visitors_see_replies_but_no_reply_link(app, client, conversation):
    reply(app, conversation, "Visible to all")

    page = client.get(f"/ideas/{conversation['idea']}").get_data(as_text=True)

    assert "Visible to all" in page and f'id="replies-{conversation["comment"]}"' in page
    assert "/reply" not in page


def test_replying_without_javascript_posts_and_leads_to_the_reply(app, client, conversation, replier):
    form = client.get(f"/comments/{conversation['comment']}/reply")
    assert form.status_code == 200 and "First!" in form.get_data(as_text=True)

    response = client.post(f"/comments/{conversation['comment']}/reply",
                           data={f"reply-{conversation['comment']}-body": "Posted without JavaScript"})

    with app.app_context():
        posted = db.session.execute(
            select(Comment).where(Comment.parent_id == conversation["comment"])).scalar_one()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/ideas/{conversation['idea']}#comment-{posted.id}"
    assert posted.body == "Posted without JavaScript"


def test_an_empty_reply_comes_back_with_422_and_stores_nothing(app, client, conversation, replier):
    field = f"reply-{conversation['comment']}-body"
    response = client.post(f"/comments/{conversation['comment']}/reply", data={field: "   "})

    assert response.status_code == 422
    assert "Write something first." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(Comment.id).where(Comment.parent_id.is_not(None))).first() is None


def test_a_too_long_reply_keeps_what_was_typed(app, client, conversation, replier):
    field = f"reply-{conversation['comment']}-body"
    typed = "x" * 5_001
    response = client.post(f"/comments/{conversation['comment']}/reply", data={field: typed})

    assert response.status_code == 422
    assert typed in response.get_data(as_text=True)


def test_htmx_opens_the_reply_form_in_place(client, conversation, replier):
    slot = f"reply-form-{conversation['comment']}"
    response = client.get(f"/comments/{conversation['comment']}/reply", headers=htmx_headers(slot))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith("<form") and "<html" not in body


def test_htmx_reply_answers_the_discussion_with_the_reply_in_place(client, conversation, replier):
    field = f"reply-{conversation['comment']}-body"
    response = client.post(f"/comments/{conversation['comment']}/reply", data={field: "In place reply"},
                           headers=htmx_headers("comments"))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="comments"')
    replies = body[body.index(f'id="replies-{conversation["comment"]}"'):]
    assert "In place reply" in replies


def test_a_refused_htmx_reply_goes_back_into_its_own_place(client, conversation, replier):
    field = f"reply-{conversation['comment']}-body"
    response = client.post(f"/comments/{conversation['comment']}/reply", data={field: ""},
                           headers=htmx_headers("comments"))

    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == f"#reply-form-{conversation['comment']}"
    assert "Write something first." in response.get_data(as_text=True)


def test_replies_stay_readable_under_a_comment_a_moderator_hid(app, client, conversation, make_user):
    reply(app, conversation, "Still worth reading")
    staff = make_user(role="staff")
    with app.test_request_context():
        hide_comment(db.session.get(User, staff.id), db.session.get(Comment, conversation["comment"]))
        db.session.commit()

    page = client.get(f"/ideas/{conversation['idea']}").get_data(as_text=True)

    assert "First!" not in page
    assert "Comment hidden by a moderator" in page and "Still worth reading" in page


def test_replies_stay_readable_under_a_deleted_comment(app, client, conversation):
    reply(app, conversation, "Context survives")
    with app.test_request_context():
        delete_comment(db.session.get(User, conversation["commenter"]),
                       db.session.get(Comment, conversation["comment"]))
        db.session.commit()

    page = client.get(f"/ideas/{conversation['idea']}").get_data(as_text=True)

    assert "Comment deleted" in page and "Context survives" in page


def test_visitors_cannot_reply(client, conversation):
    response = client.post(f"/comments/{conversation['comment']}/reply", data={"body": "anon"})

    assert response.status_code in (302, 303, 401)


def test_the_reply_email_shows_the_comment_it_answers(mail_app, smtp_server, conversation):
    reply(mail_app, conversation, "Yes — and offline too")

    run_worker(mail_app)

    replies = [message for message in smtp_server.messages if "replied" in message["Subject"]]
    assert replies
    html = replies[0].get_body(("html",)).get_content()
    text = replies[0].get_body(("plain",)).get_content()
    assert "Cem Commenter wrote:" in html and "First!" in html and "Yes — and offline too" in html
    assert "In reply to Cem Commenter:" in text and "#comment-" in text


def test_the_reply_box_asks_for_mention_suggestions_by_its_own_name(client, conversation, replier):
    field = f"reply-{conversation['comment']}-body"
    slot = f"mention-suggestions-reply-{conversation['comment']}"

    form = client.get(f"/comments/{conversation['comment']}/reply").get_data(as_text=True)
    response = client.get(f"/ideas/{conversation['idea']}/mentions", query_string={field: "Thanks @cem"},
                          headers=htmx_headers(slot))

    assert f'hx-params="{field}"' in form and f'id="{slot}"' in form
    assert response.status_code == 200 and "@cem_commenter" in response.get_data(as_text=True)
