"""Small helpers tests import: request headers htmx sends, the factories' password."""
PASSWORD = "correct horse battery"


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


def recorded_begins(app):
    """`with recorded_begins(app) as begins:` lists the BEGIN statements (plain or IMMEDIATE) that
    SQLite transactions start with inside the block."""
    from contextlib import contextmanager

    from sqlalchemy import event

    from ideas.extensions import db

    @contextmanager
    def recording():
        begins = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if statement.upper().startswith("BEGIN"):
                begins.append(" ".join(statement.upper().split()))

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield begins
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return recording()
