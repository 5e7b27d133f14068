"""Votes under real concurrency: gunicorn with several worker processes and threads.

Members sign in over HTTP (CSRF on, real tokens) and vote and withdraw on the same three ideas
at once, double-clicks included, against `gunicorn wsgi:app` (3 workers x 4 threads) on a
fresh SQLite file and on a fresh PostgreSQL database. Every answer must be the expected one and
every idea's stored count must equal its vote rows and the members whose last action was a vote.

Guards this catches when removed (tried once each): SQLite's `BEGIN IMMEDIATE` on write
requests (without it, 500s from "database is locked" and lost or stale votes) and the atomic
`vote_count = vote_count + 1` (a read-modify-write stored 6 of 15 votes on PostgreSQL; on SQLite
BEGIN IMMEDIATE already serialises write requests, so there it stays exact).
"""
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url

from ideas import create_app
from ideas.extensions import db
from ideas.models import Follow, Idea, User, Vote, utcnow
from ideas.passwords import hash_password
from ideas.proposals import propose_idea
from ideas.voting import trending_score

from helpers import PASSWORD

pytestmark = pytest.mark.drill  # the second interpreter leaves these out (tools/test-newest)

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
MEMBERS = 20
IDEAS = 3
ACTIONS = 10  # per member and idea, in order; each may be double-clicked
DOUBLE_CLICK = 0.3
WORKERS, THREADS = 3, 4
CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
POSTGRES_SKIP = "TEST_DATABASE_URL is not set, so gunicorn is not tried on PostgreSQL"


# The database: fresh, migrated, seeded; always removed

@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    """The URL of an empty database of this test's own (a PostgreSQL one is dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'votes.sqlite'}"
        return
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        pytest.skip(POSTGRES_SKIP)
    name = f"ideas_votes_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def local_app(database):
    """The app in this process on that database, for seeding and reading the result."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@dataclass
class Board:
    """What the test seeded: members' (id, email) and the ideas' ids."""

    members: list
    ideas: list


@pytest.fixture
def board(local_app):
    """MEMBERS members with a known password (cheap argon2, hashed once) and IDEAS ideas."""
    tag = uuid.uuid4().hex[:6]
    with local_app.app_context():
        password_hash = hash_password(PASSWORD)
        users = [User(name=f"Voter {n}", email=f"voter{n}-{tag}@example.com",
                      password_hash=password_hash, email_confirmed_at=utcnow())
                 for n in range(MEMBERS + 1)]
        db.session.add_all(users)
        db.session.commit()
        author, members = users[0], users[1:]
        # Unbacked: every vote is a member's last action, which the count is checked against.
        ideas = [propose_idea(author, f"Shared idea number {n}", "Everyone backs this at once.",
                              "idea", [], backed=False) for n in range(IDEAS)]
        db.session.commit()
        return Board([(member.id, member.email) for member in members], [idea.id for idea in ideas])


# The server: a real gunicorn, always stopped

def free_port():
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(database, port):
    """Production settings, the test's cheap argon2 parameters, limits far above the load."""
    env = {name: value for name, value in os.environ.items()
           if name not in ("REDIS_URL", "MAIL_SERVER", "SERVER_NAME", "PROXY_COUNT", "FLASK_DEBUG")}
    env.update(
        IDEAS_ENV="production", SECRET_KEY=secrets.token_hex(32), DATABASE_URL=database,
        ALLOW_SQLITE="1", WORKER_IN_PROCESS="0", HOST="127.0.0.1", PORT=str(port),
        BASE_URL=f"http://127.0.0.1:{port}",
        WEB_CONCURRENCY=str(WORKERS), THREADS=str(THREADS), PYTHONUNBUFFERED="1",
        RATELIMIT_VOTE="100000 per minute", RATELIMIT_LOGIN="100000 per minute",
        ARGON2_TIME_COST="1", ARGON2_MEMORY_COST="8", ARGON2_PARALLELISM="1",
    )
    return env


