"""The product team's pages about companies and the admins' segment editor (ideas/web/companies.py,
ideas/web/segments.py): what they show, and bad input answered 422 with what was typed kept."""
import html
import json
import re

import pytest
from sqlalchemy import select

from ideas.extensions import db
from ideas.models import Company, CompanyMember, Idea, Segment, User
from ideas.voting import cast_vote


@pytest.fixture
def staff(make_user):
    return make_user(name="Sam Staff", role="staff")


def _text(response):
    return html.unescape(response.get_data(as_text=True))


def test_the_list_shows_companies_with_their_members_and_finds_them(client, auth, staff, make_user,
                                                                     make_company):
    make_company("Acme", "acme-7", [make_user(), make_user()])
    make_company("Beta", "beta-1")
    auth.login(staff)

    everything = _text(client.get("/staff/companies/"))
    found = _text(client.get("/staff/companies/", query_string={"q": "ACME-"}))

    assert "Acme" in everything and "Beta" in everything
    assert "Acme" in found and "Beta" not in found
    assert '<td class="number">2</td>' in found


def test_the_company_page_shows_values_members_their_ideas_and_votes(app, client, auth, staff, make_user,
                                                                     make_company, make_idea):
    ada = make_user(name="Ada Customer")
    company = make_company("Acme", members=[ada], source="csv", plan="Enterprise", monthly_revenue="1200.5")
    make_idea(title="Single sign-on", author=ada)
    backed = make_idea(title="Audit export")
    with app.app_context():
        cast_vote(db.session.get(User, ada.id), db.session.get(Idea, backed.id))
        db.session.commit()
    auth.login(staff)

    page = _text(client.get(f"/staff/companies/{company.id}"))

    revenue = page.split('id="company-attribute-monthly_revenue"')[1].split("</tr>")[0]
    assert "$1,200.50" in revenue and "set by a CSV import" in revenue
    assert "Ada Customer" in page and "Single sign-on" in page and "Audit export" in page


def test_the_site_currency_is_the_one_revenue_is_shown_in(app, client, auth, staff, make_company):
    app.config["SITE_CURRENCY"] = "EUR"
    company = make_company("Acme", monthly_revenue="1200.5")
    auth.login(staff)

    assert "€1,200.50" in _text(client.get(f"/staff/companies/{company.id}"))


def test_a_new_company_with_bad_values_comes_back_with_what_was_typed(client, auth, staff, fetch):
    auth.login(staff)

    response = client.post("/staff/companies/new", data={
        "external_id": "acme-7", "name": "Acme", "monthly_revenue": "lots", "plan": "Enterprise",
        "attributes-0-name": "seats", "attributes-0-value": "40", "attributes-1-name": "!!!",
        "attributes-1-value": "x"})

    page = _text(response)
    assert response.status_code == 422
    assert "“lots” is not a number" in page and "cannot name an attribute" in page
    assert 'value="acme-7"' in page and 'value="lots"' in page and 'value="Enterprise"' in page
    assert 'value="!!!"' in page
    assert fetch(lambda: db.session.execute(select(Company)).first()) is None


def test_staff_make_a_company_on_the_page(client, auth, staff, fetch):
    auth.login(staff)

    response = client.post("/staff/companies/new", data={
        "external_id": "acme-7", "name": "Acme", "monthly_revenue": "1200.50", "plan": "Enterprise",
        "attributes-0-name": "Seats", "attributes-0-value": "40"})

    assert response.status_code == 303
    company = fetch(lambda: db.session.execute(select(Company)).scalar_one())
    values = fetch(lambda: {row.name: (row.text_value, row.source) for row in db.session.execute(
        select(Company)).scalar_one().attributes})
    assert response.headers["Location"] == f"/staff/companies/{company.id}"
    assert values == {"monthly_revenue": ("1200.5", "staff"), "plan": ("Enterprise", "staff"),
                      "seats": ("40", "staff")}


def test_the_edit_form_shows_the_values_and_removes_what_is_emptied(client, auth, staff, make_company, fetch):
    company = make_company("Acme", plan="Pro", seats=10, region="EU")
    auth.login(staff)

    form = _text(client.get(f"/staff/companies/{company.id}/edit"))
    response = client.post(f"/staff/companies/{company.id}/edit", data={
        "name": "Acme", "monthly_revenue": "", "plan": "Pro", "attributes-0-name": "seats",
        "attributes-0-value": ""})

    assert 'value="Pro"' in form and 'value="region"' in form and 'value="EU"' in form
    assert response.status_code == 303
    assert fetch(lambda: [row.name for row in db.session.get(Company, company.id).attributes]) == ["plan"]


