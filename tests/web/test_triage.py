"""The staff inbox: order, counts, filters, per-row numbers, bulk changes, approval, access."""
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from helpers import BOOSTED, htmx_headers
from ideas import create_app
from ideas.extensions import db
from ideas.following import follow_idea, unfollow_idea
from ideas.models import AuditEntry, Idea, TimelineEntry, User, Vote, utcnow
from ideas.voting import cast_vote

LOGIN = "login"


def titles_in(body, *titles):
    """The given titles in the order they appear in `body` (absent ones left out)."""
    found = [(body.find(f">{title}</a>"), title) for title in titles if f">{title}</a>" in body]
    return [title for _, title in sorted(found)]


def cell(body, idea, column):
    """The number in one of the row's cells: votes, followers or recent-votes."""
    match = re.search(rf'id="inbox-{idea.id}-{column}">(\d+)<', body)
    assert match, f"no {column} cell for idea {idea.id}"
    return int(match.group(1))


def count_of(body, status):
    """The number next to a status link at the top of the inbox."""
    return int(re.search(rf'id="inbox-count-{status}">(\d+)<', body).group(1))


def checked_ids(body):
    """The ids of the rows whose checkbox is ticked."""
    return {int(value) for value in re.findall(r'name="idea_ids" value="(\d+)"[^>]* checked', body)}


def vote_for(app, idea, voters):
    """Cast votes through the domain rule."""
    with app.app_context():
        for voter in voters:
            cast_vote(db.session.get(User, voter.id), db.session.get(Idea, idea.id))
        db.session.commit()


def statuses(fetch, *ideas):
    """The stored status of each idea."""
    return [fetch(lambda idea=idea: db.session.get(Idea, idea.id).status) for idea in ideas]


def rows(fetch, model, **where):
    """Stored rows of `model` matching `where`, oldest first."""
    return fetch(lambda: db.session.execute(
        select(model).filter_by(**where).order_by(model.id)).scalars().all())


@pytest.fixture
def staff(auth, make_user):
    """A signed-in product manager."""
    member = make_user(role="staff", name="Pat Manager")
    auth.login(member)
    return member


# -- The list ----------------------------------------------------------------------------------


def test_new_ideas_come_first_oldest_waiting_first(client, staff, make_idea):
    now = utcnow()
    make_idea(title="Planned long ago", status="planned", status_changed_at=now - timedelta(days=60))
    make_idea(title="New today", status_changed_at=now - timedelta(hours=2))
    make_idea(title="New last week", status_changed_at=now - timedelta(days=7))
    make_idea(title="Reviewed yesterday", status="under_review",
              status_changed_at=now - timedelta(days=1))

    body = client.get("/staff/").get_data(as_text=True)

    assert titles_in(body, "Planned long ago", "New today", "New last week", "Reviewed yesterday") == [
        "New last week", "New today", "Planned long ago", "Reviewed yesterday"]


def test_counts_per_status_link_to_that_status(client, staff, make_idea):
    make_idea(title="One")
    make_idea(title="Two")
    make_idea(title="Three", status="planned")
    make_idea(title="Gone", status="merged")
    make_idea(title="Withdrawn", withdrawn_at=utcnow())

    body = client.get("/staff/").get_data(as_text=True)

    assert count_of(body, "all") == 3
    assert count_of(body, "open") == 2
    assert count_of(body, "planned") == 1
    assert count_of(body, "declined") == 0
    assert 'href="/staff/?status=planned"' in body
    assert "merged" not in re.findall(r'id="inbox-count-(\w+)"', body)


def test_counts_follow_the_kind_and_tag_filters(client, staff, make_idea, make_tag):
    mobile = make_tag("mobile")
    make_idea(title="Tagged", tags=[mobile])
    make_idea(title="Untagged")

    body = client.get("/staff/?tag=mobile").get_data(as_text=True)

    assert count_of(body, "open") == 1
    assert 'href="/staff/?status=open&amp;tag=mobile"' in body


@pytest.mark.parametrize("query, shown, hidden", [
    ("status=planned", "Planned one", "Open one"),
    ("kind=problem", "Open one", "Planned one"),
    ("tag=mobile", "Planned one", "Open one"),
])
def test_inbox_filters(client, staff, make_idea, make_tag, query, shown, hidden):
    mobile = make_tag("mobile")
    make_idea(title="Planned one", status="planned", tags=[mobile])
    make_idea(title="Open one", kind="problem")

    body = client.get(f"/staff/?{query}").get_data(as_text=True)

    assert f">{shown}</a>" in body
    assert f">{hidden}</a>" not in body


