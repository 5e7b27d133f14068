"""Text people write (issue 15): the browser never cuts it, the limit is shown and the server
enforces it with the text kept; names and titles are bidi-isolated wherever a page shows them, and
stored names carry no unbalanced bidi controls."""
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from sqlalchemy import select

from helpers import PASSWORD, htmx_headers
from ideas.accounts import change_name, sign_up
from ideas.announcements import announce
from ideas.answer_promise import set_promise
from ideas.boards import create_board, move_idea
from ideas.changelog import create_entry, publish_entry
from ideas.comments import add_comment
from ideas.delivery import drain
from ideas.errors import InvalidInput
from ideas.extensions import db
from ideas.following import follow_idea
from ideas.models import Comment, Idea, Tag, User, utcnow
from ideas.proposals import propose_idea
from ideas.statuses import change_status
from ideas.voting import cast_vote

RLO, PDF, LRI, RLI, FSI, PDI, LRE = "\u202e", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069", "\u202a"

INPUT_TAGS = re.compile(r"<(?:input|textarea)\b[^>]*>", re.S)


def client_for(app, user=None):
    """A browser without JavaScript, signed in as `user` (made by a factory) when given."""
    client = app.test_client()
    if user is not None:
        response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 303, response.get_data(as_text=True)
    return client


def cut_by_the_browser(body):
    """The text fields of a page that a browser would cut at a length (search boxes aside)."""
    return [tag for tag in INPUT_TAGS.findall(body)
            if "maxlength" in tag and 'type="search"' not in tag]


# 1. Pasted text is never cut: no maxlength, the limit shown, the server's 422 with the text kept.

@pytest.fixture
def idea_with_comment(app, make_user, make_idea):
    """An idea and a fresh comment its author may still edit; returns (author, idea, comment id)."""
    author = make_user()
    idea = make_idea(author=author)
    with app.app_context():
        comment = add_comment(db.session.get(User, author.id), db.session.get(Idea, idea.id), "First!")
        db.session.commit()
        comment_id = comment.id
    return author, idea, comment_id


def test_member_forms_let_the_browser_take_text_of_any_length(app, idea_with_comment):
    author, idea, comment_id = idea_with_comment
    member = client_for(app, author)
    pages = {
        "propose": "/ideas/new",
        "edit idea": f"/ideas/{idea.id}/edit",
        "comment": f"/ideas/{idea.id}",
        "edit comment": f"/comments/{comment_id}/edit",
        "reply": f"/comments/{comment_id}/reply",
        "settings": "/account/settings",
    }
    visitor = client_for(app)
    bodies = {name: member.get(url).get_data(as_text=True) for name, url in pages.items()}
    bodies["sign up"] = visitor.get("/auth/signup").get_data(as_text=True)
    bodies["sign in"] = visitor.get("/auth/login").get_data(as_text=True)

    assert 'name="title"' in bodies["propose"] and 'name="body"' in bodies["comment"]
    assert {name: cut_by_the_browser(body) for name, body in bodies.items()} == {name: [] for name in bodies}


def test_staff_forms_let_the_browser_take_text_of_any_length(app, make_user, make_idea):
    admin = make_user(role="admin")
    idea = make_idea()
    staff = client_for(app, admin)
    urls = [f"/ideas/{idea.id}", "/staff/", "/changelog/new", "/announcements/new", "/admin/tags",
            "/admin/branding", "/admin/webhooks/new", "/staff/invitations"]

    found = {url: cut_by_the_browser(staff.get(url).get_data(as_text=True)) for url in urls}

    assert found == {url: [] for url in urls}


def test_the_limit_of_a_text_field_is_shown_and_announced_with_it(app, make_user):
    page = client_for(app, make_user()).get("/ideas/new").get_data(as_text=True)

    title = re.search(r'<input[^>]*name="title"[^>]*>', page).group(0)
    description = re.search(r'<textarea[^>]*name="description"[^>]*>', page).group(0)
    assert re.search(r'<p class="help field-limit" id="title-limit"[^>]*>At most 120 characters\.</p>', page)
    assert re.search(r'<p class="help field-limit" id="description-limit"[^>]*>'
                     r'At most 10,000 characters\.</p>', page)
    assert re.search(r'aria-describedby="[^"]*\btitle-limit\b', title)
    assert re.search(r'aria-describedby="[^"]*\bdescription-limit\b', description)


def test_a_title_too_long_is_refused_with_everything_typed_kept(app, make_user, fetch):
    title, description = "T" * 150, "word " * 2_400  # 12,000 characters: over the 10,000 allowed
    member = client_for(app, make_user())

    response = member.post("/ideas/new", data={"title": title, "description": description, "kind": "idea"})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'value="{title}"' in body
    assert description.strip() in body
    assert "120" in body and "10000" in body.replace(",", "")
    assert fetch(lambda: db.session.execute(select(Idea)).first()) is None


