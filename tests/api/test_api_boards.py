"""Boards in the API and the CSV export: every idea names its board, GET /boards lists the boards the
reader may see, `board` narrows the ideas and the roadmap, new ideas may go on a board and staff
move ideas between boards. A board the reader may not see answers 404, exactly as one that does
not exist."""
import csv
import io

import pytest
from sqlalchemy import select

from ideas.boards import create_board
from ideas.extensions import db
from ideas.models import Idea, TimelineEntry, User
from ideas.segments import create_segment

from conftest import error_of


@pytest.fixture
def make_board(app, admin):
    """make_board(name, access="public", segments=[plan, ...]): a board made through the admins'
    rule (a segment per plan named), committed; returns (id, slug)."""
    def make(name, access="public", segments=()):
        with app.app_context():
            actor = db.session.get(User, admin.id)
            segment_ids = [str(create_segment(actor, plan, "all", [
                {"field": "attribute.plan", "operator": "is", "value": plan}]).id) for plan in segments]
            board = create_board(actor, {"name": name, "access": access, "segment_ids": segment_ids})
            db.session.commit()
            return board.id, board.slug

    return make


@pytest.fixture
def people(make_user, make_company):
    """A member of an Enterprise customer and one of a Free customer."""
    enterprise, free = make_user(name="Erin"), make_user(name="Finn")
    make_company("Big Corp", members=[enterprise], plan="Enterprise")
    make_company("Small Shop", members=[free], plan="Free")
    return {"enterprise": enterprise, "free": free}


@pytest.fixture
def enterprise_board(make_board):
    """A board only the Enterprise segment (and staff) may see."""
    return make_board("Enterprise programme", access="chosen", segments=["Enterprise"])


def titles(response):
    assert response.status_code == 200, response.get_json()
    return sorted(idea["title"] for idea in response.get_json()["ideas"])


def roadmap_titles(response):
    assert response.status_code == 200, response.get_json()
    return sorted(idea["title"] for column in response.get_json()["columns"] for idea in column["ideas"])


def board_of(fetch, idea_id):
    return fetch(lambda: db.session.get(Idea, idea_id).board_id)


# Every idea names its board.

def test_every_idea_carries_its_boards_slug_main_for_the_main_board(api_as, make_board, make_idea):
    board_id, slug = make_board("Mobile app")
    on_main, on_mobile = make_idea(title="On main"), make_idea(title="On mobile", board_id=board_id)
    api = api_as(None)

    listed = {idea["title"]: idea["board"] for idea in api.get("/ideas").get_json()["ideas"]}

    assert listed == {"On main": "main", "On mobile": slug}
    assert api.get(f"/ideas/{on_mobile.id}").get_json()["board"] == slug
    assert api.get(f"/ideas/{on_main.id}").get_json()["board"] == "main"


def test_the_boards_slugs_are_read_once_per_request_not_per_idea(api_as, make_board, make_idea,
                                                                 count_queries):
    board_id, _slug = make_board("Mobile app")
    api = api_as(None)

    def queries_for_the_list():
        with count_queries() as queries:
            assert api.get("/ideas").status_code == 200
        return len(queries)

    make_idea(title="One", board_id=board_id)
    with_one = queries_for_the_list()
    for number in range(4):
        make_idea(title=f"More {number}", board_id=board_id if number % 2 else None)

    assert queries_for_the_list() == with_one


# GET /boards

def test_a_site_with_one_board_lists_just_the_main_board(api_as):
    response = api_as(None).get("/boards")

    assert response.status_code == 200
    assert response.get_json() == {"boards": [{"slug": "main", "name": "General", "description": ""}]}


def test_boards_lists_main_first_then_those_the_reader_may_see_without_their_access(api_as, make_board,
                                                                                   make_user):
    make_board("Mobile app")
    make_board("Partners", access="members")
    make_board("Team only", access="staff")

    anonymous = api_as(None).get("/boards").get_json()["boards"]
    member = api_as(make_user()).get("/boards").get_json()["boards"]

    assert [board["slug"] for board in anonymous] == ["main", "mobile-app"]
    assert [board["slug"] for board in member] == ["main", "mobile-app", "partners"]
    assert all(set(board) == {"slug", "name", "description"} for board in anonymous + member)


