"""The rules a segment is made of: "attribute, operator, value" rows over a member and their company
("plan is Enterprise", "monthly revenue is at least 1000", "signed up in the last 90 days"), how
each is checked, said in words, and turned into SQL. Nothing here knows HTTP.

Each rule becomes a clause over `users` (correlated EXISTS over the member's company and its
attributes), so one segment's clause filters members, votes and ideas alike, and answers "is this
member in it" for one member (ideas.segments). Text compares without case, through the database's
own lower() on both sides, so a check and a filter never disagree.
"""
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import ColumnElement, Exists, and_, false, func, literal, not_, or_, select

from .company_values import PLAN, REVENUE, BadValue, attribute_name, to_number
from .errors import InvalidInput
from .models import ATTRIBUTE_TEXT_MAX, Company, CompanyAttribute, CompanyMember, Segment, User, utcnow

SIGNED_UP = "member.signed_up"
EMAIL_DOMAIN = "member.email_domain"
COMPANY_NAME = "company.name"
ATTRIBUTE = "attribute."  # + an attribute's name: "attribute.plan"
RULES_MAX = 20
DAYS_MAX = 36_500

OPERATOR_NAMES = {
    "is": _l("is"),
    "is_not": _l("is not"),
    "contains": _l("contains"),
    "ge": _l("is at least (≥)"),
    "gt": _l("is more than (>)"),
    "le": _l("is at most (≤)"),
    "lt": _l("is less than (<)"),
    "set": _l("is set"),
    "not_set": _l("is not set"),
    "within_days": _l("in the last … days"),
    "before_days": _l("more than … days ago"),
}
TEXT_OPERATORS = ("is", "is_not", "contains", "set", "not_set")
NUMBER_OPERATORS = ("ge", "gt", "le", "lt")
# Which operators each kind of field takes.
OPERATORS_OF = {
    SIGNED_UP: ("within_days", "before_days"),
    EMAIL_DOMAIN: ("is", "is_not"),
    COMPANY_NAME: TEXT_OPERATORS,
    ATTRIBUTE: (*TEXT_OPERATORS, *NUMBER_OPERATORS),
}
FIXED_FIELD_NAMES = {
    SIGNED_UP: _l("Signed up"),
    EMAIL_DOMAIN: _l("Email domain"),
    COMPANY_NAME: _l("Company name"),
}
KNOWN_ATTRIBUTE_NAMES = {REVENUE: _l("Monthly revenue"), PLAN: _l("Plan")}
LIKE_ESCAPE = "/"


@dataclass(frozen=True)
class Rule:
    """One row of a segment: `field` (SIGNED_UP, EMAIL_DOMAIN, COMPANY_NAME or "attribute.<name>"),
    `operator` (OPERATOR_NAMES) and `value` as checked text ("" where the operator takes none)."""

    field: str
    operator: str
    value: str = ""

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "operator": self.operator, "value": self.value}


def field_label(field: str) -> str:
    """What a person reads for `field`: "Signed up", "Plan", or an attribute's own name."""
    if field in FIXED_FIELD_NAMES:
        return str(FIXED_FIELD_NAMES[field])
    name = field.removeprefix(ATTRIBUTE)
    return str(KNOWN_ATTRIBUTE_NAMES.get(name, name))


def field_choices(attribute_names: Iterable[str]) -> dict[str, str]:
    """{field: label} a rule may choose from: the member's own, then the company's attributes
    (monthly revenue and plan always, then every name some company has)."""
    names = dict.fromkeys([*KNOWN_ATTRIBUTE_NAMES, *sorted(attribute_names)])
    return {**{field: str(label) for field, label in FIXED_FIELD_NAMES.items()},
            **{ATTRIBUTE + name: field_label(ATTRIBUTE + name) for name in names}}


def _kind(field: str) -> str | None:
    """SIGNED_UP, EMAIL_DOMAIN, COMPANY_NAME or ATTRIBUTE for a known field; None otherwise."""
    if field in FIXED_FIELD_NAMES:
        return field
    if field.startswith(ATTRIBUTE):
        try:
            if attribute_name(field.removeprefix(ATTRIBUTE)) == field.removeprefix(ATTRIBUTE):
                return ATTRIBUTE
        except BadValue:
            return None
    return None


