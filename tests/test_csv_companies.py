"""Importing a companies file (ideas/csv_import/companies.py): the dry run counts and writes nothing,
the import sets values by "csv" and puts existing members in companies, and a file again
changes nothing."""
import io
import json
import re

import pytest
from sqlalchemy import func, select

from ideas.extensions import db
from ideas.models import AuditEntry, Company, CompanyMember

FILE = ("company_id,company_name,member_email,Monthly Revenue,plan,seats\r\n"
        "acme-7,Acme,ada@acme.example,1200.50,Enterprise,40\r\n"
        "acme-7,Acme,bob@acme.example,1200.50,Enterprise,40\r\n"
        "beta-1,Beta,,99,Pro,\r\n")


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path):
    app.config["IMPORT_UPLOAD_DIR"] = str(tmp_path / "imports")


@pytest.fixture
def staff(auth, make_user):
    member = make_user(role="staff")
    auth.login(member)
    return member


@pytest.fixture
def customers(make_user):
    return [make_user(email="ada@acme.example"), make_user(email="bob@acme.example")]


def upload(client, content):
    return client.post("/staff/csv/import", data={"file": (io.BytesIO(content.encode()), "companies.csv")},
                       content_type="multipart/form-data")


def confirm(client, checked):
    token = re.search(r'name="token" value="([^"]+)"', checked.get_data(as_text=True)).group(1)
    return client.post("/staff/csv/import/confirm", data={"token": token})


def _count(fetch, model):
    return fetch(lambda: db.session.scalar(select(func.count()).select_from(model)))


def _values(fetch, external_id):
    return fetch(lambda: {row.name: (row.text_value, row.source) for row in db.session.execute(
        select(Company).where(Company.external_id == external_id)).scalar_one().attributes})


def test_the_dry_run_counts_companies_and_members_and_writes_nothing(client, staff, customers, fetch):
    checked = upload(client, FILE)

    page = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert 'id="import-companies">2<' in page and 'id="import-memberships">2<' in page
    assert 'id="import-companies-changed">0<' in page
    assert (_count(fetch, Company), _count(fetch, CompanyMember)) == (0, 0)


def test_the_import_sets_values_by_csv_and_puts_members_in_companies(client, staff, customers, fetch):
    response = confirm(client, upload(client, FILE))

    assert response.status_code == 303
    assert _values(fetch, "acme-7") == {"monthly_revenue": ("1200.5", "csv"), "plan": ("Enterprise", "csv"),
                                        "seats": ("40", "csv")}
    assert _values(fetch, "beta-1") == {"monthly_revenue": ("99", "csv"), "plan": ("Pro", "csv")}
    assert _count(fetch, CompanyMember) == 2
    summary = fetch(lambda: json.loads(db.session.execute(
        select(AuditEntry.after).where(AuditEntry.action == "csv.imported")).scalar_one()))
    assert (summary["companies"], summary["memberships"]) == (2, 2)


def test_importing_the_file_again_changes_nothing(client, staff, customers, fetch):
    confirm(client, upload(client, FILE))

    again = upload(client, FILE).get_data(as_text=True)

    assert 'id="import-companies">0<' in again and 'id="import-companies-changed">0<' in again
    assert 'id="import-memberships">0<' in again


def test_a_changed_value_is_counted_and_written(client, staff, customers, make_company, fetch):
    make_company("Acme", "acme-7", source="token", plan="Pro", seats=40)

    checked = upload(client, "company_id,company_name,plan,seats\r\nacme-7,Acme,Enterprise,40\r\n")
    confirm(client, checked)

    assert 'id="import-companies-changed">1<' in checked.get_data(as_text=True)
    assert _values(fetch, "acme-7") == {"plan": ("Enterprise", "csv"), "seats": ("40", "token")}


def test_rows_naming_unknown_members_or_bad_values_are_left_out(client, staff, customers, fetch):
    checked = upload(client, "company_id,company_name,member_email,monthly_revenue\r\n"
                             "acme-7,Acme,nobody@acme.example,10\r\n"
                             "beta-1,Beta,,a lot\r\n"
                             "gamma-1,Gamma,,5\r\n")
    page = checked.get_data(as_text=True)
    confirm(client, checked)

    assert "No member has the address nobody@acme.example" in page
    assert "“a lot” is not a number" in page
    assert fetch(lambda: db.session.execute(select(Company.external_id)).scalars().all()) == ["gamma-1"]
