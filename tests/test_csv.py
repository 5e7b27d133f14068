"""CSV export and import for staff: streamed files, formula guards, dry run, idempotent import."""
import csv
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ideas import csv_export
from ideas.csv_import import writer
from ideas.csv_export import safe_cell
from ideas.extensions import db
from ideas.models import (
    AuditEntry, Follow, Idea, ImportedRecord, OutboxRow, Tag, TimelineEntry, User, Vote, idea_tags, utcnow,
)
from ideas.search import filter_by_text
from ideas.voting import cast_vote, trending_score

DATA = Path(__file__).parent / "data"
IDEAS_HEADER = ("id,title,description,kind,status,tags,votes,imported_votes,followers,author_name,"
                "author_email,created,last_status_change,url,impact,effort,priority,board")


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path):
    """Uploads waiting for confirmation go to the test's own directory, not instance/."""
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "imports")
    return tmp_path / "imports"


@pytest.fixture
def staff(auth, make_user):
    """A signed-in staff member."""
    member = make_user(role="staff", name="Pat Staff")
    auth.login(member)
    return member


def read_csv(response):
    """The rows of a CSV response, header first."""
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def upload(client, content, name="ideas.csv"):
    """Post a file to the dry run."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post("/staff/csv/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def token_of(response):
    """The upload token the dry-run page carries to the confirmation."""
    return re.search(r'name="token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


def import_file(client, content, name="ideas.csv"):
    """Dry run then confirm; returns the confirmation response."""
    checked = upload(client, content, name)
    assert checked.status_code == 200, checked.get_data(as_text=True)[:2000]
    return client.post("/staff/csv/import/confirm", data={"token": token_of(checked)})


def count(fetch, model, *where):
    """How many rows of `model` match."""
    return fetch(lambda: db.session.execute(select(func.count()).select_from(model).where(*where)).scalar())


def vote(app, idea, member):
    """`member` backs `idea` through the voting rule."""
    with app.app_context():
        cast_vote(db.session.get(User, member.id), db.session.get(Idea, idea.id))
        db.session.commit()


def idea_titled(fetch, title):
    """The (detached) idea with this title."""
    def find():
        idea = db.session.execute(select(Idea).where(Idea.title == title)).unique().scalar_one()
        db.session.expunge(idea)
        return idea
    return fetch(find)


def user_by_email(fetch, email):
    """The member using `email`."""
    return fetch(lambda: db.session.execute(select(User).where(User.email == email)).scalar_one())


def wipe_site(app):
    """Empty every table: the same database becomes a fresh site."""
    with app.app_context():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()


# Export.

def test_ideas_export_lists_each_idea_with_its_columns(app, client, staff, make_user, make_idea, make_tag):
    author = make_user(name="Ada Author", email="ada@example.com")
    idea = make_idea(title="Offline mode", description="Work on the train.", kind="problem", author=author,
                     tags=[make_tag("mobile"), make_tag("sync")], status="planned")
    vote(app, idea, make_user())

    response = client.get("/staff/csv/ideas.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="ideas-\d{4}-\d\d-\d\d\.csv"', disposition)
    header, row = read_csv(response)
    assert ",".join(header) == IDEAS_HEADER
    values = dict(zip(header, row, strict=True))
    assert {key: values[key] for key in ("id", "title", "description", "kind", "status", "tags", "votes",
                                          "imported_votes", "followers", "author_name", "author_email")} == {
        "id": str(idea.id), "title": "Offline mode", "description": "Work on the train.", "kind": "problem",
        "status": "planned", "tags": "mobile, sync", "votes": "1", "imported_votes": "0", "followers": "2",
        "author_name": "Ada Author", "author_email": "ada@example.com"}
    assert values["created"].startswith(idea.created_at.strftime("%Y-%m-%dT"))
    assert values["url"] == f"http://localhost/ideas/{idea.id}"


def test_votes_export_lists_each_vote_with_the_members_email(app, client, staff, make_user, make_idea):
    idea = make_idea()
    voter = make_user(name="Vic Voter", email="vic@example.com")
    vote(app, idea, voter)

    response = client.get("/staff/csv/votes.csv")

    assert response.status_code == 200
    assert 'filename="votes-' in response.headers["Content-Disposition"]
    header, row = read_csv(response)
    assert header == ["idea_id", "member_email", "member_name", "date", "importance"]
    assert row[:3] == [str(idea.id), "vic@example.com", "Vic Voter"]


def test_export_leaves_out_withdrawn_and_merged_ideas(client, staff, make_idea):
    make_idea(title="Kept")
    make_idea(title="Withdrawn one", withdrawn_at=utcnow())
    make_idea(title="Merged one", status="merged")

    titles = [row[1] for row in read_csv(client.get("/staff/csv/ideas.csv"))[1:]]

    assert titles == ["Kept"]


def test_export_is_streamed_in_keyset_pages(app, client, staff, make_idea, count_queries, monkeypatch):
    monkeypatch.setattr(csv_export, "PAGE_SIZE", 2)
    for number in range(5):
        make_idea(title=f"Idea {number}")

    response = client.get("/staff/csv/ideas.csv")
    assert response.is_streamed
    with count_queries() as queries:
        rows = read_csv(response)[1:]

    pages = [query for query in queries if "FROM ideas" in query and "LIMIT" in query]
    assert [row[1] for row in rows] == [f"Idea {number}" for number in range(5)]
    assert len(pages) == 4  # pages of 2, 2 and 1 idea, then an empty page ends the file
    assert all("ideas.id >" in query for query in pages)


def test_votes_export_is_streamed_in_keyset_pages(app, client, staff, make_user, make_idea, count_queries,
                                                  monkeypatch):
    monkeypatch.setattr(csv_export, "PAGE_SIZE", 2)
    idea = make_idea()
    for _ in range(3):
        vote(app, idea, make_user())

    response = client.get("/staff/csv/votes.csv")
    assert response.is_streamed
    with count_queries() as queries:
        rows = read_csv(response)[1:]

    assert len(rows) == 3
    assert len([query for query in queries if "FROM votes" in query and "votes.id >" in query]) == 3


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+33 1 23", "'+33 1 23"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("a=b", "a=b"), (42, "42"), (None, ""),
])
def test_cells_a_spreadsheet_would_run_get_an_apostrophe(value, expected):
    assert safe_cell(value) == expected


def test_export_guards_formulas_in_titles_and_names(client, staff, make_user, make_idea):
    make_idea(title='=HYPERLINK("http://evil.example","Click")', author=make_user(name="@admin"))

    header, row = read_csv(client.get("/staff/csv/ideas.csv"))

    values = dict(zip(header, row, strict=True))
    assert values["title"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert values["author_name"] == "'@admin"


def test_every_field_of_the_export_is_quoted(client, staff, make_idea):
    idea = make_idea(title="Plain", description="")

    lines = client.get("/staff/csv/ideas.csv").get_data(as_text=True)[1:].splitlines()

    assert lines[0] == ",".join(f'"{column}"' for column in IDEAS_HEADER.split(","))
    assert lines[1].startswith(f'"{idea.id}","Plain","","idea","open","","0","0","1",')


@pytest.mark.parametrize("value, expected", [
    ("x;=A1+1;", "x;'=A1+1;"), ("a,@b", "a,'@b"), ("a\t+1", "a\t'+1"), ("a;\r-1", "a;'\r'-1"),
    ("Intro\n-2+3", "Intro\n'-2+3"), ("Intro\r\n=1", "Intro\r\n'=1"), ('x;"=1+1', 'x;\'"=1+1'),
    ("a; =b", "a; =b"), ("1-2, 3+4", "1-2, 3+4"), ("- item", "'- item"),
])
def test_text_where_a_spreadsheet_may_start_a_cell_gets_an_apostrophe(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize("separator", [",", ";", "\t"])
def test_no_cell_is_a_formula_whatever_separator_the_spreadsheet_splits_on(client, staff, make_user,
                                                                           make_idea, separator):
    # German Excel splits on ";": our quotes then no longer line up, so a ";" or a line break
    # inside a title or description starts a cell of its own.
    make_idea(title='Tidy;=A1+1;"=2+2;', description="Steps:\n-2+3+cmd|' /C calc'!A0\n@SUM(A1)",
              author=make_user(name="Ann,+1\tx"))

    text = client.get("/staff/csv/ideas.csv").get_data(as_text=True)[1:]
    cells = [cell for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator) for cell in row]

    assert [cell for cell in cells if cell.startswith(csv_export.FORMULA_STARTS)] == []


# Who may use it.

ROUTES = [("get", "/staff/csv/"), ("get", "/staff/csv/ideas.csv"), ("get", "/staff/csv/votes.csv"),
          ("post", "/staff/csv/import"), ("post", "/staff/csv/import/confirm")]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("actor", ["anonymous", "member", "staff", "admin"])
@pytest.mark.parametrize("method, path", ROUTES)
def test_only_staff_and_admins_export_and_import(client, auth, make_user, method, path, actor):
    if actor != "anonymous":
        auth.login(make_user(role=actor))

    response = getattr(client, method)(path)

    if actor == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
    elif actor == "member":
        assert response.status_code == 403
    else:
        assert response.status_code == (200 if method == "get" else 422)


def test_refused_member_gets_no_data(client, auth, make_user, make_idea):
    make_idea(title="Secret roadmap item")
    auth.login(make_user())

    response = client.get("/staff/csv/ideas.csv")

    assert response.status_code == 403
    assert "Secret roadmap item" not in response.get_data(as_text=True)


def test_inbox_links_to_the_exports_and_the_import(client, staff):
    body = client.get("/staff/").get_data(as_text=True)

    assert 'href="/staff/csv/ideas.csv"' in body
    assert 'href="/staff/csv/votes.csv"' in body
    assert 'href="/staff/csv/"' in body


# Dry run.

OWN_FILE = "\r\n".join([
    IDEAS_HEADER,
    "7,Offline mode,Work on the train.,problem,planned,\"mobile, sync\",2,0,2,Ada Author,ada@example.com,"
    "2025-01-02T10:00:00+00:00,2025-02-03T10:00:00+00:00,http://old.example/ideas/7",
    "8,,No title here,idea,open,,0,0,1,Bo,bo@example.com,2025-01-02T10:00:00+00:00,,",
    "9,Bad kind,,wish,open,,0,0,1,Bo,bo@example.com,2025-01-02T10:00:00+00:00,,",
    "10,Bad email,,idea,open,,0,0,1,Bo,not-an-address,2025-01-02T10:00:00+00:00,,",
    "11,Declined one,,idea,declined,,0,5,1,Cy,cy@example.com,2025-01-02T10:00:00+00:00,,",
    "12,'=SUM(A1),,praise,open,,0,0,1,Ada Author,ada@example.com,not a date,,",
    "7,Same id again,,idea,open,,0,0,1,Bo,bo@example.com,,,",
]) + "\r\n"


def test_dry_run_lists_problems_row_by_row_and_writes_nothing(client, staff, fetch):
    response = upload(client, OWN_FILE)

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Ideas: ideas file" in body
    problems = re.findall(r"<tr><td>(\d+)</td><td><code>(\w+)</code></td><td>([^<]+)</td></tr>", body)
    assert [(row, column) for row, column, _ in problems] == [
        ("3", "title"), ("4", "kind"), ("5", "author_email"), ("7", "created"), ("8", "id")]
    assert "The title is empty." in problems[0][2]
    assert "is on row 2 too" in problems[4][2]
    assert re.search(r'id="import-ideas">2<', body)
    assert re.search(r'id="import-members">2<', body)
    assert re.search(r'id="import-imported-votes">5<', body)
    assert count(fetch, Idea) == 0
    assert count(fetch, User) == 1
    assert count(fetch, ImportedRecord) == 0
    assert count(fetch, Tag) == 0


def test_confirmed_import_creates_ideas_members_tags_and_timeline(client, staff, fetch):
    response = import_file(client, OWN_FILE)

    assert response.status_code == 303
    offline = idea_titled(fetch, "Offline mode")
    assert (offline.kind, offline.status, offline.description, offline.vote_count) == (
        "problem", "planned", "Work on the train.", 0)
    assert offline.created_at.isoformat() == "2025-01-02T10:00:00+00:00"
    assert offline.trending_score == trending_score(0, offline.created_at)
    assert fetch(lambda: sorted(t.name for t in db.session.get(Idea, offline.id).tags)) == ["mobile", "sync"]
    declined = idea_titled(fetch, "Declined one")
    assert (declined.status, declined.imported_vote_count) == ("declined", 5)
    step = fetch(lambda: db.session.execute(select(TimelineEntry.to_status, TimelineEntry.note).where(
        TimelineEntry.idea_id == declined.id)).one())
    assert step == ("declined", "Declined before this idea was imported.")
    ada = user_by_email(fetch, "ada@example.com")
    assert (ada.name, ada.password_hash, ada.email_confirmed_at, ada.role) == (
        "Ada Author", None, None, "member")
    assert offline.author_id == ada.id
    assert count(fetch, Follow, Follow.idea_id == offline.id, Follow.user_id == ada.id,
                 Follow.level == "all") == 1
    assert count(fetch, Idea) == 2
    assert count(fetch, OutboxRow) == 0


def test_imported_ideas_are_not_backed_by_their_authors(client, staff, fetch):
    import_file(client, OWN_FILE)

    assert count(fetch, Idea) == 2
    assert count(fetch, Vote) == 0
    assert fetch(lambda: sorted(db.session.execute(select(Idea.vote_count)).scalars())) == [0, 0]


def test_import_is_written_to_the_audit_log(client, staff, fetch):
    import_file(client, OWN_FILE)

    entry = fetch(lambda: db.session.execute(
        select(AuditEntry.action, AuditEntry.target_type, AuditEntry.after)
        .where(AuditEntry.actor_id == staff.id)).one())
    assert entry[:2] == ("csv.imported", "csv_import")
    assert '"ideas": 2' in entry[2] and '"problems": 5' in entry[2]


def test_imported_ideas_are_found_by_search(app, client, staff):
    import_file(client, OWN_FILE)

    with app.app_context():
        found = db.session.execute(filter_by_text(select(Idea.title), "train")).scalars().all()
    assert found == ["Offline mode"]


def test_apostrophe_guard_of_our_export_is_taken_off_on_import(client, staff, fetch):
    fixed = OWN_FILE.replace("not a date", "2025-01-05T10:00:00+00:00")

    import_file(client, fixed)

    assert idea_titled(fetch, "=SUM(A1)").kind == "praise"


@pytest.mark.parametrize("text", ["Fees; =1+1 in May", "A list:\n- first\n- second", "x,@cmd", "plain"])
def test_every_apostrophe_our_export_adds_is_taken_off_again(text):
    from ideas.csv_export import safe_cell, unguard_cell

    assert unguard_cell(safe_cell(text)) == text


def test_reimporting_the_same_file_changes_nothing(client, staff, fetch):
    import_file(client, OWN_FILE)
    before = (count(fetch, Idea), count(fetch, User), count(fetch, Tag), count(fetch, ImportedRecord))

    again = upload(client, OWN_FILE)
    import_file(client, OWN_FILE)

    body = again.get_data(as_text=True)
    assert re.search(r'id="import-ideas">0<', body)
    assert re.search(r'id="import-members">0<', body)
    assert "2 rows were imported before" in body
    assert (count(fetch, Idea), count(fetch, User), count(fetch, Tag), count(fetch, ImportedRecord)) == before


def test_votes_file_adds_votes_followers_and_exact_counts(app, client, staff, make_user, fetch):
    import_file(client, OWN_FILE)
    existing = make_user(email="eve@example.com")
    votes = "idea_id,member_email,member_name,date\r\n" + "".join(
        f"7,{email},{name},2025-03-0{day}T10:00:00+00:00\r\n"
        for day, (email, name) in enumerate([("EVE@example.com", "Eve"), ("new@example.com", "New Person"),
                                             ("ada@example.com", "Ada Author")], start=1)
    ) + "11,eve@example.com,Eve,2025-03-01T10:00:00+00:00\r\n404,eve@example.com,Eve,\r\n"

    checked = upload(client, votes, "votes.csv")
    body = checked.get_data(as_text=True)
    assert re.search(r'id="import-votes">4<', body) and re.search(r'id="import-members">1<', body)
    assert "Idea 404 is not imported from Ideas yet" in body
    client.post("/staff/csv/import/confirm", data={"token": token_of(checked)})

    offline, declined = idea_titled(fetch, "Offline mode"), idea_titled(fetch, "Declined one")
    assert offline.vote_count == count(fetch, Vote, Vote.idea_id == offline.id) == 3
    assert (declined.vote_count, declined.imported_vote_count) == (1, 5)  # our own file: kept apart as it was
    assert offline.trending_score == trending_score(3, offline.created_at)
    assert count(fetch, Follow, Follow.idea_id == offline.id, Follow.user_id == existing.id) == 1
    newcomer = user_by_email(fetch, "new@example.com")
    assert (newcomer.name, newcomer.password_hash) == ("New Person", None)
    voted_at = fetch(lambda: db.session.execute(select(Vote.created_at).where(
        Vote.user_id == existing.id, Vote.idea_id == offline.id)).scalar())
    assert voted_at.isoformat() == "2025-03-01T10:00:00+00:00"


def test_reimporting_a_votes_file_adds_nothing(client, staff, fetch):
    import_file(client, OWN_FILE)
    votes = "idea_id,member_email,member_name,date\r\n7,eve@example.com,Eve,\r\n11,eve@example.com,Eve,\r\n"
    import_file(client, votes, "votes.csv")

    again = upload(client, votes, "votes.csv")
    import_file(client, votes, "votes.csv")

    body = again.get_data(as_text=True)
    assert re.search(r'id="import-votes">0<', body) and "2 rows were imported before" in body
    assert count(fetch, Vote) == 2
    assert idea_titled(fetch, "Offline mode").vote_count == 1


def test_a_vote_cast_while_the_import_runs_stands_and_the_import_finishes(app, client, staff, make_user,
                                                                         fetch, monkeypatch):
    import_file(client, OWN_FILE)
    eve = make_user(email="eve@example.com")
    offline = idea_titled(fetch, "Offline mode")
    vote(app, offline, eve)
    # Eve votes after the import looked for votes already there, just before it writes its own.
    monkeypatch.setattr(writer._Run, "existing_votes", lambda self, pairs: set())

    response = import_file(client, "idea_id,member_email,member_name,date\r\n7,eve@example.com,Eve,\r\n",
                           "votes.csv")

    assert response.status_code == 303
    cast_by = fetch(lambda: db.session.execute(select(Vote.cast_by_id).where(Vote.user_id == eve.id)).all())
    assert cast_by == [(None,)]
    assert idea_titled(fetch, "Offline mode").vote_count == 1


# Other tools.

def test_fider_posts_keep_their_vote_count_as_imported_votes_only(client, staff, fetch):
    response = import_file(client, (DATA / "fider-posts.csv").read_bytes(), "posts.csv")

    assert response.status_code == 303
    pdf = idea_titled(fetch, "Export reports as PDF")
    assert (pdf.vote_count, pdf.imported_vote_count, pdf.status) == (0, 42, "open")
    assert count(fetch, Vote) == 0
    assert "Posted in Fider by Ana Lima on 2024-03-02." in pdf.description
    assert pdf.author_id == staff.id
    assert fetch(lambda: sorted(t.name for t in db.session.get(Idea, pdf.id).tags)) == ["export", "reports"]
    statuses = {title: idea_titled(fetch, title).status
                for title in ("Dark mode", "Single sign-on", "SSO with Okta", "Fax support")}
    assert statuses == {"Dark mode": "in_progress", "Single sign-on": "shipped", "SSO with Okta": "declined",
                        "Fax support": "declined"}
    assert count(fetch, Idea, Idea.title == "Spam post") == 0


def test_fider_dry_run_names_deleted_posts_and_counts_imported_votes(client, staff):
    body = upload(client, (DATA / "fider-posts.csv").read_bytes(), "posts.csv").get_data(as_text=True)

    assert "Fider: posts export" in body
    assert "The post was deleted in Fider" in body
    assert re.search(r'id="import-ideas">5<', body)
    assert re.search(r'id="import-imported-votes">70<', body)


def test_fider_duplicate_keeps_the_response_as_the_timeline_note(client, staff, fetch):
    import_file(client, (DATA / "fider-posts.csv").read_bytes(), "posts.csv")

    okta = idea_titled(fetch, "SSO with Okta")
    note, created_at = fetch(lambda: db.session.execute(
        select(TimelineEntry.note, TimelineEntry.created_at).where(TimelineEntry.idea_id == okta.id)).one())
    assert note == "A duplicate of Fider post #3 “Single sign-on”. Jo Staff answered in Fider: Same as SSO."
    assert created_at.isoformat() == "2024-02-03T10:00:00+00:00"


def test_older_fider_header_with_total_votes_is_read_too(client, staff, fetch):
    old = ("number,title,description,created_at,created_by,total_votes,total_comments,status,responded_by,"
           "responded_at,response,original_number,original_title,tags\r\n"
           "10,Go is fast,Tiny,2018-03-23T19:33:22Z,Faceless,4,2,Declined,John Snow,2018-04-04T19:48:10Z,"
           "Nothing to do,,,\r\n")

    import_file(client, old, "old.csv")

    idea = idea_titled(fetch, "Go is fast")
    assert (idea.status, idea.imported_vote_count) == ("declined", 4)


def test_idea_page_and_card_show_imported_votes_beside_member_votes(client, staff, fetch):
    import_file(client, (DATA / "fider-posts.csv").read_bytes(), "posts.csv")
    pdf = idea_titled(fetch, "Export reports as PDF")

    page = client.get(f"/ideas/{pdf.id}").get_data(as_text=True)
    board = client.get("/").get_data(as_text=True)

    for body in (page, board):
        assert re.search(rf'id="idea-{pdf.id}-vote-imported">· 42 imported', body)
    assert re.search(rf'id="idea-{pdf.id}-vote".*?<span class="vote-count">0</span>', page, re.S)


def test_canny_posts_and_votes_keep_totals_without_counting_twice(client, staff, fetch):
    import_file(client, (DATA / "canny-posts.csv").read_bytes(), "canny-posts.csv")
    checked = upload(client, (DATA / "canny-votes.csv").read_bytes(), "canny-votes.csv")
    assert "Canny: votes export" in checked.get_data(as_text=True)
    client.post("/staff/csv/import/confirm", data={"token": token_of(checked)})

    calendar, bulk = idea_titled(fetch, "Calendar sync"), idea_titled(fetch, "Bulk edit")
    assert (calendar.status, calendar.vote_count, calendar.imported_vote_count) == ("under_review", 2, 1)
    assert (bulk.status, bulk.vote_count, bulk.imported_vote_count) == ("in_progress", 1, 4)
    assert idea_titled(fetch, "Old widget").status == "declined"
    maya = user_by_email(fetch, "maya@example.org")
    assert calendar.author_id == maya.id
    assert bulk.author_id == staff.id
    tags = fetch(lambda: sorted(t.name for t in db.session.get(Idea, calendar.id).tags))
    assert tags == ["feature requests", "integrations"]
    assert count(fetch, Vote, Vote.idea_id == calendar.id) == 2


def test_canny_votes_for_posts_not_imported_are_problems(client, staff):
    body = upload(client, (DATA / "canny-votes.csv").read_bytes(), "canny-votes.csv").get_data(as_text=True)

    assert body.count("is not imported from Canny yet") == 4
    assert re.search(r'id="import-votes">0<', body)


# A round trip.

def test_export_then_import_into_a_fresh_site_gives_the_same_ideas_and_votes(
        app, client, auth, staff, make_user, make_idea, make_tag, fetch):
    ada, bo = make_user(name="Ada", email="ada@example.com"), make_user(name="Bo", email="bo@example.com")
    first = make_idea(title="First", description="One *two*", kind="problem", author=ada,
                      tags=[make_tag("mobile")], status="planned")
    second = make_idea(title="-Second", kind="praise", author=bo)
    vote(app, first, bo)
    vote(app, second, ada)
    vote(app, first, ada)

    def snapshot():
        ideas = fetch(lambda: sorted(
            (idea.title, idea.description, idea.kind, idea.status, tuple(t.name for t in idea.tags),
             idea.author.email, idea.vote_count, idea.created_at)
            for idea in db.session.execute(select(Idea)).unique().scalars()))
        votes = fetch(lambda: sorted(db.session.execute(
            select(Idea.title, User.email).join(Vote, Vote.idea_id == Idea.id)
            .join(User, User.id == Vote.user_id)).all()))
        return ideas, votes

    expected = snapshot()
    ideas_file = client.get("/staff/csv/ideas.csv").get_data()
    votes_file = client.get("/staff/csv/votes.csv").get_data()
    wipe_site(app)
    auth.login(make_user(role="staff", email="new-staff@example.com"))

    import_file(client, ideas_file, "ideas.csv")
    import_file(client, votes_file, "votes.csv")

    assert snapshot() == expected
    assert count(fetch, idea_tags) == 1


# Bad files.

@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file"),
    (b"name,colour\r\nred,1\r\n", "match none of the formats"),
    ("number;title\r\n".encode("utf-8"), "match none of the formats"),
    ("id,title,kind,status,author_email\r\n1,Café,idea,open,a@b.com\r\n".encode("latin-1"), "not UTF-8"),
    (b"", "empty"),
    (b'id,title,kind,status,author_email\r\n1,"never closed\r\n' + b"x" * 200_000, "cannot be read as CSV"),
])
def test_bad_files_are_refused_with_the_form_and_the_problem_named(client, staff, fetch, content, message):
    response = upload(client, content, "bad.csv")

    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    assert 'type="file"' in body and 'aria-invalid="true"' in body
    assert count(fetch, Idea) == 0


def test_a_file_over_the_size_limit_is_refused(app, client, staff, fetch):
    app.config["IMPORT_MAX_BYTES"] = 100

    response = upload(client, OWN_FILE)

    assert response.status_code == 422
    assert "larger than the limit" in response.get_data(as_text=True)
    assert count(fetch, Idea) == 0


def test_utf8_with_a_byte_order_mark_is_read(client, staff, fetch):
    import_file(client, "\ufeff" + OWN_FILE.replace("Offline mode", "Café offline"))

    assert idea_titled(fetch, "Café offline").kind == "problem"


def test_upload_without_a_file_is_refused(client, staff):
    response = client.post("/staff/csv/import", data={}, content_type="multipart/form-data")

    assert response.status_code == 422
    assert "Choose a CSV file" in response.get_data(as_text=True)


def test_confirmation_needs_the_uploaders_own_fresh_token(client, auth, staff, make_user, fetch):
    token = token_of(upload(client, OWN_FILE))
    auth.logout()
    auth.login(make_user(role="staff"))

    refused = client.post("/staff/csv/import/confirm", data={"token": token})
    forged = client.post("/staff/csv/import/confirm", data={"token": "../../secret_key"})

    assert refused.status_code == forged.status_code == 422
    assert "expired" in refused.get_data(as_text=True)
    assert count(fetch, Idea) == 0


def test_a_token_works_once(client, staff, fetch):
    token = token_of(upload(client, OWN_FILE))

    first = client.post("/staff/csv/import/confirm", data={"token": token})
    second = client.post("/staff/csv/import/confirm", data={"token": token})

    assert (first.status_code, second.status_code) == (303, 422)
    assert count(fetch, Idea) == 2


def test_the_kept_upload_is_removed_once_imported(client, staff, upload_dir):
    token = token_of(upload(client, OWN_FILE))
    assert sorted(path.name for path in upload_dir.iterdir()) == [f"{token}.csv", f"{token}.json"]

    client.post("/staff/csv/import/confirm", data={"token": token})

    assert list(upload_dir.iterdir()) == []
