"""The public roadmap: four columns by votes, recent shipped only, filters, htmx and plain."""
import re
from datetime import timedelta

import pytest

from helpers import BOOSTED, htmx_headers
from ideas.extensions import db
from ideas.models import Idea, User, utcnow
from ideas.voting import cast_vote


def vote_for(app, idea, voters):
    """Cast votes through the domain rule (before the idea leaves the open statuses)."""
    with app.app_context():
        for voter in voters:
            cast_vote(db.session.get(User, voter.id), db.session.get(Idea, idea.id))
        db.session.commit()


def column(body, status):
    """The HTML of one roadmap column."""
    match = re.search(rf'<section class="roadmap-column roadmap-column-{status}[ "].*?</section>', body, re.S)
    assert match, f"no {status} column"
    return match.group(0)


def titles_in(html):
    """Card titles in the order they appear."""
    return re.findall(r'<h3 class="roadmap-card-title"><a href="/ideas/\d+" dir="auto">([^<]*)</a>', html)


@pytest.fixture
def make_roadmap_idea(app, make_idea, make_user):
    """An idea with `votes` real votes, then moved to `status` (changed `days_ago`)."""
    def make(title, status, votes=0, days_ago=1, **columns):
        idea = make_idea(title=title, **{k: v for k, v in columns.items() if k in ("kind", "tags")})
        vote_for(app, idea, [make_user() for _ in range(votes)])
        with app.app_context():
            stored = db.session.get(Idea, idea.id)
            stored.status = status
            stored.status_changed_at = utcnow() - timedelta(days=days_ago)
            for name, value in columns.items():
                if name not in ("kind", "tags"):
                    setattr(stored, name, value)
            db.session.commit()
        return idea

    return make


def test_each_column_shows_its_ideas_ordered_by_votes(client, make_roadmap_idea):
    make_roadmap_idea("Review quiet", "under_review", votes=1)
    make_roadmap_idea("Review loud", "under_review", votes=3)
    make_roadmap_idea("Plan middle", "planned", votes=2)
    make_roadmap_idea("Plan top", "planned", votes=4)
    make_roadmap_idea("Plan none", "planned", votes=0)
    make_roadmap_idea("Building", "in_progress", votes=1)
    make_roadmap_idea("Shipped small", "shipped", votes=1, days_ago=3)
    make_roadmap_idea("Shipped big", "shipped", votes=2, days_ago=30)

    body = client.get("/roadmap").get_data(as_text=True)

    assert titles_in(column(body, "under_review")) == ["Review loud", "Review quiet"]
    assert titles_in(column(body, "planned")) == ["Plan top", "Plan middle", "Plan none"]
    assert titles_in(column(body, "in_progress")) == ["Building"]
    assert titles_in(column(body, "shipped")) == ["Shipped big", "Shipped small"]


def test_shipped_long_ago_is_left_out_with_a_link_to_all_shipped(client, make_roadmap_idea):
    make_roadmap_idea("Shipped last week", "shipped", days_ago=7)
    make_roadmap_idea("Shipped last year", "shipped", days_ago=91)

    shipped = column(client.get("/roadmap").get_data(as_text=True), "shipped")

    assert titles_in(shipped) == ["Shipped last week"]
    assert '<a href="/?status=shipped">All shipped ideas</a>' in shipped


@pytest.mark.parametrize("status", ["open", "declined", "merged"])
def test_ideas_outside_the_roadmap_statuses_are_absent(client, make_roadmap_idea, status):
    make_roadmap_idea("Off the roadmap", status)
    make_roadmap_idea("On the roadmap", "planned")

    body = client.get("/roadmap").get_data(as_text=True)

    assert "On the roadmap" in body
    assert "Off the roadmap" not in body


@pytest.mark.parametrize("flag", [
    {"hidden_at": utcnow()},
    {"withdrawn_at": utcnow()},
    {"awaiting_approval": True},
], ids=["hidden", "withdrawn", "awaiting-approval"])
def test_ideas_not_public_are_absent(client, auth, make_user, make_roadmap_idea, flag):
    make_roadmap_idea("Not for everyone", "planned", **flag)
    auth.login(make_user())

    body = client.get("/roadmap").get_data(as_text=True)

    assert "Not for everyone" not in body
    assert "Nothing planned yet." in body


@pytest.mark.parametrize("query, shown, hidden", [
    ("kind=problem", "A problem", "An idea"),
    ("tag=mobile", "An idea", "A problem"),
    ("kind=idea&tag=mobile", "An idea", "A problem"),
])
def test_roadmap_filters_by_kind_and_tag(client, make_tag, make_roadmap_idea, query, shown, hidden):
    mobile = make_tag("mobile")
    make_roadmap_idea("An idea", "planned", kind="idea", tags=[mobile])
    make_roadmap_idea("A problem", "planned", kind="problem")

    body = client.get(f"/roadmap?{query}").get_data(as_text=True)

    assert shown in body
    assert hidden not in body


