"""Customers' companies: who may make and change them, and what the pages and the API read of them.
Nothing here knows HTTP.

Only staff and admins (on the pages, or with their API keys), a CSV import, and the product's signed
token set a company, its attributes or a member's company; a member never sets their own. Every
value keeps its source ("staff", "api", "csv", "token") and when it was set: the latest write wins
whatever its source, and a value written again unchanged keeps its first source and time. A rule
flushes its change and publishes one event, whose kind keeps the audit entry (ideas/events/kinds/
companies.py); the CSV import writes through `apply_changes` and is audited as one import.
"""
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, or_, select

from . import audit
from .company_values import BadValue, Value, attribute_values
from .errors import InvalidInput
from .events import CompanyCreated, CompanyMembershipChanged, CompanyUpdated
from .events.publish import publish
from .events.registry import Payload
from .extensions import db
from .models import (
    COMPANY_NAME_MAX, EXTERNAL_ID_MAX, Company, CompanyAttribute, CompanyMember, Idea, User, Vote, utcnow,
)

# The sources a staff member's request may name: the pages, or an API key.
STAFF_SOURCES = ("staff", "api")


@dataclass
class Changes:
    """What writing a name and values to a company changes: the new name (None: unchanged) and
    each changed attribute (None: removed)."""

    name: str | None = None
    values: dict[str, Value | None] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.name is not None or bool(self.values)


# Checking what people typed or sent.

def clean_external_id(raw: Any) -> str:
    """The company's id in the customer's own systems, checked: 1 to 255 characters, no NUL."""
    external_id = str(raw).strip() if isinstance(raw, (str, int)) and not isinstance(raw, bool) else ""
    if not external_id or len(external_id) > EXTERNAL_ID_MAX or "\x00" in external_id:
        raise InvalidInput(_("Give the company's id."), {"external_id": _(
            "Give the id your own systems know the company by, at most %(limit)s characters.",
            limit=EXTERNAL_ID_MAX)})
    return external_id


def clean_name(raw: Any) -> str:
    """The company's name, its spaces tidied: 1 to 255 characters, no NUL."""
    name = " ".join(raw.split()) if isinstance(raw, str) else ""
    if not name or len(name) > COMPANY_NAME_MAX or "\x00" in name:
        raise InvalidInput(_("Give the company's name."), {"name": _(
            "Give the company's name, at most %(limit)s characters.", limit=COMPANY_NAME_MAX)})
    return name


def checked_values(raw: Mapping[str, Any], field_name: str = "attributes") -> dict[str, Value | None]:
    """{name: value or None} from raw attributes; InvalidInput on `field_name` naming the problem."""
    try:
        return attribute_values(dict(raw))
    except BadValue as problem:
        raise InvalidInput(problem.message, {field_name: problem.message}) from None


# Writing.

def find_company(external_id: str) -> Company | None:
    """The company with this external id, or None."""
    return db.session.execute(select(Company).where(Company.external_id == external_id)).scalar()


def changes_to(company: Company | None, name: str | None, values: Mapping[str, Value | None]) -> Changes:
    """What writing `name` (None: leave it) and `values` to `company` (None: a new one) changes."""
    current = {row.name: row for row in company.attributes} if company is not None else {}
    changed: dict[str, Value | None] = {}
    for key, value in values.items():
        row = current.get(key)
        if value is None:
            if row is not None:
                changed[key] = None
        elif row is None or row.text_value != value.text or row.number_value != value.number:
            changed[key] = value
    new_name = name if name is not None and (company is None or company.name != name) else None
    return Changes(new_name, changed)


def apply_changes(company: Company, changes: Changes, source: str,
                  moment: datetime | None = None) -> tuple[Payload, Payload]:
    """Write `changes` to `company` as set by `source` now; (before, after) of what changed, for
    the audit log. Does not flush."""
    moment = moment or utcnow()
    current = {row.name: row for row in company.attributes}
    before: Payload = {}
    after: Payload = {}
    if changes.name is not None:
        before["name"], after["name"] = company.name or None, changes.name
        company.name, company.name_source, company.name_set_at = changes.name, source, moment
    for key, value in changes.values.items():
        row = current.get(key)
        before[key] = row.text_value if row is not None else None
        after[key] = value.text if value is not None else None
        if value is None:
            if row is not None:
                company.attributes.remove(row)
        elif row is None:
            company.attributes.append(CompanyAttribute(
                name=key, text_value=value.text, number_value=value.number, source=source, set_at=moment))
        else:
            row.text_value, row.number_value = value.text, value.number
            row.source, row.set_at = source, moment
    return before, after


def create_company(actor: User, external_id: Any, name: Any, attributes: Mapping[str, Any],
                   source: str = "staff") -> Company:
    """Staff make a company known (on a page, or with their API key: `source`)."""
    audit.require_staff(actor)
    external_id, name = clean_external_id(external_id), clean_name(name)
    values = checked_values(attributes)
    if find_company(external_id) is not None:
        raise InvalidInput(_("A company with this id exists already."), {
            "external_id": _("A company with the id “%(id)s” exists already.", id=external_id[:80])})
    return _create(actor, external_id, name, values, _staff_source(source))


