"""Demo data follows the rules the app follows: seeded rows read as if members had made them."""
from decimal import Decimal

from sqlalchemy import func, select

from ideas.extensions import db
from ideas.models import Company, CompanyMember, Follow, Idea, IdeaPriority, Segment, User, Vote
from ideas.segments import segment_clause


def test_seeded_authors_hear_of_all_activity_on_their_ideas_like_authors_who_post(runner, fetch):
    result = runner.invoke(args=["seed-demo", "--ideas", "12", "--votes", "50", "--members", "8"])

    assert result.exit_code == 0, result.output
    levels = fetch(lambda: db.session.execute(
        select(Follow.reason, Follow.level).join(Idea, Idea.id == Follow.idea_id)
        .where(Follow.user_id == Idea.author_id)).all())
    assert len(levels) == 12
    assert set(levels) == {("author", "all")}


SEED = ["seed-demo", "--ideas", "12", "--votes", "50", "--members", "8"]


def seeded(runner, times=1):
    """Run the demo seeding `times` times, each as `make run` would."""
    for _ in range(times):
        result = runner.invoke(args=SEED)
        assert result.exit_code == 0, result.output


def companies_known(fetch):
    """{company name: (plan, monthly revenue, where both came from, sorted member emails)}."""
    def load():
        found = {}
        for company in db.session.execute(select(Company)).scalars():
            values = {row.name: row for row in company.attributes}
            emails = sorted(db.session.execute(
                select(User.email).join(CompanyMember, CompanyMember.user_id == User.id)
                .where(CompanyMember.company_id == company.id)).scalars())
            found[company.name] = (values["plan"].text_value, values["monthly_revenue"].number_value,
                                   {values["plan"].source, values["monthly_revenue"].source}, emails)
        return found

    return fetch(load)


def test_the_demo_has_companies_with_plan_revenue_and_members(runner, fetch):
    seeded(runner)

    companies = companies_known(fetch)

    assert {name: (plan, revenue, sources, len(emails))
            for name, (plan, revenue, sources, emails) in companies.items()} == {
        "Northwind": ("Enterprise", Decimal(12000), {"staff"}, 4),
        "Globex": ("Pro", Decimal(1500), {"staff"}, 3),
        "Initech": ("Starter", Decimal(200), {"staff"}, 2),
    }
    assert "member@example.com" in companies["Northwind"][3]


def test_the_demo_segments_hold_the_members_of_the_companies_they_describe(runner, fetch):
    seeded(runner)

    def members_by_segment():
        return {segment.name: sorted(db.session.execute(
            select(User.email).where(segment_clause(segment))).scalars())
            for segment in db.session.execute(select(Segment)).scalars()}

    segments = fetch(members_by_segment)
    companies = companies_known(fetch)

    assert segments == {
        "Enterprise customers": companies["Northwind"][3],
        "Paying over 1,000 a month": sorted(companies["Northwind"][3] + companies["Globex"][3]),
    }


def test_some_demo_votes_say_how_much_they_matter_without_changing_any_count(runner, fetch):
    seeded(runner)

    def load():
        said = db.session.execute(select(Vote.importance, Vote.note, CompanyMember.company_id).outerjoin(
            CompanyMember, CompanyMember.user_id == Vote.user_id).where(Vote.importance.is_not(None))).all()
        counted = dict(db.session.execute(select(Vote.idea_id, func.count()).group_by(Vote.idea_id)).all())
        stored = dict(db.session.execute(select(Idea.id, Idea.vote_count)).all())
        return said, counted, stored

    said, counted, stored = fetch(load)

    assert said and {importance for importance, _, _ in said} == {"critical", "important", "nice_to_have"}
    assert any(note for _, note, _ in said)
    assert all(company is not None for _, _, company in said)  # customers of the companies said it
    assert all(stored[idea_id] == counted.get(idea_id, 0) for idea_id in stored)
    assert sum(stored.values()) == 50


def test_every_demo_idea_has_its_priority_score_computed(runner, fetch):
    seeded(runner)

    rows = fetch(lambda: db.session.execute(
        select(Idea.id, IdeaPriority.score, IdeaPriority.due, IdeaPriority.computed_at,
               IdeaPriority.impact, IdeaPriority.effort)
        .outerjoin(IdeaPriority, IdeaPriority.idea_id == Idea.id)).all())

    assert len(rows) == 12
    assert all(computed_at is not None and due is False for _, _, due, computed_at, _, _ in rows)
    assert len({score for _, score, _, _, _, _ in rows}) > 1
    assert sum(1 for *_, impact, effort in rows if impact is not None and effort is not None) == 5


def test_seeding_the_demo_again_makes_no_second_company_or_segment(runner, fetch):
    seeded(runner, times=2)

    companies = companies_known(fetch)
    segments = fetch(lambda: db.session.execute(select(Segment.name)).scalars().all())

    assert sorted(companies) == ["Globex", "Initech", "Northwind"]
    assert sorted(segments) == ["Enterprise customers", "Paying over 1,000 a month"]
    assert len(companies["Northwind"][3]) == 8  # the second run's first members joined it too