def test_filtered_empty_columns_say_so_and_all_shipped_keeps_the_filters(client, make_tag,
                                                                         make_roadmap_idea):
    make_tag("mobile")
    make_roadmap_idea("Elsewhere", "planned")

    body = client.get("/roadmap?tag=mobile&kind=problem").get_data(as_text=True)

    assert "No planned ideas match these filters." in column(body, "planned")
    assert 'href="/?status=shipped&amp;kind=problem&amp;tag=mobile"' in column(body, "shipped")
    assert "Filtered by Problem and <bdi>#mobile</bdi>." in body
    assert '<a href="/roadmap">Show everything</a>' in body


def test_empty_columns_say_so_plainly(client):
    body = client.get("/roadmap").get_data(as_text=True)

    assert "Nothing under review yet." in column(body, "under_review")
    assert "Nothing planned yet." in column(body, "planned")
    assert "Nothing in progress yet." in column(body, "in_progress")
    assert "Nothing shipped in the last 90 days." in column(body, "shipped")
    assert "All shipped ideas" in column(body, "shipped")


def test_card_shows_title_kind_tags_votes_and_last_status_change(client, make_tag, make_roadmap_idea):
    tag = make_tag("billing", colour="green")
    idea = make_roadmap_idea("Invoices by email", "in_progress", votes=2, days_ago=3, kind="problem",
                             tags=[tag])

    card = column(client.get("/roadmap").get_data(as_text=True), "in_progress")

    assert f'<a href="/ideas/{idea.id}" dir="auto">Invoices by email</a>' in card
    assert 'class="badge kind kind-problem"' in card and "Problem" in card
    assert '<a dir="auto" class="tag tag-green" href="/roadmap?tag=billing">#billing</a>' in card
    assert "<strong>2</strong> votes" in card
    assert re.search(r'Started <time datetime="[^"]+" title="[^"]+">3 days ago</time>', card)


def test_plain_request_gets_the_whole_page_with_a_filter_form(client, make_roadmap_idea):
    make_roadmap_idea("Planned thing", "planned")

    response = client.get("/roadmap?kind=idea")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in body
    assert body.count('id="roadmap-columns"') == 1
    assert re.search(r'<form class="filters roadmap-filters" method="get" action="/roadmap"', body)
    assert 'hx-target="#roadmap-columns"' in body
    assert '<option value="idea" selected>Idea</option>' in body
    assert "HX-Request" in response.headers["Vary"]


def test_htmx_filter_request_gets_the_columns_only(client, make_roadmap_idea):
    make_roadmap_idea("Planned thing", "planned")
    make_roadmap_idea("Problem thing", "planned", kind="problem")

    response = client.get("/roadmap?kind=problem", headers=htmx_headers("roadmap-columns"))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="roadmap-columns"')
    assert "<html" not in body
    assert "Problem thing" in body and "Planned thing" not in body
    assert "Filtered by Problem." in body  # the summary is inside the swapped fragment
    assert '<div id="announcer" hx-swap-oob="innerHTML">The roadmap shows 1 idea.</div>' in body
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("headers", [
    {**BOOSTED, "HX-Target": "roadmap-columns"},
    {"HX-Request": "true", "HX-History-Restore-Request": "true"},
    htmx_headers("main"),
], ids=["boosted", "history-restore", "other-target"])
def test_other_htmx_requests_get_the_whole_page(client, headers):
    body = client.get("/roadmap", headers=headers).get_data(as_text=True)

    assert "<html" in body
    assert 'id="announcer" hx-swap-oob' not in body


@pytest.mark.parametrize("query", ["kind=rant", "tag=%00", "tag=" + "x" * 500, "kind=&tag="])
def test_odd_filter_values_are_ignored_or_match_nothing(client, make_roadmap_idea, query):
    make_roadmap_idea("Planned thing", "planned")

    response = client.get(f"/roadmap?{query}")

    assert response.status_code == 200
    if query.startswith(("kind=rant", "kind=&")):
        assert "Planned thing" in response.get_data(as_text=True)


def test_roadmap_query_count_does_not_grow_with_cards(client, make_tag, make_roadmap_idea, count_queries):
    tag = make_tag("mobile")
    make_roadmap_idea("First", "planned", tags=[tag])
    with count_queries() as few:
        client.get("/roadmap")
    for number in range(12):
        make_roadmap_idea(f"Card {number}", ("under_review", "planned", "in_progress")[number % 3],
                          tags=[tag])
    with count_queries() as many:
        client.get("/roadmap")

    assert len(many) == len(few)


