"""`flask --app ideas backup` and `restore`, as an operator runs them, in real processes.

A writer process proposes ideas and casts votes through the domain functions, one transaction
each, while `flask --app ideas backup` runs; the backup is then restored into a fresh database
(a new SQLite file, a new PostgreSQL database) and a new app serves it. The restored data must
be one consistent moment: every idea the writer committed before the backup began, then an
unbroken run of later ones, each with all of its votes, and stored counts equal to the rows.

The SQLite trap: a backup copied over a live database file leaves that database's -wal beside it,
and SQLite replays the stale frames onto the restored file (the old data comes back, or the file is
corrupt). `restore` writes through SQLite's backup API instead; with `shutil.copy` in its place,
test_restore_over_a_live_database_with_a_wal_file_beside_it fails (tried once: the live data came back).
With a copy of the live file in place of the backup API, the test of backups taken during writes
fails (tried once: the commits still in the -wal were missing).
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import closing, contextmanager
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from ideas import create_app
from ideas.backups import backup_sqlite
from ideas.backups.postgres import client_tool, libpq_target
from ideas.database import writing
from ideas.extensions import db
from ideas.models import Idea, User, Vote, utcnow
from ideas.proposals import propose_idea
from ideas.voting import cast_vote

from helpers import dispose

pytestmark = pytest.mark.drill  # the second interpreter leaves these out (tools/test-newest)

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = 6
SEEDED_IDEAS = 8
WRITTEN = "Written during the backup"
COMMAND_TIMEOUT = 60
POSTGRES_SKIP = "TEST_DATABASE_URL is not set, so backups are not tried on PostgreSQL"
PG_TOOLS_SKIP = ("pg_dump or pg_restore is not on PATH, so PostgreSQL backups are not tried "
                 "(Debian and Ubuntu: apt-get install postgresql-client; .ci/run does)")


# Databases of the test's own, always removed

def new_postgres_database(base_url):
    """Create an empty database beside TEST_DATABASE_URL's; (its URL, a function dropping it)."""
    name = f"ideas_backup_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return make_url(base_url).set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_database(request, tmp_path):
    """make() gives the URL of a new, empty database; every one is removed after the test."""
    drops = []
    if request.param == "postgresql":
        base_url = os.environ.get("TEST_DATABASE_URL")
        if not base_url:
            pytest.skip(POSTGRES_SKIP)
        if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
            pytest.skip(PG_TOOLS_SKIP)

    def make(name):
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / name / 'ideas.sqlite'}"
        url, drop = new_postgres_database(os.environ["TEST_DATABASE_URL"])
        drops.append(drop)
        return url

    yield make
    for drop in drops:
        drop()


def seeded_database(url, sqlite_template):
    """Migrate the database at `url` (SQLite: a copy of the migrated template) and give it
    MEMBERS members and SEEDED_IDEAS backed ideas."""
    if url.startswith("sqlite"):
        path = Path(make_url(url).database)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sqlite_template, path)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if not url.startswith("sqlite"):
            flask_migrate.upgrade()
        members = [User(name=f"Member {n}", email=f"member{n}@example.com", email_confirmed_at=utcnow())
                   for n in range(MEMBERS)]
        db.session.add_all(members)
        db.session.commit()
        for n in range(SEEDED_IDEAS):
            idea = propose_idea(members[n % MEMBERS], f"Seeded idea {n}", "From before the backup.")
            cast_vote(members[(n + 1) % MEMBERS], idea)
            db.session.commit()
    dispose(app)


# The processes: the writer, and the commands an operator runs

def expected_voters(n):
    """How many votes the writer's n-th idea gets: its author's and 0 to 4 others'."""
    return 1 + n % 5