def answers(port, path):
    """The status of GET `path`, or None when nothing answers."""
    connection = HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def start_gunicorn(database, log_path, timeout=60):
    """Start gunicorn on a free port and wait for /readyz; (process, port)."""
    for _ in range(3):  # another test may take the free port before gunicorn binds it
        port = free_port()
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [str(GUNICORN), "--no-control-socket", "wsgi:app"], cwd=ROOT,
                env=server_env(database, port), stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and process.poll() is None:
            if answers(port, "/readyz") == 200:
                return process, port
            time.sleep(0.1)
        stop_gunicorn(process)
    pytest.fail(f"gunicorn did not become ready:\n{log_path.read_text()[-3000:]}")


def stop_gunicorn(process):
    """Kill the master and its workers (their own process group): nothing of them is needed
    afterwards, and a graceful shutdown takes seconds."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


@pytest.fixture
def server(board, database, tmp_path):
    """gunicorn 'wsgi:app' serving the seeded database; yields (port, log path)."""
    log_path = tmp_path / "gunicorn.log"
    process, port = start_gunicorn(database, log_path)
    try:
        yield port, log_path
    finally:
        stop_gunicorn(process)


# Members' browsers

class Browser:
    """One member's cookie jar; every request on a fresh connection, as a new tab would."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.lock = threading.Lock()
        self.token = None

    def request(self, method, path, form=None, headers=None):
        """(status, body) of one request; cookies the answer sets are kept."""
        all_headers = dict(headers or {})
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        with self.lock:
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            content = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        with self.lock:
            for value in response.headers.get_all("Set-Cookie") or ():
                cookie = SimpleCookie()
                cookie.load(value)
                for name, morsel in cookie.items():
                    self.cookies[name] = morsel.value
        return response.status, content

    def sign_in(self, email):
        """Sign in through the form, then keep the CSRF token the pages carry."""
        status, page = self.request("GET", "/auth/login")
        assert status == 200
        status, _ = self.request("POST", "/auth/login", form=dict(
            email=email, password=PASSWORD, csrf_token=CSRF_INPUT.search(page).group(1)))
        assert status == 303, f"signing in {email} answered {status}"
        status, page = self.request("GET", "/")
        assert status == 200
        self.token = CSRF_INPUT.search(page).group(1)

    def press(self, idea_id, action, htmx):
        """Press Vote or Withdraw, with or without htmx; the status, or the error's name."""
        headers = {}
        if htmx:
            headers = {"HX-Request": "true", "HX-Target": f"idea-{idea_id}-vote",
                       "HX-Current-URL": f"http://127.0.0.1:{self.port}/"}
        try:
            status, _ = self.request("POST", f"/ideas/{idea_id}/{action}", headers=headers,
                                     form=dict(csrf_token=self.token, next="/"))
            return status
        except OSError as error:
            return type(error).__name__


@dataclass
class Outcome:
    """What happened to one member on one idea: their last action, and odd answers."""

    member: int
    idea: int
    last: str = None
    voted_ever: bool = False
    requests: int = 0
    unexpected: list = field(default_factory=list)


def sign_in_all(port, members):
    """A signed-in browser per member id, signed in a few at a time."""
    def sign_in(member):
        browser = Browser(port)
        browser.sign_in(member[1])
        return member[0], browser

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(pool.map(sign_in, members))


def at_once(press, times):
    """Call `press` from `times` threads released together; their results."""
    if times == 1:
        return [press()]
    barrier = threading.Barrier(times)

    def run(_):
        barrier.wait()
        return press()

    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(run, range(times)))


