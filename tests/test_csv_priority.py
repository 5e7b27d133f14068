"""What the exports tell of how much ideas matter: each backer's importance in the votes file (never
their private note), each idea's impact, effort and stored priority score in the ideas file."""
import csv
import io

from sqlalchemy import delete

from ideas import csv_export
from ideas.extensions import db
from ideas.models import Idea, IdeaPriority, User
from ideas.priority import recompute_all, set_impact_effort
from ideas.segments import create_segment
from ideas.vote_importance import back_idea

NOTE = "only-the-team-reads-this"


def rows_of(response):
    """The rows of a CSV download as {column: cell}."""
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline="")))


def back(app, member, idea, importance=None, note=None):
    """`member` backs `idea`, saying how much it matters (or not)."""
    with app.app_context():
        back_idea(db.session.get(User, member.id), db.session.get(Idea, idea.id), importance, note)
        db.session.commit()


def weigh(app, staff, idea, impact, effort):
    """Staff set the idea's impact and effort; the worker recomputes the score. Returns the score."""
    with app.app_context():
        set_impact_effort(db.session.get(User, staff.id), db.session.get(Idea, idea.id), impact, effort)
        db.session.commit()
        recompute_all()
        return db.session.get(IdeaPriority, idea.id).score


def test_the_votes_file_says_how_much_the_idea_matters_to_each_backer(app, client, staff, make_user,
                                                                    make_idea):
    idea = make_idea()
    for email, importance in [("crit@example.com", "critical"), ("nice@example.com", "nice_to_have"),
                              ("quiet@example.com", None)]:
        back(app, make_user(email=email), idea, importance, NOTE if importance else None)

    response = client.get("/staff/csv/votes.csv")

    assert {row["member_email"]: row["importance"] for row in rows_of(response)} == {
        "crit@example.com": "critical", "nice@example.com": "nice_to_have", "quiet@example.com": ""}
    assert NOTE not in response.get_data(as_text=True)


def test_the_ideas_file_carries_impact_effort_and_the_stored_priority(app, client, staff, make_user,
                                                                     make_idea, fetch):
    weighed = make_idea(title="Weighed")
    back(app, make_user(), weighed, "critical")
    unweighed = make_idea(title="Not weighed")
    stored = weigh(app, staff, weighed, 5, 2)

    rows = {row["title"]: row for row in rows_of(client.get("/staff/csv/ideas.csv"))}

    assert (rows["Weighed"]["impact"], rows["Weighed"]["effort"]) == ("5", "2")
    assert stored > 0 and float(rows["Weighed"]["priority"]) == stored
    assert (rows["Not weighed"]["impact"], rows["Not weighed"]["effort"]) == ("", "")
    assert float(rows["Not weighed"]["priority"]) == fetch(
        lambda: db.session.get(IdeaPriority, unweighed.id).score) > 0


def test_an_idea_without_a_priority_row_has_no_impact_or_effort_and_a_priority_of_0(app, client, staff,
                                                                                  make_idea):
    idea = make_idea(title="Imported long ago")
    with app.app_context():
        db.session.execute(delete(IdeaPriority).where(IdeaPriority.idea_id == idea.id))
        db.session.commit()

    [row] = rows_of(client.get("/staff/csv/ideas.csv"))

    assert (row["impact"], row["effort"], row["priority"]) == ("", "", "0")


def test_the_priority_comes_in_each_pages_own_query(app, client, staff, make_idea, count_queries,
                                                   monkeypatch):
    monkeypatch.setattr(csv_export, "PAGE_SIZE", 2)
    for number in range(5):
        make_idea(title=f"Idea {number}")

    response = client.get("/staff/csv/ideas.csv")
    with count_queries() as queries:
        rows = rows_of(response)

    assert [row["priority"] for row in rows] == ["0"] * 5  # not computed by the worker yet
    assert len(queries) == 10  # a page query, then its followers and tags: 2, 2, 1 ideas and an empty page
    assert len([query for query in queries if "idea_priorities" in query]) == 4


def test_a_segments_ideas_file_carries_the_priority_too(app, client, staff, make_user, make_idea,
                                                        make_company):
    customer = make_user()
    make_company("Acme", members=[customer], plan="Enterprise")
    backed = make_idea(title="Backed by Acme")
    make_idea(title="Nobody's")
    back(app, customer, backed, "important")
    stored = weigh(app, staff, backed, 4, 1)
    with app.app_context():
        segment = create_segment(db.session.get(User, make_user(role="admin").id), "Enterprise", "all",
                                 [{"field": "attribute.plan", "operator": "is", "value": "Enterprise"}])
        segment_id = segment.id
        db.session.commit()

    rows = rows_of(client.get("/staff/csv/ideas.csv", query_string={"segment": segment_id}))

    assert [(row["title"], row["impact"], row["effort"], float(row["priority"])) for row in rows] == [
        ("Backed by Acme", "4", "1", stored)]


def test_the_export_page_gives_the_priority_formula(client, staff):
    page = client.get("/staff/csv/").get_data(as_text=True)

    assert "The ideas file's priority is the score the inbox sorts by: Priority = (votes × 1" in page
