"""Personal API keys on the settings page: made, shown once, listed, revoked; stored as a hash."""
import hashlib
import re

import pytest
from sqlalchemy import select

from ideas.api_keys import KEYS_MAX, create_api_key, find_api_key, member_for_key, revoke_api_key
from ideas.errors import InvalidInput, NotAllowed
from ideas.extensions import db
from ideas.models import ApiKey, User, utcnow

from conftest import bearer

KEY_SHAPE = re.compile(r"ideas_[A-Za-z0-9_-]{43}")


def keys_of(fetch, member):
    """The member's keys as (name, revoked) pairs."""
    return fetch(lambda: [(key.name, key.revoked_at is not None) for key in db.session.execute(
        select(ApiKey).where(ApiKey.user_id == member.id).order_by(ApiKey.id)).scalars()])


def test_creating_a_key_shows_it_once_and_keeps_only_its_hash(client, auth, make_user, fetch):
    member = make_user()
    auth.login(member)

    response = client.post("/account/api-keys", data={"name": "Support tool"})

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = KEY_SHAPE.search(page).group(0)
    stored = fetch(lambda: db.session.execute(select(ApiKey)).scalar_one())
    assert stored.name == "Support tool" and stored.user_id == member.id
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.prefix == token[:12]
    settings = client.get("/account/settings").get_data(as_text=True)
    assert "Support tool" in settings and stored.prefix in settings
    assert token not in settings  # never shown again


def test_a_new_key_works_on_the_api(client, auth, make_user):
    member = make_user()
    auth.login(member)
    token = KEY_SHAPE.search(client.post("/account/api-keys", data={"name": "CI"}).get_data(as_text=True))[0]
    auth.logout()

    response = client.get("/api/v1/me", headers=bearer(token))

    assert response.status_code == 200
    assert response.get_json()["email"] == member.email
    assert response.get_json()["api_key"] == {"name": "CI", "prefix": token[:12]}


@pytest.mark.parametrize("name, problem", [("", "Name the key."), ("x" * 61, "60 characters"),
                                           ("a\x00b", "cannot be stored")])
def test_a_key_needs_a_sensible_name(client, auth, make_user, fetch, name, problem):
    member = make_user()
    auth.login(member)

    response = client.post("/account/api-keys", data={"name": name})

    assert response.status_code == 422
    assert problem in response.get_data(as_text=True)
    assert keys_of(fetch, member) == []


def test_signed_out_visitors_cannot_create_keys(client, fetch):
    response = client.post("/account/api-keys", data={"name": "Sneaky"})

    assert response.status_code == 302
    assert fetch(lambda: db.session.execute(select(ApiKey)).first()) is None


def test_the_owner_revokes_a_key_and_it_stops_working(client, auth, make_user, make_key, fetch):
    member = make_user()
    token = make_key(member, "Old script")
    key_id = fetch(lambda: db.session.execute(select(ApiKey.id)).scalar_one())
    auth.login(member)

    response = client.post(f"/account/api-keys/{key_id}/revoke")

    assert response.status_code == 303
    assert keys_of(fetch, member) == [("Old script", True)]
    settings = client.get("/account/settings").get_data(as_text=True)
    assert "The key “Old script” is revoked." in settings
    assert f'id="api-key-{key_id}"' not in settings
    auth.logout()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_nobody_revokes_another_members_key(client, auth, make_user, make_key, fetch):
    owner, other = make_user(), make_user()
    make_key(owner)
    key_id = fetch(lambda: db.session.execute(select(ApiKey.id)).scalar_one())
    auth.login(other)

    response = client.post(f"/account/api-keys/{key_id}/revoke")

    assert response.status_code == 404
    assert keys_of(fetch, owner) == [("Test key", False)]


def test_revoking_an_unknown_or_huge_key_id_is_not_found(client, auth, make_user):
    auth.login(make_user())

    assert client.post("/account/api-keys/999/revoke").status_code == 404
    assert client.post(f"/account/api-keys/{2**40}/revoke").status_code == 404


def test_the_settings_page_lists_name_prefix_and_last_use(client, auth, make_user, make_key, fetch):
    member = make_user()
    token = make_key(member, "Reporting")
    client.get("/api/v1/me", headers=bearer(token))
    auth.login(member)

    page = client.get("/account/settings").get_data(as_text=True)

    assert "Reporting" in page and token[:12] in page
    assert fetch(lambda: db.session.execute(select(ApiKey.last_used_at)).scalar()) is not None
    assert "Never" not in page


def test_a_member_has_at_most_twenty_live_keys(app, make_user):
    member = make_user()
    with app.app_context():
        owner = db.session.get(User, member.id)
        for number in range(KEYS_MAX):
            create_api_key(owner, f"Key {number}")
        with pytest.raises(InvalidInput):
            create_api_key(owner, "One too many")


def test_only_the_owner_may_revoke_through_the_domain(app, make_user, make_key):
    owner, other = make_user(), make_user()
    make_key(owner)
    with app.app_context():
        key = db.session.execute(select(ApiKey)).scalar_one()
        with pytest.raises(NotAllowed):
            revoke_api_key(db.session.get(User, other.id), key)


def test_a_suspended_members_key_finds_nobody(app, make_user, make_key):
    member = make_user()
    token = make_key(member)
    with app.app_context():
        assert member_for_key(token).id == member.id
        db.session.get(User, member.id).suspended_at = utcnow()
        db.session.commit()
        assert member_for_key(token) is None


@pytest.mark.parametrize("token", ["", "ideas_", "ideas_" + "x" * 43, "nope", "ideas_" + "a" * 200])
def test_a_wrong_token_finds_no_key(app, make_user, make_key, token):
    make_key(make_user())
    with app.app_context():
        assert find_api_key(token) is None