def update_company(actor: User, company: Company, name: Any | None, attributes: Mapping[str, Any],
                   source: str = "staff") -> bool:
    """Staff change a company's name (None: leave it) and attributes (a value of None or "" removes
    one; attributes not named are left alone). False when nothing changed."""
    audit.require_staff(actor)
    new_name = clean_name(name) if name is not None else None
    return _update(actor, company, changes_to(company, new_name, checked_values(attributes)),
                   _staff_source(source))


def set_company_of(actor: User, member: User, company: Company | None, source: str = "staff") -> bool:
    """Staff put `member` in `company` (None: in none). False when it already was so."""
    audit.require_staff(actor)
    return _set_membership(actor, member, company, _staff_source(source))


def apply_token_company(member: User, claim: Mapping[str, Any]) -> None:
    """The product's signed token says `member` belongs to the company `claim` describes ({"id",
    "name", "attributes"}, its shape checked by ideas.product_tokens): make or bring the company up
    to date and put the member in it, all as set by "token". The member is the actor the audit log
    names: the product vouched for it, not the member."""
    external_id = str(claim["id"])
    name = " ".join(str(claim.get("name") or "").split())[:COMPANY_NAME_MAX] or external_id
    values = checked_values(claim.get("attributes") or {})
    company = find_company(external_id)
    if company is None:
        company = _create(member, external_id, name, values, "token")
    else:
        _update(member, company, changes_to(company, name, values), "token")
    _set_membership(member, member, company, "token")


def _staff_source(source: str) -> str:
    if source not in STAFF_SOURCES:
        raise ValueError(f"{source!r} is not a source of staff changes")
    return source


def _create(actor: User, external_id: str, name: str, values: Mapping[str, Value | None],
            source: str) -> Company:
    now = utcnow()
    company = Company(external_id=external_id, name=name, name_source=source, name_set_at=now, created_at=now)
    db.session.add(company)
    _, after = apply_changes(company, changes_to(None, None, values), source, now)
    db.session.flush()
    publish(CompanyCreated(actor, company, source, {}, {"external_id": external_id, "name": name, **after}))
    return company


def _update(actor: User, company: Company, changes: Changes, source: str) -> bool:
    if not changes:
        return False
    before, after = apply_changes(company, changes, source)
    db.session.flush()
    publish(CompanyUpdated(actor, company, source, before, after))
    return True


def _set_membership(actor: User, member: User, company: Company | None, source: str) -> bool:
    row = db.session.get(CompanyMember, member.id)
    before = row.company.external_id if row is not None else None
    if company is None:
        if row is None:
            return False
        db.session.delete(row)
    elif row is None:
        db.session.add(CompanyMember(user_id=member.id, company=company, source=source, set_at=utcnow()))
    elif row.company_id == company.id:
        return False
    else:
        row.company, row.source, row.set_at = company, source, utcnow()
    db.session.flush()
    publish(CompanyMembershipChanged(actor, member, source, before,
                                     company.external_id if company is not None else None))
    return True


# Reading.

def companies_list(query: str = "", external_id: str | None = None) -> Select[Company, int]:
    """(company, number of members) by name; narrowed to names or ids containing `query`, or to
    the one company with `external_id`."""
    members = (select(CompanyMember.company_id, func.count().label("members"))
               .group_by(CompanyMember.company_id).subquery())
    statement = (select(Company, func.coalesce(members.c.members, 0))
                 .outerjoin(members, members.c.company_id == Company.id)
                 .order_by(func.lower(Company.name), Company.id))
    if external_id is not None:
        statement = statement.where(Company.external_id == external_id)
    if query:
        needle = query.lower()
        statement = statement.where(or_(func.lower(Company.name).contains(needle, autoescape=True),
                                        func.lower(Company.external_id).contains(needle, autoescape=True)))
    return statement


def membership_of(member: User) -> CompanyMember | None:
    """The member's company, with when and by what it was set; None when they belong to none."""
    return db.session.get(CompanyMember, member.id)


def members_of(company: Company) -> Select[CompanyMember]:
    """The company's members (with their user rows), by name."""
    return (select(CompanyMember).join(User, User.id == CompanyMember.user_id)
            .where(CompanyMember.company_id == company.id).order_by(func.lower(User.name), User.id))


def ideas_of(company: Company) -> Select[Idea, User]:
    """(idea, author) of the ideas the company's members proposed, newest first."""
    return (select(Idea, User).join(User, User.id == Idea.author_id)
            .join(CompanyMember, CompanyMember.user_id == Idea.author_id)
            .where(CompanyMember.company_id == company.id)
            .order_by(Idea.created_at.desc(), Idea.id.desc()))


def votes_of(company: Company) -> Select[Vote, Idea, User]:
    """(vote, idea, voter) of the company's members' votes, newest first."""
    return (select(Vote, Idea, User).join(Idea, Idea.id == Vote.idea_id).join(User, User.id == Vote.user_id)
            .join(CompanyMember, CompanyMember.user_id == Vote.user_id)
            .where(CompanyMember.company_id == company.id)
            .order_by(Vote.created_at.desc(), Vote.id.desc()))
