"""Cached fragments (`{% cache %}`): reused while what they show is unchanged, never across readers'
own values (CSRF token, the page to return to), never stale after a change."""
import re

import pytest
from flask_wtf.csrf import generate_csrf

from helpers import PASSWORD
from ideas.extensions import db
from ideas.models import Idea
from ideas.voting import cast_vote
from ideas.web.fragments import FragmentStore


def tokens_in(html):
    """The CSRF tokens of the page's forms, and the one htmx sends (rendered outside any cache)."""
    forms = re.findall(r'name="csrf_token" value="([^"]+)"', html)
    header = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    return forms, header


def test_a_second_view_reuses_the_cards(app, client, make_idea):
    make_idea(title="Dark mode")
    client.get("/")
    store = app.extensions["fragments"]
    filled = len(store)

    page = client.get("/")

    assert page.status_code == 200
    assert "Dark mode" in page.text
    assert filled > 0
    assert len(store) == filled


def test_each_member_gets_their_own_csrf_token_in_a_cached_vote_form(app, make_idea, make_user):
    make_idea(title="Dark mode")
    pages = []
    for name in ("Ann", "Bob"):
        browser = app.test_client()
        member = make_user(name=name)
        signed_in = browser.post("/auth/login", data={"email": member.email, "password": PASSWORD})
        assert signed_in.status_code == 303
        pages.append(browser.get("/").text)

    (ann_forms, ann_header), (bob_forms, bob_header) = (tokens_in(page) for page in pages)

    assert ann_forms and set(ann_forms) == {ann_header}
    assert bob_forms and set(bob_forms) == {bob_header}
    assert ann_header != bob_header


def test_a_cached_vote_form_returns_to_the_page_it_is_shown_on(client, auth, make_idea, make_user):
    make_idea(title="Dark mode")
    auth.login(make_user())

    first = client.get("/?sort=top").text
    second = client.get("/?sort=new").text

    assert 'name="next" value="/?sort=top"' in first
    assert 'name="next" value="/?sort=new"' in second


def test_a_signed_out_reader_is_sent_back_to_the_page_after_signing_in(client, make_idea):
    make_idea(title="Dark mode")
    client.get("/?sort=top")

    page = client.get("/?sort=new")

    assert "/auth/login?next=/?sort%3Dnew" in page.text.replace("&amp;", "&")


@pytest.mark.parametrize("change, shown", [
    ({"title": "Dark mode everywhere"}, "Dark mode everywhere"),
    ({"comment_count": 7}, "7 comments"),
    ({"status": "planned"}, "status-planned"),
])
def test_a_changed_idea_is_shown_changed_at_once(app, client, make_idea, change, shown):
    idea = make_idea(title="Dark mode")
    assert shown not in client.get("/").text
    with app.app_context():
        stored = db.session.get(Idea, idea.id)
        for name, value in change.items():
            setattr(stored, name, value)
        db.session.commit()

    page = client.get("/")

    assert shown in page.text


def test_a_new_vote_is_counted_on_the_board_at_once(app, client, auth, make_idea, make_user):
    idea = make_idea(title="Dark mode")
    member = make_user()
    auth.login(member)
    assert 'aria-pressed="false"' in client.get("/").text
    with app.app_context():
        cast_vote(db.session.get(type(member), member.id), db.session.get(Idea, idea.id))
        db.session.commit()

    page = client.get("/")

    assert 'aria-pressed="true"' in page.text
    assert '<span class="vote-count">1</span>' in page.text


def test_members_sharing_a_cached_page_of_cards_each_see_their_own_votes(app, make_idea, make_user):
    idea = make_idea(title="Dark mode")
    pages = {}
    for name in ("Ann", "Bob"):
        browser = app.test_client()
        member = make_user(name=name)
        browser.post("/auth/login", data={"email": member.email, "password": PASSWORD})
        if name == "Ann":
            with app.app_context():
                cast_vote(db.session.get(type(member), member.id), db.session.get(Idea, idea.id))
                db.session.commit()
        pages[name] = browser.get("/").text

    assert 'aria-pressed="true"' in pages["Ann"] and 'aria-pressed="false"' not in pages["Ann"]
    assert 'aria-pressed="false"' in pages["Bob"] and 'aria-pressed="true"' not in pages["Bob"]
    assert '<span class="vote-count">1</span>' in pages["Bob"]


