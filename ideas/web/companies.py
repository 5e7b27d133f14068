"""The product team's pages about customers' companies: the list, one company (what is known of it
and where each value came from, its members, their ideas and votes), making and editing one, and
putting members in it or taking them out. The rules are ideas/companies.py."""
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from babel.numbers import format_currency
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import EmailField, Field, FieldList, FormField, StringField
from wtforms import Form as RowForm
from wtforms.validators import DataRequired, Email, Length

from ..accounts import EMAIL_MAX, find_member_by_email
from ..companies import (
    companies_list, create_company, ideas_of, members_of, set_company_of, update_company, votes_of,
)
from ..company_values import PLAN, REVENUE, BadValue, attribute_name, attribute_value
from ..errors import InvalidInput
from ..extensions import db
from ..i18n import babel_locale
from ..models import COMPANY_NAME_MAX, EXTERNAL_ID_MAX, Company, CompanyMember
from .forms import Form, apply_domain_errors
from .plumbing import page_of, staff_required, typed
from .responses import done, render_form, render_invalid

bp = Blueprint("companies", __name__, url_prefix="/staff/companies")

COMPANIES_PER_PAGE = 50
SECTION_PER_PAGE = 50
SEARCH_MAX = 255
EXTRA_ROWS = 3
SOURCE_NAMES = {
    "token": _l("the product's sign-in token"),
    "api": _l("the API"),
    "csv": _l("a CSV import"),
    "staff": _l("a staff member"),
}


class AttributeRow(RowForm):
    """One more attribute of a company: its name and value (empty value: remove it)."""

    name = StringField(_l("Attribute"))
    value = StringField(_l("Value"))


class CompanyForm(Form):
    # The rules (ideas.companies, ideas.company_values) name every problem; the form carries values.
    name = StringField(_l("Name"), render_kw={"maxlength": COMPANY_NAME_MAX})
    monthly_revenue = StringField(_l("Monthly revenue"), description=_l(
        "In the site's currency, digits with a point before the cents, e.g. 1200.50. Empty: unknown."))
    plan = StringField(_l("Plan"))
    attributes = FieldList(FormField(AttributeRow), label=_l("Other attributes"), min_entries=EXTRA_ROWS)


class NewCompanyForm(CompanyForm):
    external_id = StringField(_l("Id in your own systems"), render_kw={"maxlength": EXTERNAL_ID_MAX},
                              description=_l("What your product or CRM calls the company: the id its "
                                             "sign-in token sends as company.id."))


class CompanyMemberForm(Form):
    email = EmailField(_l("Member's email"), [
        DataRequired(_l("Enter the member's email address.")), Length(max=EMAIL_MAX),
        Email(_l("Enter a valid email address."), check_deliverability=False)])


@bp.app_template_filter("money")
def money(amount: Decimal | None) -> str:
    """An amount in the site's currency (SITE_CURRENCY), written the reader's way: $1,200.50."""
    if amount is None:
        return ""
    return format_currency(amount, current_app.config["SITE_CURRENCY"], locale=babel_locale())


@bp.app_context_processor
def source_names() -> dict[str, Any]:
    return {"SOURCE_NAMES": SOURCE_NAMES, "REVENUE_ATTRIBUTE": REVENUE}


@bp.get("/")
@staff_required
def index() -> str:
    """Every company, by name, with its number of members; searchable by name or id."""
    query = typed(request.args, "q", SEARCH_MAX).strip()
    page = page_of(companies_list(query), COMPANIES_PER_PAGE, scalars=False)
    return render_template("companies/index.html", page=page, query=query)


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new() -> ResponseReturnValue:
    """Make a company known by its id in the customer's own systems."""
    form = NewCompanyForm()
    if form.validate_on_submit():
        attributes = _attributes(form)
        if attributes is not None:
            try:
                company = create_company(current_user, form.external_id.data, form.name.data, attributes)
            except InvalidInput as error:
                db.session.rollback()
                apply_domain_errors(form, error)
            else:
                return done(_("The company %(name)s is saved.", name=company.name),
                            url_for("companies.show", company_id=company.id))
    return render_form("companies/form.html", form=form, company=None)


@bp.get("/<id:company_id>")
@staff_required
def show(company_id: int) -> str:
    """One company: each value with where it came from and when, its members, their ideas and votes."""
    return _render_show(db.get_or_404(Company, company_id), CompanyMemberForm(formdata=None))