def test_a_long_column_shows_the_most_voted_and_links_to_the_rest(app, client, make_idea, fetch):
    from ideas.roadmap import roadmap_columns, roadmap_totals

    for number in range(4):
        make_idea(title=f"Planned {number}", status="planned", vote_count=number)

    with app.app_context():
        shown = [idea.title for idea in roadmap_columns(limit=2)["planned"]]
        totals = roadmap_totals()

    assert shown == ["Planned 3", "Planned 2"]
    assert totals["planned"] == 4


def roadmap_titles(app, **kwargs):
    """{status: [card titles]} as roadmap_columns(**kwargs) returns them."""
    from ideas.roadmap import roadmap_columns

    with app.app_context():
        return {status: [idea.title for idea in ideas]
                for status, ideas in roadmap_columns(**kwargs).items()}


def recently(days=1):
    """A status change `days` ago."""
    return utcnow() - timedelta(days=days)


def test_each_column_has_its_own_limit_whatever_the_votes_elsewhere(app, make_idea):
    columns = ("under_review", "planned", "in_progress", "shipped")  # the default statuses' columns

    for rank, status in enumerate(columns):
        for votes in range(3):  # each column's ideas outvote every idea of the columns before it
            make_idea(title=f"{status} {votes}", status=status, vote_count=100 * rank + votes,
                      status_changed_at=recently())

    assert roadmap_titles(app, limit=2) == {status: [f"{status} 2", f"{status} 1"]
                                            for status in columns}


def test_ideas_with_equal_votes_show_the_newer_first(app, make_idea):
    make_idea(title="Older", status="planned", vote_count=5)
    make_idea(title="Newer", status="planned", vote_count=5)
    make_idea(title="Fewer votes", status="planned", vote_count=4)

    assert roadmap_titles(app)["planned"] == ["Newer", "Older", "Fewer votes"]


def test_shipped_long_ago_takes_no_place_in_a_full_column(app, make_idea):
    from ideas.roadmap import roadmap_totals

    make_idea(title="Shipped long ago", status="shipped", vote_count=50, status_changed_at=recently(91))
    for votes in (1, 2, 3):
        make_idea(title=f"Shipped {votes}", status="shipped", vote_count=votes,
                  status_changed_at=recently(votes))

    assert roadmap_titles(app, limit=2)["shipped"] == ["Shipped 3", "Shipped 2"]
    with app.app_context():
        assert roadmap_totals()["shipped"] == 3


def test_totals_count_only_the_public_ideas_that_match_the_filters(app, make_idea, make_tag):
    from ideas.roadmap import roadmap_totals

    mobile = make_tag("mobile")
    make_idea(title="Tagged idea", status="planned", tags=[mobile])
    make_idea(title="Problem", kind="problem", status="planned")
    make_idea(title="Tagged problem", kind="problem", status="in_progress", tags=[mobile])
    for flag in ({"hidden_at": utcnow()}, {"withdrawn_at": utcnow()}, {"awaiting_approval": True}):
        make_idea(title="Not public", status="planned", kind="problem", tags=[mobile], **flag)
    make_idea(title="Still new", status="open", tags=[mobile])

    with app.app_context():
        totals = {filters: roadmap_totals(**dict(filters))
                  for filters in ((), (("kind", "problem"),), (("tag", "mobile"),),
                                  (("kind", "problem"), ("tag", "mobile")))}

    nothing = dict(under_review=0, shipped=0)
    assert totals == {
        (): dict(nothing, planned=2, in_progress=1),
        (("kind", "problem"),): dict(nothing, planned=1, in_progress=1),
        (("tag", "mobile"),): dict(nothing, planned=1, in_progress=1),
        (("kind", "problem"), ("tag", "mobile")): dict(nothing, planned=0, in_progress=1),
    }


def test_capped_totals_stop_one_past_the_cap(app, make_idea):
    from ideas.roadmap import roadmap_totals

    for number in range(4):
        make_idea(title=f"Planned {number}", status="planned")
    make_idea(title="In progress", status="in_progress")

    with app.app_context():
        totals = roadmap_totals(cap=2)

    assert totals["planned"] == 3
    assert totals["in_progress"] == 1


def test_a_column_past_the_count_cap_says_so_with_a_plus(client, make_roadmap_idea, monkeypatch):
    monkeypatch.setattr("ideas.web.roadmap.COUNT_CAP", 2)
    for number in range(3):
        make_roadmap_idea(title=f"Planned {number}", status="planned")
    make_roadmap_idea(title="Building", status="in_progress")

    page = client.get("/roadmap")

    assert page.status_code == 200
    planned = page.text.split('id="roadmap-planned-heading"')[1].split("</h2>")[0]
    building = page.text.split('id="roadmap-in_progress-heading"')[1].split("</h2>")[0]
    assert "2+<" in planned
    assert ">1<" in building
    announced = client.get("/roadmap", headers=htmx_headers("roadmap-columns")).text
    assert "The roadmap shows 3+ ideas." in announced
