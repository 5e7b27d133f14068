"""Boards and statuses in a real browser: an admin opens a board to the Enterprise segment and adds
a status "Beta" (in progress, on the roadmap); an Enterprise customer proposes an idea on the board;
a Free customer finds no trace of it (board, idea, tab bar, board list, search, similar ideas,
roadmap); staff move it to Beta and its author is told; staff move it to the main board and the
Free customer may read it at last.

Its own SQLite file and server, apart from `live_server`: a board open to a segment would give the
other journeys' staff a tab bar and a board select they do not expect."""
import json
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from urllib.parse import quote_plus

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from browser_steps import idea_id_from, sign_in_with_form
from helpers import PASSWORD, dispose, run_worker
from ideas import create_app
from ideas.extensions import db
from ideas.models import Company, CompanyAttribute, CompanyMember, Segment, User, utcnow
from ideas.passwords import hash_password
from ideas.proposals import propose_idea

pytestmark = pytest.mark.browser

BOARD = "Enterprise programme"
SLUG = "enterprise-programme"
TITLE = "Quarterly compliance dossier"
# On the main board, so every negative check below also sees what the Free customer may see.
MAIN_TITLE = "Compliance reports by email"
SEARCH_WORD = "compliance"


@pytest.fixture(scope="module")
def boards_site(sqlite_template, tmp_path_factory) -> Iterator[dict]:
    """A server of its own with an admin, a staff member, an Enterprise customer, a Free customer,
    the segment "Enterprise" (plan is Enterprise) and one idea on the main board; the people by
    email, and the base URL."""
    path = tmp_path_factory.mktemp("boards") / "ideas.sqlite"
    shutil.copy(sqlite_template, path)
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "WTF_CSRF_ENABLED": True})
    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        password_hash = hash_password(PASSWORD)  # one hash for everyone: argon2 is slow on purpose

        def person(name: str, role: str = "member") -> User:
            member = User(name=name, email=f"{name.split()[0].lower()}-{tag}@example.com", role=role,
                          password_hash=password_hash, email_confirmed_at=utcnow())
            db.session.add(member)
            return member

        people = {"admin": person("Ada Admin", "admin"), "staff": person("Pat Product", "staff"),
                  "enterprise": person("Erin Enterprise"), "free": person("Fred Free")}
        for name, plan, member in (("Northwind", "Enterprise", people["enterprise"]),
                                   ("Tiny Shop", "Free", people["free"])):
            company = Company(external_id=f"{name}-{tag}", name=name, name_source="staff")
            company.attributes = [CompanyAttribute(name="plan", text_value=plan, source="staff")]
            db.session.add_all([company, CompanyMember(member=member, company=company, source="staff")])
        db.session.add(Segment(name="Enterprise", rules=json.dumps(
            [{"field": "attribute.plan", "operator": "is", "value": "Enterprise"}])))
        db.session.flush()
        propose_idea(people["admin"], MAIN_TITLE, "A PDF every month.", backed=False)
        db.session.commit()
        emails = {role: member.email for role, member in people.items()}
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="boards-server", daemon=True)
    thread.start()
    try:
        yield {"app": app, "url": f"http://127.0.0.1:{server.server_port}", **emails}
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        dispose(app)


def sign_in(page: Page, base_url: str, email: str) -> None:
    sign_in_with_form(page, base_url, email, PASSWORD)


def status_of(page: Page, url: str) -> int:
    response = page.goto(url)
    assert response is not None
    return response.status


