"""Browser fixtures: the real app served on a free port, with CSRF on, and headless Chromium."""
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ideas import create_app
from ideas.extensions import db, limiter
from ideas.models import User, utcnow
from ideas.passwords import hash_password
from ideas.proposals import propose_idea

from browser_steps import SEEDED_IDEAS, sign_up_quickly
from demo_site import demo_site  # noqa: F401  (the demo-data server for axe and screenshots)
from helpers import CHROMIUM_MISSING, PASSWORD, find_chromium

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Chromium puts each refused script, style or connection on the console as an error:
# "Refused to …" in older versions, "… violates the following Content Security Policy …" now.
CSP_WORDS = ("Content Security Policy", "Refused to")

# The page's own report of each CSP violation, in case one never reaches the console.
# Playwright adds init scripts and bindings through the DevTools protocol, which CSP allows.
RECORD_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline code";
  const where = location.pathname;
  window.__reportCspViolation(`${event.violatedDirective} refused ${blocked} on ${where}`);
});
"""


@pytest.fixture(scope="session")
def live_app(sqlite_template, tmp_path_factory):
    """The app on its own copy of the migrated SQLite file, CSRF on, with a few ideas seeded."""
    path = tmp_path_factory.mktemp("live") / "ideas.sqlite"
    shutil.copy(sqlite_template, path)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                                 "WTF_CSRF_ENABLED": True})
    with app.app_context():
        author = User(name="Seed Author", email="seed@example.com",
                      password_hash=hash_password(PASSWORD), email_confirmed_at=utcnow())
        db.session.add(author)
        db.session.flush()
        # Unbacked, so the seeded board starts at no votes and each test's vote is the only one.
        for number, (title, description, kind) in SEEDED_IDEAS.items():
            assert propose_idea(author, title, description, kind, backed=False).id == number
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app):
    """`live_app` served on 127.0.0.1 at a free port, in a daemon thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(autouse=True)
def rate_limits_stay_off(browser, live_app):
    """Keep the live server unlimited, as its settings say, whatever app was created last."""
    # Flask-Limiter keeps one on/off switch for all apps, set by the latest init_app; these
    # tests sign up a dozen members from 127.0.0.1, more than the sign-up limit allows.
    limiter.enabled = live_app.config["RATELIMIT_ENABLED"]


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium ($CHROMIUM, else Debian's) driven by Playwright; skips when there is none."""
    executable = find_chromium()
    if executable is None:
        pytest.skip(CHROMIUM_MISSING)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class BrowserLog:
    """What a tab said on its console, the errors it threw and the CSP violations it saw."""

    console: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)
    violations: list = field(default_factory=list)

    def errors(self):
        """Console messages of type error, each with the address it came from."""
        return [f"{message.text} ({message.location.get('url')})" for message in self.console
                if message.type == "error"]

    def csp_violations(self):
        """Every CSP refusal, whether Chromium put it on the console or the page heard of it."""
        on_console = [message.text for message in self.console
                      if any(word in message.text for word in CSP_WORDS)]
        return on_console + self.violations


@pytest.fixture
def page_log():
    """The console messages, page errors and CSP violations of the `page` fixture's tab."""
    return BrowserLog()


@pytest.fixture
def page(browser, page_log):
    """A fresh tab with JavaScript on, watched by `page_log`."""
    context = browser.new_context()
    context.set_default_timeout(5_000)
    context.expose_function("__reportCspViolation", lambda text: page_log.violations.append(text))
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    page.on("console", lambda message: page_log.console.append(message))
    page.on("pageerror", lambda error: page_log.page_errors.append(str(error)))
    yield page
    context.close()


@pytest.fixture
def nojs_page(browser):
    """A fresh tab with JavaScript off: every control must work as a plain form or link."""
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(5_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def new_member():
    """Sign-up details no other test uses: new_member() -> dict(name, email, password)."""
    def make(name="Robin Reader"):
        return {"name": name, "email": f"robin-{uuid.uuid4().hex[:8]}@example.com",
                "password": PASSWORD}

    return make


@pytest.fixture
def member_page(page, live_server, new_member):
    """`page`, signed in as a member who just signed up."""
    sign_up_quickly(page, live_server, new_member())
    return page


@pytest.fixture(scope="session")
def artifacts():
    """test-artifacts/ at the repository root (gitignored), for screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
