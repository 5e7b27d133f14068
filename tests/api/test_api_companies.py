"""Companies, memberships, members and segments through the JSON API (ideas/api/companies.py), and
the `segment` filter of GET /ideas: staff keys only, values set by "api"."""
import pytest
from sqlalchemy import select

from ideas.extensions import db
from ideas.models import CompanyMember, Idea, User
from ideas.segments import create_segment
from ideas.voting import cast_vote

from conftest import error_of

ENTERPRISE = [{"field": "attribute.plan", "operator": "is", "value": "Enterprise"}]


@pytest.fixture
def staff(make_user):
    return make_user(role="staff")


@pytest.fixture
def enterprise(app, make_user):
    """A segment of the members whose company's plan is Enterprise; its id."""
    admin = make_user(role="admin")
    with app.app_context():
        segment = create_segment(db.session.get(User, admin.id), "Enterprise", "all", ENTERPRISE)
        db.session.commit()
        return segment.id


def test_staff_add_read_and_change_a_company(api_as, staff, fetch):
    api = api_as(staff)

    added = api.post("/companies", json={"external_id": "acme-7", "name": "Acme",
                                         "attributes": {"Plan": "Pro", "monthly_revenue": 1200.5}})
    company_id = added.get_json()["id"]
    changed = api.patch(f"/companies/{company_id}", json={"attributes": {"plan": "Enterprise", "seats": 40}})
    read = api.get(f"/companies/{company_id}").get_json()

    assert (added.status_code, changed.status_code) == (201, 200)
    assert added.headers["Location"].endswith(f"/api/v1/companies/{company_id}")
    values = {row["name"]: (row["value"], row["source"]) for row in read["attributes"]}
    assert values == {"monthly_revenue": (1200.5, "api"), "plan": ("Enterprise", "api"), "seats": (40, "api")}
    assert (read["name"], read["name_source"], read["member_count"]) == ("Acme", "api", 0)


@pytest.mark.parametrize("body, field", [
    ({"external_id": "acme-7", "name": "Acme", "attributes": {"monthly_revenue": "a lot"}}, "attributes"),
    ({"external_id": "acme-7", "name": "Acme", "attributes": {"monthly_revenue": 1e20}}, "attributes"),
    ({"external_id": "acme-7", "name": "Acme", "attributes": {"Plan": "a", "plan": "b"}}, "attributes"),
    ({"external_id": "", "name": "Acme"}, "external_id"),
    ({"name": "Acme"}, "external_id"),
])
def test_bad_companies_are_refused_naming_the_field(api_as, staff, body, field, fetch):
    response = api_as(staff).post("/companies", json=body)

    assert response.status_code == 422
    assert field in error_of(response)["fields"]


def test_the_same_external_id_twice_is_refused(api_as, staff, make_company):
    make_company("Acme", "acme-7")

    response = api_as(staff).post("/companies", json={"external_id": "acme-7", "name": "Acme again"})

    assert response.status_code == 422
    assert "exists already" in error_of(response)["fields"]["external_id"]


def test_companies_are_listed_and_found_by_external_id(api_as, staff, make_company, make_user):
    make_company("Beta", "beta-1")
    make_company("Acme", "acme-7", [make_user()])
    api = api_as(staff)

    everything = api.get("/companies").get_json()
    found = api.get("/companies", query_string={"external_id": "acme-7"}).get_json()

    assert [company["name"] for company in everything["companies"]] == ["Acme", "Beta"]
    assert [(company["external_id"], company["member_count"]) for company in found["companies"]] == [
        ("acme-7", 1)]


def test_staff_put_a_member_in_a_company_and_take_them_out(api_as, staff, make_user, make_company, fetch):
    ada = make_user()
    company = make_company("Acme")
    api = api_as(staff)

    put = api.put(f"/members/{ada.id}/company", json={"company_id": company.id})
    source = fetch(lambda: db.session.get(CompanyMember, ada.id).source)
    deleted = api.delete(f"/members/{ada.id}/company")

    assert put.status_code == 200 and source == "api"
    assert put.get_json()["company"]["external_id"] == company.external_id
    assert deleted.status_code == 204
    assert fetch(lambda: db.session.get(CompanyMember, ada.id)) is None