def test_a_block_that_would_cache_a_readers_csrf_token_is_refused(app):
    with app.test_request_context("/"):
        token = generate_csrf()
        template = app.jinja_env.from_string('{% cache "leak" %}<input value="{{ token }}">{% endcache %}')
        with pytest.raises(RuntimeError, match="slot"):
            template.render(token=token)
        assert len(app.extensions["fragments"]) == 0


def test_csrf_token_inside_a_block_is_each_readers_own(app):
    template = app.jinja_env.from_string('{% cache "form" %}<input value="{{ csrf_token() }}">{% endcache %}')
    rendered = []
    for _ in range(2):
        with app.test_request_context("/"):
            rendered.append((template.render(), generate_csrf()))

    assert [html for html, _ in rendered] == [f'<input value="{token}">' for _, token in rendered]
    assert rendered[0][1] != rendered[1][1]


def test_a_size_of_zero_turns_caching_off(database_url):
    from ideas import create_app

    uncached = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "FRAGMENT_CACHE_SIZE": 0})

    assert "fragments" not in uncached.extensions


def test_the_store_is_sized_from_the_environment(database_url, monkeypatch):
    from ideas import create_app

    monkeypatch.setenv("FRAGMENT_CACHE_SIZE", "10")
    monkeypatch.setenv("FRAGMENT_CACHE_MB", "0.5")
    store = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url}).extensions["fragments"]

    assert (store.size, store.max_chars) == (10, 500_000)


def test_the_store_drops_the_least_recently_used_block_when_full():
    store = FragmentStore(2)
    store.put("a", "A")
    store.put("b", "B")
    store.get("a")
    store.put("c", "C")

    assert len(store) == 2
    assert store.get("a") == "A"
    assert store.get("b") is None
    assert store.get("c") == "C"


def test_the_store_drops_the_least_recently_used_blocks_past_its_character_budget():
    store = FragmentStore(100, max_chars=10)
    store.put("a", "A" * 4)
    store.put("b", "B" * 4)
    store.get("a")
    store.put("c", "C" * 4)
    store.put("huge", "H" * 11)

    assert store.get("b") is None and store.get("huge") is None
    assert (store.get("a"), store.get("c")) == ("A" * 4, "C" * 4)
    assert store.chars == 8


def test_a_cached_comment_shows_each_viewer_their_own_actions(app, make_idea, make_user):
    from ideas.comments import add_comment
    from ideas.models import User

    idea = make_idea(title="Dark mode")
    author, other, staff = make_user(name="Ann"), make_user(name="Bob"), make_user(name="Sam", role="staff")
    with app.app_context():
        add_comment(db.session.get(User, author.id), db.session.get(Idea, idea.id), "Yes please")
        db.session.commit()
    pages = {}
    for member in (author, other, staff):
        browser = app.test_client()
        browser.post("/auth/login", data={"email": member.email, "password": PASSWORD})
        pages[member.name] = browser.get(f"/ideas/{idea.id}").text
        assert "Yes please" in pages[member.name]

    assert "/comments/1/delete" in pages["Ann"] and "/comments/1/edit" in pages["Ann"]
    assert "/comments/1/delete" not in pages["Bob"] and "/hide" not in pages["Bob"]
    assert "/comments/1/hide" in pages["Sam"]
    forms, header = tokens_in(pages["Sam"])
    assert set(forms) == {header}


