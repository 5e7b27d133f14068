"""Segments (ideas/segments.py, ideas/segment_rules.py): the one clause that says who is in a segment
agrees with the one-member answer and with what each rule means, on a matrix of members and
companies; rules are checked before they are saved; segments filter the inbox and the export."""
import csv
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from ideas.companies import find_company, update_company
from ideas.errors import InvalidInput, NotAllowed
from ideas.extensions import db
from ideas.models import AuditEntry, Idea, Segment, User, utcnow
from ideas.segments import (
    create_segment, delete_segment, in_segment, member_counts, segment_clause, update_segment,
)
from ideas.voting import cast_vote

NOW = utcnow()


def rule(field, operator, value=""):
    return {"field": field, "operator": operator, "value": value}


# name: (match, rules, the members in it)
SEGMENTS = {
    "enterprise": ("all", [rule("attribute.plan", "is", "Enterprise")], {"ada", "bob", "di"}),
    "revenue at least 1000": ("all", [rule("attribute.monthly_revenue", "ge", "1000")], {"ada", "bob"}),
    "revenue below 1000": ("all", [rule("attribute.monthly_revenue", "lt", "1000")], {"cy"}),
    "new": ("all", [rule("member.signed_up", "within_days", "90")], {"ada", "cy", "ed", "fay"}),
    "new paying enterprise": ("all", [rule("attribute.plan", "is", "enterprise"),
                                      rule("attribute.monthly_revenue", "ge", "1000"),
                                      rule("member.signed_up", "within_days", "90")], {"ada"}),
    "pro or old": ("any", [rule("attribute.plan", "is", "Pro"),
                           rule("member.signed_up", "before_days", "150")], {"bob", "cy"}),
    "not enterprise": ("all", [rule("attribute.plan", "is_not", "Enterprise")], {"cy", "ed", "fay"}),
    "revenue unknown": ("all", [rule("attribute.monthly_revenue", "not_set")], {"di", "ed", "fay"}),
    "corporations": ("all", [rule("company.name", "contains", "CORP")], {"ed"}),
    "in a company": ("all", [rule("company.name", "set")], {"ada", "bob", "cy", "di", "ed"}),
    "acme people": ("all", [rule("member.email_domain", "is", "@Acme.example")], {"ada", "bob"}),
    "forty seats": ("all", [rule("attribute.seats", "is", "40.00")], {"ada", "bob"}),
    "a percent sign": ("all", [rule("company.name", "contains", "%")], set()),
}
# name: (email, days since signing up)
MEMBERS = {"ada": ("ada@acme.example", 10), "bob": ("bob@acme.example", 200), "cy": ("cy@beta.example", 5),
           "di": ("di@gamma.example", 100), "ed": ("ed@delta.example", 1), "fay": ("fay@free.example", 30)}


@pytest.fixture
def matrix(app, admin, make_user, make_company):
    """The members of MEMBERS in four companies (fay in none), and every segment of SEGMENTS."""
    people = {name: make_user(name=name, email=email) for name, (email, _days) in MEMBERS.items()}
    make_company("Acme", "acme", [people["ada"], people["bob"]], plan="Enterprise", monthly_revenue="5000",
                 seats=40)
    make_company("Beta", "beta", [people["cy"]], plan="Pro", monthly_revenue="999.99")
    make_company("Gamma", "gamma", [people["di"]], plan="enterprise")
    make_company("Delta Corp", "delta", [people["ed"]])
    with app.app_context():
        for name, (_email, days) in MEMBERS.items():
            db.session.get(User, people[name].id).created_at = NOW - timedelta(days=days)
        actor = db.session.get(User, admin.id)
        segments = {name: create_segment(actor, name, match, rules).id
                    for name, (match, rules, _members) in SEGMENTS.items()}
        db.session.commit()
    return people, segments


@pytest.mark.parametrize("name", SEGMENTS)
def test_the_clause_and_the_one_member_answer_agree_with_the_rules(app, matrix, name):
    people, segments = matrix
    names = {person.id: person_name for person_name, person in people.items()}
    with app.app_context():
        segment = db.session.get(Segment, segments[name])
        by_sql = {names[member_id] for member_id in db.session.execute(
            select(User.id).where(User.id.in_(names), segment_clause(segment, NOW))).scalars()}
        one_by_one = {person_name for person_name, person in people.items()
                      if in_segment(db.session.get(User, person.id), segment, NOW)}

    assert by_sql == one_by_one == SEGMENTS[name][2]


def test_the_segments_page_counts_every_segment_in_one_statement(app, client, auth, admin, matrix,
                                                                 count_queries):
    people, segments = matrix
    with app.app_context():
        stored = db.session.execute(select(Segment).order_by(Segment.id)).scalars().all()
        counts = member_counts(stored, NOW)
        one_by_one = {segment.id: db.session.execute(select(func.count()).select_from(User).where(
            segment_clause(segment, NOW))).scalar_one() for segment in stored}
    auth.login(admin)

    with count_queries() as queries:
        response = client.get("/admin/segments/")

    assert counts == one_by_one
    assert counts[segments["enterprise"]] == 3 and counts[segments["a percent sign"]] == 0
    assert response.status_code == 200 and "3 members now" in response.get_data(as_text=True)
    assert sum("filter (where" in statement.lower() for statement in queries) == 1


