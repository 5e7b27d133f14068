"""Cached fragments are keyed by the versions of the rows they show: every cached page reads the
same with the fragment cache on as with it off, after each kind of change, for every kind of
reader (tests/web/test_fragments.py covers the store and the slots)."""
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select, update

from helpers import PASSWORD, htmx_headers
from ideas.accounts import change_name
from ideas.branding import update_branding
from ideas.comments import add_comment, delete_comment, edit_comment
from ideas.delivery import fill_inboxes
from ideas.extensions import db
from ideas.merging import merge_ideas, undo_merge
from ideas.models import Comment, Idea, Tag, User
from ideas.moderation import hide_comment, hide_idea
from ideas.notifications import mark_all_read
from ideas.proposals import change_idea, withdraw_idea
from ideas.statuses import change_status
from ideas.tags import add_tag, remove_tag, update_tag
from ideas.team import set_role
from ideas.voting import cast_vote, withdraw_vote
from ideas.web import fragments

# Every page with a cached block, as (url, htmx target or None): the header is on every full page.
PAGES = [
    ("/", None),
    ("/?sort=top&page=2", "show-more"),
    ("/?status=planned", "board-results"),
    ("/?tag=mobile", None),
    ("/?q=mode", None),
    ("/ideas/{dark}", None),
    ("/ideas/{search}", None),
    ("/ideas/{export}", None),
    ("/roadmap", None),
    ("/roadmap?kind=problem", "roadmap-columns"),
]
READERS = ("visitor", "member", "staff")


@dataclass
class Site:
    """The ideas, people and signed-in browsers every scenario starts from (ids only: rows are
    loaded afresh in each application context)."""

    app: Flask
    ids: dict[str, int]
    browsers: dict[str, FlaskClient]

    def get(self, model: type, name: str) -> Any:
        """The row of `model` called `name` in `ids`, in the current application context."""
        return db.session.get(model, self.ids[name])


@pytest.fixture
def site(app: Flask, make_user: Callable, make_idea: Callable, make_tag: Callable,
         monkeypatch: pytest.MonkeyPatch) -> Site:
    """A small board: four ideas across the roadmap, tagged, voted and discussed, and a visitor,
    a member and a staff member each in their own browser."""
    # Hold the minute every key carries: a block kept by a stale key must not just expire.
    monkeypatch.setattr(fragments, "current_minute", lambda: 0)
    app.config["IDEAS_PER_PAGE"] = 2
    author, reader = make_user(name="Ann Author"), make_user(name="Rita Reader")
    staff, admin = make_user(name="Sam Staff", role="staff"), make_user(name="Ada Admin", role="admin")
    mobile, speed = make_tag("mobile", "blue"), make_tag("speed", "green")
    dark = make_idea(title="Dark mode", author=author, tags=[mobile], status="under_review")
    search = make_idea(title="Search is slow", kind="problem", author=author, tags=[speed], status="planned")
    offline = make_idea(title="Offline mode", author=author)
    export = make_idea(title="Export as CSV", author=reader)
    ids = dict(author=author.id, reader=reader.id, staff=staff.id, admin=admin.id, mobile=mobile.id,
               speed=speed.id, dark=dark.id, search=search.id, offline=offline.id, export=export.id)
    with app.app_context():
        member, idea = db.session.get(User, reader.id), db.session.get(Idea, dark.id)
        cast_vote(member, idea)
        cast_vote(member, db.session.get(Idea, export.id))
        comment = add_comment(db.session.get(User, author.id), idea, "Please, for **night** owls.")
        add_comment(db.session.get(User, staff.id), idea, "Looking into it.", official=True)
        db.session.flush()
        ids["comment"] = comment.id
        db.session.commit()
    browsers = {"visitor": app.test_client()}
    for name, user_id in (("member", reader.id), ("staff", staff.id)):
        browser = browsers[name] = app.test_client()
        with app.app_context():
            email = db.session.get(User, user_id).email
        assert browser.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 303
    return Site(app, ids, browsers)


def normalised(html: str) -> str:
    """The page without the request's own CSRF token (each request may sign a fresh one)."""
    html = re.sub(r'(name="csrf_token" value=")[^"]+', r"\1…", html)
    return re.sub(r'("X-CSRFToken": ")[^"]+', r"\1…", html)


