"""Customers' companies for the product team's integrations (staff keys): list, read, make and change
companies, put members in them, list members (by segment or company) and the admins' segments.
The same rules as the pages (ideas/companies.py, ideas/segments.py); values set here have the
source "api"."""
from decimal import Decimal
from typing import Any

from flask import Response, jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Select, func, select

from ..companies import companies_list, create_company, membership_of, set_company_of, update_company
from ..company_values import BadValue, attribute_values
from ..errors import InvalidInput
from ..extensions import db
from ..models import (
    ATTRIBUTE_NAME_MAX, ATTRIBUTE_TEXT_MAX, COMPANY_NAME_MAX, EXTERNAL_ID_MAX, SEGMENT_MATCHES, SOURCES,
    Company, CompanyAttribute, CompanyMember, User,
)
from ..product_tokens import ATTRIBUTES_MAX
from ..segments import all_segments, described, filtering_segment, rules_of, segment_clause
from .fields import MAX_INT, NO_NUL, Body, Field, Integer, Invalid, Query, Text
from .paging import PAGE_FIELDS, page_of
from .responses import created, no_content
from .serializers import (
    DATE_TIME, INTEGER, SCHEMAS, STRING, array, nullable, obj, ref,
)
from .spec import operation

NUMBER_BOUND = 1e14  # what a value may reach (ideas.company_values.NUMBER_LIMIT), exclusive


