"""A live server on the demo data, with every kind of thing a page can show, for axe and screenshots.

Its own SQLite file and server, apart from `live_server`: the journeys count on their four ideas.
"""
import shutil
from contextlib import contextmanager
import threading
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from ideas import create_app
from ideas.announcements import announce
from ideas.changelog import create_entry, publish_entry
from ideas.comments import add_comment
from ideas.delivery import fill_inboxes
from ideas.demo import DEMO_PASSWORD, seed_demo
from ideas.extensions import db
from ideas.following import set_follow_level
from ideas.merging import merge_ideas
from ideas.models import Comment, Idea, TimelineEntry, User, utcnow
from ideas.moderation import hide_comment
from ideas.proposals import propose_idea
from ideas.statuses import change_status
from ideas.voting import cast_vote

from browser_steps import CSRF_FIELD

MEMBER, STAFF, ADMIN = "member@example.com", "staff@example.com", "admin@example.com"


@dataclass
class DemoSite:
    """The demo server's address and the ideas worth visiting on it."""

    app: object
    url: str
    showcase_id: int  # official response, internal note, hidden comment, timeline, merged duplicate
    merged_id: int
    member_id: int
    comment_id: int  # the member's comment on the showcase idea, with a staff reply under it


def _one(model, *where):
    return db.session.execute(select(model).where(*where).order_by(model.id)).scalars().first()


def _backdate(*ideas):
    """Move what the fixture just did a few hours back, so relative dates read the same all run long."""
    hours_ago = utcnow() - timedelta(hours=5)
    for model in (Comment, TimelineEntry):
        for number, row in enumerate(db.session.execute(
                select(model).where(model.idea_id.in_([idea.id for idea in ideas]),
                                    model.created_at > hours_ago)).scalars()):
            row.created_at = hours_ago + timedelta(minutes=20 * number)
    for idea in ideas:
        idea.status_changed_at = idea.updated_at = hours_ago


def enrich_demo(app):
    """Seed the demo board, then give one idea everything its page can show; returns DemoSite ids."""
    with app.app_context():
        seed_demo()
        staff = _one(User, User.email == STAFF)
        member = _one(User, User.email == MEMBER)
        showcase = _one(Idea, Idea.title == "Add a dark mode")
        duplicate = _one(Idea, Idea.title == "Dark mode for the mobile app too")
        change_status(staff, showcase, "in_progress" if showcase.status == "planned" else "planned",
                      "Planned for the spring release. Thanks for all the votes!")
        cast_vote(member, showcase)
        set_follow_level(member, showcase, "all")
        comment = add_comment(member, showcase, "Our team works late: this would help **every evening**.\n\n"
                                                "- less glare\n- easier on the battery")
        add_comment(staff, showcase, "Thanks! Does your team use the web app or the desktop app?",
                    parent=comment)
        add_comment(staff, showcase, "We will start with the web app; the mobile apps follow.", official=True)
        add_comment(staff, showcase, "Check the colour tokens with the design team first.", internal=True)
        spam = add_comment(member, showcase, "Buy cheap watches at example.com")
        hide_comment(staff, spam)
        merge_ideas(staff, duplicate, showcase)
        shipped = _one(Idea, Idea.status == "in_progress", Idea.id != showcase.id)
        cast_vote(member, shipped)
        entry = create_entry(staff, "Faster reports and a new export",
                             "Reports load **twice as fast**, and you can export them.", [shipped.id])
        publish_entry(staff, entry, mark_shipped=True)
        announce(staff, "We are testing the dark theme with a few customers this week.", idea_id=showcase.id)
        propose_idea(member, "Show delivery dates in the customer's time zone",
                     "Our customers abroad read the wrong day.", "idea")
        _backdate(showcase, shipped)
        db.session.flush()
        fill_inboxes()
        db.session.commit()
        site = DemoSite(app, "", showcase.id, duplicate.id, member.id, comment.id)
        assert _one(Comment, Comment.hidden_at.is_not(None)) is not None
        db.session.remove()
    return site


@contextmanager
def served_copy(sqlite_template, tmp_path_factory, name, seed):
    """A copy of the migrated SQLite file, seeded by `seed(app)`, served with CSRF on at a free
    port; yields (base URL, what `seed` returned)."""
    path = tmp_path_factory.mktemp(name) / "ideas.sqlite"
    shutil.copy(sqlite_template, path)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                                 "WTF_CSRF_ENABLED": True, "RATELIMIT_ENABLED": False})
    seeded = seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name=f"{name}-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seeded
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def demo_site(sqlite_template, tmp_path_factory):
    """The app on the demo data, CSRF on, served at a free port; yields a DemoSite."""
    with served_copy(sqlite_template, tmp_path_factory, "demo", enrich_demo) as (url, site):
        site.url = url
        yield site


def sign_in(context, base_url, email):
    """Sign the browser context in as a demo account through the sign-in form's POST."""
    form = context.request.get(f"{base_url}/auth/login").text()
    token = CSRF_FIELD.search(form).group(1)
    response = context.request.post(f"{base_url}/auth/login", max_redirects=0,
                                    form={"csrf_token": token, "email": email, "password": DEMO_PASSWORD})
    assert response.status == 303, response.text()