def test_staff_read_every_board_with_who_may_see_it(api_as, make_board, make_user):
    make_board("Team only", access="staff")

    boards = api_as(make_user(role="staff")).get("/boards").get_json()["boards"]

    assert [(board["slug"], board["name"], board["access"]) for board in boards] == [
        ("main", "General", "public"), ("team-only", "Team only", "staff")]


def test_boards_hides_a_segment_board_from_a_member_outside_the_segment(api_as, people, enterprise_board):
    _board_id, slug = enterprise_board

    outside = api_as(people["free"]).get("/boards").get_json()["boards"]
    inside = api_as(people["enterprise"]).get("/boards").get_json()["boards"]

    assert [board["slug"] for board in outside] == ["main"]
    assert [board["slug"] for board in inside] == ["main", slug]


# `board` narrows the list and the roadmap.

def test_the_ideas_list_keeps_one_boards_ideas(api_as, make_board, make_idea):
    board_id, slug = make_board("Mobile app")
    make_idea(title="On main")
    make_idea(title="On mobile", board_id=board_id)
    api = api_as(None)

    assert titles(api.get(f"/ideas?board={slug}")) == ["On mobile"]
    assert titles(api.get("/ideas?board=main")) == ["On main"]
    assert titles(api.get("/ideas")) == ["On main", "On mobile"]


def test_the_next_page_keeps_the_board(api_as, make_board, make_idea):
    board_id, slug = make_board("Mobile app")
    for number in range(3):
        make_idea(title=f"On mobile {number}", board_id=board_id)
    make_idea(title="On main")

    first = api_as(None).get(f"/ideas?board={slug}&per_page=2").get_json()

    assert f"board={slug}" in first["next"]


def test_the_roadmap_keeps_one_boards_ideas(api_as, make_board, make_idea):
    board_id, slug = make_board("Mobile app")
    make_idea(title="Planned on main", status="planned")
    make_idea(title="Planned on mobile", status="planned", board_id=board_id)
    api = api_as(None)

    assert roadmap_titles(api.get(f"/roadmap?board={slug}")) == ["Planned on mobile"]
    assert roadmap_titles(api.get("/roadmap?board=main")) == ["Planned on main"]
    assert roadmap_titles(api.get("/roadmap")) == ["Planned on main", "Planned on mobile"]


def test_the_roadmap_shows_a_member_the_boards_they_may_see(api_as, make_board, make_idea, make_user):
    board_id, _slug = make_board("Partners", access="members")
    make_idea(title="Planned for members", status="planned", board_id=board_id)

    assert roadmap_titles(api_as(None).get("/roadmap")) == []
    assert roadmap_titles(api_as(make_user()).get("/roadmap")) == ["Planned for members"]


@pytest.mark.parametrize("path", ["/ideas", "/roadmap"])
@pytest.mark.parametrize("board", ["hidden", "nowhere"])
def test_a_board_the_reader_may_not_see_or_that_does_not_exist_is_404(api_as, make_board, make_user,
                                                                     path, board):
    _board_id, slug = make_board("Team only", access="staff")
    asked = slug if board == "hidden" else "nowhere"

    response = api_as(make_user()).get(f"{path}?board={asked}")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_member_outside_a_segment_board_never_finds_its_ideas(api_as, make_idea, people, enterprise_board):
    board_id, _slug = enterprise_board
    idea = make_idea(title="Single sign-on", board_id=board_id)
    make_idea(title="Dark mode")
    outside, inside = api_as(people["free"]), api_as(people["enterprise"])

    assert outside.get(f"/ideas/{idea.id}").status_code == 404
    assert titles(outside.get("/ideas")) == ["Dark mode"]
    assert titles(outside.get("/ideas?q=sign")) == []
    assert inside.get(f"/ideas/{idea.id}").status_code == 200
    assert titles(inside.get("/ideas")) == ["Dark mode", "Single sign-on"]


# POST /ideas with a board

def test_a_member_proposes_on_a_board_they_may_see(api_as, fetch, people, enterprise_board):
    board_id, slug = enterprise_board

    response = api_as(people["enterprise"]).post("/ideas", json={"title": "Audit log export", "board": slug})

    assert response.status_code == 201
    assert response.get_json()["board"] == slug
    assert board_of(fetch, response.get_json()["id"]) == board_id