@pytest.mark.parametrize("sort, expected", [
    ("votes", ["Popular", "Middle", "Quiet"]),
    ("trending", ["Middle", "Quiet", "Popular"]),
    ("newest", ["Quiet", "Middle", "Popular"]),
    ("waiting", ["Middle", "Popular", "Quiet"]),
])
def test_inbox_sorts(client, staff, make_idea, sort, expected):
    now = utcnow()
    make_idea(title="Popular", vote_count=9, trending_score=1.0, created_at=now - timedelta(days=9),
              status_changed_at=now - timedelta(days=5))
    make_idea(title="Middle", vote_count=4, trending_score=3.0, created_at=now - timedelta(days=5),
              status_changed_at=now - timedelta(days=8), status="planned")
    make_idea(title="Quiet", vote_count=0, trending_score=2.0, created_at=now - timedelta(days=1),
              status_changed_at=now - timedelta(days=1))

    body = client.get(f"/staff/?sort={sort}").get_data(as_text=True)

    assert titles_in(body, "Popular", "Middle", "Quiet") == expected


def test_unknown_filter_values_are_ignored(client, staff, make_idea):
    make_idea(title="Still listed")

    response = client.get("/staff/?sort=sideways&status=merged&kind=rant&tag=%00&page=-3")

    assert response.status_code == 200
    assert ">Still listed</a>" in response.get_data(as_text=True)


def test_rows_show_votes_followers_and_votes_of_the_last_week(app, client, staff, make_user,
                                                             make_idea):
    idea = make_idea(title="Counted")
    early, recent, quitter = make_user(), make_user(), make_user()
    vote_for(app, idea, [early, recent, quitter])
    fan = make_user()
    with app.app_context():
        follow_idea(db.session.get(User, fan.id), db.session.get(Idea, idea.id))
        unfollow_idea(db.session.get(User, quitter.id), db.session.get(Idea, idea.id))
        db.session.execute(update(Vote).where(Vote.user_id == early.id)
                           .values(created_at=utcnow() - timedelta(days=8)))
        db.session.commit()

    body = client.get("/staff/").get_data(as_text=True)

    assert cell(body, idea, "votes") == 3
    assert cell(body, idea, "followers") == 4  # author, two voters, the fan; not the quitter
    assert cell(body, idea, "recent-votes") == 2


def test_staff_see_hidden_and_held_ideas_marked_as_such(client, staff, make_idea):
    make_idea(title="Hidden one", hidden_at=utcnow())
    held = make_idea(title="Held one", awaiting_approval=True)

    body = client.get("/staff/").get_data(as_text=True)

    assert ">Hidden one</a>" in body and "Hidden</span>" in body
    assert ">Held one</a>" in body and "Awaiting approval</span>" in body
    assert f'formaction="/staff/ideas/{held.id}/approve"' in body


def test_rows_link_to_the_idea_page(client, staff, make_idea):
    idea = make_idea(title="Linked")

    body = client.get("/staff/").get_data(as_text=True)

    assert f'href="/ideas/{idea.id}" dir="auto">Linked</a>' in body


def test_query_count_does_not_grow_with_rows(app, client, staff, make_user, make_idea, make_tag,
                                             count_queries):
    tag = make_tag("mobile")
    voter = make_user()
    make_idea(tags=[tag])
    with count_queries() as few:
        client.get("/staff/")
    for number in range(15):
        idea = make_idea(title=f"Idea {number}", tags=[tag])
        vote_for(app, idea, [voter])

    with count_queries() as many:
        body = client.get("/staff/").get_data(as_text=True)

    assert body.count('name="idea_ids"') == 16
    assert len(many) == len(few)
    # One of them reads the site's settings (branding, private mode, the priority weights), one the
    # segments the filter offers, one the rows' priority scores.
    assert len(many) <= 11, many


@pytest.fixture
def fifty_five_ideas(app, make_user):
    """One idea more than a page and a bit: 55, numbered by age."""
    author = make_user()
    with app.app_context():
        from ideas.proposals import propose_idea

        member = db.session.get(User, author.id)
        for number in range(55):
            propose_idea(member, f"Numbered idea {number:02d}")
        db.session.commit()