def render_all(site: Site) -> dict[tuple[str, str, str | None], tuple[int, str]]:
    """Every cached page as every reader sees it: {(reader, url, target): (status, html)}."""
    pages = {}
    for reader in READERS:
        for url, target in PAGES:
            response = site.browsers[reader].get(url.format(**site.ids),
                                                  headers=htmx_headers(target) if target else {})
            pages[reader, url, target] = (response.status_code, normalised(response.text))
    return pages


def render_without_cache(site: Site) -> dict[tuple[str, str, str | None], tuple[int, str]]:
    """render_all with the fragment cache taken away (and put back after)."""
    store = site.app.extensions.pop("fragments")
    try:
        return render_all(site)
    finally:
        site.app.extensions["fragments"] = store


def as_member(site: Site, name: str) -> User:
    """The member called `name` in the site's ids."""
    return site.get(User, name)


# Each change as (arrange before the cache is warmed, act): functions of the site in an app context.
def vote(site: Site) -> None:
    cast_vote(as_member(site, "reader"), site.get(Idea, "search"))


def unvote(site: Site) -> None:
    withdraw_vote(as_member(site, "reader"), site.get(Idea, "dark"))


def comment(site: Site) -> None:
    add_comment(as_member(site, "reader"), site.get(Idea, "dark"), "Me too, on _phones_.")


def internal_note(site: Site) -> None:
    add_comment(as_member(site, "staff"), site.get(Idea, "dark"), "Ask the design team.", internal=True)


def edit_a_comment(site: Site) -> None:
    edit_comment(as_member(site, "author"), site.get(Comment, "comment"), "Please, for **early** birds.")


def delete_a_comment(site: Site) -> None:
    delete_comment(as_member(site, "author"), site.get(Comment, "comment"))


def hide_a_comment(site: Site) -> None:
    hide_comment(as_member(site, "staff"), site.get(Comment, "comment"))


def edit_idea(site: Site) -> None:
    change_idea(as_member(site, "staff"), site.get(Idea, "dark"), title="Dark mode everywhere",
                description="Night owls *and* early birds need it.")


def hide(site: Site) -> None:
    hide_idea(as_member(site, "staff"), site.get(Idea, "dark"))


def withdraw(site: Site) -> None:
    withdraw_idea(as_member(site, "author"), site.get(Idea, "offline"))


def status_change(site: Site) -> None:
    change_status(as_member(site, "staff"), site.get(Idea, "search"), "in_progress", "Started **today**.")


def merge(site: Site) -> None:
    merge_ideas(as_member(site, "staff"), site.get(Idea, "export"), site.get(Idea, "dark"))


def undo(site: Site) -> None:
    undo_merge(as_member(site, "staff"), site.get(Idea, "export"))


def recolour_and_rename_tag(site: Site) -> None:
    update_tag(as_member(site, "admin"), site.get(Tag, "mobile"), "phones", "green")


def tag_an_idea(site: Site) -> None:
    add_tag(as_member(site, "staff"), site.get(Idea, "offline"), site.get(Tag, "mobile"))


def untag_an_idea(site: Site) -> None:
    remove_tag(as_member(site, "staff"), site.get(Idea, "dark"), site.get(Tag, "mobile"))


def rename_member(site: Site) -> None:
    change_name(as_member(site, "author"), "Ann Newname")


def rename_reader(site: Site) -> None:
    change_name(as_member(site, "reader"), "Rita Renamed")


def promote_reader(site: Site) -> None:
    set_role(as_member(site, "admin"), as_member(site, "reader"), "staff")


def reader_language(site: Site) -> None:
    as_member(site, "reader").locale = "de"


def rename_site(site: Site) -> None:
    update_branding(as_member(site, "admin"), "Acme ideas", "", "")


def notify_followers(site: Site) -> None:
    change_status(as_member(site, "staff"), site.get(Idea, "dark"), "planned", "Next month.")
    db.session.flush()
    fill_inboxes()


def read_notifications(site: Site) -> None:
    mark_all_read(as_member(site, "reader"))


def bulk_counts(site: Site) -> None:
    """What a CSV import does: counts set in bulk by primary key, bypassing the ORM's objects."""
    db.session.execute(update(Idea), [{"id": site.ids["dark"], "imported_vote_count": 40},
                                      {"id": site.ids["search"], "comment_count": 9}])