def test_a_member_cannot_set_their_own_company(api_as, make_user, make_company, fetch):
    ada = make_user()
    company = make_company("Acme")

    response = api_as(ada).put(f"/members/{ada.id}/company", json={"company_id": company.id})

    assert response.status_code == 403
    assert fetch(lambda: db.session.get(CompanyMember, ada.id)) is None


def test_a_company_that_does_not_exist_is_named(api_as, staff, make_user):
    response = api_as(staff).put(f"/members/{make_user().id}/company", json={"company_id": 999})

    assert response.status_code == 422
    assert "company_id" in error_of(response)["fields"]


def test_members_are_listed_by_segment_with_their_company(api_as, staff, make_user, make_company, enterprise):
    ada, bob = make_user(name="Ada"), make_user(name="Bob")
    make_company("Acme", "acme-7", [ada], plan="Enterprise")
    make_company("Beta", "beta-1", [bob], plan="Pro")

    listed = api_as(staff).get("/members", query_string={"segment": enterprise}).get_json()

    assert [(member["name"], member["company"]["external_id"]) for member in listed["members"]] == [
        ("Ada", "acme-7")]


def test_segments_are_listed_with_their_rules_in_words(api_as, staff, enterprise):
    listed = api_as(staff).get("/segments").get_json()

    assert listed["segments"] == [{"id": enterprise, "name": "Enterprise", "match": "all",
                                   "rules": ENTERPRISE, "description": ["Plan is “Enterprise”"]}]


@pytest.fixture
def backed(app, make_user, make_company, make_idea):
    """An idea a member of an Enterprise company backs, and one nobody backs."""
    ada = make_user()
    make_company("Acme", members=[ada], plan="Enterprise")
    wanted, other = make_idea(title="Single sign-on"), make_idea(title="Confetti")
    with app.app_context():
        cast_vote(db.session.get(User, ada.id), db.session.get(Idea, wanted.id))
        db.session.commit()
    return wanted.id, other.id


def test_staff_list_the_ideas_a_segment_backs(api_as, staff, enterprise, backed):
    listed = api_as(staff).get("/ideas", query_string={"segment": enterprise}).get_json()

    assert [idea["id"] for idea in listed["ideas"]] == [backed[0]]


@pytest.mark.parametrize("who, status", [("anonymous", 401), ("member", 403)])
def test_only_staff_filter_ideas_by_segment(api_as, make_user, enterprise, backed, who, status):
    api = api_as(make_user() if who == "member" else None)

    assert api.get("/ideas", query_string={"segment": enterprise}).status_code == status
    assert api.get("/ideas").status_code == 200


def test_an_unknown_segment_is_named(api_as, staff):
    response = api_as(staff).get("/ideas", query_string={"segment": 999})

    assert response.status_code == 422
    assert "segment" in error_of(response)["fields"]


ROUTES = [("GET", "/companies", None), ("POST", "/companies", {"external_id": "x-1", "name": "X"}),
          ("GET", "/companies/{company}", None), ("PATCH", "/companies/{company}", {"name": "Y"}),
          ("GET", "/members", None), ("PUT", "/members/{member}/company", {"company_id": "{company}"}),
          ("DELETE", "/members/{member}/company", None), ("GET", "/segments", None)]
EXPECTED = {"anonymous": 401, "member": 403, "staff": None, "admin": None}


@pytest.mark.sqlite_only
@pytest.mark.parametrize("actor", list(EXPECTED))
@pytest.mark.parametrize("method, path, body", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_every_company_route_is_for_staff_keys(api_as, make_user, make_company, fetch, actor, method, path,
                                               body):
    customer = make_user()
    company = make_company("Acme")
    ids = {"company": company.id, "member": customer.id}
    person = None if actor == "anonymous" else make_user(role=actor)
    if body is not None:
        body = {key: ids["company"] if value == "{company}" else value for key, value in body.items()}

    response = api_as(person).request(method, path.format(**ids), json=body)

    if EXPECTED[actor] is None:
        assert response.status_code in (200, 201, 204), response.get_json()
    else:
        assert response.status_code == EXPECTED[actor]
        assert fetch(lambda: db.session.execute(select(CompanyMember)).first()) is None
        assert fetch(lambda: [row.name for row in db.session.execute(select(type(company))).scalars()]) == [
            "Acme"]
