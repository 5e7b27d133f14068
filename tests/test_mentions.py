"""Handles and @mentions (ideas/handles.py, ideas/mentions.py): the handle rule, handles derived
from names on every insert, whom a writer may mention (never someone who may not see the idea, a
suspended member, or themselves), what a comment's Markdown mentions, and the notice the
mentioned members get in-app and by email through the real worker and SMTP server."""
import pytest
from sqlalchemy import insert, select

from ideas.accounts import add_passwordless_accounts
from ideas.boards import move_idea
from ideas.comments import add_comment
from ideas.errors import InvalidInput
from ideas.extensions import db
from ideas.following import follow_idea, set_follow_level
from ideas.handles import (
    change_handle, check_handle, derive_handle, fill_missing_handles, handle_stem, normalise_handle,
)
from ideas.mentions import (
    handles_in, mention_candidates, mentioned_in, partial_mention, suggestions,
)
from ideas.moderation import suspend_member
from ideas.models import Board, Comment, Event, Idea, Notification, OutboxRow, User, utcnow
from ideas.voting import cast_vote

from helpers import run_worker
from test_boards import _board, people  # noqa: F401  (the fixture)

BASE_URL = "https://ideas.example.test"


# The handle rule

@pytest.mark.parametrize("typed, stored", [
    ("ada", "ada"), ("@Ada_L", "ada_l"), ("  grace2  ", "grace2"), ("x" * 30, "x" * 30),
])
def test_a_handle_of_letters_digits_or_underscore_is_accepted_lower_case(app, typed, stored):
    with app.app_context():
        assert check_handle(typed) == stored


@pytest.mark.parametrize("typed", ["", "a", "x" * 31, "ada lovelace", "adà", "ada-l", "__", "ada\x00"])
def test_a_handle_of_other_shapes_is_refused_in_plain_words(app, typed):
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        check_handle(typed)
    assert refused.value.fields["handle"] == "Handles are 2 to 30 letters, digits or _."


@pytest.mark.parametrize("word", ["all", "staff", "team", "admin", "here", "Everyone"])
def test_reserved_words_are_no_ones_handle(app, word):
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        check_handle(word)
    assert "reserved" in refused.value.fields["handle"]


def test_a_taken_handle_is_refused_but_its_holder_may_keep_it(app, make_user):
    ada = make_user(name="Ada Lovelace")
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            check_handle("ADA_LOVELACE")
        assert refused.value.fields["handle"] == "That handle is taken."
        assert check_handle("ada_lovelace", db.session.get(User, ada.id)) == "ada_lovelace"


def test_changing_a_handle_stores_it_lower_case(app, make_user):
    ada = make_user(name="Ada Lovelace")
    with app.app_context():
        change_handle(db.session.get(User, ada.id), "@CountessAda")
        db.session.commit()
        assert db.session.get(User, ada.id).handle == "countessada"


# Derived handles

@pytest.mark.parametrize("name, stem", [
    ("Ada Lovelace", "ada_lovelace"), ("Zoë O'Brien-Smith", "zoe_o_brien_smith"), ("  J  ", "member"),
    ("李小龍", "member"), ("A very long name that goes on and on", "a_very_long_name_that_go"),
    ("__Grace__", "grace"),
])
def test_a_name_gives_the_stem_migration_0026_gave(name, stem):
    assert handle_stem(name) == stem
    assert normalise_handle(stem) == stem


def test_new_members_get_a_handle_from_their_name_with_a_number_on_collision(make_user):
    first, second, third = (make_user(name="Ada Lovelace") for _ in range(3))
    assert [first.handle, second.handle, third.handle] == ["ada_lovelace", "ada_lovelace2", "ada_lovelace3"]


def test_a_name_that_is_a_reserved_word_gets_a_number(make_user):
    assert make_user(name="Admin").handle == "admin2"


def test_members_added_in_one_flush_get_distinct_handles(app):
    with app.app_context():
        chosen = User(name="Grace Hopper", email="chosen@example.com", handle="grace_hopper")
        others = [User(name="Grace Hopper", email=f"grace{i}@example.com") for i in range(2)]
        db.session.add_all([*others, chosen])
        db.session.commit()
        handles = {user.email: user.handle for user in (chosen, *others)}
    assert handles["chosen@example.com"] == "grace_hopper"
    assert sorted(handles.values()) == ["grace_hopper", "grace_hopper2", "grace_hopper3"]


def test_derive_handle_skips_handles_already_chosen(app, make_user):
    make_user(name="Ada")
    with app.app_context():
        assert derive_handle("Ada") == "ada2"
        assert derive_handle("Ada", also_taken={"ada2"}) == "ada3"


