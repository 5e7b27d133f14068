"""A storm: members vote and withdraw while staff merge and undo the same ideas.

gunicorn (4 workers x 4 threads) on the test's database; 30 members press Vote and
Withdraw on four ideas while three staff members merge them into each other and undo the merges,
all at once, for STORM_SECONDS. Nothing may answer 5xx, every answer must be one the rules give
(a refused merge 422, a refused undo or a vote on a merged idea 409), and afterwards every stored
count equals its rows, no vote sits on a merged idea, `ideas.invariants` finds nothing, and every
merge still standing can be undone.

On SQLite the write lock (BEGIN IMMEDIATE) serialises every write request, so the races cannot
happen there; a shorter storm checks that it stays so (and that nothing waits into a 503).

Before vote, withdraw, merge and undo locked the idea rows (issue 16), this test failed on
PostgreSQL every time: in one run 12 merges and undos answered 500 (UniqueViolation,
StaleDataError, CheckViolation on the vote count, a deadlock), 23 votes were left on three merged
ideas, and none of those three merges could ever be undone (500 on every try).
"""
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

import test_multiprocess_votes as gunicorn_run
from helpers import PASSWORD, dispose
from ideas import create_app
from ideas.extensions import db
from ideas.models import Idea, User, Vote, utcnow
from ideas.passwords import hash_password
from ideas.proposals import propose_idea

pytestmark = pytest.mark.drill  # the second interpreter leaves these out (tools/test-newest)

STORM_SECONDS = {"postgresql": 12, "sqlite": 6}
MEMBERS, STAFF, IDEAS = 30, 3, 4
WORKERS, THREADS = 4, 4
# What each press may answer when the rules hold: anything else is a failure.
EXPECTED = {
    "vote": {303, 409},      # 409: voting is closed, the idea is merged right now
    "unvote": {303, 409},
    "merge": {303, 422},     # 422: one of the two is merged already
    "unmerge": {303, 409},   # 409: undone already, or its survivor is merged meanwhile
}


@pytest.fixture
def database(database_url):
    """An empty migrated database of its own on each kind (conftest)."""
    return database_url


@dataclass
class Cast:
    """What the test seeded: member and staff (id, email), the ideas' ids."""

    members: list
    staff: list
    ideas: list


@pytest.fixture
def local_app(database):
    """The app in this process on that database: for seeding and reading the result."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database})
    yield app
    dispose(app)


@pytest.fixture
def cast(local_app):
    """MEMBERS members, STAFF staff and IDEAS ideas, each idea backed by a third of the members."""
    tag = uuid.uuid4().hex[:6]
    with local_app.app_context():
        password_hash = hash_password(PASSWORD)

        def person(name, role):
            return User(name=name, email=f"{name.replace(' ', '')}-{tag}@example.com", role=role,
                        password_hash=password_hash, email_confirmed_at=utcnow())
        members = [person(f"Member {n}", "member") for n in range(MEMBERS)]
        staff = [person(f"Staff {n}", "staff") for n in range(STAFF)]
        db.session.add_all(members + staff)
        db.session.commit()
        ideas = [propose_idea(members[n], f"Stormy idea number {n}", "Merged and unmerged all day.",
                              "idea", []) for n in range(IDEAS)]
        db.session.commit()
        return Cast([(m.id, m.email) for m in members], [(s.id, s.email) for s in staff],
                    [idea.id for idea in ideas])


@pytest.fixture
def server(cast, database, tmp_path, monkeypatch):
    """gunicorn 'wsgi:app' (WORKERS x THREADS) on the seeded database; (port, log path)."""
    monkeypatch.setattr(gunicorn_run, "WORKERS", WORKERS)
    monkeypatch.setattr(gunicorn_run, "THREADS", THREADS)
    log_path = tmp_path / "gunicorn.log"
    process, port = gunicorn_run.start_gunicorn(database, log_path)
    try:
        yield port, log_path
    finally:
        gunicorn_run.stop_gunicorn(process)


@dataclass
class Answers:
    """Every answer of the storm, by action and status."""

    seen: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, action, status):
        with self.lock:
            self.seen[action, status] += 1

    def unexpected(self):
        return {key: n for key, n in self.seen.items() if key[1] not in EXPECTED[key[0]]}

    def count(self, action, status):
        return self.seen[action, status]


def post(browser, path, answers, action, form=None):
    """POST a form as that browser (CSRF token included); the status, noted in `answers`."""
    try:
        status, _ = browser.request("POST", path, form=dict(form or {}, csrf_token=browser.token))
    except OSError as error:
        status = type(error).__name__
    answers.note(action, status)
    return status


def member_presses(browser, ideas, seed, deadline, answers):
    """Vote and withdraw on random ideas until the deadline."""
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        action = rng.choice(("vote", "vote", "unvote"))
        post(browser, f"/ideas/{rng.choice(ideas)}/{action}", answers, action, {"next": "/"})


def staff_merges(browser, ideas, seed, deadline, answers):
    """Merge a random idea into another and undo it again, until the deadline."""
    rng = random.Random(seed)
    while time.monotonic() < deadline:
        source, target = rng.sample(ideas, 2)
        if post(browser, f"/ideas/{source}/merge", answers, "merge", {"into": target}) == 303:
            time.sleep(rng.uniform(0, 0.2))  # long enough for votes to land in between
            post(browser, f"/ideas/{source}/unmerge", answers, "unmerge")


def storm(port, cast, seconds):
    """Everyone at once for `seconds`; every answer, and the staff's browsers."""
    members = gunicorn_run.sign_in_all(port, cast.members)
    staff = gunicorn_run.sign_in_all(port, cast.staff)
    answers = Answers()
    deadline = time.monotonic() + seconds
    with ThreadPoolExecutor(max_workers=MEMBERS + STAFF) as pool:
        futures = [pool.submit(member_presses, browser, cast.ideas, n, deadline, answers)
                   for n, browser in enumerate(members.values())]
        futures += [pool.submit(staff_merges, browser, cast.ideas, 1000 + n, deadline, answers)
                    for n, browser in enumerate(staff.values())]
        for future in futures:
            future.result()
    return answers, list(staff.values())[0]