def play(browser, member, idea, seed, start):
    """ACTIONS presses in order on one idea, some double-clicked (the same POST twice at once)."""
    rng = random.Random(seed)
    outcome = Outcome(member, idea)
    start.wait()
    for _ in range(ACTIONS):
        action = rng.choice(("vote", "vote", "unvote"))
        htmx = rng.random() < 0.5
        expected = 200 if htmx else 303
        clicks = 2 if rng.random() < DOUBLE_CLICK else 1
        statuses = at_once(partial(browser.press, idea, action, htmx), clicks)
        outcome.requests += clicks
        outcome.unexpected += [(action, status) for status in statuses if status != expected]
        outcome.last = action
        outcome.voted_ever |= action == "vote"
    return outcome


def vote_all_at_once(port, board):
    """Every member on every idea at once, each pair in its own thread; their outcomes."""
    browsers = sign_in_all(port, board.members)
    pairs = [(member, idea) for member, _ in board.members for idea in board.ideas]
    start = threading.Barrier(len(pairs))
    with ThreadPoolExecutor(max_workers=len(pairs)) as pool:
        futures = [pool.submit(play, browsers[member], member, idea, hash((member, idea)), start)
                   for member, idea in pairs]
        return [future.result() for future in futures]


def server_errors(log_path):
    """Log lines of the server that report an error (5xx answers, exceptions, worker deaths)."""
    bad = []
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            if "[ERROR]" in line or "Traceback" in line or "WORKER TIMEOUT" in line:
                bad.append(line)
            continue
        if entry.get("level") in ("ERROR", "CRITICAL") or entry.get("status", 0) >= 500:
            bad.append(line[:2000])
    return bad


def stored(local_app, idea_ids):
    """Per idea: (vote_count, trending_score, expected trending), vote pairs and follow pairs."""
    with local_app.app_context():
        db.session.remove()
        ideas = {idea.id: (idea.vote_count, idea.trending_score,
                           trending_score(idea.vote_count, idea.created_at))
                 for idea in db.session.scalars(select(Idea).where(Idea.id.in_(idea_ids)))}
        votes = db.session.execute(select(Vote.user_id, Vote.idea_id)).all()
        follows = set(db.session.execute(
            select(Follow.user_id, Follow.idea_id).where(Follow.following.is_(True))).all())
        return ideas, votes, follows


def problems(outcomes, log_path, local_app, idea_ids):
    """Everything that went wrong, by kind; every list is empty when voting held."""
    ideas, votes, follows = stored(local_app, idea_ids)
    backed = {(o.member, o.idea) for o in outcomes if o.last == "vote"}
    counts = []
    for idea_id, (count, score, expected_score) in sorted(ideas.items()):
        backers = sum(1 for _, idea in backed if idea == idea_id)
        rows = sum(1 for _, idea in votes if idea == idea_id)
        if not count == rows == backers:
            counts.append(dict(idea=idea_id, stored=count, rows=rows, last_action_vote=backers))
        if abs(score - expected_score) > 1e-6:
            counts.append(dict(idea=idea_id, trending=score, for_stored_count=expected_score))
    return {
        "answers other than 303 (page) or 200 (htmx)":
            [(o.member, o.idea, o.unexpected) for o in outcomes if o.unexpected],
        "errors in the server's log": server_errors(log_path),
        "votes stored twice": sorted({vote for vote in votes if votes.count(vote) > 1}),
        "votes lost": sorted(backed - set(votes)),
        "votes that should be gone": sorted(set(votes) - backed),
        "stored counts and trending that differ": counts,
        "voters not following": sorted({(o.member, o.idea) for o in outcomes if o.voted_ever}
                                       - follows),
    }


def test_votes_from_many_processes_keep_every_count_exact(server, board, local_app):
    """3 gunicorn workers x 4 threads, 20 members x 3 ideas at once: no error, no vote lost."""
    port, log_path = server

    outcomes = vote_all_at_once(port, board)

    assert sum(o.requests for o in outcomes) > MEMBERS * IDEAS * ACTIONS
    found = problems(outcomes, log_path, local_app, board.ideas)
    assert found == {kind: [] for kind in found}