class Attributes(Field):
    """An object of a company's attributes: text, a number, true or false, or null (removes one)."""

    def check(self, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise Invalid("Give an object of attributes.")
        if len(value) > ATTRIBUTES_MAX:
            raise Invalid(f"Give at most {ATTRIBUTES_MAX} attributes.")
        for name, item in value.items():
            # As the document says, before any tidying (which could bring a longer text within limits).
            if not 0 < len(name) <= ATTRIBUTE_NAME_MAX:
                raise Invalid(f"Name each attribute in 1 to {ATTRIBUTE_NAME_MAX} characters.")
            if isinstance(item, str) and len(item) > ATTRIBUTE_TEXT_MAX:
                raise Invalid(f"{name[:80]}: use at most {ATTRIBUTE_TEXT_MAX:,} characters.")
            for text in (name, item) if isinstance(item, str) else (name,):
                if "\x00" in text or not _encodable(text):
                    raise Invalid("The text holds characters that cannot be stored.")
        try:
            attribute_values(value)
        except BadValue as problem:
            raise Invalid(problem.message) from None
        return value

    def _schema(self) -> dict[str, Any]:
        return {
            "type": "object", "maxProperties": ATTRIBUTES_MAX,
            "propertyNames": {"minLength": 1, "maxLength": ATTRIBUTE_NAME_MAX, "pattern": "[A-Za-z0-9]"},
            "additionalProperties": {"anyOf": [
                {"type": "string", "maxLength": ATTRIBUTE_TEXT_MAX, "pattern": NO_NUL},
                {"type": "number", "exclusiveMinimum": -NUMBER_BOUND, "exclusiveMaximum": NUMBER_BOUND},
                {"type": "boolean"}, {"type": "null"}]},
        }


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


ATTRIBUTES = Attributes(
    "Attributes by name (\"Monthly Revenue\" and \"monthly_revenue\" are one): text, a number, true or "
    "false; null or empty text removes one, and attributes not named are left alone. monthly_revenue is "
    "a number of at least 0 in the site's currency.",
    example={"plan": "Enterprise", "monthly_revenue": 1200.5})
NEW_COMPANY = Body({
    "external_id": Text(EXTERNAL_ID_MAX, "The id your own systems know the company by (the sign-in token's "
                                         "company.id).", min_length=1, required=True, example="acme-7"),
    "name": Text(COMPANY_NAME_MAX, "The company's name.", min_length=1, required=True, example="Acme"),
    "attributes": ATTRIBUTES,
})
COMPANY_CHANGES = Body({"name": Text(COMPANY_NAME_MAX, "The company's name.", min_length=1),
                        "attributes": ATTRIBUTES}, min_properties=1)
COMPANY_QUERY = Query(q=Text(COMPANY_NAME_MAX, "Only companies whose name or id contains this."),
                      external_id=Text(EXTERNAL_ID_MAX, "Only the company with this id in your systems."),
                      **PAGE_FIELDS)
MEMBER_QUERY = Query(segment=Integer(1, MAX_INT, "Only members in this segment (GET /segments)."),
                     company_id=Integer(1, MAX_INT, "Only members of this company."), **PAGE_FIELDS)
MEMBERSHIP = Body({"company_id": Integer(1, MAX_INT, "The company the member belongs to from now on.",
                                         required=True, example=1)})

SOURCE = {"type": "string", "enum": list(SOURCES)}
VALUE = {"anyOf": [STRING, {"type": "number"}],
         "description": "A number when the value is one, else its text."}
SCHEMAS.update({
    "CompanySummary": obj("A customer's company.", id=INTEGER, external_id=STRING, name=STRING,
                          member_count=INTEGER),
    "Company": obj(
        "A customer's company, each value with where it came from (token, api, csv, staff) and when.",
        id=INTEGER, external_id=STRING, name=STRING, name_source=SOURCE, name_set_at=DATE_TIME,
        created_at=DATE_TIME, member_count=INTEGER,
        attributes=array(obj("One attribute.", name=STRING, value=VALUE, text=STRING, source=SOURCE,
                             set_at=DATE_TIME)),
    ),
    "CompanyList": obj("A page of companies, by name.", companies=array(ref("CompanySummary")),
                       next=nullable({"type": "string", "format": "uri"})),
    "Membership": obj("A member's company (null: none), who set it and when.", member_id=INTEGER,
                      company=nullable(ref("CompanySummary")), source=nullable(SOURCE),
                      set_at=nullable(DATE_TIME)),
    "MemberEntry": obj("A member as the product team sees them.", id=INTEGER, name=STRING, email=STRING,
                       role={"type": "string", "enum": ["member", "staff", "admin"]}, created_at=DATE_TIME,
                       company=nullable(ref("CompanySummary"))),
    "MemberList": obj("A page of members, by name.", members=array(ref("MemberEntry")),
                      next=nullable({"type": "string", "format": "uri"})),
    "Segment": obj("A saved filter over members and their companies.", id=INTEGER, name=STRING,
                   match={"type": "string", "enum": list(SEGMENT_MATCHES)},
                   rules=array(obj("One rule.", field=STRING, operator=STRING, value=STRING)),
                   description=array({**STRING, "description": "A rule in words."})),
    "SegmentList": obj("Every segment, by name.", segments=array(ref("Segment"))),
})


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _member_counts(company_ids: list[int]) -> dict[int, int]:
    """{company id: its number of members} in one query."""
    rows = db.session.execute(
        select(CompanyMember.company_id, func.count()).where(CompanyMember.company_id.in_(company_ids))
        .group_by(CompanyMember.company_id)).all()
    return {company_id: count for company_id, count in rows}


def _member_count(company: Company) -> int:
    return _member_counts([company.id]).get(company.id, 0)


def summary_json(company: Company, members: int) -> dict[str, Any]:
    return {"id": company.id, "external_id": company.external_id, "name": company.name,
            "member_count": members}


def company_json(company: Company) -> dict[str, Any]:
    return {
        **summary_json(company, _member_count(company)),
        "name_source": company.name_source, "name_set_at": company.name_set_at.isoformat(),
        "created_at": company.created_at.isoformat(),
        "attributes": [attribute_json(row) for row in company.attributes],
    }


def attribute_json(row: CompanyAttribute) -> dict[str, Any]:
    value = _number(row.number_value) if row.number_value is not None else row.text_value
    return {"name": row.name, "value": value, "text": row.text_value, "source": row.source,
            "set_at": row.set_at.isoformat()}


def membership_json(member: User) -> dict[str, Any]:
    row = membership_of(member)
    if row is None:
        return {"member_id": member.id, "company": None, "source": None, "set_at": None}
    return {"member_id": member.id, "company": summary_json(row.company, _member_count(row.company)),
            "source": row.source, "set_at": row.set_at.isoformat()}


def _company(company_id: int) -> Company:
    return db.get_or_404(Company, company_id)


@operation("GET", "/companies", summary="List companies", group="Companies", access="staff",
           query=COMPANY_QUERY, response="CompanyList",
           description="By name, with their number of members; `external_id` finds one by your own id.")
def list_companies() -> Response:
    """Companies, a page at a time."""
    args = COMPANY_QUERY.parse()
    rows, next_url = page_of(companies_list(args.get("q", ""), args.get("external_id")), args, scalars=False)
    return jsonify(companies=[summary_json(company, members) for company, members in rows], next=next_url)


@operation("POST", "/companies", summary="Add a company", group="Companies", access="staff",
           body=NEW_COMPANY, response="Company", status=201, headers={"Location": "The new company."},
           description="Its name and attributes are set by \"api\" now. A company with the same "
                       "external_id is refused (422): change that one instead.")
def add_company() -> Response:
    """Make a company known."""
    data = NEW_COMPANY.parse()
    company = create_company(current_user, data["external_id"], data["name"], data.get("attributes", {}),
                             source="api")
    db.session.commit()
    return created(company_json(company), url_for("api.get_company", company_id=company.id, _external=True))


@operation("GET", "/companies/<id:company_id>", summary="Read a company", group="Companies", access="staff",
           response="Company", description="Every value with its source and when it was set.")
def get_company(company_id: int) -> Response:
    """One company."""
    return jsonify(company_json(_company(company_id)))


@operation("PATCH", "/companies/<id:company_id>", summary="Change a company", group="Companies",
           access="staff", body=COMPANY_CHANGES, response="Company",
           description="The values that change are set by \"api\" now (the latest value wins, whatever "
                       "set it); values sent unchanged keep their source and time.")
def change_company(company_id: int) -> Response:
    """Change a company's name or attributes."""
    company = _company(company_id)
    data = COMPANY_CHANGES.parse()
    update_company(current_user, company, data.get("name"), data.get("attributes", {}), source="api")
    db.session.commit()
    return jsonify(company_json(company))


def _members(args: dict[str, Any]) -> Select[User]:
    statement = select(User).order_by(func.lower(User.name), User.id)
    if "segment" in args:
        statement = statement.where(segment_clause(filtering_segment(args["segment"])))
    if "company_id" in args:
        statement = statement.where(User.id.in_(
            select(CompanyMember.user_id).where(CompanyMember.company_id == args["company_id"])))
    return statement


@operation("GET", "/members", summary="List members", group="Companies", access="staff", query=MEMBER_QUERY,
           response="MemberList", description="By name, each with their company; `segment` keeps those "
                                              "in a segment, `company_id` those of a company.")
def list_members() -> Response:
    """Members, a page at a time."""
    args = MEMBER_QUERY.parse()
    members, next_url = page_of(_members(args), args)
    companies = {row.user_id: row.company for row in db.session.execute(
        select(CompanyMember).where(CompanyMember.user_id.in_([member.id for member in members]))).scalars()}
    counts = _member_counts(list({company.id for company in companies.values()}))
    return jsonify(members=[{
        "id": member.id, "name": member.name, "email": member.email, "role": member.role,
        "created_at": member.created_at.isoformat(),
        "company": summary_json(companies[member.id], counts.get(companies[member.id].id, 0))
        if member.id in companies else None} for member in members], next=next_url)


@operation("PUT", "/members/<id:member_id>/company", summary="Set a member's company", group="Companies",
           access="staff", body=MEMBERSHIP, response="Membership",
           description="The member leaves any other company; set by \"api\" now. A member never sets "
                       "their own company: only staff keys (and the product's sign-in token) do.")
def set_membership(member_id: int) -> Response:
    """Put a member in a company."""
    member = db.get_or_404(User, member_id)
    data = MEMBERSHIP.parse()
    company = db.session.get(Company, data["company_id"])
    if company is None:
        raise InvalidInput(_("No such company."), {"company_id": _("There is no company %(id)s.",
                                                                   id=data["company_id"])})
    set_company_of(current_user, member, company, source="api")
    db.session.commit()
    return jsonify(membership_json(member))


@operation("DELETE", "/members/<id:member_id>/company", summary="Take a member out of their company",
           group="Companies", access="staff", status=204, description="Nothing changes when they had none.")
def remove_membership(member_id: int) -> Response:
    """The member belongs to no company."""
    set_company_of(current_user, db.get_or_404(User, member_id), None, source="api")
    db.session.commit()
    return no_content()


@operation("GET", "/segments", summary="List segments", group="Companies", access="staff",
           response="SegmentList", description="The admins' saved filters; `segment` on GET /ideas and GET "
                                               "/members takes their ids.")
def list_segments() -> Response:
    """Every segment with its rules."""
    return jsonify(segments=[{
        "id": segment.id, "name": segment.name, "match": segment.match,
        "rules": [rule.as_json() for rule in rules_of(segment)], "description": described(segment),
    } for segment in db.session.execute(all_segments()).scalars()])
