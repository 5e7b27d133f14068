"""The admins' pages for statuses (ideas/web/statuses.py): making, changing, ordering, archiving and
removing statuses through the forms, refused input coming back as typed with each field's problem,
what staff are then offered on an idea's page, and nobody but admins getting in."""
import html
import re

import pytest

from ideas.extensions import db
from ideas.models import User
from ideas.status_list import keys, status_of
from ideas.workflow import create_status

BETA = {"key": "beta", "label_en": "Beta", "label_de": "Beta", "category": "in_progress", "colour": "",
        "symbol": "", "on_roadmap": "y"}


@pytest.fixture
def make_status(app, admin):
    """Make a status through the rule: make_status(key="beta", category="in_progress", ...) -> key."""
    def make(**fields):
        with app.app_context():
            status = create_status(db.session.get(User, admin.id), {**BETA, **fields})
            db.session.commit()
            return status.key

    return make


def stored(fetch, key):
    """The status `key` as stored now (None when there is none)."""
    return fetch(lambda: status_of(key))


def field_error(page, field_id):
    """The text of the error tied to the field with id `field_id` (None when it shows none)."""
    found = re.search(rf'<p class="error" id="{field_id}-error">(.*?)</p>', page, re.S)
    return html.unescape(found.group(1)) if found else None


def status_options(page):
    """The values offered by the idea page's status select."""
    select = re.search(r'<select[^>]*name="status"[^>]*>(.*?)</select>', page, re.S)
    assert select, "the page has no status select"
    return re.findall(r'<option[^>]*value="([^"]*)"', select.group(1))


def listed_keys(page):
    """The status keys of the admins' list, in its order."""
    return re.findall(r'<tr id="status-([a-z0-9_]+)">', page)


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


# Making a status

def test_admin_makes_a_status_that_staff_are_then_offered(client, signed_in_admin, make_idea, fetch):
    idea = make_idea()

    response = client.post("/admin/statuses/new", data=BETA)

    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/statuses/"
    status = stored(fetch, "beta")
    assert (status.category, dict(status.labels), status.on_roadmap) == (
        "in_progress", {"en": "Beta", "de": "Beta"}, True)
    listed = client.get("/admin/statuses/").get_data(as_text=True)
    assert listed_keys(listed)[-1] == "beta"
    assert "<code dir=\"ltr\">beta</code>" in listed
    assert "beta" in status_options(client.get(f"/ideas/{idea.id}").get_data(as_text=True))


@pytest.mark.parametrize("typed, field, problem", [
    ({"key": "Beta!"}, "key", "Use a lower-case letter"),
    ({"key": "planned"}, "key", "Another status has this key."),
    ({"label_en": ""}, "label_en", "Give the status an English label."),
    ({"category": "someday"}, "category", "Choose a category from the list."),
], ids=["bad key", "duplicate key", "no English label", "unknown category"])
def test_refused_input_comes_back_as_typed_with_the_fields_problem(client, signed_in_admin, fetch, typed,
                                                                   field, problem):
    form = {**BETA, "label_de": "Typed with care", **typed}

    response = client.post("/admin/statuses/new", data=form)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert problem in field_error(page, field)
    assert 'aria-invalid="true"' in page
    assert f'value="{html.escape(form["key"])}"' in page
    assert 'value="Typed with care"' in page
    assert fetch(keys) == ["open", "under_review", "planned", "in_progress", "shipped", "declined"]


# Changing a status

def test_the_edit_form_shows_the_status_as_stored_with_its_key_read_only(client, signed_in_admin,
                                                                        make_status):
    make_status(symbol="★")

    page = client.get("/admin/statuses/beta/edit").get_data(as_text=True)

    assert re.search(r'<input[^>]*id="key"[^>]*readonly[^>]*>', page)
    assert 'value="beta"' in page and 'value="Beta"' in page and 'value="★"' in page
    assert re.search(r'<option selected value="in_progress">|<option value="in_progress" selected>', page)


def test_admin_changes_a_label(client, signed_in_admin, make_status, fetch):
    make_status()

    response = client.post("/admin/statuses/beta/edit", data={**BETA, "label_en": "Public beta"})

    assert response.status_code == 303
    assert stored(fetch, "beta").labels["en"] == "Public beta"
    assert "Public beta" in text_of(client.get("/admin/statuses/"))


