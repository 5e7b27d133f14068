"""The admins' pages for boards (ideas/web/boards.py): making, changing and removing boards through
the forms, refused input coming back as typed with each field's problem, naming the main board,
and nobody but admins getting in."""
import html
import re

import pytest
from sqlalchemy import select

from ideas.boards import create_board
from ideas.extensions import db
from ideas.models import Board, User
from ideas.segments import create_segment

BOARD_FORM = {"name": "Mobile app", "slug": "", "description": "Ideas for the phones.", "position": "2",
              "access": "public", "company_ids": ""}


@pytest.fixture
def make_board(app, admin):
    """Make a board through the rule: make_board(name="Mobile app", access="public", ...) -> its id."""
    def make(**fields):
        with app.app_context():
            board = create_board(db.session.get(User, admin.id), {**BOARD_FORM, **fields})
            db.session.commit()
            return board.id

    return make


def stored_board(fetch, **where):
    """The board matching `where` as stored now, as a dict (None when there is none)."""
    def load():
        board = db.session.execute(select(Board).filter_by(**where)).scalar()
        if board is None:
            return None
        return {"name": board.name, "slug": board.slug, "description": board.description,
                "position": board.position, "access": board.access,
                "segments": [segment.name for segment in board.segments],
                "companies": [company.external_id for company in board.companies]}

    return fetch(load)


def field_error(page, field_id):
    """The text of the error tied to the field with id `field_id` (None when it shows none)."""
    found = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else None


def is_checked(page, name, value):
    """Whether the page's input `name` with `value` is checked."""
    inputs = re.findall(r"<input [^>]*>", page)
    return any(f'name="{name}"' in tag and f'value="{value}"' in tag and " checked" in tag for tag in inputs)


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


# Making a board

def test_admin_makes_a_board_and_finds_it_listed(client, signed_in_admin, fetch):
    response = client.post("/admin/boards/new", data=BOARD_FORM)

    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/boards/"
    assert stored_board(fetch, name="Mobile app") == {
        "name": "Mobile app", "slug": "mobile-app", "description": "Ideas for the phones.", "position": 2,
        "access": "public", "segments": [], "companies": []}
    listed = client.get("/admin/boards/")
    assert 'id="board-list"' in listed.get_data(as_text=True)
    assert "Mobile app" in text_of(listed)
    assert 'href="/boards/mobile-app"' in listed.get_data(as_text=True)


@pytest.mark.parametrize("typed, field, problem", [
    ({"name": ""}, "name", "Give the board a name"),
    ({"slug": "Not A Slug!"}, "slug", "Use lower-case letters, digits and single hyphens"),
    ({"slug": "main"}, "slug", "is kept for the site itself"),
    ({"name": "mobile APP", "slug": "another"}, "name", "Another board has this name."),
    ({"position": "first"}, "position", "Give the order as a whole number."),
], ids=["empty name", "bad slug", "reserved slug", "duplicate name", "bad order"])
def test_refused_input_comes_back_as_typed_with_the_fields_problem(client, signed_in_admin, make_board, fetch,
                                                                   typed, field, problem):
    make_board(name="Mobile app")
    form = {**BOARD_FORM, "description": "Typed with care.", "position": "7", **typed}

    response = client.post("/admin/boards/new", data=form)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert problem in field_error(page, field)
    assert 'aria-invalid="true"' in page
    assert f'value="{html.escape(form[field])}"' in page
    assert "Typed with care." in page
    assert fetch(lambda: db.session.execute(select(Board.name)).scalars().all()) == ["Mobile app"]


def test_a_board_for_chosen_members_needs_a_segment_or_a_company(client, signed_in_admin, fetch):
    response = client.post("/admin/boards/new", data={**BOARD_FORM, "access": "chosen"})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose at least one segment or company" in field_error(page, "segment_ids")
    assert is_checked(page, "access", "chosen")
    assert stored_board(fetch, name="Mobile app") is None