def test_a_bad_edit_comes_back_with_what_was_typed(client, auth, staff, make_company, fetch):
    company = make_company("Acme", plan="Pro")
    auth.login(staff)

    response = client.post(f"/staff/companies/{company.id}/edit", data={
        "name": "", "monthly_revenue": "-5", "plan": "Enterprise"})

    page = _text(response)
    assert response.status_code == 422
    assert "cannot be below 0" in page and 'value="-5"' in page and 'value="Enterprise"' in page
    assert fetch(lambda: db.session.get(Company, company.id).attributes[0].text_value) == "Pro"


def test_staff_add_a_member_by_email_and_take_them_out(client, auth, staff, make_user, make_company, fetch):
    ada = make_user(email="ada@acme.example")
    company = make_company("Acme")
    auth.login(staff)

    unknown = client.post(f"/staff/companies/{company.id}/members", data={"email": "nobody@acme.example"})
    added = client.post(f"/staff/companies/{company.id}/members", data={"email": "ADA@acme.example"})
    in_company = fetch(lambda: db.session.get(CompanyMember, ada.id).source)
    member_page = _text(client.get(f"/staff/members/{ada.id}"))
    removed = client.post(f"/staff/companies/{company.id}/members/{ada.id}/remove")

    assert unknown.status_code == 422
    assert "No member has this address" in _text(unknown) and 'value="nobody@acme.example"' in _text(unknown)
    assert (added.status_code, in_company, removed.status_code) == (303, "staff", 303)
    assert "Company: Acme, set by a staff member" in " ".join(re.sub(r"<[^>]+>", "", member_page).split())
    assert fetch(lambda: db.session.get(CompanyMember, ada.id)) is None


def test_taking_out_someone_of_another_company_is_not_found(client, auth, staff, make_user, make_company):
    ada = make_user()
    make_company("Acme", members=[ada])
    other = make_company("Beta")
    auth.login(staff)

    assert client.post(f"/staff/companies/{other.id}/members/{ada.id}/remove").status_code == 404


# Segments.

RULES = {"name": "Enterprise", "match": "all",
         "rules-0-field": "attribute.plan", "rules-0-operator": "is", "rules-0-value": "Enterprise",
         "rules-1-field": "attribute.monthly_revenue", "rules-1-operator": "ge", "rules-1-value": "1000",
         "rules-2-field": "", "rules-2-operator": "is", "rules-2-value": ""}


def test_admins_save_a_segment_from_rows_and_the_list_says_it_in_words(client, auth, admin, make_user,
                                                                       make_company, fetch):
    make_company("Acme", members=[make_user()], plan="Enterprise", monthly_revenue=5000)
    auth.login(admin)

    response = client.post("/admin/segments/new", data=RULES)
    listing = " ".join(_text(client.get("/admin/segments/")).split())

    assert response.status_code == 303
    stored = fetch(lambda: db.session.execute(select(Segment)).scalar_one())
    assert json.loads(stored.rules) == [
        {"field": "attribute.plan", "operator": "is", "value": "Enterprise"},
        {"field": "attribute.monthly_revenue", "operator": "ge", "value": "1000"}]
    assert "Plan is “Enterprise”" in listing and "Monthly revenue is at least (≥) “1000”" in listing
    assert "1 member now" in listing


def test_a_bad_rule_comes_back_with_every_row_as_typed(client, auth, admin, fetch):
    auth.login(admin)

    response = client.post("/admin/segments/new", data={**RULES, "rules-1-value": "a lot"})

    page = _text(response)
    assert response.status_code == 422
    assert "“a lot” is not a number" in page
    assert 'value="a lot"' in page and 'value="Enterprise"' in page
    assert '<option selected value="attribute.monthly_revenue">' in page
    assert fetch(lambda: db.session.execute(select(Segment)).first()) is None


def test_add_more_rules_brings_more_rows_without_saving(client, auth, admin, fetch):
    auth.login(admin)

    response = client.post("/admin/segments/new", data={**RULES, "more_rows": "1"})

    page = _text(response)
    assert response.status_code == 200
    assert 'name="rules-5-value"' in page and 'value="Enterprise"' in page
    assert fetch(lambda: db.session.execute(select(Segment)).first()) is None


def test_admins_change_and_remove_a_segment(client, auth, admin, fetch):
    auth.login(admin)
    client.post("/admin/segments/new", data=RULES)
    segment_id = fetch(lambda: db.session.execute(select(Segment.id)).scalar_one())

    form = _text(client.get(f"/admin/segments/{segment_id}/edit"))
    changed = client.post(f"/admin/segments/{segment_id}/edit", data={**RULES, "name": "Big accounts",
                                                                     "match": "any"})
    renamed = fetch(lambda: (lambda row: (row.name, row.match))(db.session.get(Segment, segment_id)))
    removed = client.post(f"/admin/segments/{segment_id}/delete")

    assert 'value="Enterprise"' in form and 'value="1000"' in form
    assert (changed.status_code, renamed, removed.status_code) == (303, ("Big accounts", "any"), 303)
    assert fetch(lambda: db.session.get(Segment, segment_id)) is None
