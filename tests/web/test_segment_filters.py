"""Staff narrow the board and the roadmap to a segment (the ideas its members proposed or back);
nobody else is offered the filter or gets it by URL, and a filtered page never shares a cached
block with the unfiltered one."""
import re

import pytest
from sqlalchemy import select

from helpers import htmx_headers
from ideas.extensions import db
from ideas.models import Idea, Segment, User, utcnow
from ideas.segments import create_segment
from ideas.voting import cast_vote

PAGES = ("/", "/roadmap")
# What a segment-filtered page of either kind has of its own.
SEGMENT_CONTROL = 'name="segment"'


@pytest.fixture
def segment(app, make_user, make_company):
    """An "Enterprise" segment (plan is Enterprise) holding ada, of Acme; cy is in a Pro company.
    Returns (segment id, {name: member})."""
    admin = make_user(role="admin")
    people = {name: make_user(name=name.capitalize()) for name in ("ada", "cy")}
    make_company("Acme", members=[people["ada"]], plan="Enterprise")
    make_company("Beta", members=[people["cy"]], plan="Pro")
    with app.app_context():
        created = create_segment(db.session.get(User, admin.id), "Enterprise", "all",
                                 [{"field": "attribute.plan", "operator": "is", "value": "Enterprise"}])
        db.session.commit()
        return created.id, people


@pytest.fixture
def ideas(app, segment, make_idea):
    """Three ideas in `status`: ada backs "Single sign-on", ada proposed "Audit log", cy proposed
    "Dark mode" (backed by nobody in the segment)."""
    _segment_id, people = segment

    def make(status="open"):
        backed = make_idea(title="Single sign-on")
        make_idea(title="Audit log", author=people["ada"])
        make_idea(title="Dark mode", author=people["cy"])
        with app.app_context():
            cast_vote(db.session.get(User, people["ada"].id), db.session.get(Idea, backed.id))
            for idea in db.session.execute(select(Idea)).scalars():
                idea.status, idea.status_changed_at = status, utcnow()
            db.session.commit()

    return make


def shown(body):
    """The titles of the ideas a board or roadmap page lists."""
    return set(re.findall(r'<a href="/ideas/\d+" dir="auto"(?: autofocus)?>([^<]*)</a>', body))


def links_with_a_segment(body):
    """The links of a page that keep a segment filter (the reader's own address, which a form
    carries back as `next`, is not a link)."""
    return re.findall(r'href="[^"]*segment=[^"]*"', body)


def test_staff_narrow_the_board_to_the_ideas_a_segment_proposed_or_backs(client, staff, segment, ideas):
    segment_id, _people = segment
    ideas()

    response = client.get("/", query_string={"segment": segment_id})

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown(body) == {"Single sign-on", "Audit log"}
    assert f'<option value="{segment_id}" selected>Enterprise</option>' in body


def test_staff_narrow_the_roadmap_to_the_ideas_a_segment_proposed_or_backs(client, staff, segment, ideas):
    segment_id, _people = segment
    ideas("planned")

    response = client.get("/roadmap", query_string={"segment": segment_id})

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown(body) == {"Single sign-on", "Audit log"}
    assert "Filtered by the segment <bdi>Enterprise</bdi>." in body
    assert re.search(r'roadmap-column-planned.*?<span class="roadmap-count">2<', body, re.S)
    assert f'<option value="{segment_id}" selected>Enterprise</option>' in body


@pytest.mark.parametrize("path, target", [("/", "board-results"), ("/roadmap", "roadmap-columns")])
def test_the_htmx_filter_request_gets_the_segments_results_alone(client, staff, segment, ideas, path, target):
    segment_id, _people = segment
    ideas("planned")

    response = client.get(path, query_string={"segment": segment_id}, headers=htmx_headers(target))

    body = response.get_data(as_text=True)
    assert "<html" not in body and f'id="{target}"' in body
    assert shown(body) == {"Single sign-on", "Audit log"}


def test_the_boards_next_page_keeps_the_segment(app, client, staff, segment, ideas):
    segment_id, _people = segment
    ideas()
    app.config["IDEAS_PER_PAGE"] = 1
    query = {"segment": segment_id, "sort": "new"}

    first = client.get("/", query_string=query).get_data(as_text=True)
    second = client.get("/", query_string={**query, "page": 2}).get_data(as_text=True)

    assert f'href="/?sort=new&amp;segment={segment_id}&amp;page=2"' in first
    assert shown(first) | shown(second) == {"Single sign-on", "Audit log"}