def _render_show(company: Company, member_form: CompanyMemberForm, status: int = 200) -> Any:
    context = dict(
        company=company, member_form=member_form,
        members=page_of(members_of(company), SECTION_PER_PAGE, "members_page"),
        ideas=page_of(ideas_of(company), SECTION_PER_PAGE, "ideas_page", scalars=False),
        votes=page_of(votes_of(company), SECTION_PER_PAGE, "votes_page", scalars=False),
    )
    if status == 422:
        return render_invalid("companies/show.html", **context)
    return render_template("companies/show.html", **context)


@bp.route("/<id:company_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(company_id: int) -> ResponseReturnValue:
    """Change a company's name and attributes; the values changed are set by "a staff member" now."""
    company = db.get_or_404(Company, company_id)
    form = CompanyForm(formdata=None) if request.method == "GET" else CompanyForm()
    if request.method == "GET":
        _fill(form, company)
    elif form.validate_on_submit():
        attributes = _attributes(form, removable=_other_names(company))
        if attributes is not None:
            try:
                changed = update_company(current_user, company, form.name.data, attributes)
            except InvalidInput as error:
                db.session.rollback()
                apply_domain_errors(form, error)
            else:
                return done(_("The company %(name)s is saved.", name=company.name) if changed
                            else _("Nothing was changed."), url_for("companies.show", company_id=company.id))
    return render_form("companies/form.html", form=form, company=company)


@bp.post("/<id:company_id>/members")
@staff_required
def add_member(company_id: int) -> ResponseReturnValue:
    """Put the member with an email address in the company (out of any other one)."""
    company = db.get_or_404(Company, company_id)
    form = CompanyMemberForm()
    if form.validate_on_submit():
        member = find_member_by_email(form.email.data)
        if member is None:
            form.email.errors = [_("No member has this address. Invite them first, or let them sign in "
                                   "from your product.")]
        else:
            set_company_of(current_user, member, company)
            return done(_("%(name)s belongs to %(company)s now.", name=member.name, company=company.name),
                        url_for("companies.show", company_id=company.id, _anchor="company-members"))
    return _render_show(company, form, 422)


@bp.post("/<id:company_id>/members/<id:member_id>/remove")
@staff_required
def remove_member(company_id: int, member_id: int) -> Response:
    """Take a member out of the company."""
    row = db.get_or_404(CompanyMember, member_id)
    if row.company_id != company_id:
        abort(404)
    member, company = row.member, row.company
    set_company_of(current_user, member, None)
    return done(_("%(name)s no longer belongs to %(company)s.", name=member.name, company=company.name),
                url_for("companies.show", company_id=company_id, _anchor="company-members"))


# The form's attributes.

def _fill(form: CompanyForm, company: Company) -> None:
    """The form as the company reads now: every other attribute a row, and a few empty ones."""
    values = {row.name: row.text_value for row in company.attributes}
    form.name.data = company.name
    form.monthly_revenue.data = values.pop(REVENUE, "")
    form.plan.data = values.pop(PLAN, "")
    while len(form.attributes):
        form.attributes.pop_entry()
    for name, value in [*values.items(), *[("", "")] * EXTRA_ROWS]:
        form.attributes.append_entry({"name": name, "value": value})


def _other_names(company: Company) -> set[str]:
    return {row.name for row in company.attributes} - {REVENUE, PLAN}


def _attributes(form: CompanyForm, removable: Iterable[str] = ()) -> dict[str, Any] | None:
    """{name: value} the form gives, each checked by the values' rules with its problem put on its
    own field; None when any has one. An attribute the company has (`removable`) and the form no
    longer names is removed."""
    given: list[tuple[Field, Field | None, str, str]] = [
        (form.monthly_revenue, None, REVENUE, form.monthly_revenue.data or ""),
        (form.plan, None, PLAN, form.plan.data or "")]
    rows = [(row.form.value, row.form.name, row.form.name.data or "", row.form.value.data or "")
            for row in form.attributes]
    given += [row for row in rows if row[2].strip() or row[3].strip()]
    attributes: dict[str, Any] = dict.fromkeys(removable)
    seen: set[str] = set()
    problems = False
    for value_field, name_field, raw_name, raw_value in given:
        if name_field is not None and not raw_name.strip():
            name_field.errors = [_("Name the attribute this value is for.")]
            problems = True
            continue
        try:
            name = attribute_name(raw_name)
        except BadValue as problem:
            (name_field or value_field).errors = [problem.message]
            problems = True
            continue
        try:
            if name in seen:
                raise BadValue(_("Two fields name the attribute “%(name)s”.", name=name))
            attribute_value(name, raw_value)
        except BadValue as problem:
            value_field.errors = [problem.message]
            problems = True
        seen.add(name)
        attributes[name] = raw_value
    return None if problems else attributes