def core_update(site: Site) -> None:
    """What a repair (`flask check --fix`) does: a Core UPDATE of a counter."""
    db.session.execute(update(Idea).where(Idea.id == site.ids["export"]).values(vote_count=5),
                       execution_options={"synchronize_session": False})


def nothing(site: Site) -> None:
    pass


CHANGES = {
    "vote": (nothing, vote),
    "unvote": (nothing, unvote),
    "comment": (nothing, comment),
    "internal note": (nothing, internal_note),
    "edit comment": (nothing, edit_a_comment),
    "delete comment": (nothing, delete_a_comment),
    "hide comment": (nothing, hide_a_comment),
    "edit idea": (nothing, edit_idea),
    "hide idea": (nothing, hide),
    "withdraw idea": (nothing, withdraw),
    "status change": (nothing, status_change),
    "merge": (nothing, merge),
    "undo merge": (merge, undo),
    "tag renamed and recoloured": (nothing, recolour_and_rename_tag),
    "tag added": (nothing, tag_an_idea),
    "tag removed": (nothing, untag_an_idea),
    "author renamed": (nothing, rename_member),
    "reader renamed": (nothing, rename_reader),
    "reader made staff": (nothing, promote_reader),
    "reader's language": (nothing, reader_language),
    "site renamed": (nothing, rename_site),
    "notified": (nothing, notify_followers),
    "notifications read": (notify_followers, read_notifications),
    "bulk update by id": (nothing, bulk_counts),
    "core update": (nothing, core_update),
}


def run(site: Site, change: Callable[[Site], None]) -> None:
    """Apply a change in its own application context and commit it, as a request would."""
    with site.app.app_context():
        change(site)
        db.session.commit()


# The keys are the same code on both databases; the versions' bump in the database is checked on
# both below (test_a_vote_bumps_the_ideas_version_in_the_same_update).
@pytest.mark.sqlite_only
@pytest.mark.parametrize("name", CHANGES)
def test_every_cached_page_reads_as_if_uncached_after_a_change(site: Site, name: str) -> None:
    arrange, act = CHANGES[name]
    run(site, arrange)
    before = render_all(site)
    run(site, act)

    uncached = render_without_cache(site)
    cached = render_all(site)

    assert uncached != before, "the change shows on no cached page"
    for page, shown in uncached.items():
        assert cached[page] == shown, f"{name}: {page} is stale"


def test_a_vote_bumps_the_ideas_version_in_the_same_update(app: Flask, make_idea: Callable,
                                                            make_user: Callable) -> None:
    idea, member = make_idea(), make_user()
    with app.app_context():
        stored = db.session.get(Idea, idea.id)
        before = stored.version
        cast_vote(db.session.get(User, member.id), stored)
        in_memory = stored.version
        db.session.commit()
        in_database = db.session.execute(select(Idea.version).where(Idea.id == idea.id)).scalar_one()

    assert in_memory == in_database
    assert in_database > before


def test_a_new_row_starts_at_its_own_version(app: Flask, make_idea: Callable) -> None:
    first, second = make_idea(), make_idea()

    assert {first.version, second.version} != {0} and first.version != second.version


def test_a_field_newly_shown_in_a_cached_block_needs_no_key_edit(app: Flask, client: FlaskClient,
                                                                 make_idea: Callable) -> None:
    idea = make_idea(title="Dark mode")
    source, _, _ = app.jinja_env.loader.get_source(app.jinja_env, "board/_cards.html")
    # A card starts showing a column no key ever named.
    shown = source.replace('<h2 class="card-title">',
                           '<p class="edited">{{ idea.updated_at.year }}</p><h2 class="card-title">')
    app.jinja_env.loader = ChoiceLoader([DictLoader({"board/_cards.html": shown}), app.jinja_env.loader])
    assert '<p class="edited">' in client.get("/").text
    with app.app_context():
        db.session.get(Idea, idea.id).updated_at = datetime(2031, 1, 1, tzinfo=timezone.utc)
        db.session.commit()

    page = client.get("/")

    assert page.status_code == 200
    assert '<p class="edited">2031</p>' in page.text
