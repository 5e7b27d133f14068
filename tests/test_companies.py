"""Companies (ideas/companies.py, ideas/company_values.py): who may set them, where each value came
from and when (the latest write wins), and the product's signed token applying its `company` claim
at sign-in (ideas/product_sign_in.py)."""
import html
import json
import time
import uuid
from datetime import timedelta
from decimal import Decimal

import jwt
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ideas import product_tokens
from ideas.companies import create_company, find_company, set_company_of, update_company
from ideas.company_values import BadValue, attribute_name, attribute_value
from ideas.errors import InvalidInput, NotAllowed
from ideas.extensions import db
from ideas.models import AuditEntry, Company, CompanyAttribute, CompanyMember, User, utcnow

CUSTOMER = {"sub": "cust-1", "email": "ada@acme.example", "name": "Ada Customer", "email_verified": True}
ACME = {"id": "acme-7", "name": "Acme", "attributes": {"plan": "Enterprise", "Monthly Revenue": 1200.5,
                                                       "seats": 40, "trial": False, "region": None}}


class Product:
    """The company's product: signs sign-in tokens with a secret made on this site."""

    def __init__(self, kid, secret):
        self.kid, self.secret = kid, secret

    def token(self, **claims):
        now = int(time.time())
        payload = {**CUSTOMER, "iat": now, "exp": now + 300, "jti": uuid.uuid4().hex, "aud": "http://localhost",
                   **claims}
        return jwt.encode(payload, self.secret, algorithm="HS256", headers={"kid": self.kid})


@pytest.fixture
def product(app, make_user):
    admin = make_user(role="admin")
    with app.app_context():
        row, value = product_tokens.generate_secret(db.session.get(User, admin.id))
        db.session.commit()
        return Product(row.kid, value)


@pytest.fixture
def arrive(client):
    """arrive(token): the customer follows the product's link to this site."""
    return lambda token: client.get("/auth/product", query_string={"token": token})


def _company(fetch, external_id):
    """{attribute or "name": (text, source)} of the company, and its members' emails."""
    def read():
        company = find_company(external_id)
        if company is None:
            return None
        values = {"name": (company.name, company.name_source),
                  **{row.name: (row.text_value, row.source) for row in company.attributes}}
        members = db.session.execute(select(User.email).join(CompanyMember, CompanyMember.user_id == User.id)
                                     .where(CompanyMember.company_id == company.id)).scalars().all()
        return values, sorted(members)
    return fetch(read)


# The values' rules.

@pytest.mark.parametrize("given, name", [("Monthly Revenue", "monthly_revenue"), ("monthlyRevenue",
                                         "monthly_revenue"), ("MRR", "mrr"), ("seats", "seats")])
def test_attribute_names_have_one_spelling(app, given, name):
    with app.test_request_context():
        assert attribute_name(given) == name


@pytest.mark.parametrize("name, raw, text, number", [
    ("monthly_revenue", "1200.50", "1200.5", Decimal("1200.5")),
    ("monthly_revenue", 1200, "1200", Decimal(1200)),
    ("seats", 40, "40", Decimal(40)),
    ("plan", " Enterprise  plus ", "Enterprise plus", None),
    ("trial", False, "false", None),
])
def test_values_are_kept_as_text_and_as_numbers(app, name, raw, text, number):
    with app.test_request_context():
        value = attribute_value(name, raw)

    assert (value.text, value.number) == (text, number)


@pytest.mark.parametrize("raw", ["lots", -1, "1e5", 10**15, True])
def test_monthly_revenue_is_a_number_of_at_least_0(app, raw):
    with app.test_request_context(), pytest.raises(BadValue):
        attribute_value("monthly_revenue", raw)


# Who may set companies.

