"""One idea's demand (ideas.demand.demand_of): its votes and importance spread, the companies
behind it with the revenue at stake counting each company once, its votes per segment, in a
fixed number of statements; and the staff panel that shows it on the idea's page."""
import html
from decimal import Decimal

import pytest

from ideas import demand as demand_module
from ideas.demand import demand_of
from ideas.extensions import db
from ideas.models import Idea, User
from ideas.segments import create_segment
from ideas.vote_importance import back_idea

NOT_SAID = None


def rule(field, operator, value=""):
    return {"field": field, "operator": operator, "value": value}


@pytest.fixture
def backed(app, admin, make_user, make_idea, make_company):
    """An idea backed by Ada and Bob (Acme, 5,000 a month), Cy (Beta, 999.99), Di (Gamma, revenue not
    known) and Fay (no company); another idea only Ed backs; three segments. Returns
    (idea id, {name: member}, {segment name: id})."""
    names = ("ada", "bob", "cy", "di", "ed", "fay")
    people = {name: make_user(name=name.title()) for name in names}
    make_company("Acme", "acme", [people["ada"], people["bob"]], plan="Enterprise", monthly_revenue="5000")
    make_company("Beta", "beta", [people["cy"]], plan="Pro", monthly_revenue="999.99")
    make_company("Gamma", "gamma", [people["di"], people["ed"]], plan="Enterprise")
    idea, other = make_idea(title="Audit log"), make_idea(title="Dark mode")
    said = {"ada": "critical", "bob": "important", "cy": "nice_to_have", "di": None, "fay": "critical"}
    with app.app_context():
        for name, importance in said.items():
            back_idea(db.session.get(User, people[name].id), db.session.get(Idea, idea.id), importance)
        back_idea(db.session.get(User, people["ed"].id), db.session.get(Idea, other.id), "critical")
        actor = db.session.get(User, admin.id)
        segments = {
            "Enterprise": create_segment(actor, "Enterprise", "all",
                                         [rule("attribute.plan", "is", "Enterprise")]).id,
            "Revenue unknown": create_segment(actor, "Revenue unknown", "all",
                                              [rule("attribute.monthly_revenue", "not_set")]).id,
            "Corporations": create_segment(actor, "Corporations", "all",
                                           [rule("company.name", "contains", "Corp")]).id,
        }
        db.session.commit()
    return idea.id, people, segments


def demand(fetch, idea_id):
    return fetch(lambda: demand_of(idea_id))


def test_the_revenue_at_stake_counts_each_company_once(fetch, backed):
    idea_id, _people, _segments = backed

    result = demand(fetch, idea_id)

    # Acme's two backers do not count its 5,000 twice; Gamma has no revenue to add.
    assert result.revenue_at_stake == Decimal("5999.99")
    assert [(company.name, company.backers) for company in result.companies] == [
        ("Acme", 2), ("Beta", 1), ("Gamma", 1)]


def test_the_spread_counts_every_vote_by_importance_including_those_that_said_nothing(fetch, backed):
    idea_id, _people, _segments = backed

    result = demand(fetch, idea_id)

    assert result.votes == 5
    assert result.importance == (("critical", 2), ("important", 1), ("nice_to_have", 1), (NOT_SAID, 1))


def test_every_segment_counts_the_backers_it_holds(fetch, backed):
    idea_id, _people, segments = backed

    result = demand(fetch, idea_id)

    # Ed is in Enterprise (Gamma) but backs the other idea only; Fay, in no company, has no revenue.
    assert {segment.name: segment.votes for segment in result.segments} == {
        "Enterprise": 3, "Revenue unknown": 2, "Corporations": 0}
    assert {segment.name: segment.id for segment in result.segments} == segments


def test_a_company_without_revenue_comes_last_with_its_revenue_unknown(fetch, backed):
    idea_id, _people, _segments = backed

    result = demand(fetch, idea_id)

    assert [(company.external_id, company.monthly_revenue) for company in result.companies] == [
        ("acme", Decimal("5000")), ("beta", Decimal("999.99")), ("gamma", None)]
    assert result.company_count == 3


def test_an_idea_nobody_backs_has_no_demand(fetch, backed, make_idea):
    _idea_id, _people, _segments = backed
    idea = make_idea(title="Nobody wants this")

    result = demand(fetch, idea.id)

    assert (result.votes, result.companies, result.company_count, result.revenue_at_stake) == (
        0, (), 0, Decimal(0))
    assert result.importance == (("critical", 0), ("important", 0), ("nice_to_have", 0), (NOT_SAID, 0))
    assert [segment.votes for segment in result.segments] == [0, 0, 0]


def test_the_companies_listed_are_capped_and_their_number_told(fetch, backed, monkeypatch):
    idea_id, _people, _segments = backed
    monkeypatch.setattr(demand_module, "COMPANIES_SHOWN", 2)

    result = demand(fetch, idea_id)

    assert [company.name for company in result.companies] == ["Acme", "Beta"]
    assert result.company_count == 3
    assert result.revenue_at_stake == Decimal("5999.99")  # every company counts, listed or not


def test_the_demand_costs_four_statements_whatever_its_backers_and_segments(app, admin, backed, count_queries,
                                                                            make_user, make_company):
    idea_id, _people, _segments = backed
    with app.app_context(), count_queries() as before:
        demand_of(idea_id)
    more = [make_user() for _ in range(4)]
    make_company("Delta Corp", "delta", more, monthly_revenue="10")
    with app.app_context():
        for member in more:
            back_idea(db.session.get(User, member.id), db.session.get(Idea, idea_id), "important")
        create_segment(db.session.get(User, admin.id), "Pro", "all", [rule("attribute.plan", "is", "Pro")])
        db.session.commit()

    with app.app_context(), count_queries() as after:
        result = demand_of(idea_id)

    assert len(before) == len(after) == 4
    assert (result.votes, result.company_count, len(result.segments)) == (9, 4, 4)


# The staff panel on the idea's page.

def test_staff_see_the_demand_on_the_idea_page_and_members_do_not(client, auth, backed, make_user):
    idea_id, people, _segments = backed

    auth.login(make_user(role="staff"))
    staff_page = html.unescape(client.get(f"/ideas/{idea_id}").get_data(as_text=True))
    auth.logout()
    auth.login(people["ada"])
    member_page = client.get(f"/ideas/{idea_id}").get_data(as_text=True)

    assert 'id="demand"' in staff_page
    assert "Revenue at stake: $5,999.99 a month" in staff_page
    assert 'href="/staff/companies/' in staff_page and ">Acme</a>" in staff_page
    assert "not known" in staff_page  # Gamma's revenue
    assert 'id="demand"' not in member_page
    assert "Revenue at stake" not in member_page and "Acme" not in member_page