# Checking rows a person typed (the admins' page) or stored.

def check_rule(field: Any, operator: Any, value: Any) -> Rule:
    """One row, checked; BadValue naming what is wrong (with the field, the operator or the value)."""
    kind = _kind(field) if isinstance(field, str) else None
    if kind is None:
        raise BadValue(_("Choose an attribute from the list."))
    if operator not in OPERATORS_OF[kind]:
        raise BadValue(_("“%(operator)s” does not apply to %(field)s: choose one of %(choices)s.",
                         operator=OPERATOR_NAMES.get(operator, str(operator)[:20]), field=field_label(field),
                         choices=", ".join(str(OPERATOR_NAMES[name]) for name in OPERATORS_OF[kind])))
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if operator in ("set", "not_set"):
        return Rule(field, operator)
    if not text:
        raise BadValue(_("Give a value."))
    if "\x00" in text or len(text) > ATTRIBUTE_TEXT_MAX:
        raise BadValue(_("Give at most %(limit)s characters.", limit=ATTRIBUTE_TEXT_MAX))
    if operator in ("within_days", "before_days"):
        if not text.isdigit() or int(text) > DAYS_MAX:
            raise BadValue(_("Give a number of days, from 0 to %(limit)s.", limit=DAYS_MAX))
        return Rule(field, operator, str(int(text)))
    if operator in NUMBER_OPERATORS:
        to_number(text)
    if kind == EMAIL_DOMAIN:
        text = text.removeprefix("@")
    return Rule(field, operator, text)


def check_rules(rows: Iterable[Mapping[str, Any]]) -> list[Rule]:
    """The rows with a field chosen, checked; InvalidInput with a problem per row ("rules-<i>-value"
    or "rules-<i>-field"), or on "rules" when there are none or too many."""
    rules: list[Rule] = []
    problems: dict[str, str] = {}
    for index, row in enumerate(rows):
        if not row.get("field"):
            continue
        try:
            rules.append(check_rule(row.get("field"), row.get("operator"), row.get("value")))
        except BadValue as problem:
            kind = _kind(str(row.get("field")))
            part = "field" if kind is None else "operator" if row.get("operator") not in OPERATORS_OF[kind] \
                else "value"
            problems[f"rules-{index}-{part}"] = problem.message
    if not problems and not rules:
        problems["rules"] = _("Add at least one rule: choose an attribute, an operator and a value.")
    if len(rules) > RULES_MAX:
        problems["rules"] = _("A segment has at most %(limit)s rules.", limit=RULES_MAX)
    if problems:
        raise InvalidInput(_("Please correct the rules marked below."), problems)
    return rules


def describe(rule: Rule) -> str:
    """The rule in words: "Plan is “Enterprise”", "Signed up in the last 90 days"."""
    field = field_label(rule.field)
    if rule.operator == "within_days":
        return _("%(field)s in the last %(days)s days", field=field, days=rule.value)
    if rule.operator == "before_days":
        return _("%(field)s more than %(days)s days ago", field=field, days=rule.value)
    if rule.operator in ("set", "not_set"):
        return _("%(field)s %(operator)s", field=field, operator=OPERATOR_NAMES[rule.operator])
    return _("%(field)s %(operator)s “%(value)s”", field=field, operator=OPERATOR_NAMES[rule.operator],
             value=rule.value)


# SQL.

class MemberId(NamedTuple):
    """Stands for a users row in rule_clause when only its id is read: rules about companies ask
    nothing else of the member, so a statement that has the member's id (a vote's user_id) need
    not join users for them."""

    id: Any


def reads_only_companies(rules: Iterable[Rule]) -> bool:
    """True when no rule reads the member's own row (sign-up date, email): MemberId will do."""
    return all(rule.field not in (SIGNED_UP, EMAIL_DOMAIN) for rule in rules)


