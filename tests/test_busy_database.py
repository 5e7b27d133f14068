"""A locked database: web requests give up soon with 503 and Retry-After, from an answer that
needs nothing from the database; the worker and the CLI keep their longer limits.

Each test fails on the code before these limits: SQLite waited its 10 s busy timeout and then
raised (a 500 page that waited for the lock again); PostgreSQL waited for as long as the lock
was held (here until the holder lets go, when the vote goes through).
"""
import sqlite3
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from helpers import dispose, htmx_headers, recorded_statements
from ideas import create_app
from ideas.database import is_busy
from ideas.api_keys import create_api_key
from ideas.extensions import db
from ideas.models import User, Vote

pytestmark = pytest.mark.drill  # the second interpreter leaves these out (tools/test-newest)

# Web requests in these tests give up after about a second; the worker and the CLI after a minute.
SHORT = {"DATABASE_BUSY_TIMEOUT_SECONDS": 1, "PG_LOCK_TIMEOUT_MS": 1000, "PG_STATEMENT_TIMEOUT_MS": 0,
         "DATABASE_BACKGROUND_BUSY_TIMEOUT_SECONDS": 60, "PG_BACKGROUND_LOCK_TIMEOUT_MS": 60000,
         "PG_BACKGROUND_STATEMENT_TIMEOUT_MS": 0}
# How long a lock is held at most: the old code's wait ends there, and its vote goes through.
HELD_AT_MOST = 8
# An answer within this many seconds gave up on the lock early (the old SQLite limit was 10 s).
SOON = 4
SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
POSTGRES = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def limits():
    """The wait limits the app is built with; a test may parametrize its own."""
    return SHORT


@pytest.fixture
def app(database_url, limits):
    """The application with short limits for web requests (read when the engine is set up)."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, **limits})
    yield app
    dispose(app)


@contextmanager
def sqlite_write_lock(database_url):
    """Another connection holds SQLite's write lock (BEGIN IMMEDIATE) inside the block."""
    holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def postgres_row_lock(database_url, idea_id):
    """Another connection holds the idea's row (SELECT … FOR UPDATE) inside the block, for at most
    HELD_AT_MOST seconds, so that a request without a limit waits that long rather than forever."""
    locked, release = threading.Event(), threading.Event()
    engine = create_engine(database_url)

    def hold():
        with engine.connect() as connection:
            connection.execute(text("SELECT id FROM ideas WHERE id = :id FOR UPDATE"), {"id": idea_id})
            locked.set()
            release.wait(HELD_AT_MOST)
            connection.rollback()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        yield
    finally:
        release.set()
        holder.join()
        engine.dispose()


@pytest.fixture
def api_headers(app):
    """api_headers(member): the Authorization header of a fresh API key of `member`."""
    def make(member):
        with app.app_context():
            key, token = create_api_key(db.session.get(User, member.id), "Test key")
            db.session.commit()
        return {"Authorization": f"Bearer {token}"}

    return make


def timed(action):
    """(result, seconds taken)."""
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def all_statements(app):
    """Every SQL statement run in the block, as recorded_statements."""
    return recorded_statements(app, lambda statement: " ".join(statement.split()))


def vote_count(fetch, idea_id):
    return fetch(lambda: db.session.execute(
        select(func.count()).where(Vote.idea_id == idea_id)).scalar_one())


# SQLite: another writer holds the lock.

@SQLITE
def test_a_vote_while_sqlite_is_locked_answers_503_soon_from_a_page_without_the_database(
        app, client, auth, make_user, make_idea, database_url, fetch):
    idea = make_idea()
    auth.login(make_user())

    with sqlite_write_lock(database_url), all_statements(app) as statements:
        response, seconds = timed(lambda: client.post(f"/ideas/{idea.id}/vote"))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert 1 <= seconds < SOON
    page = response.get_data(as_text=True)
    assert "<html" in page and "Nothing was changed" in page and "Busy, please try again" in page
    # The one statement that waited for the lock; the answer itself asked the database nothing.
    assert statements == ["BEGIN IMMEDIATE"]
    assert vote_count(fetch, idea.id) == 0


@SQLITE
def test_an_htmx_vote_while_sqlite_is_locked_gets_a_notice(app, client, auth, make_user, make_idea,
                                                           database_url):
    idea = make_idea()
    auth.login(make_user())

    with sqlite_write_lock(database_url), all_statements(app) as statements:
        response = client.post(f"/ideas/{idea.id}/vote", headers=htmx_headers(f"idea-{idea.id}-vote"))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.headers["HX-Retarget"] == "#notices"
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'role="alert"' in body and "Nothing was changed" in body
    assert statements == ["BEGIN IMMEDIATE"]