def damage(local_app):
    """What the storm broke in the database; empty lists when everything held."""
    with local_app.app_context():
        db.session.remove()
        rows = dict(db.session.execute(
            select(Vote.idea_id, func.count()).group_by(Vote.idea_id)).all())
        ideas = db.session.execute(select(Idea.id, Idea.vote_count, Idea.status)).all()
        return {
            "counts that differ from the rows": [
                (idea_id, count, rows.get(idea_id, 0)) for idea_id, count, _ in ideas
                if count != rows.get(idea_id, 0)],
            "votes on merged ideas": [
                (idea_id, rows[idea_id]) for idea_id, _, status in ideas
                if status == "merged" and rows.get(idea_id)],
        }


def undo_every_merge(staff_browser, local_app, answers):
    """Undo what is still merged, survivors' own merges first; the ideas still merged after."""
    for _ in range(IDEAS):
        with local_app.app_context():
            db.session.remove()
            merged = dict(db.session.execute(
                select(Idea.id, Idea.merged_into_id).where(Idea.status == "merged")).all())
        for source in [s for s, target in merged.items() if target not in merged]:
            post(staff_browser, f"/ideas/{source}/unmerge", answers, "final undo")
    with local_app.app_context():
        db.session.remove()
        return db.session.execute(select(Idea.id).where(Idea.status == "merged")).scalars().all()


def test_votes_merges_and_undos_at_once_break_nothing(server, cast, local_app, database):
    """Members vote and withdraw while staff merge and undo the same ideas: no 5xx, no damage."""
    from ideas.invariants import find_problems

    port, log_path = server

    answers, staff_browser = storm(port, cast, STORM_SECONDS[database.split(":")[0].split("+")[0]])

    assert answers.unexpected() == {}
    assert gunicorn_run.server_errors(log_path) == []
    assert damage(local_app) == {kind: [] for kind in damage(local_app)}
    with local_app.app_context():
        assert find_problems() == []
    # It was a storm: merges, undos, votes and withdrawals all went through, on a busy machine too.
    assert answers.count("merge", 303) >= 3 and answers.count("unmerge", 303) >= 3
    assert answers.count("vote", 303) >= 30 and answers.count("unvote", 303) >= 10

    final = Answers()
    still_merged = undo_every_merge(staff_browser, local_app, final)

    assert set(final.seen) <= {("final undo", 303)}
    assert still_merged == []
    assert damage(local_app) == {kind: [] for kind in damage(local_app)}
    with local_app.app_context():
        assert find_problems() == []
