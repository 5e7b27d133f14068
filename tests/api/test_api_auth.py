"""Who the API thinks is asking: keys, their owners' roles, the session cookie and its CSRF token."""
import re

import pytest
from sqlalchemy import func, select

from ideas import create_app
from ideas.extensions import db
from ideas.models import ApiKey, User, Vote, utcnow

from conftest import API, bearer, error_of

TOKEN_IN_PAGE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
TOKEN_IN_HEADERS = re.compile(r'"X-CSRFToken": "([^"]+)"')  # what htmx sends from <main>


def votes_on(fetch, idea):
    """How many votes the idea has in the database."""
    return fetch(lambda: db.session.execute(
        select(func.count()).select_from(Vote).where(Vote.idea_id == idea.id)).scalar_one())


@pytest.mark.parametrize("header", [
    "Bearer ideas_wrong", "Bearer ", "Bearer", "Basic dXNlcjpwYXNz", "ideas_abc", "Bearer " + "x" * 5000,
])
def test_a_bad_authorization_header_is_refused(client, make_idea, fetch, header):
    idea = make_idea()

    response = client.put(f"{API}/ideas/{idea.id}/vote", headers={"Authorization": header})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "unauthorized"
    assert votes_on(fetch, idea) == 0


def test_a_bad_key_never_falls_back_to_the_session(client, auth, make_user, make_idea, fetch):
    idea = make_idea()
    auth.login(make_user())

    read = client.get(f"{API}/me", headers=bearer("ideas_not-a-real-key"))
    write = client.put(f"{API}/ideas/{idea.id}/vote", headers=bearer("ideas_not-a-real-key"))

    assert (read.status_code, write.status_code) == (401, 401)
    assert votes_on(fetch, idea) == 0


def test_a_revoked_key_is_refused(client, make_user, make_key, fetch, app):
    member = make_user()
    token = make_key(member)
    with app.app_context():
        db.session.execute(select(ApiKey)).scalar_one().revoked_at = utcnow()
        db.session.commit()

    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 401


def test_a_suspended_members_key_is_refused(client, make_user, make_key, app):
    member = make_user()
    token = make_key(member)
    with app.app_context():
        db.session.get(User, member.id).suspended_at = utcnow()
        db.session.commit()

    response = client.get(f"{API}/me", headers=bearer(token))

    assert response.status_code == 401


def test_a_key_acts_for_its_owner_even_when_someone_else_is_signed_in(client, auth, make_user, make_key):
    owner, other = make_user(), make_user()
    token = make_key(owner)
    auth.login(other)

    response = client.get(f"{API}/me", headers=bearer(token))

    assert response.get_json()["id"] == owner.id


def test_a_key_carries_its_owners_role_as_it_is_now(client, make_user, make_key, make_idea, app):
    member = make_user()
    token = make_key(member)
    idea = make_idea()
    change = {"status": "planned", "note": "Soon."}

    refused = client.post(f"{API}/ideas/{idea.id}/status", json=change, headers=bearer(token))
    with app.app_context():
        db.session.get(User, member.id).role = "staff"
        db.session.commit()
    allowed = client.post(f"{API}/ideas/{idea.id}/status", json=change, headers=bearer(token))

    assert refused.status_code == 403
    assert allowed.status_code == 200
    assert allowed.get_json()["status"] == "planned"


def test_a_key_request_sets_no_cookie(client, make_user, make_key, make_idea):
    token = make_key(make_user())
    idea = make_idea()

    responses = [client.get(f"{API}/me", headers=bearer(token)),
                 client.put(f"{API}/ideas/{idea.id}/vote", headers=bearer(token))]

    assert [response.status_code for response in responses] == [200, 200]
    assert all("Set-Cookie" not in response.headers for response in responses)


def test_a_key_records_when_it_was_last_used(client, make_user, make_key, fetch):
    token = make_key(make_user())

    client.get(f"{API}/tags", headers=bearer(token))

    assert fetch(lambda: db.session.execute(select(ApiKey.last_used_at)).scalar()) is not None