def test_inbox_paginates_fifty_a_page_with_plain_links(client, staff, fifty_five_ideas):
    first = client.get("/staff/?sort=newest").get_data(as_text=True)
    second = client.get("/staff/?sort=newest&page=2").get_data(as_text=True)

    assert first.count('name="idea_ids"') == 50
    assert second.count('name="idea_ids"') == 5
    assert 'href="/staff/?sort=newest&amp;page=2"' in first
    assert ">Numbered idea 04</a>" in second and ">Numbered idea 04</a>" not in first
    assert "Previous page" in second


def test_filters_answer_htmx_with_the_results_only(client, staff, make_idea):
    make_idea(title="Open one")

    response = client.get("/staff/?kind=idea", headers=htmx_headers("inbox-results"))

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="inbox-results"')
    assert "<html" not in body
    assert ">Open one</a>" in body
    assert "HX-Request" in response.headers["Vary"]


def test_boosted_requests_get_the_whole_inbox(client, staff):
    response = client.get("/staff/", headers={**BOOSTED, "HX-Target": "inbox-results"})

    assert "<html" in response.get_data(as_text=True)


# -- Nothing to show ---------------------------------------------------------------------------

NOTHING_WAITING = "Nothing waiting for triage: every new idea has been looked at."


def empty_state(body):
    """The inbox's empty state, or None."""
    match = re.search(r'<div class="empty-state" id="inbox-empty">.*?</div>', body, re.S)
    return match and match.group(0)


def test_with_no_new_idea_the_inbox_says_triage_is_done_and_offers_what_is_next(
        client, staff, make_idea):
    make_idea(title="Being looked at", status="under_review")
    make_idea(title="Planned already", status="planned")

    response = client.get("/staff/?status=open")

    empty = empty_state(response.get_data(as_text=True))
    assert response.status_code == 200
    assert NOTHING_WAITING in empty
    assert "New ideas land here as customers propose them." in empty
    assert '<a class="button" href="/staff/?status=under_review">Decide on the idea under review</a>' in empty
    assert '<a class="button" href="/roadmap">Check the roadmap</a>' in empty
    assert "No ideas match" not in empty


def test_an_inbox_without_any_idea_says_nothing_waits(client, staff):
    empty = empty_state(client.get("/staff/").get_data(as_text=True))

    assert NOTHING_WAITING in empty
    assert "under review" not in empty  # nothing to decide on either
    assert 'href="/roadmap"' in empty


