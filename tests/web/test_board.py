"""The board: orders, filters, search, pages, and what it costs in queries."""
import re
from datetime import timedelta

import pytest

from helpers import BOOSTED, htmx_headers
from ideas.extensions import db
from ideas.models import Idea, User, utcnow
from ideas.voting import cast_vote


def titles_in(body, *titles):
    """The given titles in the order they appear in `body` (absent ones left out)."""
    found = [(body.find(f">{title}</a>"), title) for title in titles if f">{title}</a>" in body]
    return [title for _, title in sorted(found)]


def vote_for(app, idea, voters):
    """Cast votes through the domain rule."""
    with app.app_context():
        for voter in voters:
            cast_vote(db.session.get(User, voter.id), db.session.get(Idea, idea.id))
        db.session.commit()


@pytest.fixture
def three_ideas(app, make_idea, make_user):
    """Old and popular, recent and quiet, and one in between."""
    now = utcnow()
    old = make_idea(title="Old popular", created_at=now - timedelta(days=30))
    mid = make_idea(title="Middle", created_at=now - timedelta(days=2))
    new = make_idea(title="Brand new", created_at=now - timedelta(minutes=5))
    vote_for(app, old, [make_user() for _ in range(5)])
    vote_for(app, mid, [make_user() for _ in range(2)])
    return old, mid, new


@pytest.mark.parametrize("sort, expected", [
    ("top", ["Old popular", "Middle", "Brand new"]),
    ("new", ["Brand new", "Middle", "Old popular"]),
    ("trending", ["Brand new", "Middle", "Old popular"]),
])
def test_board_sorts(client, three_ideas, sort, expected):
    body = client.get(f"/?sort={sort}").get_data(as_text=True)

    assert titles_in(body, "Old popular", "Middle", "Brand new") == expected


def test_recently_updated_puts_the_idea_with_a_new_comment_first(client, auth, make_user, three_ideas):
    old = three_ideas[0]
    auth.login(make_user())
    client.post(f"/ideas/{old.id}/comments", data={"body": "Still wanted"})

    body = client.get("/?sort=updated").get_data(as_text=True)

    assert titles_in(body, "Old popular", "Middle", "Brand new")[0] == "Old popular"


def test_trending_favours_many_votes_over_a_little_age(app, client, make_idea, make_user):
    now = utcnow()
    make_idea(title="Fresh", created_at=now - timedelta(minutes=1))
    busy = make_idea(title="Busy", created_at=now - timedelta(hours=3))
    vote_for(app, busy, [make_user() for _ in range(20)])

    body = client.get("/?sort=trending").get_data(as_text=True)

    assert titles_in(body, "Fresh", "Busy") == ["Busy", "Fresh"]


@pytest.mark.parametrize("query, shown, hidden", [
    ("status=planned", "Planned one", "Open one"),
    ("kind=problem", "Open one", "Planned one"),
    ("tag=mobile", "Planned one", "Open one"),
    ("q=offline", "Open one", "Planned one"),
])
def test_board_filters(client, make_idea, make_tag, query, shown, hidden):
    mobile = make_tag("mobile")
    make_idea(title="Planned one", description="Sync calendars", status="planned", tags=[mobile])
    make_idea(title="Open one", description="Offline support for drivers", kind="problem")

    body = client.get(f"/?{query}").get_data(as_text=True)

    assert shown in body
    assert hidden not in body


def test_search_matches_stemmed_words(client, make_idea):
    make_idea(title="Export reports", description="We are exporting everything by hand")

    body = client.get("/?q=exported").get_data(as_text=True)

    assert "Export reports" in body


def test_search_results_keep_their_order_across_pages(app, client, make_idea, make_user):
    app.config["IDEAS_PER_PAGE"] = 2
    for votes in range(5):
        vote_for(app, make_idea(title=f"Export format {votes}"), [make_user() for _ in range(votes)])
    make_idea(title="Unrelated wish")

    first = client.get("/?q=export&sort=top").get_data(as_text=True)
    second = client.get("/?q=export&sort=top&page=2").get_data(as_text=True)
    third = client.get("/?q=export&sort=top&page=3").get_data(as_text=True)

    titles = [f"Export format {votes}" for votes in range(4, -1, -1)]
    assert titles_in(first, *titles) == titles[:2]
    assert titles_in(second, *titles) == titles[2:4]
    assert titles_in(third, *titles) == titles[4:]
    assert "Unrelated wish" not in first + second + third


@pytest.mark.parametrize("walk", [True, False], ids=["walk the order's index", "look the matches up"])
def test_search_finds_the_same_ideas_in_the_same_order_by_either_plan(app, client, make_idea, make_user,
                                                                       monkeypatch, walk):
    monkeypatch.setattr("ideas.search.COMMON_MIN", 1 if walk else 10**9)
    monkeypatch.setattr("ideas.search.COMMON_SHARE", 10**9)
    for votes in range(3):
        vote_for(app, make_idea(title=f"Export format {votes}"), [make_user() for _ in range(votes)])
    make_idea(title="Unrelated wish")
    make_idea(title="Export hidden", hidden_at=utcnow())

    body = client.get("/?q=export&sort=top").get_data(as_text=True)

    titles = [f"Export format {votes}" for votes in range(2, -1, -1)]
    assert titles_in(body, *titles, "Unrelated wish", "Export hidden") == titles