@pytest.mark.parametrize("count", [3, 60])  # a few accounts read by prefix; many, every handle once
def test_accounts_inserted_in_bulk_get_handles_after(app, make_user, count):
    make_user(name="Bulk Person")
    with app.app_context():
        rows = [dict(email=f"bulk{i}@example.com", name="Bulk Person", role="member", created_at=utcnow())
                for i in range(count)]
        db.session.execute(insert(User), rows)
        assert fill_missing_handles() == count
        db.session.commit()
        handles = db.session.execute(select(User.handle).where(User.name == "Bulk Person")).scalars().all()
    assert None not in handles and len(set(handles)) == count + 1
    assert "bulk_person" in handles and f"bulk_person{count + 1}" in handles


def test_passwordless_accounts_get_handles(app):
    with app.app_context():
        made = add_passwordless_accounts({"kim@example.com": "Kim", "kim@example.org": "Kim"}, utcnow())
        db.session.commit()
        handles = {db.session.get(User, made[email]).handle for email in made}
    assert handles == {"kim", "kim2"}


# What a comment mentions

@pytest.mark.parametrize("body, handles", [
    ("Thanks @ada!", {"ada"}),
    ("@Ada and (@grace_h), @bob.", {"ada", "grace_h", "bob"}),
    ("Write to ada@example.com or me@ada", set()),
    ("Not `@ada` here", set()),
    ("```\n@ada in a fence\n```\nbut @grace outside", {"grace"}),
    ("    @ada in an indented block", set()),
    ("**@ada** and _@grace_", {"ada", "grace"}),
    ("@a is too short, @" + "x" * 31 + " too long", set()),
    ("line one\n@ada on line two", {"ada"}),
])
def test_mentions_are_read_from_prose_not_code_nor_addresses(body, handles):
    assert handles_in(body) == handles


@pytest.mark.parametrize("typed, partial", [
    ("Thanks @ad", "ad"), ("Thanks @", ""), ("@Gr", "gr"), ("Thanks ", None), ("mail ada@ex", None),
    ("no mention", None),
])
def test_the_word_being_typed_is_the_last_at_word(typed, partial):
    assert partial_mention(typed) == partial


def test_a_search_of_one_bare_word_is_that_word():
    assert partial_mention("Gra", bare=True) == "gra"
    assert partial_mention("two words", bare=True) is None


# Whom a writer may mention

def _candidates(app, writer, idea, **kwargs):
    with app.app_context():
        member, loaded = db.session.get(User, writer.id), db.session.get(Idea, idea.id)
        statement = mention_candidates(member, loaded, **kwargs)
        return {user.name for user in db.session.execute(statement).scalars()}


def test_the_author_commenters_backers_and_staff_may_be_mentioned(app, discussion):
    assert _candidates(app, discussion["dee"], discussion["idea"]) == {"Ada Lovelace", "Bea", "Cy", "Sam"}


def test_writers_do_not_mention_themselves(app, discussion):
    assert "Ada Lovelace" not in _candidates(app, discussion["ada"], discussion["idea"])


def test_suspended_members_may_not_be_mentioned(app, discussion):
    with app.app_context():
        suspend_member(db.session.get(User, discussion["sam"].id), db.session.get(User, discussion["cy"].id))
        db.session.commit()
    assert _candidates(app, discussion["ada"], discussion["idea"]) == {"Bea", "Sam"}


def test_an_internal_note_mentions_the_team_only(app, discussion):
    assert _candidates(app, discussion["sam"], discussion["idea"], internal=True) == set()
    with app.app_context():
        sam, idea = db.session.get(User, discussion["sam"].id), db.session.get(Idea, discussion["idea"].id)
        ids = mentioned_in(sam, idea, "@ada @bea", internal=True)
    assert ids == []


def test_a_commenter_whose_comment_is_hidden_no_longer_counts(app, discussion):
    with app.app_context():
        comments = select(Comment).where(Comment.idea_id == discussion["idea"].id)
        for row in db.session.execute(comments).scalars():
            row.hidden_at = utcnow()
        db.session.commit()
    assert "Bea" not in _candidates(app, discussion["dee"], discussion["idea"])


def test_members_who_cannot_see_the_ideas_board_may_not_be_mentioned(app, admin, make_idea, people):  # noqa: F811
    """Free and Enterprise both back the idea; once it is on the Enterprise board only Enterprise
    (and staff) may be mentioned, and only they are told."""
    board_id, _slug = _board(app, admin, name="Enterprise programme", access="chosen",
                             segments=["Enterprise"])
    idea = make_idea(title="Single sign-on")
    with app.test_request_context():
        loaded = db.session.get(Idea, idea.id)
        for person in (people["enterprise"], people["free"]):
            cast_vote(db.session.get(User, person.id), loaded)
        move_idea(db.session.get(User, admin.id), loaded, db.session.get(Board, board_id))
        db.session.commit()
    writer = people["enterprise"]
    # Finn (Free) backs it but may no longer see it; its author, outside the segment, neither.
    assert _candidates(app, writer, idea) == {"Avery Admin"}
    assert _candidates(app, people["loner"], idea) == {"Erin", "Avery Admin"}
    with app.test_request_context():
        loaded = db.session.get(Idea, idea.id)
        ids = mentioned_in(db.session.get(User, writer.id), loaded, f"@{people['free'].handle} @avery_admin")
    assert ids == [admin.id]