def test_a_comment_too_long_is_refused_with_the_text_kept_plain_and_htmx(app, make_user, make_idea, fetch):
    body_text = "C" * 6_000
    idea = make_idea()
    member = client_for(app, make_user())

    plain = member.post(f"/ideas/{idea.id}/comments", data={"body": body_text})
    swapped = member.post(f"/ideas/{idea.id}/comments", data={"body": body_text},
                          headers=htmx_headers("comments"))

    for response in (plain, swapped):
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert body_text in page
        assert "5000" in page.replace(",", "")
    assert fetch(lambda: db.session.execute(select(Comment)).first()) is None


def test_a_reply_too_long_is_refused_with_the_text_kept_plain_and_htmx(app, idea_with_comment, make_user,
                                                                       fetch):
    _author, _idea, comment_id = idea_with_comment
    body_text = "R" * 6_000
    member = client_for(app, make_user())
    field = f"reply-{comment_id}-body"

    plain = member.post(f"/comments/{comment_id}/reply", data={field: body_text})
    swapped = member.post(f"/comments/{comment_id}/reply", data={field: body_text},
                          headers=htmx_headers("comments"))

    for response in (plain, swapped):
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert body_text in page
        assert "5000" in page.replace(",", "")
    assert fetch(lambda: db.session.execute(
        select(Comment).where(Comment.parent_id.is_not(None))).first()) is None


def test_a_name_too_long_at_sign_up_is_refused_with_what_was_typed_kept(app):
    name = "N" * 100

    response = client_for(app).post("/auth/signup", data={"name": name, "email": "nina@example.com",
                                                          "password": PASSWORD})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'value="{name}"' in body and 'value="nina@example.com"' in body


def test_a_hundred_emoji_make_a_title_the_server_takes(app, make_user, fetch):
    # 100 code points (200 UTF-16 units, which is what a browser's maxlength would have counted).
    title = "\U0001F600" * 100
    member = client_for(app, make_user())

    response = member.post("/ideas/new", data={"title": title, "kind": "idea"})

    assert response.status_code == 303
    assert fetch(lambda: db.session.execute(select(Idea.title)).scalar_one()) == title


# 2. Names and titles are bidi-isolated: an override in them never reverses the app's own words.

EVE = f"Eve {RLO}yllaer ton"
MALLORY = f"Mallory {RLO}ffats"
INVOICE = f"Invoice {RLO}gpj.exe"
RELEASE = f"Release {RLO}sdrawkcab"
TAG = f"{RLO}gat"
BOARD = f"Partners {RLO}srentrap"
HOSTILE = (EVE, MALLORY, INVOICE, RELEASE, TAG, BOARD)