def test_staff_sharing_a_cached_discussion_each_get_their_own_csrf_token(app, make_idea, make_user):
    from ideas.comments import add_comment
    from ideas.models import User

    idea = make_idea(title="Dark mode")
    author = make_user(name="Ann")
    with app.app_context():
        add_comment(db.session.get(User, author.id), db.session.get(Idea, idea.id), "Yes please")
        db.session.commit()
    tokens = []
    for name in ("Sam", "Sue"):
        browser = app.test_client()
        member = make_user(name=name, role="staff")
        browser.post("/auth/login", data={"email": member.email, "password": PASSWORD})
        page = browser.get(f"/ideas/{idea.id}").text
        assert "/comments/1/hide" in page
        forms, header = tokens_in(page)
        assert set(forms) == {header}
        tokens.append(header)

    assert tokens[0] != tokens[1]


def test_a_new_comment_and_a_status_change_join_a_cached_discussion_at_once(app, client, make_idea,
                                                                            make_user):
    from ideas.comments import add_comment
    from ideas.models import User
    from ideas.statuses import change_status

    idea = make_idea(title="Dark mode")
    author, staff = make_user(name="Ann"), make_user(name="Sam", role="staff")
    with app.app_context():
        add_comment(db.session.get(User, author.id), db.session.get(Idea, idea.id), "First words")
        db.session.commit()
    assert "First words" in client.get(f"/ideas/{idea.id}").text
    with app.app_context():
        add_comment(db.session.get(User, author.id), db.session.get(Idea, idea.id), "Second thoughts")
        change_status(db.session.get(User, staff.id), db.session.get(Idea, idea.id), "planned")
        db.session.commit()

    page = client.get(f"/ideas/{idea.id}").text

    assert "First words" in page and "Second thoughts" in page
    assert 'class="timeline-entry"' in page


def test_an_edited_comment_is_shown_edited_at_once(app, client, auth, make_idea, make_user):
    from ideas.comments import add_comment, edit_comment
    from ideas.models import Comment, User

    idea = make_idea(title="Dark mode")
    author = make_user(name="Ann")
    with app.app_context():
        comment = add_comment(db.session.get(User, author.id), db.session.get(Idea, idea.id), "First words")
        db.session.commit()
        comment_id = comment.id
    auth.login(author)
    assert "First words" in client.get(f"/ideas/{idea.id}").text
    with app.app_context():
        edit_comment(db.session.get(User, author.id), db.session.get(Comment, comment_id), "Second thoughts")
        db.session.commit()

    page = client.get(f"/ideas/{idea.id}").text

    assert "Second thoughts" in page
    assert "First words" not in page


@pytest.mark.parametrize("change, shown", [
    ({"title": "Dark mode everywhere"}, "Dark mode everywhere"),
    ({"vote_count": 7}, "<strong>7</strong> votes"),
    ({"kind": "problem"}, "kind-problem"),
    ({"status": "in_progress"}, 'id="roadmap-in_progress-heading"'),
])
def test_a_changed_idea_is_shown_changed_on_the_roadmap_at_once(app, client, make_idea, change, shown):
    idea = make_idea(title="Dark mode")
    with app.app_context():
        stored = db.session.get(Idea, idea.id)
        stored.status = "planned"
        stored.status_changed_at = stored.created_at
        db.session.commit()
    before = client.get("/roadmap").text
    assert "Dark mode" in before
    with app.app_context():
        stored = db.session.get(Idea, idea.id)
        for name, value in change.items():
            setattr(stored, name, value)
        db.session.commit()

    page = client.get("/roadmap").text

    if "heading" in shown:
        column = page.split(shown)[1].split("</section>")[0]
        assert "Dark mode" in column
    else:
        assert shown in page


@pytest.mark.parametrize("page", ["/", "/roadmap"])
def test_a_renamed_recoloured_tag_shows_on_cached_cards_at_once(app, client, make_idea, make_tag, page):
    from ideas.models import Tag

    tag = make_tag("mobile", colour="blue")
    make_idea(title="Dark mode", tags=[tag], status="planned")
    before = client.get(page).text
    assert "#mobile" in before and "tag-blue" in before
    with app.app_context():
        stored = db.session.get(Tag, tag.id)
        stored.name, stored.colour = "phones", "green"
        db.session.commit()

    after = client.get(page)

    assert after.status_code == 200
    assert "#phones" in after.text and "tag-green" in after.text
    assert "#mobile" not in after.text