def test_suggestions_match_handle_or_name_from_the_start_of_a_word(app, discussion, make_user):
    with app.app_context():
        writer, idea = db.session.get(User, discussion["dee"].id), db.session.get(Idea, discussion["idea"].id)
        assert [user.handle for user in suggestions(writer, idea, "B")] == ["bea"]
        assert [user.handle for user in suggestions(writer, idea, "")] == ["ada", "bea", "cy", "sam"]
        assert [user.handle for user in suggestions(writer, idea, "", limit=2)] == ["ada", "bea"]
        assert suggestions(writer, idea, "dee") == []  # took no part
        assert suggestions(writer, idea, "%") == []


# The notice

@pytest.fixture
def mail(app, smtp_server):
    """`app` sends its email to the real SMTP server in this process."""
    app.config.update(MAIL_SERVER=smtp_server.host, MAIL_PORT=smtp_server.port, BASE_URL=BASE_URL)
    return smtp_server


def _comment_and_mention(app, writer, idea, body):
    with app.app_context():
        member, loaded = db.session.get(User, writer.id), db.session.get(Idea, idea.id)
        comment = add_comment(member, loaded, body)  # which tells whom it mentions
        db.session.commit()
        return comment.id


def _told(app, kind):
    with app.app_context():
        told = select(Notification.user_id).join(Event, Event.id == Notification.event_id)
        return set(db.session.execute(told.where(Event.kind == kind)).scalars())


def test_the_mentioned_members_and_only_they_are_told_in_app_and_by_email(app, mail, discussion):
    comment_id = _comment_and_mention(app, discussion["dee"], discussion["idea"],
                                      "@ada and @sam, see `@bea`; @dee is me and @nobody_here is nobody")
    run_worker(app)
    assert _told(app, "mentioned") == {discussion["ada"].id, discussion["sam"].id}
    to = {message["To"]: message for message in mail.messages}
    assert set(to) == {discussion["ada"].email, discussion["sam"].email}
    message = to[discussion["ada"].email]
    assert message["Subject"].endswith("Dee mentioned you on “Add a dark mode”")
    text = message.get_body(("plain",)).get_content()
    assert "Dee mentioned you: “@ada and @sam" in text
    assert f"{BASE_URL}/ideas/{discussion['idea'].id}#comment-{comment_id}" in text
    assert "You get this because a comment mentions you." in text


def test_a_mentioned_follower_of_all_activity_gets_one_notice(app, mail, discussion):
    ada, idea = discussion["ada"], discussion["idea"]
    with app.app_context():
        set_follow_level(db.session.get(User, ada.id), db.session.get(Idea, idea.id), "all")
        db.session.commit()
    run_worker(app)  # what the discussion's own start told
    mail.messages.clear()
    comment_id = _comment_and_mention(app, discussion["bea"], idea, "What do you think, @ada?")
    run_worker(app)
    with app.app_context():
        notices = db.session.execute(select(Event.kind).join(Notification, Notification.event_id == Event.id)
                                     .where(Notification.user_id == ada.id, Event.comment_id == comment_id)
                                     ).scalars().all()
    assert notices == ["mentioned"]
    assert [message["To"] for message in mail.messages].count(ada.email) == 1


def test_nobody_who_cannot_see_the_idea_is_told(app, mail, discussion):
    with app.app_context():
        db.session.get(Idea, discussion["idea"].id).hidden_at = utcnow()
        db.session.commit()
    _comment_and_mention(app, discussion["sam"], discussion["idea"], "@ada @bea @cy")
    run_worker(app)
    assert _told(app, "mentioned") == set()
    with app.app_context():
        queued = select(OutboxRow.id).join(Event).where(Event.kind == "mentioned")
        assert db.session.execute(queued).first() is None


def test_a_comment_mentioning_nobody_publishes_no_mention(app, discussion):
    _comment_and_mention(app, discussion["bea"], discussion["idea"], "Nothing for anyone, mail me at a@b.com")
    with app.app_context():
        assert db.session.execute(select(Event.id).where(Event.kind == "mentioned")).first() is None


def test_following_alone_does_not_make_a_member_mentionable(app, discussion):
    with app.app_context():
        follow_idea(db.session.get(User, discussion["dee"].id), db.session.get(Idea, discussion["idea"].id))
        db.session.commit()
    assert _candidates(app, discussion["bea"], discussion["idea"]) == {"Ada Lovelace", "Cy", "Sam"}