def test_a_new_idea_goes_on_the_main_board_by_default(api_as, fetch, make_user, enterprise_board):
    response = api_as(make_user()).post("/ideas", json={"title": "Audit log export"})

    assert response.status_code == 201
    assert response.get_json()["board"] == "main"
    assert board_of(fetch, response.get_json()["id"]) is None


@pytest.mark.parametrize("board", ["hidden", "nowhere"])
def test_proposing_on_a_board_the_member_may_not_see_is_422_on_board(api_as, fetch, people, enterprise_board,
                                                                     board):
    _board_id, slug = enterprise_board
    asked = slug if board == "hidden" else "nowhere"

    response = api_as(people["free"]).post("/ideas", json={"title": "Audit log export", "board": asked})

    assert response.status_code == 422
    assert error_of(response)["fields"] == {"board": "Choose a board from the list."}
    assert fetch(lambda: db.session.execute(select(Idea.id)).first()) is None


# PUT /ideas/{id}/board

def test_staff_move_an_idea_to_another_board(api_as, fetch, make_board, make_idea, make_user):
    board_id, slug = make_board("Mobile app")
    idea = make_idea(title="Move me")

    response = api_as(make_user(role="staff")).put(f"/ideas/{idea.id}/board", json={"board": slug})

    body = response.get_json()
    assert response.status_code == 200
    assert body["board"] == slug and board_of(fetch, idea.id) == board_id
    assert (body["timeline"][-1]["action"], body["timeline"][-1]["board_name"]) == ("moved", "Mobile app")


def test_staff_move_an_idea_back_to_the_main_board(api_as, fetch, make_board, make_idea, make_user):
    board_id, _slug = make_board("Mobile app")
    idea = make_idea(title="Move me", board_id=board_id)

    response = api_as(make_user(role="staff")).put(f"/ideas/{idea.id}/board", json={"board": "main"})

    assert response.status_code == 200
    assert response.get_json()["board"] == "main" and board_of(fetch, idea.id) is None


def test_moving_an_idea_where_it_is_changes_nothing(api_as, fetch, make_idea, make_user):
    idea = make_idea(title="Stay here")

    response = api_as(make_user(role="staff")).put(f"/ideas/{idea.id}/board", json={"board": "main"})

    assert response.status_code == 200
    assert fetch(lambda: db.session.execute(select(TimelineEntry.id)).first()) is None


def test_moving_to_an_unknown_board_is_422_on_board(api_as, fetch, make_idea, make_user):
    idea = make_idea()

    response = api_as(make_user(role="staff")).put(f"/ideas/{idea.id}/board", json={"board": "nowhere"})

    assert response.status_code == 422
    assert error_of(response)["fields"] == {"board": "Choose a board from the list."}
    assert board_of(fetch, idea.id) is None


@pytest.mark.parametrize("role, status", [(None, 401), ("member", 403)])
def test_only_staff_move_ideas(api_as, fetch, make_board, make_idea, make_user, role, status):
    _board_id, slug = make_board("Mobile app")
    idea = make_idea()

    response = api_as(make_user(role=role) if role else None).put(f"/ideas/{idea.id}/board",
                                                                  json={"board": slug})

    assert response.status_code == status
    assert board_of(fetch, idea.id) is None


# The document

def test_the_document_describes_boards(api_as):
    document = api_as(None).get("/openapi.json").get_json()

    def parameters(path):
        return {parameter["name"] for parameter in document["paths"][path]["get"]["parameters"]}

    assert document["paths"]["/boards"]["get"]["tags"] == ["Site"]
    assert document["paths"]["/ideas/{idea_id}/board"]["put"]["tags"] == ["Staff"]
    assert "board" in parameters("/ideas") and "board" in parameters("/roadmap")
    assert "404" in document["paths"]["/ideas"]["get"]["responses"]
    assert "board" in document["paths"]["/ideas"]["post"]["requestBody"]["content"]["application/json"][
        "schema"]["properties"]
    assert "board" in document["components"]["schemas"]["Idea"]["required"]


# The CSV export

def test_the_ideas_export_names_each_ideas_board(client, auth, make_board, make_idea, make_user):
    board_id, slug = make_board("Mobile app")
    make_idea(title="On main")
    make_idea(title="On mobile", board_id=board_id)
    auth.login(make_user(role="staff"))

    text = client.get("/staff/csv/ideas.csv").get_data(as_text=True)

    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert {row["title"]: row["board"] for row in rows} == {"On main": "main", "On mobile": slug}