def test_the_category_of_a_status_in_use_stays(client, signed_in_admin, make_status, make_idea, fetch):
    make_status()
    make_idea(status="beta")

    form = client.get("/admin/statuses/beta/edit").get_data(as_text=True)
    response = client.post("/admin/statuses/beta/edit", data={**BETA, "category": "done",
                                                              "label_en": "Typed with care"})

    assert "its category cannot change" in form
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "its category stays" in field_error(page, "category")
    assert 'value="Typed with care"' in page
    assert (stored(fetch, "beta").category, stored(fetch, "beta").labels["en"]) == ("in_progress", "Beta")


def test_editing_an_unknown_or_the_merged_status_is_404(client, signed_in_admin):
    assert client.get("/admin/statuses/nosuch/edit").status_code == 404
    assert client.get("/admin/statuses/merged/edit").status_code == 404
    assert client.post("/admin/statuses/nosuch/delete").status_code == 404


# Archiving, removing, ordering

def test_an_archived_status_is_no_longer_offered_but_its_ideas_keep_their_badge(
        client, signed_in_admin, make_status, make_idea, fetch):
    make_status()
    idea = make_idea(status="beta")
    other = make_idea(title="Export to PDF")

    response = client.post("/admin/statuses/beta/archive", data={"archived": "1"})

    assert response.status_code == 303
    assert stored(fetch, "beta").archived
    assert "beta" not in status_options(client.get(f"/ideas/{other.id}").get_data(as_text=True))
    its_page = client.get(f"/ideas/{idea.id}").get_data(as_text=True)
    assert re.search(r'<span class="badge status [^"]*">Beta</span>', its_page)
    assert "Offer again" in text_of(client.get("/admin/statuses/"))


def test_an_archived_status_is_offered_again(client, signed_in_admin, make_status, make_idea, fetch):
    make_status()
    client.post("/admin/statuses/beta/archive", data={"archived": "1"})

    response = client.post("/admin/statuses/beta/archive", data={"archived": "0"})

    assert response.status_code == 303
    assert not stored(fetch, "beta").archived
    assert "beta" in status_options(client.get(f"/ideas/{make_idea().id}").get_data(as_text=True))


def test_admin_removes_a_status_no_idea_used(client, signed_in_admin, make_status, fetch):
    make_status()

    response = client.post("/admin/statuses/beta/delete")

    assert response.status_code == 303
    assert stored(fetch, "beta") is None


def test_a_status_in_use_is_not_removed_and_the_list_says_to_archive_it(client, signed_in_admin, make_status,
                                                                         make_idea, fetch):
    make_status()
    make_idea(status="beta")

    response = client.post("/admin/statuses/beta/delete", follow_redirects=True)

    assert response.request.path == "/admin/statuses/"
    assert "“Beta” is or was used: archive it instead." in text_of(response)
    assert stored(fetch, "beta") is not None


def test_moving_a_status_down_reorders_the_list(client, signed_in_admin, fetch):
    response = client.post("/admin/statuses/open/move", data={"offset": "1"})

    assert response.status_code == 303
    assert fetch(keys)[:2] == ["under_review", "open"]
    assert listed_keys(client.get("/admin/statuses/").get_data(as_text=True))[:2] == ["under_review", "open"]


def test_a_move_by_anything_but_one_place_is_refused(client, signed_in_admin, fetch):
    assert client.post("/admin/statuses/open/move", data={"offset": "5"}).status_code == 400
    assert fetch(keys)[0] == "open"


# Who gets in

ROUTES = [("GET", "/admin/statuses/"), ("GET", "/admin/statuses/new"), ("POST", "/admin/statuses/new"),
          ("GET", "/admin/statuses/beta/edit"), ("POST", "/admin/statuses/beta/edit"),
          ("POST", "/admin/statuses/beta/move"), ("POST", "/admin/statuses/beta/archive"),
          ("POST", "/admin/statuses/beta/delete")]
TAKEOVER = {**BETA, "key": "gamma", "label_en": "Taken over", "offset": "-1", "archived": "1"}


@pytest.mark.parametrize("method, route", ROUTES, ids=[f"{method} {route}" for method, route in ROUTES])
@pytest.mark.parametrize("role", ["member", "staff"])
def test_members_and_staff_are_refused(client, auth, make_user, make_status, fetch, method, route, role):
    make_status()
    auth.login(make_user(role=role))

    response = client.open(route, method=method, data=TAKEOVER)

    assert response.status_code == 403
    assert fetch(keys)[-2:] == ["declined", "beta"]
    assert (stored(fetch, "beta").labels["en"], stored(fetch, "beta").archived) == ("Beta", False)


@pytest.mark.parametrize("method, route", ROUTES, ids=[f"{method} {route}" for method, route in ROUTES])
def test_anonymous_visitors_are_sent_to_sign_in(client, make_status, method, route):
    make_status()

    response = client.open(route, method=method, data=TAKEOVER)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