def test_a_board_for_chosen_members_opens_to_the_segments_and_companies_ticked(
        app, client, signed_in_admin, admin, make_company, fetch):
    make_company("Acme", "acme-1")
    with app.app_context():
        segment = create_segment(db.session.get(User, admin.id), "Enterprise", "all",
                                 [{"field": "attribute.plan", "operator": "is", "value": "Enterprise"}])
        db.session.commit()
        segment_id = segment.id

    response = client.post("/admin/boards/new", data={**BOARD_FORM, "access": "chosen",
                                                      "segment_ids": [str(segment_id)],
                                                      "company_ids": "acme-1\n"})

    assert response.status_code == 303
    board = stored_board(fetch, name="Mobile app")
    assert (board["access"], board["segments"], board["companies"]) == ("chosen", ["Enterprise"], ["acme-1"])


# Changing a board

def test_the_edit_form_shows_the_board_as_stored(client, signed_in_admin, make_board):
    board_id = make_board(name="Mobile app", slug="phones", position="3")

    response = client.get(f"/admin/boards/{board_id}/edit")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'value="Mobile app"' in page and 'value="phones"' in page and 'value="3"' in page


def test_admin_changes_who_may_see_a_board(client, signed_in_admin, make_board, fetch):
    board_id = make_board(name="Mobile app", access="public")

    response = client.post(f"/admin/boards/{board_id}/edit", data={**BOARD_FORM, "access": "staff"})

    assert response.status_code == 303
    assert stored_board(fetch, id=board_id)["access"] == "staff"


def test_editing_a_missing_board_is_404(client, signed_in_admin):
    assert client.get("/admin/boards/999/edit").status_code == 404


# Removing a board

def test_admin_removes_an_empty_board(client, signed_in_admin, make_board, fetch):
    board_id = make_board()

    response = client.post(f"/admin/boards/{board_id}/delete")

    assert response.status_code == 303
    assert stored_board(fetch, id=board_id) is None


def test_a_board_holding_an_idea_is_not_removed_and_the_list_says_why(client, signed_in_admin, make_board,
                                                                     make_idea, fetch):
    board_id = make_board()
    make_idea(board_id=board_id)

    response = client.post(f"/admin/boards/{board_id}/delete", follow_redirects=True)

    assert response.request.path == "/admin/boards/"
    assert "Move this board's ideas to another board before removing it." in text_of(response)
    assert stored_board(fetch, id=board_id) is not None


# The main board

def test_a_new_name_for_the_main_board_shows_on_the_list(client, signed_in_admin):
    response = client.post("/admin/boards/main", data={"main_board_name": "Everything else"})

    assert response.status_code == 303
    page = client.get("/admin/boards/").get_data(as_text=True)
    assert '<h2 dir="auto">Everything else</h2>' in page


def test_a_main_board_name_too_long_comes_back_as_typed(client, signed_in_admin):
    typed = "x" * 61

    response = client.post("/admin/boards/main", data={"main_board_name": typed})

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Keep the name to 60 characters." in field_error(page, "main_board_name")
    assert f'value="{typed}"' in page


# Who gets in

ROUTES = [("GET", "/admin/boards/"), ("GET", "/admin/boards/new"), ("POST", "/admin/boards/new"),
          ("GET", "/admin/boards/{board}/edit"), ("POST", "/admin/boards/{board}/edit"),
          ("POST", "/admin/boards/{board}/delete"), ("POST", "/admin/boards/main")]


@pytest.mark.parametrize("method, route", ROUTES, ids=[f"{method} {route}" for method, route in ROUTES])
@pytest.mark.parametrize("role", ["member", "staff"])
def test_members_and_staff_are_refused(client, auth, make_user, make_board, fetch, method, route, role):
    board_id = make_board(name="Mobile app")
    auth.login(make_user(role=role))

    response = client.open(route.format(board=board_id), method=method,
                           data={**BOARD_FORM, "name": "Taken over", "main_board_name": "Taken over"})

    assert response.status_code == 403
    assert stored_board(fetch, id=board_id)["name"] == "Mobile app"


@pytest.mark.parametrize("method, route", ROUTES, ids=[f"{method} {route}" for method, route in ROUTES])
def test_anonymous_visitors_are_sent_to_sign_in(client, make_board, method, route):
    board_id = make_board()

    response = client.open(route.format(board=board_id), method=method, data=BOARD_FORM)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
