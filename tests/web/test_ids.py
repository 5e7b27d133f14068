"""Numbers in URLs: an id beyond what a column holds is a 404, a page beyond the last is a page.

PostgreSQL refuses to compare an INTEGER column with 2**31 ("integer out of range") and SQLite
with 2**63, so both must be stopped before a query runs, on both databases.
"""
import re

import pytest
from hypothesis import given, strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from ideas import create_app
from ideas.web.plumbing import ID_MAX, ID_PATTERN, PAGE_MAX, IdConverter, page_number

API = "/api/v1"
OUT_OF_RANGE = [0, 2**31, 2**63]
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
PAGES = ["99999999999999999999999", "-1", "0", "abc", ""]


def _id_routes():
    """(rule, method) of every route with a number in its path, read from the app's URL map."""
    app = create_app("testing")
    routes = []
    for rule in app.url_map.iter_rules():
        if any(isinstance(converter, IntegerConverter) for converter in rule._converters.values()):
            routes.extend((rule.rule, method) for method in sorted(rule.methods & METHODS))
    return sorted(routes)


ID_ROUTES = _id_routes()


def _fill(rule, value):
    """The rule's path with every argument replaced by `value`."""
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", str(value), rule)


@pytest.fixture
def admin_client(client, auth, make_user):
    """The client signed in as an admin, so no route answers 401 or 403 before it looks the id up."""
    auth.login(make_user(role="admin"))
    return client


def test_the_walk_finds_the_routes_of_every_area():
    rules = {rule for rule, _ in ID_ROUTES}

    assert len(rules) > 30
    assert {"/staff/members/<id:member_id>", "/admin/webhooks/<id:endpoint_id>",
            "/admin/tags/<id:tag_id>", f"{API}/ideas/<id:idea_id>"} <= rules


def test_every_number_in_a_path_is_an_id():
    app = create_app("testing")

    assert app.url_map.converters["id"] is IdConverter
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                assert type(converter) is IdConverter, f"{rule.rule}: use <id:{name}>"


BOUNDARIES = [0, 1, 9, 10, 10**9 - 1, 10**9, 2 * 10**9, ID_MAX - 1, ID_MAX, ID_MAX + 1, ID_MAX + 10,
              2**31 + 10**6, 3 * 10**9, 10**10 - 1, 10**10, 2**63]


NUMBERS = st.one_of(st.sampled_from(BOUNDARIES), st.integers(ID_MAX - 10**6, ID_MAX + 10**6),
                    st.integers(0, 2**64))


@given(NUMBERS, st.sampled_from(["", "0", "000"]))
def test_the_id_pattern_matches_exactly_the_ids(number, zeros):
    assert bool(re.fullmatch(ID_PATTERN, f"{zeros}{number}")) == (1 <= number <= ID_MAX)


@pytest.mark.parametrize("rule, method", ID_ROUTES, ids=[f"{m} {r}" for r, m in ID_ROUTES])
def test_an_id_out_of_range_is_not_found(admin_client, rule, method):
    statuses = {value: admin_client.open(_fill(rule, value), method=method).status_code
                for value in OUT_OF_RANGE}

    assert statuses == dict.fromkeys(OUT_OF_RANGE, 404)


@pytest.mark.parametrize("value", [2**31, 2**63])
def test_the_api_answers_an_id_out_of_range_in_json(admin_client, value):
    response = admin_client.get(f"{API}/ideas/{value}")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_the_largest_id_reaches_the_view_and_the_database(app, admin_client):
    adapter = app.url_map.bind("localhost")

    assert adapter.match(f"/ideas/{ID_MAX}") == ("ideas.show", {"idea_id": ID_MAX})
    assert adapter.match(f"{API}/ideas/{ID_MAX}", "DELETE") == ("api.withdraw", {"idea_id": ID_MAX})
    assert admin_client.get(f"/ideas/{ID_MAX}").status_code == 404
    assert admin_client.delete(f"{API}/ideas/{ID_MAX}").status_code == 404


@pytest.mark.parametrize("text, number", [
    ("99999999999999999999999", PAGE_MAX), ("-1", 1), ("0", 1), ("abc", 1), ("", 1), (None, 1),
    ("7", 7), (str(PAGE_MAX + 1), PAGE_MAX),
])
def test_the_page_number_is_kept_in_range(text, number):
    args = MultiDict() if text is None else MultiDict({"page": text})

    assert page_number(args) == number


def test_the_page_number_can_come_from_another_parameter():
    assert page_number(MultiDict({"page": "2", "votes_page": "5"}), "votes_page") == 5


def test_the_last_page_cannot_overflow_the_offset():
    assert PAGE_MAX * 100 < 2**31  # 100: the most rows any listing shows at once


@pytest.mark.parametrize("path", [
    "/", "/notifications", "/staff/", "/staff/members", "/staff/invitations", "/admin/audit",
    "/changelog", "/announcements",
])
@pytest.mark.parametrize("page", PAGES)
def test_a_page_out_of_range_still_shows_a_page(admin_client, path, page):
    response = admin_client.get(path, query_string={"page": page})

    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/ideas", "/changelog"])
@pytest.mark.parametrize("page", PAGES)
def test_the_api_names_a_page_out_of_range(admin_client, path, page):
    response = admin_client.get(f"{API}{path}", query_string={"page": page})

    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["page"]
