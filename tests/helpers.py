"""Small helpers tests import: request headers htmx sends, the factories' password, Chromium."""
import os
import shutil

PASSWORD = "correct horse battery"
# Where Chromium usually is: Debian's package, then the names other systems give it.
CHROMIUM_NAMES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome-stable",
                  "google-chrome")
CHROMIUM_MISSING = ("no Chromium found, so the browser tests skip: set CHROMIUM=/path/to/chromium, "
                    "or install it (Debian and Ubuntu: apt-get install chromium; .ci/run does)")


def find_chromium():
    """The Chromium to drive: $CHROMIUM when set, else the first usual name found; None if none."""
    chosen = os.environ.get("CHROMIUM")
    for name in (chosen,) if chosen else CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def htmx_headers(target):
    """Headers htmx sends when an element swaps the element with id `target`."""
    return {"HX-Request": "true", "HX-Target": target, "HX-Current-URL": "http://localhost/"}


BOOSTED = {"HX-Request": "true", "HX-Boosted": "true", "HX-Current-URL": "http://localhost/"}


def dispose(app):
    """Close an app's database connections (for apps a test builds itself)."""
    from ideas.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def recorded_statements(app, keep):
    """`with recorded_statements(app, keep) as statements:` lists `keep(statement)` for each SQL
    statement run inside the block for which it is not None."""
    from contextlib import contextmanager

    from sqlalchemy import event

    from ideas.extensions import db

    @contextmanager
    def recording():
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            kept = keep(statement)
            if kept is not None:
                statements.append(kept)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return recording()


def recorded_begins(app):
    """The BEGIN statements (plain or IMMEDIATE) transactions start with, as recorded_statements."""
    def begin(statement):
        return " ".join(statement.upper().split()) if statement.upper().startswith("BEGIN") else None

    return recorded_statements(app, begin)


def run_worker(app):
    """Run `app`'s worker over everything due now (`flask --app ideas worker --once`), as the
    separate process that sends emails would; returns how many rows it handled."""
    from ideas.delivery import drain

    with app.app_context():
        return drain()
