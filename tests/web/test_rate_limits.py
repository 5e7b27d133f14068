"""Rate limits: 429 with Retry-After, per member or per address, shared via Redis."""
import logging
import os
import uuid
from dataclasses import dataclass
from typing import Callable

import pytest
from sqlalchemy import func, select

from helpers import PASSWORD, dispose, htmx_headers
from ideas import create_app
from ideas.extensions import db, limiter
from ideas.models import AccountEmail, Comment, Idea, User, Vote

REDIS_SKIP = "REDIS_URL is not set"
# Flask-Limiter keeps the first key prefix it is given for the life of the process, so one per run.
KEY_PREFIX = f"ideas-test-{uuid.uuid4().hex[:12]}"
LIMITS = {
    "RATELIMIT_SIGNUP": "2 per minute",
    "RATELIMIT_LOGIN": "3 per minute",
    "RATELIMIT_PASSWORD_RESET": "2 per minute",
    "RATELIMIT_PROPOSE": "2 per minute",
    "RATELIMIT_COMMENT": "2 per minute",
    "RATELIMIT_VOTE": "2 per minute",
}


def limited_settings(database_url, **more):
    """Test settings with the limiter on and the low limits above."""
    return {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True,
            "RATELIMIT_KEY_PREFIX": KEY_PREFIX, **LIMITS, **more}


@pytest.fixture
def app(database_url):
    """The app with low rate limits counted in memory (replaces conftest's `app` here)."""
    app = create_app("testing", limited_settings(database_url))
    storage = limiter.storage  # the limiter is global: keep this app's own counters to clear
    yield app
    storage.reset()
    dispose(app)


@dataclass
class Context:
    """What the limited actions act on."""

    member: User
    ideas: list


@pytest.fixture
def context(make_user, make_idea):
    """A member with an account, and three ideas by someone else."""
    author = make_user()
    return Context(member=make_user(), ideas=[make_idea(title=f"Idea {n}", author=author)
                                              for n in range(3)])


@dataclass
class Action:
    """A limited action: who does it, one attempt, and what it leaves behind."""

    setting: str
    signed_in: bool
    attempt: Callable  # (client, context, n) -> response
    effect: Callable | None  # (fetch, caplog, context) -> how many times the action took effect


def _count(model, **where):
    return lambda fetch, caplog, ctx: fetch(lambda: db.session.execute(
        select(func.count()).select_from(model).filter_by(**where)).scalar_one())


ACTIONS = {
    "sign-up": Action(
        "RATELIMIT_SIGNUP", False,
        lambda client, ctx, n: client.post("/auth/signup", data={
            "name": f"Newcomer {n}", "email": f"newcomer{n}@example.com", "password": PASSWORD}),
        lambda fetch, caplog, ctx: fetch(lambda: db.session.execute(
            select(func.count()).where(User.email.like("newcomer%"))).scalar_one()),
    ),
    "sign-in": Action(
        "RATELIMIT_LOGIN", False,
        lambda client, ctx, n: client.post("/auth/login", data={
            "email": ctx.member.email, "password": PASSWORD}),
        None,  # leaves nothing behind; test_a_sign_in_over_the_limit_does_not_sign_in checks it
    ),
    "password reset": Action(
        "RATELIMIT_PASSWORD_RESET", False,
        lambda client, ctx, n: client.post("/auth/forgot", data={"email": ctx.member.email}),
        _count(AccountEmail, kind="reset"),  # queued; the worker sends it
    ),
    "proposing": Action(
        "RATELIMIT_PROPOSE", True,
        lambda client, ctx, n: client.post("/ideas/new", data={"title": f"Proposal {n}",
                                                               "kind": "idea"}),
        lambda fetch, caplog, ctx: fetch(lambda: db.session.execute(
            select(func.count()).where(Idea.title.like("Proposal %"))).scalar_one()),
    ),
    "commenting": Action(
        "RATELIMIT_COMMENT", True,
        lambda client, ctx, n: client.post(f"/ideas/{ctx.ideas[0].id}/comments",
                                           data={"body": f"Comment {n}"}),
        _count(Comment),
    ),
    "voting": Action(
        "RATELIMIT_VOTE", True,
        lambda client, ctx, n: client.post(f"/ideas/{ctx.ideas[n % 3].id}/vote"),
        _count(Vote),
    ),
}
SIGNED_IN = [name for name, action in ACTIONS.items() if action.signed_in]
SIGNED_OUT = [name for name, action in ACTIONS.items() if not action.signed_in]


def allowance(action):
    """How many attempts the configured limit allows, e.g. 2 for "2 per minute"."""
    return int(LIMITS[action.setting].split()[0])