def write_until_stopped(url, stop_path, log_path):
    """The writer process: an idea and its votes per transaction, a log line per commit."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context(), open(log_path, "a") as log:
        members = db.session.scalars(select(User).order_by(User.id)).all()
        n = 0
        while not os.path.exists(stop_path):
            with writing():
                idea = propose_idea(members[n % MEMBERS], f"{WRITTEN} {n}", "Committed while copying.")
                for offset in range(1, expected_voters(n)):
                    cast_vote(members[(n + offset) % MEMBERS], idea)
                db.session.commit()
            print(n, file=log, flush=True)
            n += 1
            time.sleep(0.01)  # leaves the two shared cores some room for the backup itself
    dispose(app)


def commits(log_path):
    """How many transactions the writer has committed so far."""
    return len(log_path.read_text().splitlines()) if log_path.exists() else 0


def start_writer(url, tmp_path):
    """Start the writer and wait for its first commit; (process, stop file, log file)."""
    stop_path, log_path = tmp_path / "stop-writing", tmp_path / "writes.log"
    process = subprocess.Popen(
        [sys.executable, __file__, url, str(stop_path), str(log_path)], cwd=ROOT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])},
        stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + COMMAND_TIMEOUT
    while commits(log_path) == 0:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the writer did not start: {process.communicate()[1][-3000:]}")
        time.sleep(0.05)
    return process, stop_path, log_path


def stop_writer(process, stop_path):
    """Ask the writer to stop after its current transaction; what it printed on stderr."""
    stop_path.touch()
    try:
        _, errors = process.communicate(timeout=COMMAND_TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 0, errors[-3000:]
    return errors


def flask_command(url, *arguments):
    """Run `flask --app ideas ARGUMENTS` as an operator would on a production install."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("FLASK_")}
    env.update(IDEAS_ENV="production", SECRET_KEY="backup-test", DATABASE_URL=url, ALLOW_SQLITE="1",
               BASE_URL="http://localhost", JSON_LOGS="0")
    env.pop("REDIS_URL", None)  # rate-limit counters play no part here
    return subprocess.run([sys.executable, "-m", "flask", "--app", "ideas", *arguments], cwd=ROOT,
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=COMMAND_TIMEOUT)


# What a restored database holds

def restored_state(app):
    """The writer's ideas in the restored database: their numbers, and (stored count, vote rows)."""
    with app.app_context():
        ideas = db.session.execute(
            select(Idea.title, Idea.vote_count, func.count(Vote.id))
            .outerjoin(Vote, Vote.idea_id == Idea.id).where(Idea.title.startswith(WRITTEN))
            .group_by(Idea.id)).all()
        seeded = db.session.scalar(select(func.count()).where(Idea.title.startswith("Seeded idea")))
    written = {int(title.rsplit(" ", 1)[1]): (stored, rows) for title, stored, rows in ideas}
    return seeded, written


def broken_invariants(app):
    """What `flask --app ideas check` would report: ideas.invariants when present, else counts."""
    with app.app_context():
        try:
            from ideas.invariants import find_problems
        except ImportError:
            rows = func.count(Vote.id)
            wrong = db.session.execute(
                select(Idea.id).outerjoin(Vote, Vote.idea_id == Idea.id).group_by(Idea.id)
                .having(Idea.vote_count != rows)).scalars().all()
            return [f"idea {idea_id}: stored vote count differs from its rows" for idea_id in wrong]
        return [str(problem) for problem in find_problems()]


@contextmanager
def slow_reader(url):
    """On SQLite, a read transaction held open throughout, as a slow request's would be: SQLite
    cannot checkpoint past it, so the writer's commits stay in the -wal file, where a copy of
    the database file alone would miss them."""
    if not url.startswith("sqlite"):
        yield
        return
    with closing(sqlite3.connect(make_url(url).database, isolation_level=None)) as connection:
        connection.execute("BEGIN")
        connection.execute("SELECT count(*) FROM ideas").fetchone()
        yield
        connection.execute("COMMIT")


def sqlite_integrity(url):
    """SQLite's own verdict on the file; PostgreSQL has no such check to run."""
    if not url.startswith("sqlite"):
        return ["ok"]
    with sqlite3.connect(make_url(url).database) as connection:
        return [row[0] for row in connection.execute("PRAGMA integrity_check")]


# The tests

