"""What a company's attributes may be called and hold, whoever sets them (the token, the API, a CSV
file, a staff member's form): one set of rules, so a value means the same from every source.

A name is lower-case words joined by "_" ("Monthly Revenue", "monthlyRevenue" and
"monthly_revenue" are one attribute), as CSV headers are read. A value is text or a number;
`monthly_revenue` must be a number of at least 0, in the site's currency (SITE_CURRENCY). Numbers
keep four decimal places. Nothing here touches the database.
"""
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from .models import ATTRIBUTE_NAME_MAX, ATTRIBUTE_TEXT_MAX

REVENUE = "monthly_revenue"
PLAN = "plan"
NUMBER_LIMIT = Decimal(10) ** 14  # what NUMERIC(18, 4) holds before the point
PLACES = Decimal("0.0001")
NUMBER_SHAPE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


class BadValue(ValueError):
    """A name or value no attribute may have; the message says why, for the person who typed it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Value:
    """An attribute's value: as text always, and as a number when it is one."""

    text: str
    number: Decimal | None = None


def attribute_name(raw: str) -> str:
    """The attribute `raw` names, in its one spelling; BadValue when it names none."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", (raw or "").strip())
    name = re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")
    if not name or len(name) > ATTRIBUTE_NAME_MAX:
        raise BadValue(_("“%(name)s” cannot name an attribute: use letters and digits, at most "
                         "%(limit)s characters.", name=(raw or "")[:80], limit=ATTRIBUTE_NAME_MAX))
    return name


def plain_number(number: Decimal) -> str:
    """`number` as plain digits, without trailing zeros or an exponent: 1200.5, 40."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "+0") else text


def to_number(raw: Any) -> Decimal:
    """A number from JSON (int, float) or text ("1200.50"), kept to four places; BadValue otherwise."""
    if isinstance(raw, bool):
        raise BadValue(_("Give a number."))
    if isinstance(raw, float) and not math.isfinite(raw):
        raise BadValue(_("Give a number."))
    if isinstance(raw, str):
        given, raw = raw.strip(), raw.strip().replace("\u00a0", "").replace(" ", "")  # "1 200" is 1200
        if not NUMBER_SHAPE.fullmatch(raw):
            raise BadValue(_("“%(value)s” is not a number: write digits, with a point before any "
                             "decimals, e.g. 1200.50.", value=given[:40]))
    try:
        number = Decimal(str(raw)) if isinstance(raw, (int, float, str)) else Decimal(raw)
    except (InvalidOperation, TypeError, ValueError):
        raise BadValue(_("Give a number.")) from None
    if not number.is_finite():
        raise BadValue(_("Give a number."))
    # Checked before rounding too: quantize refuses numbers beyond the decimal context's precision.
    if abs(number) >= NUMBER_LIMIT or abs(number := number.quantize(PLACES)) >= NUMBER_LIMIT:
        raise BadValue(_("The number is too large: at most 14 digits before the point."))
    return number


def attribute_value(name: str, raw: Any) -> Value | None:
    """What attribute `name` holds once set to `raw`: None (or empty text) removes it. Revenue
    must be a number of at least 0; other text that reads as a number counts as one too."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if name == REVENUE:
        number = to_number(raw)
        if number < 0:
            raise BadValue(_("Monthly revenue cannot be below 0."))
        return Value(plain_number(number), number)
    if isinstance(raw, bool):
        return Value("true" if raw else "false")
    if isinstance(raw, (int, float)):
        number = to_number(raw)
        return Value(plain_number(number), number)
    if not isinstance(raw, str):
        raise BadValue(_("Give text or a number."))
    text = " ".join(raw.split())
    if "\x00" in text:
        raise BadValue(_("This text holds characters that cannot be stored."))
    if len(text) > ATTRIBUTE_TEXT_MAX:
        raise BadValue(_("At most %(limit)s characters.", limit=ATTRIBUTE_TEXT_MAX))
    return Value(text, _number_or_none(text))


def _number_or_none(text: str) -> Decimal | None:
    """The number `text` writes, or None when it is other text (or a number too large to keep)."""
    if not NUMBER_SHAPE.fullmatch(text):
        return None
    try:
        return to_number(text)
    except BadValue:
        return None


def attribute_values(raw: dict[str, Any]) -> dict[str, Value | None]:
    """{name: value or None (remove)} from {any spelling of a name: raw value}; BadValue naming
    the first problem, prefixed by the name given."""
    values: dict[str, Value | None] = {}
    for given, value in raw.items():
        name = attribute_name(given)
        if name in values:
            raise BadValue(_("Two fields name the attribute “%(name)s”.", name=name))
        try:
            values[name] = attribute_value(name, value)
        except BadValue as problem:
            raise BadValue(f"{given[:80]}: {problem.message}") from None
    return values
