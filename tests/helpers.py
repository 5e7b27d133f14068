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