@SQLITE
def test_the_busy_page_speaks_the_browsers_language(app, client, make_idea, database_url):
    idea = make_idea()

    with sqlite_write_lock(database_url):
        response = client.post(f"/ideas/{idea.id}/vote", headers={"Accept-Language": "de"})

    assert response.status_code == 503
    assert '<html lang="de">' in response.get_data(as_text=True)


@SQLITE
def test_an_api_vote_while_sqlite_is_locked_answers_a_json_503(app, client, make_user, make_idea,
                                                               api_headers, database_url, fetch):
    idea = make_idea()
    headers = api_headers(make_user())

    with sqlite_write_lock(database_url), all_statements(app) as statements:
        response, seconds = timed(lambda: client.put(f"/api/v1/ideas/{idea.id}/vote", json={},
                                                     headers=headers))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert 1 <= seconds < SOON
    assert response.get_json()["error"]["code"] == "database_busy"
    assert statements == ["BEGIN IMMEDIATE"]
    assert vote_count(fetch, idea.id) == 0


@SQLITE
def test_a_busy_database_is_logged_as_a_warning_not_an_error(app, client, auth, make_user, make_idea,
                                                              database_url, caplog):
    idea = make_idea()
    auth.login(make_user())

    with sqlite_write_lock(database_url):
        response = client.post(f"/ideas/{idea.id}/vote")

    assert response.status_code == 503
    busy = [record for record in caplog.records if "database busy" in record.getMessage()]
    assert [record.levelname for record in busy] == ["WARNING"]
    assert "database is locked" in busy[0].getMessage() and "/vote" in busy[0].getMessage()
    assert not [record for record in caplog.records if record.levelname in ("ERROR", "CRITICAL")]


def test_only_lock_and_timeout_errors_count_as_busy(tmp_path):
    path = tmp_path / "busy.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    with pytest.raises(sqlite3.OperationalError) as locked:
        other.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError) as missing:
        other.execute("SELECT * FROM nowhere")
    holder.close()
    other.close()

    assert is_busy(locked.value)
    assert not is_busy(missing.value)


# PostgreSQL: another transaction holds the idea's row.

@POSTGRES
def test_a_vote_on_a_locked_idea_answers_503_after_the_lock_timeout(app, client, auth, make_user,
                                                                     make_idea, database_url, fetch):
    idea = make_idea()
    auth.login(make_user())

    with postgres_row_lock(database_url, idea.id):
        response, seconds = timed(lambda: client.post(f"/ideas/{idea.id}/vote"))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert 1 <= seconds < SOON
    assert "Nothing was changed" in response.get_data(as_text=True)
    assert vote_count(fetch, idea.id) == 0


@POSTGRES
def test_an_api_vote_on_a_locked_idea_answers_a_json_503(app, client, make_user, make_idea, api_headers,
                                                         database_url, fetch):
    idea = make_idea()
    headers = api_headers(make_user())

    with postgres_row_lock(database_url, idea.id):
        response, seconds = timed(lambda: client.put(f"/api/v1/ideas/{idea.id}/vote", json={},
                                                     headers=headers))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert 1 <= seconds < SOON
    assert response.get_json()["error"]["code"] == "database_busy"
    assert vote_count(fetch, idea.id) == 0


@POSTGRES
@pytest.mark.parametrize("limits", [{**SHORT, "PG_LOCK_TIMEOUT_MS": 0, "PG_STATEMENT_TIMEOUT_MS": 1000}])
def test_a_statement_past_the_statement_timeout_answers_503(app, client, auth, make_user, make_idea,
                                                           database_url, fetch):
    idea = make_idea()
    auth.login(make_user())

    with postgres_row_lock(database_url, idea.id):  # no lock_timeout: the statement runs on, waiting
        response, seconds = timed(lambda: client.post(f"/ideas/{idea.id}/vote"))

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert 1 <= seconds < SOON
    assert vote_count(fetch, idea.id) == 0


# Who gets which limits.

def wait_limits():
    """The limits the session's connection has now: SQLite's busy timeout in ms, or PostgreSQL's
    (lock_timeout, statement_timeout) in ms."""
    if db.engine.dialect.name == "sqlite":
        limits = db.session.execute(text("PRAGMA busy_timeout")).scalar_one()
    else:
        limits = tuple(db.session.execute(text(
            "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')")).one())
    db.session.commit()
    return limits


def test_web_requests_get_the_short_limits_and_the_worker_and_cli_the_long_ones(app):
    web = 1000 if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else ("1s", "0")
    background = 60000 if web == 1000 else ("1min", "0")
    with app.app_context():
        # The worker and CLI commands run in the app's context, outside any request; one engine
        # serves both in the development server, on the same pooled connections.
        first = wait_limits()
        with app.test_request_context("/"):
            during_request = wait_limits()
        after = wait_limits()

    assert (first, during_request, after) == (background, web, background)
