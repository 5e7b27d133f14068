"""How a request's transaction ends: one that only read commits on PostgreSQL (so psycopg keeps
its prepared statements); anything that wrote or holds unsaved changes is rolled back unless
the code committed it."""
import pytest
from sqlalchemy import event

from ideas.extensions import db
from ideas.models import Idea


@pytest.fixture
def endings(app):
    """The COMMITs and ROLLBACKs the engine sends, in order."""
    seen = []
    with app.app_context():
        engine = db.engine
    listeners = [("commit", lambda conn: seen.append("commit")),
                 ("rollback", lambda conn: seen.append("rollback"))]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    yield seen
    for name, listener in listeners:
        event.remove(engine, name, listener)


def test_a_page_that_only_reads_ends_its_transaction_with_commit_on_postgresql(app, client, make_idea,
                                                                               endings):
    make_idea(title="Dark mode")
    endings.clear()

    page = client.get("/")

    assert page.status_code == 200 and "Dark mode" in page.text
    expected = "commit" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") else "rollback"
    assert endings == [expected]


def test_a_change_left_unsaved_is_never_committed(app, make_idea):
    idea = make_idea(title="Dark mode")
    with app.app_context():
        db.session.get(Idea, idea.id).title = "Changed in memory only"

    with app.app_context():
        assert db.session.get(Idea, idea.id).title == "Dark mode"


def test_a_write_sent_but_not_committed_is_rolled_back(app, make_idea):
    idea = make_idea(title="Dark mode")
    with app.app_context():
        db.session.get(Idea, idea.id).title = "Flushed, never committed"
        db.session.flush()

    with app.app_context():
        assert db.session.get(Idea, idea.id).title == "Dark mode"


def test_a_transaction_that_failed_is_rolled_back(app, make_idea):
    idea = make_idea(title="Dark mode")
    with pytest.raises(RuntimeError), app.app_context():
        db.session.get(Idea, idea.id)
        raise RuntimeError("the view failed")

    with app.app_context():
        assert db.session.get(Idea, idea.id).title == "Dark mode"