@pytest.mark.parametrize("path", PAGES)
def test_an_unknown_segment_leaves_the_page_unfiltered(client, staff, segment, ideas, path):
    ideas("planned")

    response = client.get(path, query_string={"segment": "999999"})

    assert response.status_code == 200
    assert shown(response.get_data(as_text=True)) == {"Single sign-on", "Audit log", "Dark mode"}


@pytest.mark.parametrize("reader", ["anonymous", "member"])
@pytest.mark.parametrize("path", PAGES)
def test_anyone_but_staff_gets_the_whole_page_and_no_segment_filter(client, auth, make_user, segment, ideas,
                                                                   reader, path):
    segment_id, _people = segment
    ideas("planned")
    if reader == "member":
        auth.login(make_user())

    response = client.get(path, query_string={"segment": segment_id})

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert shown(body) == {"Single sign-on", "Audit log", "Dark mode"}
    assert SEGMENT_CONTROL not in body
    assert "Enterprise" not in body
    assert not links_with_a_segment(body)


@pytest.mark.parametrize("path", PAGES)
def test_staff_are_offered_the_segments_in_the_filters(client, staff, segment, path):
    segment_id, _people = segment

    body = client.get(path).get_data(as_text=True)

    assert SEGMENT_CONTROL in body
    assert f'<option value="{segment_id}">Enterprise</option>' in body


# Cached blocks (ideas/web/fragments.py): each order of filtered and whole views, by staff and members.

@pytest.mark.parametrize("path", PAGES)
def test_a_filtered_page_and_the_whole_page_never_share_a_cached_block(client, auth, make_user, staff,
                                                                     segment, ideas, path):
    segment_id, _people = segment
    ideas("shipped")
    member = make_user()

    filtered_first = client.get(path, query_string={"segment": segment_id}).get_data(as_text=True)
    whole = client.get(path).get_data(as_text=True)
    auth.logout()
    auth.login(member)
    member_page = client.get(path, query_string={"segment": segment_id}).get_data(as_text=True)
    auth.logout()
    auth.login(staff)
    filtered_again = client.get(path, query_string={"segment": segment_id}).get_data(as_text=True)

    assert shown(filtered_first) == shown(filtered_again) == {"Single sign-on", "Audit log"}
    assert shown(whole) == shown(member_page) == {"Single sign-on", "Audit log", "Dark mode"}
    assert not links_with_a_segment(member_page)


# A roadmap where every idea is the segment's shows the same cards filtered or not: only the
# links inside the block (which keep the filter) tell the two apart.
def test_the_roadmaps_cached_columns_of_a_segment_are_not_shown_to_members(app, client, auth, make_user,
                                                                          staff, segment, make_idea):
    segment_id, people = segment
    only = make_idea(title="Single sign-on")
    with app.app_context():
        cast_vote(db.session.get(User, people["ada"].id), db.session.get(Idea, only.id))
        stored = db.session.get(Idea, only.id)
        stored.status, stored.status_changed_at = "shipped", utcnow()
        db.session.commit()
    shipped_link = f'href="/?status=shipped&amp;segment={segment_id}"'

    filtered = client.get("/roadmap", query_string={"segment": segment_id}).get_data(as_text=True)
    auth.logout()
    anonymous = client.get("/roadmap").get_data(as_text=True)
    auth.login(make_user())
    member = client.get("/roadmap", query_string={"segment": segment_id}).get_data(as_text=True)
    auth.logout()
    auth.login(staff)
    filtered_after = client.get("/roadmap", query_string={"segment": segment_id}).get_data(as_text=True)

    assert shown(filtered) == shown(anonymous) == shown(member) == {"Single sign-on"}
    assert shipped_link in filtered and shipped_link in filtered_after
    assert not links_with_a_segment(anonymous) and not links_with_a_segment(member)
    assert 'href="/?status=shipped"' in anonymous and 'href="/?status=shipped"' in member


def test_a_segment_that_is_gone_leaves_the_filter_off(app, client, staff, segment, ideas):
    segment_id, _people = segment
    ideas("planned")
    client.get("/roadmap", query_string={"segment": segment_id})
    with app.app_context():
        db.session.delete(db.session.get(Segment, segment_id))
        db.session.commit()

    body = client.get("/roadmap", query_string={"segment": segment_id}).get_data(as_text=True)

    assert shown(body) == {"Single sign-on", "Audit log", "Dark mode"}
    assert not links_with_a_segment(body)