def test_staff_make_a_company_and_each_value_keeps_its_source(app, make_user, fetch):
    staff = make_user(role="staff")
    with app.app_context():
        create_company(db.session.get(User, staff.id), " acme-7 ", "  Acme   Inc ",
                       {"plan": "Enterprise", "monthly_revenue": "1200.50"}, source="api")
        db.session.commit()

    assert _company(fetch, "acme-7") == ({"name": ("Acme Inc", "api"), "plan": ("Enterprise", "api"),
                                          "monthly_revenue": ("1200.5", "api")}, [])
    assert fetch(lambda: db.session.execute(select(CompanyAttribute.number_value).where(
        CompanyAttribute.name == "monthly_revenue")).scalar_one()) == Decimal("1200.5")


def test_members_set_no_company_not_even_their_own(app, make_user, make_company):
    member = make_user()
    company = make_company("Acme")
    with app.app_context():
        actor, stored = db.session.get(User, member.id), db.session.get(Company, company.id)
        for attempt in (lambda: create_company(actor, "x-1", "Mine", {}),
                        lambda: update_company(actor, stored, "Mine", {"plan": "Enterprise"}),
                        lambda: set_company_of(actor, actor, stored)):
            with pytest.raises(NotAllowed):
                attempt()
        assert db.session.get(CompanyMember, member.id) is None


def test_a_second_company_with_the_same_id_is_refused(app, make_user, make_company):
    staff = make_user(role="staff")
    make_company("Acme", "acme-7")
    with app.app_context(), pytest.raises(InvalidInput) as refused:
        create_company(db.session.get(User, staff.id), "acme-7", "Acme again", {})

    assert "exists already" in refused.value.fields["external_id"]


def test_a_member_belongs_to_one_company_at_most(app, make_user, make_company, fetch):
    staff, member = make_user(role="staff"), make_user()
    first, second = make_company("Acme", members=[member]), make_company("Beta")
    with app.app_context():
        set_company_of(db.session.get(User, staff.id), db.session.get(User, member.id),
                       db.session.get(Company, second.id))
        db.session.commit()

    assert fetch(lambda: db.session.get(CompanyMember, member.id).company_id) == second.id
    assert fetch(lambda: db.session.scalar(select(func.count()).select_from(CompanyMember))) == 1
    assert first.id != second.id


def test_the_database_refuses_a_second_company_for_a_member(app, make_user, make_company):
    member = make_user()
    make_company("Acme", members=[member])
    other = make_company("Beta")
    with app.app_context():
        db.session.add(CompanyMember(user_id=member.id, company_id=other.id, source="staff"))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_a_value_written_again_unchanged_keeps_its_source_and_time(app, make_user, make_company, fetch):
    staff = make_user(role="staff")
    company = make_company("Acme", source="csv", plan="Enterprise")
    with app.app_context():
        changed = update_company(db.session.get(User, staff.id), db.session.get(Company, company.id), "Acme",
                                 {"plan": "Enterprise"})
        db.session.commit()

    assert changed is False
    assert _company(fetch, company.external_id)[0]["plan"] == ("Enterprise", "csv")
    assert fetch(lambda: db.session.scalar(select(func.count()).select_from(AuditEntry))) == 0


def test_staff_changes_are_audited_with_what_changed(app, make_user, make_company, fetch):
    staff = make_user(role="staff")
    company = make_company("Acme", plan="Pro", seats=10)
    with app.app_context():
        update_company(db.session.get(User, staff.id), db.session.get(Company, company.id), None,
                       {"plan": "Enterprise", "seats": None})
        db.session.commit()

    entry = fetch(lambda: db.session.execute(select(AuditEntry)).scalar_one())
    assert (entry.action, entry.target_type, entry.target_id) == ("company.updated", "companies", company.id)
    assert json.loads(entry.before) == {"plan": "Pro", "seats": "10"}
    assert json.loads(entry.after) == {"plan": "Enterprise", "seats": None, "source": "staff"}


# The product's signed token.