class IsolationCheck(HTMLParser):
    """Collects each visible text that holds a hostile name or title outside an isolating element:
    a <bdi>, an element with a dir attribute, or a notification's summary (a sentence composed in
    ideas/notifications.py, which the stylesheet isolates whole with unicode-bidi: isolate)."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}
    # Not laid out as a line of the page: the tab title (checked apart), form values, the options of a
    # select (each its own line) and text only screen readers hear.
    SKIPPED = {"title", "textarea", "option", "script", "style"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
        self.exposed = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        for position in range(len(self.stack) - 1, -1, -1):
            if self.stack[position][0] == tag:
                del self.stack[position:]
                break

    def handle_data(self, data):
        if RLO not in data or not self.stack:
            return
        if any(tag in self.SKIPPED or "visually-hidden" in (attrs.get("class") or "").split()
               for tag, attrs in self.stack):
            return
        tag, attrs = self.stack[-1]
        if not (tag == "bdi" or "dir" in attrs or "notification-summary" in (attrs.get("class") or "")):
            self.exposed.append(f"<{tag}>{data.strip()}")


def exposed_texts(body):
    """Hostile texts a page prints without isolating them."""
    check = IsolationCheck()
    check.feed(body)
    return check.exposed


@pytest.fixture
def hostile(app, make_user, make_tag):
    """Eve (a member) and Mallory (an admin) whose stored names hold an unclosed override (written
    straight to the database, as an old row or an import would be), an idea titled INVOICE with
    the tag TAG, planned by Mallory with a note, a changelog entry RELEASE and an announcement."""
    eve = make_user(name=EVE)
    mallory = make_user(name=MALLORY, role="admin")
    reader = make_user(name="Rita Reader")
    tag = make_tag(TAG)
    with app.app_context():
        author, staff, follower = (db.session.get(User, person.id) for person in (eve, mallory, reader))
        idea = propose_idea(author, INVOICE, "Please look.", "idea", [tag.id])
        follow_idea(follower, idea)
        cast_vote(follower, idea)
        question = add_comment(author, idea, "Any news?")
        add_comment(staff, idea, "We are on it.", official=True)
        add_comment(staff, idea, "Soon, promised.", parent=question)
        change_status(staff, idea, "planned", "Next month.")
        entry = create_entry(staff, RELEASE, "Things got better.", [idea.id])
        publish_entry(staff, entry)
        announce(staff, "A word to the followers.", tag=db.session.get(Tag, tag.id))
        board = create_board(staff, {"name": BOARD, "slug": "partners", "access": "public",
                                     "moderators": author.email})
        move_idea(staff, idea, board)
        db.session.commit()
        drain()
        ids = dict(idea=idea.id, entry=entry.id, tag=tag.id, board=board.id, question=question.id)
    return dict(eve=eve, mallory=mallory, reader=reader, **ids)


def test_every_page_isolates_the_names_and_titles_it_shows(app, hostile):
    idea, entry = hostile["idea"], hostile["entry"]
    with app.test_request_context():  # an idea waiting past the promise, which staff read on /accountability
        late = propose_idea(db.session.get(User, hostile["eve"].id), INVOICE, "Still here?", "idea", [])
        late.created_at = utcnow() - timedelta(days=30)
        set_promise(db.session.get(User, hostile["mallory"].id), "14")
        db.session.commit()
    pages = {
        None: ["/", f"/ideas/{idea}", "/roadmap", "/changelog", f"/changelog/{entry}", "/pulse",
               f"/?tag={quote(TAG)}", "/boards/partners", "/accountability",
               "/accountability?board=partners"],
        "eve": ["/account/activity", "/account/settings", f"/ideas/{idea}"],
        "reader": ["/notifications", f"/ideas/{idea}", f"/comments/{hostile['question']}/reply",
                   f"/ideas/{idea}/mentions"],
        "mallory": ["/staff/", f"/staff/members/{hostile['eve'].id}", "/staff/members", "/announcements",
                    "/admin/audit", "/admin/tags", f"/ideas/{idea}", "/changelog",
                    f"/changelog/{entry}/edit", "/admin/boards/", "/accountability"],
    }
    exposed = {}
    for who, urls in pages.items():
        client = client_for(app, hostile[who] if who else None)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            body = response.get_data(as_text=True)
            assert any(text in body for text in HOSTILE), f"{url} shows none of the hostile texts"
            if found := exposed_texts(body):
                exposed[f"{who or 'visitor'} {url}"] = found

    assert exposed == {}


def test_the_byline_keeps_its_own_words_in_order(app, hostile):
    body = client_for(app).get(f"/ideas/{hostile['idea']}").get_data(as_text=True)

    assert f"Proposed by <bdi>{EVE}</bdi> <time" in body


def test_the_tab_title_isolates_the_idea_title(app, hostile):
    body = client_for(app).get(f"/ideas/{hostile['idea']}").get_data(as_text=True)

    assert f"<title>{FSI}{INVOICE}{PDI} · " in body


def test_the_tag_filter_names_the_tag_isolated(app, hostile):
    body = client_for(app).get(f"/roadmap?tag={quote(TAG)}").get_data(as_text=True)

    assert f"<bdi>#{TAG}</bdi>" in body


# Names are stored without bidi controls that are left open or close nothing.

@pytest.mark.parametrize("typed, stored", [
    pytest.param(EVE, "Eve yllaer ton", id="unclosed-override"),
    pytest.param(f"Eve{PDF} Smith{PDI}", "Eve Smith", id="closers-of-nothing"),
    pytest.param(f"{RLI}Eve{PDI} Smith", f"{RLI}Eve{PDI} Smith", id="balanced-isolate-kept"),
    pytest.param(f"{LRE}Eve{PDF} {RLO}Smith", f"{LRE}Eve{PDF} Smith", id="balanced-kept-unclosed-dropped"),
    pytest.param(f"{FSI}Eve {RLO}Smith{PDI}", f"{FSI}Eve Smith{PDI}", id="override-unclosed-inside-isolate"),
    pytest.param(f"{LRI}{RLO}Eve{PDI}{PDF}", f"{LRI}Eve{PDI}", id="isolate-closes-what-it-holds"),
])
def test_a_new_name_is_stored_without_unbalanced_bidi_controls(app, typed, stored):
    with app.app_context():
        member = sign_up(typed, "eve@example.com", PASSWORD)
        db.session.commit()
        assert db.session.get(User, member.id).name == stored


def test_a_changed_name_is_stored_without_unbalanced_bidi_controls(app, make_user, fetch):
    member = make_user(name="Eve")
    client = client_for(app, member)

    response = client.post("/account/name", data={"name": f"Eve {RLO}yllaer ton"})

    assert response.status_code == 303
    assert fetch(lambda: db.session.get(User, member.id).name) == "Eve yllaer ton"


def test_a_name_of_nothing_but_bidi_controls_is_refused(app, make_user):
    member = make_user(name="Eve")
    with app.app_context():
        with pytest.raises(InvalidInput):
            change_name(db.session.get(User, member.id), f"{RLO} {PDF}{LRI}")
