"""Our companies file: a row per company (or per member of one), read and applied by the walk of
ideas/csv_import/writer.py like the ideas and votes files, dry run and import alike.

Columns `company_id` and `company_name` are required; `member_email` puts that member in the
company (members are never made here: one who signs in from the product later is linked by their
own verified address, which an account made by an import would not have); every other column is
an attribute (monthly_revenue, plan, seats…), an empty cell leaving it as it is. Values are set by
"csv" at the time of the import, through the rules of ideas/companies.py: the latest write wins,
and a value written again unchanged keeps its source and time. The import as a whole is audited
(CsvImported, with the counts), as ideas and votes files are.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..companies import apply_changes, changes_to
from ..company_values import BadValue, Value, attribute_name, attribute_value
from ..extensions import db
from ..models import COMPANY_NAME_MAX, EXTERNAL_ID_MAX, Company, CompanyMember, User
from .formats import ATTRIBUTE_COLUMN
from .plan import ImportPlan
from .rows import RowProblem, _email, _text


@dataclass
class CompanyPass:
    """One pass over a companies file: what it counts into, whether it writes, when, and the
    companies it made (or, in a dry run, would make) by external id."""

    plan: ImportPlan
    write: bool
    now: datetime
    made: dict[str, Company] = field(default_factory=dict)


@dataclass
class CompanyRow:
    """One row of a companies file, checked: the company, its values (None: none given), a member."""

    row: int
    external_id: str
    name: str
    email: str | None
    values: dict[str, Value | None]


def parse_company(number: int, cells: list[str], positions: dict[str, int], now: datetime) -> CompanyRow:
    """A row of our companies file."""
    def text(name: str) -> str:
        return _text(cells, positions, name, unescape=True)

    external_id = text("id")
    if not external_id or len(external_id) > EXTERNAL_ID_MAX or "\x00" in external_id:
        raise RowProblem("company_id", gettext("Give the company's id, at most %(limit)s characters.",
                                               limit=EXTERNAL_ID_MAX))
    name = " ".join(text("name").split())
    if not name or len(name) > COMPANY_NAME_MAX or "\x00" in name:
        raise RowProblem("company_name", gettext("Give the company's name, at most %(limit)s characters.",
                                                 limit=COMPANY_NAME_MAX))
    values: dict[str, Value | None] = {}
    for column in positions:
        if column.startswith(ATTRIBUTE_COLUMN) and text(column):
            header = column.removeprefix(ATTRIBUTE_COLUMN)
            try:
                key = attribute_name(header)
                values[key] = attribute_value(key, text(column))
            except BadValue as problem:
                raise RowProblem(header, problem.message) from None
    email = _email(text("email"), "member_email", required=False)
    return CompanyRow(number, external_id, name, email, values)


def take_companies(run: CompanyPass, rows: list[CompanyRow]) -> None:
    """Companies of a batch: new ones made, changed values written, members put in them. A dry run
    counts against what is stored and writes nothing (its new companies are never added)."""
    plan = run.plan
    companies = {company.external_id: company for company in db.session.execute(
        select(Company).where(Company.external_id.in_({row.external_id for row in rows}))
        .options(selectinload(Company.attributes))).scalars()}
    companies.update(run.made)
    emails = {row.email for row in rows if row.email}
    members = {member.email.lower(): member for member in db.session.execute(
        select(User).where(func.lower(User.email).in_(emails))).scalars()} if emails else {}
    memberships = {row.user_id: row for row in db.session.execute(
        select(CompanyMember).where(CompanyMember.user_id.in_([member.id for member in members.values()])))
        .scalars()} if members else {}
    with db.session.no_autoflush:
        for row in rows:
            if row.email and row.email not in members:
                plan.add_problem(row.row, "member_email", gettext(
                    "No member has the address %(email)s: invite them, or let them sign in from your "
                    "product, then import the file again.", email=row.email[:80]))
                continue
            company = _take_company(run, companies, row)
            if row.email:
                _take_membership(run, memberships, members[row.email], company)


def _take_company(run: CompanyPass, companies: dict[str, Company], row: CompanyRow) -> Company:
    """The row's company, made (counted) or brought up to date (counted when anything changes)."""
    company = companies.get(row.external_id)
    changes = changes_to(company, row.name, row.values)
    if company is None:
        run.plan.companies += 1
        company = Company(external_id=row.external_id, name=row.name, name_source="csv", name_set_at=run.now,
                          created_at=run.now)
        apply_changes(company, changes, "csv", run.now)
        if run.write:
            db.session.add(company)
        companies[row.external_id] = run.made[row.external_id] = company
    elif changes:
        if company.external_id not in run.made:
            run.plan.companies_changed += 1
        if run.write or company.external_id in run.made:
            apply_changes(company, changes, "csv", run.now)
    return company


def _take_membership(run: CompanyPass, memberships: dict[int, CompanyMember], member: User,
                     company: Company) -> None:
    """Put `member` in `company` (set by "csv"), counted when they were not in it already."""
    current = memberships.get(member.id)
    if current is not None and current.company is company:
        return
    run.plan.memberships += 1
    if current is None:
        current = CompanyMember(user_id=member.id, company=company, source="csv", set_at=run.now)
        if run.write:
            db.session.add(current)
        memberships[member.id] = current
    elif run.write:
        current.company, current.source, current.set_at = company, "csv", run.now
    else:
        memberships[member.id] = CompanyMember(user_id=member.id, company=company, source="csv",
                                               set_at=run.now)
