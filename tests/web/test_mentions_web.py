"""Handles and mentions on the pages: the suggestion list (ideas/web/mentions.py) offers only the
people the writer may mention, 404 for an idea they may not see, a fragment for htmx and a page
otherwise; a handle chosen at sign-up or in the account settings."""
import pytest
from markupsafe import escape
from sqlalchemy import select

from ideas.extensions import db
from ideas.models import Idea, User, utcnow

from helpers import BOOSTED

HTMX = {"HX-Request": "true", "HX-Current-URL": "http://localhost/ideas/1"}


def test_suggestions_need_a_signed_in_member(client, discussion):
    response = client.get(f"/ideas/{discussion['idea'].id}/mentions?q=@a")
    assert response.status_code in (302, 303, 401)


def test_htmx_gets_the_list_of_people_the_writer_may_mention(client, auth, discussion):
    auth.login(discussion["dee"])
    response = client.get(f"/ideas/{discussion['idea'].id}/mentions", query_string={"body": "Thanks @"},
                          headers={**HTMX, "HX-Target": "mention-suggestions-comment"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in body
    assert 'data-mention-handle="ada"' in body and 'data-mention-handle="sam"' in body
    assert 'data-mention-handle="bea"' in body and 'data-mention-handle="cy"' in body
    assert 'data-mention-handle="dee"' not in body  # the writer
    assert '<bdi dir="auto">Ada Lovelace</bdi>' in body
    assert "HX-Request" in response.headers.get("Vary", "")


def test_the_partial_word_narrows_the_list_by_handle_or_name(client, auth, discussion):
    auth.login(discussion["bea"])
    response = client.get(f"/ideas/{discussion['idea'].id}/mentions", query_string={"body": "cc @LOVE"},
                          headers={**HTMX, "HX-Target": "mention-suggestions"})
    body = response.get_data(as_text=True)
    assert 'data-mention-handle="ada"' in body and "sam" not in body


def test_text_not_ending_in_a_mention_suggests_nobody(client, auth, discussion):
    auth.login(discussion["bea"])
    response = client.get(f"/ideas/{discussion['idea'].id}/mentions", query_string={"body": "Thanks "},
                          headers={**HTMX, "HX-Target": "mention-suggestions"})
    assert response.status_code == 200 and "data-mention-handle" not in response.get_data(as_text=True)


def test_without_htmx_the_same_address_is_a_page_listing_them(client, auth, discussion):
    auth.login(discussion["dee"])
    for headers in ({}, {**BOOSTED, "HX-Target": "main"}):
        response = client.get(f"/ideas/{discussion['idea'].id}/mentions?q=Bea", headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "<html" in body
        assert "@bea" in body and "@ada" not in body and "data-mention-handle" not in body


def test_an_idea_the_reader_may_not_see_is_404(client, auth, app, discussion):
    with app.app_context():
        db.session.get(Idea, discussion["idea"].id).hidden_at = utcnow()
        db.session.commit()
    auth.login(discussion["dee"])
    response = client.get(f"/ideas/{discussion['idea'].id}/mentions?q=@",
                          headers={**HTMX, "HX-Target": "mention-suggestions"})
    assert response.status_code == 404


# Choosing a handle

SIGN_UP = {"name": "Nora Newcomer", "email": "nora@example.com", "password": "correct horse battery"}


def _handle_of(fetch, email):
    return fetch(lambda: db.session.execute(select(User.handle).where(User.email == email)).scalar_one())


def test_sign_up_with_a_handle_keeps_it(client, fetch):
    response = client.post("/auth/signup", data={**SIGN_UP, "handle": "@NoraN"})
    assert response.status_code == 303
    assert _handle_of(fetch, "nora@example.com") == "noran"


def test_sign_up_without_a_handle_derives_one_from_the_name(client, fetch):
    assert client.post("/auth/signup", data=SIGN_UP).status_code == 303
    assert _handle_of(fetch, "nora@example.com") == "nora_newcomer"


@pytest.mark.parametrize("handle, problem", [
    ("taken_one", "That handle is taken."),
    ("no spaces", "Handles are 2 to 30 letters, digits or _."),
    ("staff", "That handle is reserved. Choose another."),
])
def test_a_refused_handle_reshows_the_sign_up_form_with_what_was_typed(client, fetch, make_user, handle,
                                                                        problem):
    make_user(name="Taken One")
    response = client.post("/auth/signup", data={**SIGN_UP, "handle": handle})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and problem in body
    for name in ("name", "email", "handle"):
        assert f'value="{escape({**SIGN_UP, "handle": handle}[name])}"' in body
    assert SIGN_UP["password"] not in body
    made = select(User).where(User.email == SIGN_UP["email"])
    assert fetch(lambda: db.session.execute(made).first()) is None


def test_settings_show_and_change_the_handle(client, auth, fetch, make_user):
    ada = make_user(name="Ada Lovelace")
    auth.login(ada)
    page = client.get("/account/settings").get_data(as_text=True)
    assert "@ada_lovelace" in page
    response = client.post("/account/handle", data={"handle": "Countess"})
    assert response.status_code == 303
    assert _handle_of(fetch, ada.email) == "countess"


def test_a_taken_handle_in_settings_is_422_with_the_value_kept(client, auth, fetch, make_user):
    make_user(name="Grace")
    ada = make_user(name="Ada")
    auth.login(ada)
    response = client.post("/account/handle", data={"handle": "grace"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "That handle is taken." in body and 'value="grace"' in body
    assert _handle_of(fetch, ada.email) == "ada"


def test_the_staff_member_page_shows_the_handle(client, auth, make_user):
    staff, ada = make_user(role="staff"), make_user(name="Ada Lovelace")
    auth.login(staff)
    assert "@ada_lovelace" in client.get(f"/staff/members/{ada.id}").get_data(as_text=True)


def test_the_api_tells_a_members_handle(client, auth, make_user):
    ada = make_user(name="Ada Lovelace")
    auth.login(ada)
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.get_json()["handle"] == "ada_lovelace"