def test_anyone_reads_but_only_members_write(client, make_idea, fetch):
    idea = make_idea()

    assert client.get(f"{API}/ideas/{idea.id}").status_code == 200
    assert client.get(f"{API}/me").status_code == 401
    assert client.put(f"{API}/ideas/{idea.id}/vote").status_code == 401
    assert votes_on(fetch, idea) == 0


# -- The session cookie: CSRF-checked like any form ---------------------------------------------


@pytest.fixture
def csrf_client(database_url, app, make_user):
    """A member signed in through the real form on an app with CSRF protection on, as in production."""
    guarded = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "WTF_CSRF_ENABLED": True})
    client = guarded.test_client()
    member = make_user()
    token = TOKEN_IN_PAGE.search(client.get("/auth/login").get_data(as_text=True))[1]
    response = client.post("/auth/login", data={"email": member.email, "password": "correct horse battery",
                                                "csrf_token": token})
    assert response.status_code == 303
    client.member = member
    yield client
    with guarded.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_cookie_request_without_the_csrf_token_is_refused(csrf_client, make_idea, fetch):
    idea = make_idea()

    response = csrf_client.put(f"{API}/ideas/{idea.id}/vote")

    assert response.status_code == 400
    assert error_of(response)["code"] == "csrf_failed"
    assert votes_on(fetch, idea) == 0


def test_a_cookie_request_with_the_csrf_token_in_its_header_is_accepted(csrf_client, make_idea, fetch):
    idea = make_idea()
    token = TOKEN_IN_HEADERS.search(csrf_client.get("/account/settings").get_data(as_text=True))[1]

    response = csrf_client.put(f"{API}/ideas/{idea.id}/vote", headers={"X-CSRFToken": token})

    assert response.status_code == 200
    assert response.get_json()["member_id"] == csrf_client.member.id
    assert votes_on(fetch, idea) == 1


def test_a_key_request_needs_no_csrf_token(csrf_client, make_user, make_key, make_idea, fetch):
    idea = make_idea()
    token = make_key(make_user())

    response = csrf_client.put(f"{API}/ideas/{idea.id}/vote", headers=bearer(token))

    assert response.status_code == 200
    assert votes_on(fetch, idea) == 1


def test_a_cookie_read_needs_no_token(csrf_client):
    response = csrf_client.get(f"{API}/me")

    assert response.status_code == 200
    assert response.get_json()["api_key"] is None


# -- Errors are JSON everywhere under /api/v1 -----------------------------------------------------


@pytest.mark.parametrize("method, path", [("GET", "/nothing"), ("POST", "/ideas/1/nothing"), ("GET", ""),
                                          ("GET", "/ideas/abc"), ("GET", "/ideas/-1")])
def test_unknown_routes_answer_json_404(client, method, path):
    response = client.open(f"{API}{path}", method=method)

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_method_a_route_does_not_take_answers_json_405(client):
    response = client.delete(f"{API}/tags")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_an_unexpected_failure_answers_json_500(app, client, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken(*args):
        raise RuntimeError("the database fell over")

    monkeypatch.setattr("ideas.api.site.tags_for", broken)

    response = client.get(f"{API}/tags")

    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "server_error"
    assert "fell over" not in error["message"]


def test_pages_outside_the_api_keep_their_html_errors(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_a_member_without_a_confirmed_address_is_told_why(client, make_user, make_key, make_idea, app):
    from ideas.site_settings import set_setting

    with app.app_context():
        set_setting("require_confirmation", "1")
        db.session.commit()
    token = make_key(make_user(confirmed=False))
    idea = make_idea()

    response = client.put(f"{API}/ideas/{idea.id}/vote", headers=bearer(token))

    assert response.status_code == 403
    assert error_of(response)["code"] == "confirmation_required"



def test_personal_answers_are_never_stored(client, make_user, make_key):
    token = make_key(make_user())

    personal = client.get(f"{API}/me", headers=bearer(token))
    public = client.get(f"{API}/tags")

    assert personal.headers["Cache-Control"] == "no-store"
    assert public.headers["Cache-Control"] == "no-cache"
    assert {"Authorization", "Cookie"} <= set(personal.headers["Vary"].replace(" ", "").split(","))