def test_filters_matching_nothing_say_so_and_lead_back_to_every_idea(client, staff, make_idea):
    make_idea(title="An idea, not praise", kind="idea")

    response = client.get("/staff/?status=open&kind=praise", headers=htmx_headers("inbox-results"))

    empty = empty_state(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "No ideas match these filters." in empty
    assert '<a class="button" href="/staff/">Show every idea</a>' in empty
    assert NOTHING_WAITING not in empty


# -- Bulk status change ------------------------------------------------------------------------


def test_bulk_status_change_moves_every_selected_idea(client, staff, make_idea, fetch):
    long_ago = utcnow() - timedelta(days=30)
    ideas = [make_idea(title=f"Idea {n}", status_changed_at=long_ago) for n in range(3)]
    untouched = make_idea(title="Not selected")

    response = client.post("/staff/bulk/status", data={
        "idea_ids": [idea.id for idea in ideas], "status": "planned",
        "note": "On the plan for spring.", "next": "/staff/?kind=idea"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/?kind=idea"
    assert "3 ideas moved to Planned." in client.get("/staff/").get_data(as_text=True)
    assert statuses(fetch, *ideas, untouched) == ["planned", "planned", "planned", "open"]
    for idea in ideas:
        changed_at = fetch(lambda idea=idea: db.session.get(Idea, idea.id).status_changed_at)
        assert changed_at > utcnow() - timedelta(minutes=1)


def test_bulk_status_change_writes_a_timeline_and_audit_entry_per_idea(client, staff, make_idea,
                                                                      fetch):
    ideas = [make_idea(title=f"Idea {n}") for n in range(2)]

    client.post("/staff/bulk/status", data={
        "idea_ids": [idea.id for idea in ideas], "status": "under_review", "note": "Looking at it."})

    for idea in ideas:
        [entry] = rows(fetch, TimelineEntry, idea_id=idea.id, action="status")
        assert (entry.actor_id, entry.from_status, entry.to_status, entry.note) == (
            staff.id, "open", "under_review", "Looking at it.")
        [audit] = rows(fetch, AuditEntry, target_id=idea.id, action="idea.status_changed")
        assert audit.actor_id == staff.id
        assert json.loads(audit.before) == {"status": "open"}
        assert json.loads(audit.after)["status"] == "under_review"


def test_declining_without_a_note_is_refused_with_the_form_kept(client, staff, make_idea, fetch):
    first, second = make_idea(title="First"), make_idea(title="Second")
    other = make_idea(title="Not selected")

    response = client.post("/staff/bulk/status", data={
        "idea_ids": [first.id, second.id], "status": "declined", "note": "  ",
        "next": "/staff/?sort=newest"})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was changed." in body
    assert 'id="note-error">Say why the idea is declined' in body
    assert checked_ids(body) == {first.id, second.id}
    assert f'value="{other.id}" id="select-idea-{other.id}">' in body  # listed, not ticked
    assert '<option selected value="declined">' in body
    assert 'value="/staff/?sort=newest"' in body
    assert statuses(fetch, first, second) == ["open", "open"]
    assert rows(fetch, TimelineEntry, action="status") == []
    assert rows(fetch, AuditEntry, action="idea.status_changed") == []


def test_one_refusing_row_changes_nothing_and_is_named(client, staff, make_idea, fetch):
    movable = make_idea(title="Movable")
    already = make_idea(title="Already planned", status="planned")

    response = client.post("/staff/bulk/status", data={
        "idea_ids": [movable.id, already.id], "status": "planned", "note": "Coming in May."})

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"#{already.id} “<bdi>Already planned</bdi>”: The idea is already planned." in body
    assert f'id="inbox-idea-{already.id}-error">The idea is already planned.' in body
    assert "Movable</bdi>”" not in body
    assert "Coming in May.</textarea>" in body
    assert checked_ids(body) == {movable.id, already.id}
    assert statuses(fetch, movable, already) == ["open", "planned"]
    assert rows(fetch, TimelineEntry, idea_id=movable.id) == []


def test_bulk_status_change_needs_a_selection(client, staff, make_idea):
    make_idea()

    response = client.post("/staff/bulk/status", data={"status": "planned"})

    assert response.status_code == 422
    assert "Select at least one idea." in response.get_data(as_text=True)


def test_merged_cannot_be_chosen_in_bulk(client, staff, make_idea, fetch):
    idea = make_idea()

    response = client.post("/staff/bulk/status", data={"idea_ids": [idea.id], "status": "merged"})

    assert response.status_code == 422
    assert 'id="status-error">Choose one of the statuses on the list.' in response.get_data(as_text=True)
    assert statuses(fetch, idea) == ["open"]


@pytest.mark.parametrize("ids", [["x"], ["2147483648"], ["0"]])
def test_ids_that_cannot_be_ideas_are_refused(client, staff, make_idea, ids):
    make_idea()

    response = client.post("/staff/bulk/status", data={"idea_ids": ids, "status": "planned"})

    assert response.status_code == 422


def test_an_id_that_no_longer_exists_is_refused(client, staff, make_idea, fetch):
    idea = make_idea()

    response = client.post("/staff/bulk/status", data={"idea_ids": [idea.id, 9999],
                                                       "status": "planned"})

    assert response.status_code == 422
    assert "no longer exist" in response.get_data(as_text=True)
    assert statuses(fetch, idea) == ["open"]


def test_next_never_leads_off_site(client, staff, make_idea):
    idea = make_idea()

    response = client.post("/staff/bulk/status", data={
        "idea_ids": [idea.id], "status": "planned", "next": "//evil.example/"})

    assert response.headers["Location"] == "/staff/"


# -- Bulk tagging and approval -----------------------------------------------------------------


def test_bulk_tag_tags_every_selected_idea(client, staff, make_idea, make_tag, fetch):
    mobile = make_tag("mobile")
    tagged = make_idea(title="Already tagged", tags=[mobile])
    plain = make_idea(title="Plain")

    response = client.post("/staff/bulk/tag", data={
        "idea_ids": [tagged.id, plain.id], "tag": "mobile", "next": "/staff/?tag=mobile"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/?tag=mobile"
    assert "2 ideas tagged #mobile." in client.get("/staff/").get_data(as_text=True)
    names = fetch(lambda: [tag.name for tag in db.session.get(Idea, plain.id).tags])
    assert names == ["mobile"]
    [audit] = rows(fetch, AuditEntry, action="idea.tagged")
    assert audit.target_id == plain.id  # the idea that had it already was left alone


def test_bulk_tag_needs_a_known_tag(client, staff, make_idea, fetch):
    idea = make_idea()

    response = client.post("/staff/bulk/tag", data={"idea_ids": [idea.id], "tag": "nonsense"})

    assert response.status_code == 422
    assert 'id="tag-error">Choose a tag from the list.' in response.get_data(as_text=True)
    assert checked_ids(response.get_data(as_text=True)) == {idea.id}
    assert rows(fetch, AuditEntry, action="idea.tagged") == []


def test_approve_publishes_a_held_idea(client, staff, make_idea, fetch):
    idea = make_idea(title="First idea", awaiting_approval=True)

    response = client.post(f"/staff/ideas/{idea.id}/approve", data={"next": "/staff/?status=open"})

    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/?status=open"
    assert "“First idea” is approved" in client.get("/staff/").get_data(as_text=True)
    assert fetch(lambda: db.session.get(Idea, idea.id).awaiting_approval) is False
    assert [entry.action for entry in rows(fetch, TimelineEntry, idea_id=idea.id)] == ["approved"]
    assert len(rows(fetch, AuditEntry, action="idea.approved", target_id=idea.id)) == 1


def test_approving_a_missing_idea_is_404(client, staff):
    assert client.post("/staff/ideas/9999/approve").status_code == 404


# -- Who may ---------------------------------------------------------------------------------


ROUTES = [
    ("get", "/staff/", lambda ids: {}, 200),
    ("post", "/staff/bulk/status",
     lambda ids: {"idea_ids": [ids["idea"]], "status": "planned"}, 303),
    ("post", "/staff/bulk/tag", lambda ids: {"idea_ids": [ids["idea"]], "tag": "mobile"}, 303),
    ("post", "/staff/ideas/{idea}/approve", lambda ids: {}, 303),
]


@pytest.fixture
def world(make_user, make_idea, make_tag):
    """One person of each role and a held idea to act on."""
    make_tag("mobile")
    people = {role: make_user(role=role) for role in ("member", "staff", "admin")}
    return people, {"idea": make_idea(awaiting_approval=True).id}


@pytest.mark.parametrize("actor", ["anonymous", "member", "staff", "admin"])
@pytest.mark.parametrize("method, route, data, allowed", ROUTES, ids=[row[1] for row in ROUTES])
def test_inbox_routes_are_for_staff_and_admins(client, auth, world, actor, method, route, data,
                                               allowed):
    people, ids = world
    if actor != "anonymous":
        auth.login(people[actor])

    response = getattr(client, method)(route.format(**ids), data=data(ids))

    if actor == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
    elif actor == "member":
        assert response.status_code == 403
    else:
        assert response.status_code == allowed, response.get_data(as_text=True)[:500]


@pytest.fixture
def csrf_client(app, database_url, make_user):
    """A staff member signed in to the app with CSRF protection on, as in production."""
    csrf_app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url,
                                      "WTF_CSRF_ENABLED": True})
    client = csrf_app.test_client()
    member = make_user(role="staff")
    login_page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    response = client.post("/auth/login", data={"email": member.email, "password": "correct horse battery",
                                                "csrf_token": token})
    assert response.status_code == 303
    yield client
    with csrf_app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_inbox_forms_carry_a_token_and_refuse_posts_without_one(csrf_client, make_idea, fetch):
    idea = make_idea(awaiting_approval=True)

    body = csrf_client.get("/staff/").get_data(as_text=True)
    refused = csrf_client.post("/staff/bulk/status", data={"idea_ids": [idea.id], "status": "planned"})
    token = re.search(r'id="bulk-form"[^>]*>\s*<input id="csrf_token" name="csrf_token" type="hidden" '
                      r'value="([^"]+)"', body)

    assert token, body
    assert refused.status_code == 400
    assert statuses(fetch, idea) == ["open"]
    accepted = csrf_client.post("/staff/bulk/status", data={
        "idea_ids": [idea.id], "status": "planned", "csrf_token": token.group(1)})
    assert accepted.status_code == 303