def test_the_token_makes_the_company_and_puts_the_customer_in_it(arrive, product, fetch):
    assert arrive(product.token(company=ACME)).status_code == 303

    values, members = _company(fetch, "acme-7")
    assert values == {"name": ("Acme", "token"), "plan": ("Enterprise", "token"),
                      "monthly_revenue": ("1200.5", "token"), "seats": ("40", "token"),
                      "trial": ("false", "token")}
    assert members == ["ada@acme.example"]
    actions = fetch(lambda: sorted((entry.action, entry.actor.email) for entry in db.session.execute(
        select(AuditEntry).where(AuditEntry.action.not_like("product_sign_in.%"))).scalars()))
    assert actions == [("company.created", "ada@acme.example"),
                       ("member.company_changed", "ada@acme.example")]


def test_a_token_without_a_company_leaves_the_customers_company(arrive, product, fetch):
    arrive(product.token(company=ACME))

    assert arrive(product.token()).status_code == 303

    assert _company(fetch, "acme-7")[1] == ["ada@acme.example"]


def test_a_token_naming_another_company_moves_the_customer(arrive, product, fetch):
    arrive(product.token(company=ACME))

    arrive(product.token(company={"id": 9, "name": "Beta"}))

    assert _company(fetch, "acme-7")[1] == []
    assert _company(fetch, "9") == ({"name": ("Beta", "token")}, ["ada@acme.example"])


def test_a_token_with_null_removes_a_value(arrive, product, fetch):
    arrive(product.token(company=ACME))

    arrive(product.token(company={**ACME, "attributes": {"seats": None}}))

    assert "seats" not in _company(fetch, "acme-7")[0]


def test_a_token_whose_revenue_is_not_a_number_signs_nobody_in(arrive, product, fetch):
    response = arrive(product.token(company={"id": "acme-7", "name": "Acme",
                                             "attributes": {"monthly_revenue": "a lot"}}))

    assert response.status_code == 400
    assert "describes your company" in response.get_data(as_text=True)
    assert fetch(lambda: db.session.execute(select(User).where(User.role == "member")).first()) is None
    assert _company(fetch, "acme-7") is None


def test_the_latest_value_wins_whatever_set_it_and_the_page_says_which(
        app, client, auth, arrive, product, make_user, fetch):
    staff = make_user(role="staff")
    arrive(product.token(company=ACME))
    company_id = fetch(lambda: find_company("acme-7").id)
    auth.login(staff)
    edited = client.post(f"/staff/companies/{company_id}/edit", data={
        "name": "Acme", "monthly_revenue": "1200.5", "plan": "Enterprise Plus",
        "attributes-0-name": "seats", "attributes-0-value": "40", "attributes-1-name": "trial",
        "attributes-1-value": "false"})
    assert edited.status_code == 303
    assert _company(fetch, "acme-7")[0]["plan"] == ("Enterprise Plus", "staff")
    page = html.unescape(client.get(f"/staff/companies/{company_id}").get_data(as_text=True))
    plan_row = page.split('id="company-attribute-plan"')[1].split("</tr>")[0]
    assert "Enterprise Plus" in plan_row and "set by a staff member" in plan_row
    seats_row = page.split('id="company-attribute-seats"')[1].split("</tr>")[0]
    assert "the product's sign-in token" in seats_row  # unchanged by the edit: still the token's

    with app.app_context():  # an hour later, the product says Enterprise again
        for row in db.session.execute(select(CompanyAttribute)).scalars():
            row.set_at -= timedelta(hours=1)
        db.session.commit()
    client.post("/auth/logout")
    arrive(product.token(company=ACME))

    assert _company(fetch, "acme-7")[0]["plan"] == ("Enterprise", "token")
    client.post("/auth/logout")
    auth.login(staff)
    plan_row = html.unescape(client.get(f"/staff/companies/{company_id}").get_data(as_text=True)).split(
        'id="company-attribute-plan"')[1].split("</tr>")[0]
    assert "Enterprise" in plan_row and "the product's sign-in token" in plan_row
    assert fetch(lambda: db.session.execute(select(CompanyAttribute.set_at).where(
        CompanyAttribute.name == "plan")).scalar_one()) > utcnow() - timedelta(minutes=5)
