"""Rate limits on the API: counted per key, the same allowances as the pages, 429 in JSON."""
import uuid

import pytest
from sqlalchemy import func, select

from ideas import create_app
from ideas.extensions import db, limiter
from ideas.models import Idea

from conftest import API, bearer, error_of

# Flask-Limiter keeps the first key prefix it is given for the life of the process, so one per run.
KEY_PREFIX = f"ideas-api-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def app(database_url):
    """The app with low limits counted in memory (replaces conftest's `app` here)."""
    app = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True,
        "RATELIMIT_KEY_PREFIX": KEY_PREFIX, "RATELIMIT_VOTE": "2 per minute",
        "RATELIMIT_PROPOSE": "2 per minute", "RATELIMIT_COMMENT": "2 per minute",
    })
    storage = limiter.storage  # the limiter is global: keep this app's own counters to clear
    yield app
    storage.reset()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_votes_are_limited_per_key(client, make_user, make_key, make_idea):
    member = make_user()
    first_key, second_key = make_key(member, "First"), make_key(member, "Second")
    ideas = [make_idea(title=f"Idea {number}") for number in range(3)]

    first = [client.put(f"{API}/ideas/{idea.id}/vote", headers=bearer(first_key)).status_code
             for idea in ideas]
    other = client.put(f"{API}/ideas/{ideas[2].id}/vote", headers=bearer(second_key))

    assert first == [200, 200, 429]
    assert other.status_code == 200


def test_a_refused_request_says_when_to_come_back(client, make_user, make_key, make_idea):
    token = make_key(make_user())
    idea = make_idea()
    for _ in range(2):
        client.put(f"{API}/ideas/{idea.id}/vote", headers=bearer(token))

    response = client.delete(f"{API}/ideas/{idea.id}/vote", headers=bearer(token))

    assert response.status_code == 429
    assert error_of(response)["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0


def test_proposing_through_the_api_has_the_pages_allowance(client, make_user, make_key, fetch):
    token = make_key(make_user())

    statuses = [client.post(f"{API}/ideas", json={"title": f"Idea {n}"}, headers=bearer(token)).status_code
                for n in range(3)]

    assert statuses == [201, 201, 429]
    assert fetch(lambda: db.session.execute(select(func.count()).select_from(Idea)).scalar_one()) == 2


def test_comments_through_the_api_have_the_pages_allowance(client, make_user, make_key, make_idea):
    token = make_key(make_user())
    idea = make_idea()

    statuses = [client.post(f"{API}/ideas/{idea.id}/comments", json={"body": "Hi"},
                            headers=bearer(token)).status_code for _ in range(3)]

    assert statuses == [201, 201, 429]


def test_an_authorization_header_buys_no_allowance_on_the_pages(client, auth, make_user, make_idea):
    auth.login(make_user())
    ideas = [make_idea(title=f"Idea {number}") for number in range(3)]

    statuses = [client.post(f"/ideas/{idea.id}/vote", headers=bearer(f"ideas_made-up-{idea.id}")).status_code
                for idea in ideas]

    assert statuses == [303, 303, 429]


def test_every_api_request_counts_against_the_keys_allowance(database_url, make_user, make_key):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True,
                                 "RATELIMIT_KEY_PREFIX": KEY_PREFIX, "RATELIMIT_API": "3 per minute"})
    client = app.test_client()
    member = make_user()
    first_key, second_key = make_key(member, "First"), make_key(member, "Second")
    try:
        statuses = [client.get(f"{API}/tags", headers=bearer(first_key)).status_code for _ in range(4)]
        other = client.get(f"{API}/tags", headers=bearer(second_key)).status_code
    finally:
        limiter.storage.reset()
        with app.app_context():
            db.session.remove()
            db.engine.dispose()

    assert statuses == [200, 200, 200, 429]
    assert other == 200