def browser(app, address="127.0.0.1"):
    """A fresh test client (no cookies) coming from `address`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def signed_in_browser(app, user, address="127.0.0.1"):
    """A fresh client signed in as `user` through the real form."""
    client = browser(app, address)
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 303
    return client


def use_up(app, action, ctx, client=None, address="127.0.0.1"):
    """Spend the whole allowance; signed-out attempts come from new browsers at one address."""
    for n in range(allowance(action)):
        response = action.attempt(client or browser(app, address), ctx, n)
        assert response.status_code in (200, 303), response.get_data(as_text=True)


def assert_too_many(response):
    """429 with Retry-After (seconds within the one-minute window), and a page that says to wait."""
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert "Please wait" in response.get_data(as_text=True)
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.fixture
def mail_log(caplog):
    """Captures the log lines that stand in for sent email."""
    caplog.set_level(logging.INFO)
    return caplog


@pytest.mark.parametrize("name", ACTIONS)
def test_each_limited_action_answers_429_with_retry_after_once_over_the_limit(
        app, context, make_user, fetch, mail_log, name):
    action = ACTIONS[name]
    client = signed_in_browser(app, make_user()) if action.signed_in else None
    use_up(app, action, context, client)

    response = action.attempt(client or browser(app), context, allowance(action))

    assert_too_many(response)
    if action.effect:
        assert action.effect(fetch, mail_log, context) == allowance(action)


def test_a_sign_in_over_the_limit_does_not_sign_in(app, context):
    use_up(app, ACTIONS["sign-in"], context)
    client = browser(app)

    response = client.post("/auth/login",
                           data={"email": context.member.email, "password": PASSWORD})

    assert response.status_code == 429
    assert client.get("/account/settings").status_code == 302  # still signed out


def test_an_htmx_request_over_the_limit_gets_a_notice(app, context, make_user, fetch):
    client = signed_in_browser(app, make_user())
    use_up(app, ACTIONS["voting"], context, client)
    idea = context.ideas[2]

    response = client.post(f"/ideas/{idea.id}/vote", headers=htmx_headers(f"idea-{idea.id}-vote"))

    body = response.get_data(as_text=True)
    assert response.status_code == 429
    assert response.headers["Retry-After"]
    assert response.headers["HX-Retarget"] == "#notices"
    assert "Please wait" in body
    assert "<html" not in body
    assert fetch(lambda: db.session.execute(
        select(func.count()).where(Vote.idea_id == idea.id)).scalar_one()) == 0


@pytest.mark.parametrize("name", SIGNED_IN)
def test_signed_in_limits_count_per_member_not_per_address(app, context, make_user, fetch,
                                                           mail_log, name):
    action = ACTIONS[name]
    first, second = signed_in_browser(app, make_user()), signed_in_browser(app, make_user())
    use_up(app, action, context, first)
    assert action.attempt(first, context, allowance(action)).status_code == 429
    done = action.effect(fetch, mail_log, context)

    response = action.attempt(second, context, allowance(action) + 1)

    assert response.status_code in (200, 303)
    assert action.effect(fetch, mail_log, context) == done + 1


@pytest.mark.parametrize("name", SIGNED_OUT)
def test_signed_out_limits_count_per_address(app, context, name):
    action = ACTIONS[name]
    use_up(app, action, context, address="10.0.0.1")

    same_address = action.attempt(browser(app, "10.0.0.1"), context, allowance(action))
    other_address = action.attempt(browser(app, "10.0.0.2"), context, allowance(action) + 1)

    assert same_address.status_code == 429
    assert other_address.status_code in (200, 303)


def test_sign_up_attempts_count_per_address_even_while_signed_in(app, context, fetch, mail_log):
    action = ACTIONS["sign-up"]
    client = browser(app)
    assert action.attempt(client, context, 0).status_code == 303  # signed in as the new member

    while_signed_in = action.attempt(client, context, 1)
    client.post("/auth/logout")
    over = action.attempt(client, context, 2)

    assert while_signed_in.status_code == 303  # sent to the board, nothing created
    assert over.status_code == 429
    assert action.effect(fetch, mail_log, context) == 1


# -- Redis: counters shared by every process -------------------------------------------------------


@pytest.fixture
def redis_url():
    """The Redis server given in REDIS_URL; this run's counters are deleted afterwards."""
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip(REDIS_SKIP)
    import redis

    connection = redis.Redis.from_url(url)
    yield url
    for key in connection.scan_iter(match=f"*{KEY_PREFIX}*"):
        connection.delete(key)
    connection.close()


@pytest.fixture
def redis_app_factory(database_url, redis_url):
    """Builds app instances as separate processes would: same database, same Redis."""
    apps = []

    def build():
        app = create_app("testing", limited_settings(database_url,
                                                     RATELIMIT_STORAGE_URI=redis_url))
        apps.append(app)
        return app

    yield build
    for app in apps:
        dispose(app)


def test_with_redis_two_app_instances_share_one_limit(redis_app_factory, redis_url, context,
                                                       make_user, fetch, mail_log):
    import redis

    member, action = make_user(), ACTIONS["voting"]
    first = redis_app_factory()
    use_up(first, action, context, signed_in_browser(first, member))
    second = redis_app_factory()  # a new in-memory limiter here would start from zero

    response = action.attempt(signed_in_browser(second, member), context, allowance(action))

    assert_too_many(response)
    assert action.effect(fetch, mail_log, context) == allowance(action)
    keys = list(redis.Redis.from_url(redis_url).scan_iter(match=f"*{KEY_PREFIX}*"))
    assert any(f"member:{member.id}".encode() in key for key in keys)


def test_voting_and_withdrawing_share_one_allowance(app, context, make_user):
    client = signed_in_browser(app, make_user())
    idea = context.ideas[0]
    assert client.post(f"/ideas/{idea.id}/vote").status_code == 303
    assert client.post(f"/ideas/{idea.id}/unvote").status_code == 303

    response = client.post(f"/ideas/{idea.id}/vote")

    assert response.status_code == 429


def test_behind_a_proxy_each_forwarded_address_has_its_own_allowance(database_url):
    app = create_app("testing", limited_settings(database_url, PROXY_COUNT=1))
    storage = limiter.storage
    try:
        client = app.test_client()

        def forgot(address):
            return client.post("/auth/forgot", data={"email": "x@example.com"},
                               headers={"X-Forwarded-For": address}).status_code

        first = [forgot("198.51.100.7") for _ in range(3)]
        other = forgot("203.0.113.9")
    finally:
        storage.reset()
        dispose(app)

    assert first == [303, 303, 429]
    assert other == 303
