"""Fixtures: an app per test on a migrated database (SQLite always, PostgreSQL when given)."""
import os
import shutil
import uuid

import flask_migrate
import pytest
from hypothesis import settings as hypothesis_settings
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.routing import Rule

from ideas import create_app
from ideas.comments import add_comment
from ideas.extensions import db, limiter
from ideas.models import Idea, Tag, User, utcnow
from ideas.passwords import hash_password
from ideas.proposals import propose_idea
from ideas.voting import cast_vote

from helpers import CHROMIUM_MISSING, PASSWORD, find_chromium, recorded_statements
from oidc.openid_provider import running_openid_provider  # noqa: F401  (the `openid_provider` fixture)

# Fixtures some test modules share (a module's own fixture of the same name wins over these).
pytest_plugins = ["staff_writing"]

POSTGRES_SKIP = ("TEST_DATABASE_URL is not set, so the PostgreSQL half of the suite is skipped "
                 "(README: Testing on PostgreSQL)")

# CI starts from a fresh clone every time, so random examples found there would be lost: run them
# derandomized, and print the blob that replays a failure (@reproduce_failure) if one is found.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


def _migrate(url):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "ideas.sqlite"
    _migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database():
    """A database of this run's own on the PostgreSQL server, migrated once, dropped at the end;
    with the statement that empties it between tests."""
    base_url = os.environ.get("TEST_DATABASE_URL")
    if not base_url:
        pytest.skip(POSTGRES_SKIP)
    name = f"ideas_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    _migrate(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        sequences = connection.execute(text(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")).scalars().all()
        tables = set(connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'")).scalars())
    unmodelled = tables - set(db.metadata.tables)
    assert not unmodelled, f"tables no model declares, which tests would not empty: {unmodelled}"
    yield url, engine, _emptying(sequences)
    engine.dispose()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _emptying(sequences):
    """DELETE every table, children first, and restart the ids: a test's few rows go in a few
    milliseconds, where TRUNCATE of every table takes about 200 ms (it replaces each table's files)."""
    deletes = [f'DELETE FROM "{table.name}"' for table in reversed(db.metadata.sorted_tables)]
    restarts = [f'ALTER SEQUENCE "{sequence}" RESTART' for sequence in sequences]
    return "; ".join(deletes + restarts)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """An empty migrated database for one test."""
    if request.param == "sqlite":
        path = tmp_path / "ideas.sqlite"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url, engine, emptying = request.getfixturevalue("postgres_database")
    with engine.begin() as connection:
        connection.exec_driver_sql(emptying)
    return url


class SharedBytecodeCache(BytecodeCache):
    """Compiled templates kept in memory for the whole run, keyed by template source."""

    def __init__(self):
        self._store = {}

    def load_bytecode(self, bucket):
        if bucket.key in self._store:
            bucket.bytecode_from_string(self._store[bucket.key])

    def dump_bytecode(self, bucket):
        self._store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = SharedBytecodeCache()


def _share_url_builders():
    """Every test makes its own app, and Werkzeug compiles two URL-building functions for each of
    the app's ~120 rules from an AST each time: two thirds of create_app, about 30 ms a test. The
    function depends only on the rule's parsed parts and defaults (it reads the converters from
    the rule it is bound to), so one compiled per distinct rule serves every app of the run."""
    compile_builder = Rule._compile_builder
    builders = {}

    def shared(rule, append_unknown=True):
        key = (tuple(rule._trace), repr(sorted((rule.defaults or {}).items())), append_unknown)
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    Rule._compile_builder = shared


_share_url_builders()


@pytest.fixture
def app(database_url):
    """The application under test, on its own database (templates compiled once per run)."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url})
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        if app.config["RATELIMIT_ENABLED"]:
            limiter.reset()


@pytest.fixture
def client(app):
    """A browser without JavaScript."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """The `flask` command line."""
    return app.test_cli_runner()


def _detached(app, obj):
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


@pytest.fixture
def make_user(app):
    """Create a member: make_user(role="staff", email=..., confirmed=True)."""
    counter = iter(range(1, 10_000))

    def make(name=None, email=None, role="member", password=PASSWORD, confirmed=True):
        number = next(counter)
        with app.app_context():
            user = User(
                name=name or f"Member {number}",
                email=email or f"member{number}-{uuid.uuid4().hex[:6]}@example.com",
                role=role,
                password_hash=hash_password(password) if password else None,
            )
            if confirmed:
                user.email_confirmed_at = utcnow()
            db.session.add(user)
            db.session.commit()
            return _detached(app, user)

    return make


@pytest.fixture
def make_tag(app):
    """Create a tag: make_tag("mobile")."""
    def make(name, colour="blue"):
        with app.app_context():
            tag = Tag(name=name, colour=colour)
            db.session.add(tag)
            db.session.commit()
            return _detached(app, tag)

    return make


@pytest.fixture
def make_idea(app, make_user):
    """Create an idea through the same rule members use; overrides set columns afterwards.

    Unbacked unless backed=True, so a test's vote counts are the votes it casts itself.
    """
    def make(title="Add a dark mode", description="Night owls need it.", kind="idea",
             author=None, tags=(), backed=False, **columns):
        author = author or make_user()
        with app.app_context():
            idea = propose_idea(db.session.get(User, author.id), title, description, kind,
                                [tag.id for tag in tags], backed=backed)
            for name, value in columns.items():
                setattr(idea, name, value)
            db.session.commit()
            return _detached(app, idea)

    return make


@pytest.fixture
def discussion(app, make_user, make_idea):
    """An idea by Ada Lovelace (@ada), a comment by Bea, a vote by Cy; Dee took no part; Sam is
    staff (the people of the mention tests)."""
    ada, bea, cy, dee = (make_user(name=name) for name in ("Ada Lovelace", "Bea", "Cy", "Dee"))
    sam = make_user(name="Sam", role="staff")
    idea = make_idea(author=ada)
    with app.app_context():
        db.session.get(User, ada.id).handle = ada.handle = "ada"
        loaded = db.session.get(Idea, idea.id)
        add_comment(db.session.get(User, bea.id), loaded, "Yes please")
        cast_vote(db.session.get(User, cy.id), loaded)
        db.session.commit()
    return dict(idea=idea, ada=ada, bea=bea, cy=cy, dee=dee, sam=sam)


@pytest.fixture
def make_company(app):
    """Create a company: make_company("Acme", members=[ada], plan="Enterprise", monthly_revenue=5000),
    its values and memberships set by `source` ("staff" unless told)."""
    from ideas.companies import apply_changes, changes_to, checked_values
    from ideas.models import Company, CompanyMember

    counter = iter(range(1, 10_000))

    def make(name="Acme", external_id=None, members=(), source="staff", **attributes):
        with app.app_context():
            company = Company(external_id=external_id or f"company-{next(counter)}", name=name,
                              name_source=source)
            db.session.add(company)
            apply_changes(company, changes_to(None, None, checked_values(attributes)), source)
            for member in members:
                db.session.add(CompanyMember(user_id=member.id, company=company, source=source))
            db.session.commit()
            return _detached(app, company)

    return make


class AuthActions:
    """Sign in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def login(self, user, password=PASSWORD, remember=False):
        data = {"email": user.email, "password": password}
        if remember:
            data["remember"] = "y"
        response = self._client.post("/auth/login", data=data)
        assert response.status_code == 303, response.get_data(as_text=True)
        return response

    def logout(self):
        return self._client.post("/auth/logout")


@pytest.fixture
def auth(client):
    """auth.login(user) signs `client` in."""
    return AuthActions(client)


@pytest.fixture
def fetch(app):
    """Run a query in an app context: fetch(lambda: db.session.get(Idea, 1).vote_count)."""
    def run(function):
        with app.app_context():
            return function()

    return run


@pytest.fixture
def count_queries(app):
    """`with count_queries() as queries:` counts the SQL statements run inside the block."""
    def statement(sql):
        if sql.lstrip().upper().startswith(("BEGIN", "PRAGMA", "COMMIT", "ROLLBACK")):
            return None
        return sql

    return lambda: recorded_statements(app, statement)


def pytest_addoption(parser):
    """--update-screenshots: `make screenshots` rewrites the README's pictures."""
    parser.addoption("--update-screenshots", action="store_true",
                     help="write the browser screenshots to docs/screenshots/ (the README's pictures)")
    parser.addoption("--sqlite-only", action="store_true",
                     help="leave out the PostgreSQL half (the second interpreter's run of `make test`)")


def pytest_configure(config):
    """Keep failures and errors in the short summary even when PYTEST_ARGS passes its own -r."""
    config.option.reportchars = "".join(dict.fromkeys(config.option.reportchars + "fE"))


def pytest_terminal_summary(terminalreporter):
    """End every run with how many tests skipped and why, grouped by reason."""
    reasons = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    if reasons:
        total = sum(reasons.values())
        terminalreporter.section(f"{total} skipped, and why", sep="-")
        for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
            terminalreporter.write_line(f"{count:>6}  {reason}")


def pytest_report_header(config):
    """Say up front which real services this run uses, and which halves are skipped."""
    lines = []
    lines.append(f"PostgreSQL: {os.environ.get('TEST_DATABASE_URL') or 'not set, PostgreSQL tests skip'}")
    lines.append(f"Redis: {os.environ.get('REDIS_URL') or 'not set, Redis tests skip'}")
    lines.append(f"Chromium: {find_chromium() or CHROMIUM_MISSING}")
    return lines


@pytest.fixture
def smtp_server():
    """A real SMTP server in the test process on a free port; `.messages` holds what it received."""
    from smtp import SmtpServer  # imported here so conftest's own imports stay as they were

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(database_url, smtp_server):
    """The app on the factories' database, sending mail to the real SMTP server in the test process."""
    from helpers import dispose

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url,
                                 "MAIL_SERVER": smtp_server.host, "MAIL_PORT": smtp_server.port})
    yield app
    dispose(app)


@pytest.fixture
def mail_client(mail_app):
    """A browser on `mail_app`."""
    return mail_app.test_client()


def pytest_collection_modifyitems(config, items):
    """Tests marked `sqlite_only` (big matrices whose rules do not depend on the database)
    run once, on SQLite, to keep the suite fast; everything else runs on both, unless the run
    asked for --sqlite-only."""
    everything_on_sqlite = config.getoption("sqlite_only")
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_url") == "postgresql"
        sqlite_only = everything_on_sqlite or item.get_closest_marker("sqlite_only")
        (dropped if on_postgres and sqlite_only else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