def test_a_member_leaves_a_segment_when_their_company_changes(app, matrix, admin):
    people, segments = matrix
    with app.app_context():
        update_company(db.session.get(User, admin.id), find_company("acme"), None, {"plan": "Pro"})
        db.session.commit()
        segment = db.session.get(Segment, segments["enterprise"])

        assert not in_segment(db.session.get(User, people["ada"].id), segment, NOW)
        assert in_segment(db.session.get(User, people["di"].id), segment, NOW)


# Saving segments.

@pytest.mark.parametrize("rows, field, words", [
    ([rule("attribute.plan", "within_days", "3")], "rules-0-operator", "does not apply"),
    ([rule("attribute.monthly_revenue", "ge", "lots")], "rules-0-value", "is not a number"),
    ([rule("member.signed_up", "within_days", "-3")], "rules-0-value", "number of days"),
    ([rule("attribute.plan", "is", "")], "rules-0-value", "Give a value"),
    ([rule("member.password", "is", "x")], "rules-0-field", "from the list"),
    ([rule("", "is", "ignored")], "rules", "at least one rule"),
])
def test_a_segment_with_a_bad_rule_is_refused_naming_the_row(app, admin, rows, field, words, fetch):
    with app.app_context():
        with pytest.raises(InvalidInput) as refused:
            create_segment(db.session.get(User, admin.id), "Broken", "all", rows)

    assert words in refused.value.fields[field]
    assert fetch(lambda: db.session.execute(select(Segment)).first()) is None


def test_only_admins_make_change_and_remove_segments(app, make_user):
    staff = make_user(role="staff")
    with app.app_context(), pytest.raises(NotAllowed):
        create_segment(db.session.get(User, staff.id), "Enterprise", "all",
                       [rule("attribute.plan", "is", "Enterprise")])


def test_making_changing_and_removing_a_segment_is_audited(app, admin, fetch):
    with app.app_context():
        actor = db.session.get(User, admin.id)
        segment = create_segment(actor, "Enterprise", "all", [rule("attribute.plan", "is", "Enterprise")])
        assert update_segment(actor, segment, "Enterprise", "all",
                              [rule("attribute.plan", "is", "Enterprise")]) is False
        assert update_segment(actor, segment, "Big customers", "any",
                              [rule("attribute.plan", "is", "Enterprise")]) is True
        delete_segment(actor, segment)
        db.session.commit()

    entries = fetch(lambda: db.session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all())
    actions = [(entry.action, json.loads(entry.after).get("name")) for entry in entries]
    assert actions == [("segment.created", "Enterprise"), ("segment.updated", "Big customers"),
                       ("segment.deleted", None)]


def test_two_segments_cannot_share_a_name(app, admin):
    with app.app_context():
        actor = db.session.get(User, admin.id)
        create_segment(actor, "Enterprise", "all", [rule("attribute.plan", "is", "Enterprise")])
        with pytest.raises(InvalidInput) as refused:
            create_segment(actor, "enterprise", "any", [rule("attribute.plan", "is", "Pro")])

    assert "Another segment" in refused.value.fields["name"]


# Filtering by a segment.

@pytest.fixture
def demand(app, matrix, make_idea):
    """Three ideas: one ada (Enterprise) backs, one cy (Pro) proposed, one nobody backs."""
    people, segments = matrix
    backed = make_idea(title="Single sign-on")
    make_idea(title="Dark mode", author=people["cy"])
    make_idea(title="Nobody's idea")
    with app.app_context():
        cast_vote(db.session.get(User, people["ada"].id), db.session.get(Idea, backed.id))
        db.session.commit()
    return segments


def test_the_inbox_shows_the_ideas_a_segment_proposed_or_backs(client, auth, admin, demand):
    auth.login(admin)

    enterprise = client.get("/staff/", query_string={"segment": demand["enterprise"]}).get_data(as_text=True)
    pro = client.get("/staff/", query_string={"segment": demand["pro or old"]}).get_data(as_text=True)
    everyone = client.get("/staff/").get_data(as_text=True)

    assert "Single sign-on" in enterprise and "Dark mode" not in enterprise and "Nobody" not in enterprise
    assert "Dark mode" in pro and "Single sign-on" not in pro
    assert all(title in everyone for title in ("Single sign-on", "Dark mode", "Nobody&#39;s idea"))
    assert 'id="inbox-count-all">1<' in enterprise


def test_an_unknown_segment_leaves_the_inbox_unfiltered(client, auth, admin, demand):
    auth.login(admin)

    page = client.get("/staff/", query_string={"segment": "999999"}).get_data(as_text=True)

    assert "Single sign-on" in page and "Dark mode" in page


def _rows(response):
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_export_keeps_to_a_segment(client, auth, admin, demand):
    auth.login(admin)

    ideas = _rows(client.get("/staff/csv/ideas.csv", query_string={"segment": demand["enterprise"]}))
    votes = _rows(client.get("/staff/csv/votes.csv", query_string={"segment": demand["enterprise"]}))
    pro_votes = _rows(client.get("/staff/csv/votes.csv", query_string={"segment": demand["pro or old"]}))

    assert [row[1] for row in ideas[1:]] == ["Single sign-on"]
    assert [row[1] for row in votes[1:]] == ["ada@acme.example"]
    assert pro_votes[1:] == []


def test_an_export_for_a_segment_that_is_gone_is_not_found(client, auth, admin, demand):
    auth.login(admin)

    assert client.get("/staff/csv/ideas.csv", query_string={"segment": "999999"}).status_code == 404