@pytest.mark.parametrize("common_min, walks", [(2, True), (4, False)])
def test_search_walks_the_order_index_only_when_many_ideas_match(client, make_idea, count_queries,
                                                                  monkeypatch, common_min, walks):
    monkeypatch.setattr("ideas.search.COMMON_MIN", common_min)
    for number in range(3):
        make_idea(title=f"Export format {number}")
    make_idea(title="Unrelated wish")

    with count_queries() as statements:
        body = client.get("/?q=export").get_data(as_text=True)

    assert "Export format 2" in body
    walking = ("+ideas.id IN", "SET LOCAL enable_bitmapscan = off")  # SQLite, PostgreSQL
    assert any(marker in statement for statement in statements for marker in walking) is walks


def test_search_without_matches_offers_to_propose(client, make_idea):
    make_idea(title="Export reports")

    body = client.get("/?q=teleportation").get_data(as_text=True)

    assert "No ideas match “teleportation”" in body
    assert "/ideas/new?title=teleportation" in body


def board_empty_state(body):
    """The board's empty state, or None."""
    match = re.search(r'<div class="empty-state" id="board-empty">.*?</div>', body, re.S)
    return match and match.group(0)


def test_filters_matching_nothing_say_so_and_lead_back_to_every_idea(client, make_idea):
    make_idea(title="Export reports")  # open, an idea: not shipped praise

    response = client.get("/?status=shipped&kind=praise", headers=htmx_headers("board-results"))

    empty = board_empty_state(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "No ideas match these filters." in empty
    assert "Try fewer filters, or see every idea." in empty
    assert '<a class="button" href="/">Show every idea</a>' in empty
    assert "Propose it" not in empty  # there is no search to propose


def test_a_search_without_matches_also_leads_back_to_every_idea(client, make_idea):
    make_idea(title="Export reports")

    empty = board_empty_state(client.get("/?q=teleportation&status=open").get_data(as_text=True))

    assert "Try other words, or propose it so others can back it." in empty
    assert '<a class="button" href="/">Show every idea</a>' in empty


def test_an_empty_board_invites_the_first_idea(client):
    empty = board_empty_state(client.get("/").get_data(as_text=True))

    assert "No ideas yet." in empty
    assert '<a class="button button-primary" href="/ideas/new">Propose an idea</a>' in empty
    assert "No ideas match" not in empty


def test_unknown_filter_values_are_ignored(client, make_idea):
    make_idea(title="Still listed")

    response = client.get("/?sort=sideways&status=nonsense&kind=rant&page=-3")

    assert response.status_code == 200
    assert "Still listed" in response.get_data(as_text=True)


def test_merged_and_withdrawn_ideas_are_not_on_the_board(client, make_idea):
    make_idea(title="Merged away", status="merged")
    make_idea(title="Withdrawn one", withdrawn_at=utcnow())
    make_idea(title="Visible one")

    body = client.get("/").get_data(as_text=True)

    assert "Visible one" in body
    assert "Merged away" not in body
    assert "Withdrawn one" not in body


def test_cards_show_excerpt_kind_status_votes_and_comments(client, make_idea):
    idea = make_idea(title="Card", description="An **excerpt** of the idea", kind="praise",
                     status="in_progress")

    body = client.get("/").get_data(as_text=True)

    assert "An excerpt of the idea" in body
    assert "kind-praise" in body and "Praise" in body
    assert "In progress" in body
    assert f'id="idea-{idea.id}-vote"' in body
    assert "0 comments" in body


@pytest.fixture
def many_ideas(app, make_user):
    """45 ideas, enough for three pages of 20."""
    author = make_user()
    with app.app_context():
        from ideas.proposals import propose_idea

        member = db.session.get(User, author.id)
        for number in range(45):
            propose_idea(member, f"Numbered idea {number:02d}")
        db.session.commit()


def test_board_paginates_with_plain_links(client, many_ideas):
    first = client.get("/?sort=new").get_data(as_text=True)
    second = client.get("/?sort=new&page=2").get_data(as_text=True)

    assert "Numbered idea 44" in first and "Numbered idea 24" not in first
    assert "Numbered idea 24" in second and "Numbered idea 44" not in second
    assert 'href="/?sort=new&amp;page=2"' in first
    assert "Previous page" in second


def test_show_more_answers_htmx_with_the_next_cards_only(client, many_ideas):
    response = client.get("/?sort=new&page=2", headers=htmx_headers("show-more"))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body
    assert body.count('class="card idea-card"') == 20
    assert 'id="show-more"' in body  # a third page follows
    assert "HX-Request" in response.headers["Vary"]


def test_filter_form_answers_htmx_with_the_results_only(client, many_ideas):
    response = client.get("/?q=numbered", headers=htmx_headers("board-results"))

    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="board-results"')
    assert "<html" not in body


def test_boosted_or_history_restore_requests_get_the_whole_page(client, many_ideas):
    boosted = client.get("/?page=2", headers={**BOOSTED, "HX-Target": "show-more"})
    restore = client.get("/?page=2", headers={"HX-Request": "true",
                                               "HX-History-Restore-Request": "true"})

    assert "<html" in boosted.get_data(as_text=True)
    assert "<html" in restore.get_data(as_text=True)


def test_board_query_count_does_not_grow_with_cards(app, client, auth, make_user, make_idea,
                                                   make_tag, count_queries):
    member = make_user()
    tag = make_tag("mobile")
    auth.login(member)
    make_idea(tags=[tag])
    with count_queries() as few:
        client.get("/")
    for number in range(15):
        idea = make_idea(title=f"Idea {number}", tags=[tag])
        vote_for(app, idea, [member])
    with count_queries() as many:
        client.get("/")

    assert len(many) == len(few)
    assert len(many) <= 7, many  # one of them reads the site's settings (branding, private mode)