def test_a_board_for_one_segment_stays_out_of_sight_until_its_idea_moves(page, page_log, boards_site):
    site, base = boards_site, boards_site["url"]
    board_url = f"{base}/boards/{SLUG}"
    search_url = f"{base}/?q={quote_plus(SEARCH_WORD)}"
    similar_url = f"{base}/ideas/new?title={quote_plus(TITLE.lower())}"
    tabs = page.get_by_role("navigation", name="Boards")
    results = page.locator("#board-results")

    # The admin opens a board to the Enterprise segment.
    sign_in(page, base, site["admin"])
    page.goto(f"{base}/admin/boards/new")
    page.get_by_label("Name", exact=True).fill(BOARD)
    page.get_by_label("Address", exact=True).fill(SLUG)
    page.get_by_label("Description", exact=True).fill("Early features for our largest customers.")
    page.get_by_label("Members of the segments or companies chosen below (and staff)").check()
    page.get_by_label("Enterprise", exact=True).check()
    page.get_by_role("button", name="Save the board").click()
    expect(page.locator("#notices")).to_contain_text(f"The board {BOARD} is saved.")
    # …and a status of the company's own process: Beta, in progress, on the roadmap.
    page.goto(f"{base}/admin/statuses/new")
    page.get_by_label("Key", exact=True).fill("beta")
    page.get_by_label("English label", exact=True).fill("Beta")
    page.get_by_label("German label", exact=True).fill("Beta")
    page.get_by_label("Category", exact=True).select_option(label="In progress")
    page.get_by_label("Show it as a column of the roadmap").check()
    page.get_by_role("button", name="Save the status").click()
    expect(page.locator("#notices")).to_contain_text("The status Beta is saved.")

    # The Enterprise customer proposes an idea on it, and follows it as its author.
    sign_in(page, base, site["enterprise"])
    page.goto(f"{base}/ideas/new")
    page.get_by_label("Board", exact=True).select_option(label=BOARD)
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Description", exact=True).fill("Everything our auditors ask for, in one file.")
    page.get_by_role("button", name="Post idea", exact=True).click()
    expect(page).to_have_url(re.compile(r"/ideas/\d+$"))
    expect(page.locator("#notices")).to_contain_text("Your idea is posted")
    idea_url = f"{base}/ideas/{idea_id_from(page.url)}"
    expect(page.get_by_role("button", name="Following")).to_be_visible()
    # What the Free customer will not find, the Enterprise customer does.
    page.goto(f"{base}/")
    expect(tabs.get_by_role("link", name=BOARD)).to_be_visible()
    expect(results).to_contain_text(TITLE)
    assert status_of(page, board_url) == 200
    expect(results).to_contain_text(TITLE)
    page.goto(search_url)
    expect(results).to_contain_text(TITLE)
    page.goto(similar_url)
    expect(page.locator("#similar-ideas")).to_contain_text(TITLE)

    # Staff move it to Beta, with a note; the roadmap's Beta column shows it to them.
    sign_in(page, base, site["staff"])
    page.goto(idea_url)
    status_form = page.locator("#status-form")
    status_form.get_by_label("New status").select_option(label="Beta")
    status_form.get_by_label("Public note").fill("Building it for the spring audit.")
    status_form.get_by_role("button", name="Change status").click()
    expect(page.locator("#notices")).to_contain_text("Beta")
    page.goto(f"{base}/roadmap")
    expect(page.locator("#roadmap-beta-heading")).to_contain_text("Beta")
    expect(page.locator(".roadmap-column-beta")).to_contain_text(TITLE)
    run_worker(site["app"])

    # Its author is told.
    sign_in(page, base, site["enterprise"])
    page.goto(f"{base}/notifications")
    note = page.locator(".notification", has_text=TITLE)
    expect(note).to_contain_text("Beta")
    expect(note).to_contain_text("Building it for the spring audit.")

    # The Free customer finds no trace of the board or its idea.
    sign_in(page, base, site["free"])
    assert status_of(page, board_url) == 404
    assert status_of(page, idea_url) == 404
    page.goto(f"{base}/")
    expect(results).to_contain_text(MAIN_TITLE)
    expect(tabs).to_have_count(0)
    expect(results).not_to_contain_text(TITLE)
    page.goto(search_url)
    expect(results).to_contain_text(MAIN_TITLE)
    expect(results).not_to_contain_text(TITLE)
    page.goto(f"{base}/ideas/new")
    expect(page.get_by_label("Board", exact=True)).to_have_count(0)  # one board to choose: no select
    page.get_by_label("Title", exact=True).press_sequentially("compliance dossier", delay=20)
    similar = page.locator("#similar-ideas")
    expect(similar).to_contain_text(MAIN_TITLE)
    expect(similar).not_to_contain_text(TITLE)
    page.goto(f"{base}/roadmap")
    expect(page.locator("#roadmap-columns")).to_be_attached()
    expect(page.locator("#roadmap-columns")).not_to_contain_text(TITLE)

    # Staff move it to the main board.
    sign_in(page, base, site["staff"])
    page.goto(idea_url)
    move_form = page.locator("#move-form")
    move_form.get_by_label("Board").select_option("main")
    move_form.get_by_role("button", name="Move to this board").click()
    expect(page.locator("#notices")).to_contain_text("Moved to the board")

    # Now the Free customer may read it, find it and see it on the roadmap; the board itself stays closed.
    sign_in(page, base, site["free"])
    assert status_of(page, idea_url) == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    page.goto(search_url)
    expect(results).to_contain_text(TITLE)
    page.goto(f"{base}/roadmap")
    expect(page.locator("#roadmap-columns")).to_contain_text(TITLE)
    assert status_of(page, board_url) == 404

    assert page_log.csp_violations() == []
    # The 404s the Free customer was shown are the only errors on the console.
    assert [error for error in page_log.errors() if "status of 404" not in error] == []