def rule_clause(rule: Rule, now: datetime, member: Any = User) -> ColumnElement[bool]:
    """The rule as a condition on the users row `member` (User, or an alias of it where the
    statement joins users for another reason, such as an idea's author)."""
    if rule.field == SIGNED_UP:
        since = now - timedelta(days=int(rule.value))
        return member.created_at >= since if rule.operator == "within_days" else member.created_at < since
    if rule.field == EMAIL_DOMAIN:
        domain = func.lower(member.email).like(func.lower(literal("%@" + _like_escaped(rule.value))),
                                               escape=LIKE_ESCAPE)
        return domain if rule.operator == "is" else not_(domain)
    if rule.field == COMPANY_NAME:
        return _company_clause(rule, member)
    return _attribute_clause(rule, member)


def _company_clause(rule: Rule, member: Any) -> ColumnElement[bool]:
    company = (select(CompanyMember.user_id).join(Company, Company.id == CompanyMember.company_id)
               .where(CompanyMember.user_id == member.id))
    if rule.operator in ("set", "not_set"):
        return _holds(company.exists(), rule.operator == "set")
    matched = company.where(_text_matches(Company.name, rule.value, rule.operator == "contains")).exists()
    return _holds(matched, rule.operator != "is_not")


def _attribute_clause(rule: Rule, member: Any) -> ColumnElement[bool]:
    name = rule.field.removeprefix(ATTRIBUTE)
    attribute = (select(CompanyAttribute.company_id)
                 .join(CompanyMember, CompanyMember.company_id == CompanyAttribute.company_id)
                 .where(CompanyMember.user_id == member.id, CompanyAttribute.name == name))
    if rule.operator in ("set", "not_set"):
        return _holds(attribute.exists(), rule.operator == "set")
    if rule.operator in NUMBER_OPERATORS:
        number = to_number(rule.value)
        column = CompanyAttribute.number_value
        compared = {"ge": column >= number, "gt": column > number, "le": column <= number,
                    "lt": column < number}[rule.operator]
        return attribute.where(compared).exists()
    condition = _text_matches(CompanyAttribute.text_value, rule.value, rule.operator == "contains")
    if rule.operator != "contains" and re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", rule.value):
        # "seats is 40" holds for 40 and for 40.00 alike.
        try:
            condition = or_(condition, CompanyAttribute.number_value == to_number(rule.value))
        except BadValue:
            pass
    return _holds(attribute.where(condition).exists(), rule.operator != "is_not")


def _holds(exists: Exists, positive: bool) -> ColumnElement[bool]:
    return exists if positive else not_(exists)


def _text_matches(column: Any, value: str, contains: bool) -> ColumnElement[bool]:
    """`column` equals (or contains) `value`, without case: lower() of the database on both sides."""
    if contains:
        return func.lower(column).like(func.lower(literal(f"%{_like_escaped(value)}%")), escape=LIKE_ESCAPE)
    return func.lower(column) == func.lower(literal(value))


def _like_escaped(value: str) -> str:
    return value.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace(
        "_", LIKE_ESCAPE + "_")


def combined(rules: Iterable[Rule], match: str, now: datetime, member: Any = User) -> ColumnElement[bool]:
    """Every rule's clause on `member`, all of them holding (`match` "all") or any one."""
    clauses = [rule_clause(rule, now, member) for rule in rules]
    if not clauses:  # a stored segment always has rules; an empty one holds for nobody
        return false()
    return and_(*clauses) if match == "all" else or_(*clauses)


# A saved segment's rules (ideas/segments.py keeps the segments themselves)

def rules_of(segment: Segment) -> list[Rule]:
    """The segment's rules, as stored (checked when they were saved)."""
    return stored_rules(segment.rules)


def stored_rules(stored: str | None) -> list[Rule]:
    return [Rule(row["field"], row["operator"], row.get("value", "")) for row in json.loads(stored or "[]")]


def segment_clause(segment: Segment, now: datetime | None = None, member: Any = User) -> ColumnElement[bool]:
    """The condition on `users` that holds for exactly the members in `segment` (at `now`, for
    rules such as "signed up in the last 90 days"). `member` names the users row: User, or an
    alias of it in a statement that joins users for another reason too."""
    return combined(rules_of(segment), segment.match, now or utcnow(), member)