def test_backup_taken_during_writes_restores_into_a_fresh_instance_that_serves_it(
        fresh_database, sqlite_template, tmp_path):
    """Back up while a writer commits, restore into a new database, serve it: one consistent moment."""
    live = fresh_database("live")
    seeded_database(live, sqlite_template)
    backup = tmp_path / "ideas.backup"
    with slow_reader(live):
        writer, stop_path, log_path = start_writer(live, tmp_path)
        try:
            before = commits(log_path)
            backed_up = flask_command(live, "backup", str(backup))
            after = commits(log_path)
        finally:
            stop_writer(writer, stop_path)
    assert backed_up.returncode == 0, backed_up.stderr
    assert f"into {backup}" in backed_up.stdout
    assert after > before > 0  # the writer committed throughout the command

    fresh = fresh_database("restored")
    restored = flask_command(fresh, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "the one this version of Ideas expects" in restored.stdout

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": fresh})
    try:
        seeded, written = restored_state(app)
        page = app.test_client().get("/?sort=new")
        assert page.status_code == 200
        assert sqlite_integrity(fresh) == ["ok"]
        assert broken_invariants(app) == []
    finally:
        dispose(app)
    assert seeded == SEEDED_IDEAS
    # Everything committed before the backup began, then an unbroken run: a snapshot, not a tear.
    assert before <= len(written) <= after + 1
    assert sorted(written) == list(range(len(written)))
    assert all(stored == rows == expected_voters(n) for n, (stored, rows) in written.items())
    newest = f"{WRITTEN} {len(written) - 1}"
    assert newest in page.get_data(as_text=True)


@pytest.fixture
def sqlite_files(tmp_path, sqlite_template):
    """make(name, titles): a SQLite file of Ideas with those ideas added; (URL, its path, app)."""
    def make(name, titles):
        url = f"sqlite:///{tmp_path / name / 'ideas.sqlite'}"
        seeded_database(url, sqlite_template)
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context(), writing():
            author = db.session.scalars(select(User)).first()
            for title in titles:
                propose_idea(author, title, "Made for this test.")
            db.session.commit()
        return url, Path(make_url(url).database), app

    yield make


@pytest.fixture
def backup_file(sqlite_files, tmp_path):
    """A backup (made by the backup code itself) holding the idea "Only in the backup"."""
    _, path, app = sqlite_files("source", ["Only in the backup"])
    dispose(app)
    backup = tmp_path / "ideas.backup"
    backup_sqlite(path, backup)
    return backup


def live_titles(app):
    """The titles of every idea in the app's database."""
    with app.app_context():
        db.session.remove()
        return set(db.session.scalars(select(Idea.title)))


def test_restore_over_a_live_database_with_a_wal_file_beside_it(sqlite_files, backup_file):
    """The restored file holds the backup's ideas, whatever the -wal beside it held."""
    live, live_path, live_app = sqlite_files("live", [])
    # A running app: its connection stays open, so its last writes stay in the -wal, unmerged.
    running = sqlite3.connect(live_path)
    running.execute("PRAGMA wal_autocheckpoint = 0")
    running.execute("SELECT count(*) FROM ideas").fetchone()
    with live_app.app_context(), writing():
        author = db.session.scalars(select(User)).first()
        for n in range(30):
            propose_idea(author, f"Only in the live database {n}", "x" * 2000)
        db.session.commit()
    dispose(live_app)
    assert os.path.getsize(f"{live_path}-wal") > 100_000

    restored = flask_command(live, "restore", "--yes", str(backup_file))
    running.close()

    assert restored.returncode == 0, restored.stderr
    assert sqlite_integrity(live) == ["ok"]
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": live})
    try:
        titles = live_titles(app)
        assert app.test_client().get("/").status_code == 200
    finally:
        dispose(app)
    assert "Only in the backup" in titles
    assert not any(title.startswith("Only in the live database") for title in titles)


def test_restore_asks_before_replacing_a_database_that_has_data(sqlite_files, backup_file):
    """Without --yes and with no one to answer, a database holding data is left as it was."""
    _, _, app = sqlite_files("live", ["Only in the live database"])

    answer = app.test_cli_runner().invoke(args=["restore", str(backup_file)])

    assert answer.exit_code == 1
    assert "Replace everything in" in answer.output
    assert "Only in the live database" in live_titles(app)
    dispose(app)


def test_restore_refuses_a_backup_from_a_newer_version(sqlite_files, backup_file):
    """A schema revision the code does not know is refused, before anything is replaced."""
    with closing(sqlite3.connect(backup_file)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    _, _, app = sqlite_files("live", ["Only in the live database"])

    answer = app.test_cli_runner().invoke(args=["restore", "--yes", str(backup_file)])

    assert answer.exit_code == 1
    assert "9999_from_the_future" in answer.output
    assert "made by a newer version" in answer.output
    assert "Only in the live database" in live_titles(app)
    dispose(app)


def test_restore_of_an_older_backup_says_to_upgrade(sqlite_files, tmp_path):
    """A backup from an older version restores, and the command says to run `db upgrade` next."""
    _, path, source_app = sqlite_files("source", [])
    with source_app.app_context():
        flask_migrate.downgrade(revision="-1")
        older = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    dispose(source_app)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite'}"})

    answer = app.test_cli_runner().invoke(args=["restore", str(path)])

    assert answer.exit_code == 0, answer.output
    assert f"Schema revision {older} is older" in answer.output
    assert "flask --app ideas db upgrade" in answer.output
    dispose(app)


def test_backup_refuses_to_overwrite_an_existing_file_unless_asked(sqlite_files, tmp_path):
    """A scheduled backup never silently replaces the last good one."""
    _, _, app = sqlite_files("source", [])
    backup = tmp_path / "ideas.backup"
    backup.write_text("an older backup")

    refused = app.test_cli_runner().invoke(args=["backup", str(backup)])
    replaced = app.test_cli_runner().invoke(args=["backup", "--overwrite", str(backup)])

    assert refused.exit_code == 1
    assert "--overwrite" in refused.output
    assert replaced.exit_code == 0, replaced.output
    assert "integrity check ok" in replaced.output
    with closing(sqlite3.connect(backup)) as connection:
        assert connection.execute("SELECT count(*) FROM ideas").fetchone() == (SEEDED_IDEAS,)
    dispose(app)


@pytest.fixture
def postgres_url():
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        pytest.skip(POSTGRES_SKIP)
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip(PG_TOOLS_SKIP)
    url, drop = new_postgres_database(base_url)
    yield url
    drop()


def test_postgres_restore_refuses_a_database_at_another_schema_revision(postgres_url, tmp_path):
    """pg_restore --clean would leave that schema's other tables: the operator is sent to an
    empty database, and this one is left as it was."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": postgres_url})
    backup = tmp_path / "ideas.dump"
    with app.app_context():
        flask_migrate.upgrade()
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        db.session.commit()

    answer = app.test_cli_runner().invoke(args=["restore", "--yes", str(backup)])

    assert answer.exit_code == 1
    assert "Restore into a new, empty database" in answer.output
    with app.app_context():
        assert db.session.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"
    dispose(app)


def test_the_postgres_url_reaches_libpq_without_driver_or_password_on_the_command_line():
    """postgresql+psycopg://… becomes a libpq URI; the password travels in PGPASSWORD."""
    url = make_url("postgresql+psycopg://ideas:p%40ss@db.internal:5433/ideas?sslmode=require")

    conninfo, env = libpq_target(url)

    assert conninfo == "postgresql://ideas@db.internal:5433/ideas?sslmode=require"
    assert env["PGPASSWORD"] == "p@ss"


def test_a_missing_or_older_pg_dump_is_refused_with_what_to_install(tmp_path, monkeypatch):
    """No pg_dump on PATH, or one older than the server, gets a message naming the package."""
    from ideas.backups import BackupFailed

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupFailed, match="apt-get install postgresql-client"):
        client_tool("pg_dump", 15)
    old = tmp_path / "pg_dump"
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 13.9'\n")
    old.chmod(0o755)
    with pytest.raises(BackupFailed, match="PostgreSQL 13, older than the server \\(15\\)"):
        client_tool("pg_dump", 15)


if __name__ == "__main__":
    write_until_stopped(*sys.argv[1:4])
