"""Languages: which locale a request speaks, and the labels, dates and numbers that follow it.

The member's own choice (users.locale) wins; otherwise the browser's Accept-Language picks the
best of SUPPORTED_LOCALES; otherwise English, the language the source is written in. The JSON
API always answers in English: its messages are for programs, and a client should not see them
change with a header it may not know it sends.
"""
import os
from datetime import datetime, timedelta, timezone, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale as BabelLocale
from babel.dates import (
    format_date as babel_format_date, format_datetime as babel_format_datetime, format_timedelta,
)
from babel.numbers import format_decimal, get_decimal_symbol
from babel.support import NullTranslations, Translations as BabelTranslations
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from wtforms.i18n import messages_path as wtforms_messages_path

def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's gettext through the one-lookup catalogue (`_translations`)."""
    translated = _translations().ugettext(string)
    return translated % variables if variables else translated


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """A string translated when it is shown, like Flask-Babel's, through the same fast lookup."""
    return LazyString(gettext, string, **variables)


DEFAULT_LOCALE = "en"
SUPPORTED_LOCALES = ("en", "de")
# Each language named in itself, as people look for their own: never translated.
LOCALE_NAMES = {"en": "English", "de": "Deutsch"}

# The words pages show for each kind in the reader's language (a status's: ideas/status_list.py).
KIND_NAMES = {
    "idea": lazy_gettext("Idea"),
    "problem": lazy_gettext("Problem"),
    "praise": lazy_gettext("Praise"),
}

# The board's and the inbox's orders (ideas.board.SORTS, ideas.inbox.SORTS).
BOARD_SORT_NAMES = {
    "trending": lazy_gettext("Trending"),
    "top": lazy_gettext("Top"),
    "new": lazy_gettext("New"),
    "updated": lazy_gettext("Recently updated"),
}
INBOX_SORT_NAMES = {
    "triage": lazy_gettext("New first"),
    "votes": lazy_gettext("Most votes"),
    "trending": lazy_gettext("Trending"),
    "newest": lazy_gettext("Newest"),
    "waiting": lazy_gettext("Waiting longest"),
    "priority": lazy_gettext("Highest priority"),
}
# The colours a tag may have (ideas.tags.TAG_COLOURS).
COLOUR_NAMES = {
    "grey": lazy_gettext("Grey"),
    "blue": lazy_gettext("Blue"),
    "purple": lazy_gettext("Purple"),
    "teal": lazy_gettext("Teal"),
    "indigo": lazy_gettext("Indigo"),
    "brown": lazy_gettext("Brown"),
    "green": lazy_gettext("Green"),
    "orange": lazy_gettext("Orange"),
    "red": lazy_gettext("Red"),
}
# Lower case, as the members list shows them; headings capitalise.
# How much an idea matters to a backer (votes.importance).
IMPORTANCE_NAMES = {"nice_to_have": lazy_gettext("Nice to have"), "important": lazy_gettext("Important"),
                    "critical": lazy_gettext("Critical")}
ROLE_NAMES = {
    "member": lazy_gettext("member"),
    "staff": lazy_gettext("staff"),
    "admin": lazy_gettext("admin"),
}

babel = Babel()
_DEFAULT_BABEL_LOCALE = BabelLocale.parse(DEFAULT_LOCALE)


def select_locale() -> str:
    """Flask-Babel's locale selector, asked once per request; the choice is kept on `g.chosen_locale`
    too, for answers that must not choose afresh (a busy database: see chosen_locale)."""
    if not has_request_context():
        return DEFAULT_LOCALE
    g.chosen_locale = _choose_locale()
    return g.chosen_locale


def _choose_locale() -> str:
    """The member's setting, else the browser's best supported choice, else English."""
    if (request.blueprint or "").partition(".")[0] == "api":
        return DEFAULT_LOCALE
    chosen = getattr(current_user, "locale", None) if current_user else None
    if chosen in SUPPORTED_LOCALES:
        return chosen
    return browser_locale() or DEFAULT_LOCALE


def chosen_locale() -> str | None:
    """The locale this request has already chosen, or None while none is: asking Flask-Babel
    would choose one, and that reads the signed-in member's setting from the database."""
    return g.get("chosen_locale") if has_request_context() else None


def browser_locale() -> str | None:
    """The supported language the request's Accept-Language asks for, or None."""
    return request.accept_languages.best_match(SUPPORTED_LOCALES) if has_request_context() else None


def select_timezone() -> str:
    """The signed-in member's time zone (chosen for the digest), else UTC."""
    zone = reader_zone()
    return zone.key if isinstance(zone, ZoneInfo) else "UTC"


def reader_zone() -> tzinfo:
    """The signed-in member's time zone as a tzinfo, UTC when none or unknown."""
    zone_name = getattr(current_user, "timezone", None) if has_request_context() else None
    try:
        return ZoneInfo(zone_name) if zone_name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def current_locale() -> str:
    """The locale in force as a string ("en", "de"); English outside any request."""
    return str(babel_locale())


def babel_locale() -> BabelLocale:
    """The locale in force as Babel's Locale: Babel parses a string on every call, not a Locale.
    Flask-Babel chooses it once per request (select_locale) and keeps it; English outside any."""
    locale = get_locale()
    return locale if locale is not None else _DEFAULT_BABEL_LOCALE


def relative_time(moment: datetime, now: datetime | None = None,
                  locale: BabelLocale | None = None) -> str:
    """"3 days ago" / "vor 3 Tagen" for a timezone-aware moment; "just now" under a minute."""
    now = now or datetime.now(timezone.utc)
    seconds = (now - moment).total_seconds()
    if seconds < 60:  # a moment in the future is a clock's skew: "just now" too
        return gettext("just now")
    # Whole minutes are all the words can show (Babel rounds to the unit it names), so pages
    # listing the same ideas share one formatting per minute of age.
    return _minutes_ago(round(seconds / 60), locale or babel_locale())


@lru_cache(maxsize=4096)
def _minutes_ago(minutes: int, locale: BabelLocale) -> str:
    # threshold=1: 59 minutes stay "59 minutes", not "1 hour".
    return format_timedelta(timedelta(minutes=-minutes), threshold=1, add_direction=True, locale=locale)


def exact_time(moment: datetime, zone: tzinfo = timezone.utc, locale: BabelLocale | None = None) -> str:
    """"Monday 30 November 2026, 14:05 UTC": the words a hover shows, in the reader's language."""
    # Translators: a Unicode (CLDR) date pattern for the exact time shown on hover;
    # EEEE weekday, d day, MMMM month name, y year, HH:mm hours and minutes.
    pattern = gettext("EEEE d MMMM y, HH:mm")
    return _exact_time(moment, zone, pattern, locale or babel_locale())


@lru_cache(maxsize=4096)
def _exact_time(moment: datetime, zone: tzinfo, pattern: str, locale: BabelLocale) -> str:
    local = moment.astimezone(zone)
    words = babel_format_datetime(local, pattern, tzinfo=local.tzinfo, locale=locale)
    return f"{words} {local.tzname()}"


def long_date(moment: datetime) -> str:
    """"23 November 2026" / "23. November 2026": the day of a UTC moment, in the reader's language."""
    # Translators: a Unicode (CLDR) date pattern for a day: d day, MMMM month name, y year.
    return babel_format_date(moment.date(), gettext("d MMMM y"), locale=babel_locale())


def format_count(number: float | None) -> str:
    """A count with the locale's digit grouping: 1,234 in English, 1.234 in German."""
    number = number or 0
    locale = babel_locale()
    group = _integer_grouping(locale) if isinstance(number, int) else None
    if group is None:
        return format_decimal(number, locale=locale)
    return f"{number:,}".replace(",", group) if abs(number) >= 1000 else str(number)


def format_amount(number: float | Decimal | None) -> str:
    """A score or weight to at most two places, the locale's way: 1,234.5 in English, 1.234,5 in
    German. Fast where the locale writes numbers as Python does with its own two signs (a list of
    fifty scores would otherwise spend milliseconds in Babel)."""
    locale = babel_locale()
    signs = _decimal_signs(locale)
    if signs is None:
        return format_decimal(number or 0, format="#,##0.##", locale=locale)
    text = f"{float(number or 0):,.2f}".rstrip("0").rstrip(".")
    return text.translate(signs) if text != "-0" else "0"


@lru_cache(maxsize=None)
def _decimal_signs(locale: BabelLocale) -> dict[int, str] | None:
    """{ord(","): group sign, ord("."): decimal sign} when "{:,.2f}" with them writes what Babel
    writes for this locale (checked on samples); None sends the locale through Babel each time."""
    group, point = _integer_grouping(locale), get_decimal_symbol(locale)
    if group is None:
        return None
    signs = {ord(","): group, ord("."): point}
    for sample in (0.5, 1234.25, 1.1, 98765.43, -12.5):
        if f"{sample:,.2f}".rstrip("0").rstrip(".").translate(signs) != format_decimal(
                sample, format="#,##0.##", locale=locale):
            return None
    return signs


@lru_cache(maxsize=None)
def _integer_grouping(locale: BabelLocale) -> str | None:
    """The locale's group separator when whole numbers are written as Python's "{:,}" with it
    (Latin digits, groups of three from 1,000); None sends the locale through Babel each time."""
    group = None
    for sample in (1000, 1234, 999999, 1234567, -98765):
        expected = format_decimal(sample, locale=locale)
        if group is None:
            group = expected[-4] if len(expected) > 4 else ""
        if not group or f"{sample:,}".replace(",", group) != expected:
            return None
    return group


def translation_directory(app: Flask) -> str:
    """translations/ beside the package, like templates/ and static/."""
    return os.path.normpath(os.path.join(app.root_path, "..", "translations"))


def register_i18n(app: Flask) -> None:
    """Bind Flask-Babel with our selectors; Flask-Login's messages follow the locale too."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", translation_directory(app))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.globals.update(
        current_locale=current_locale, LOCALE_NAMES=LOCALE_NAMES,
        KIND_LABELS=KIND_NAMES, ROLE_LABELS=ROLE_NAMES,
        IMPORTANCE_LABELS=IMPORTANCE_NAMES,
    )
    app.jinja_env.filters["number"] = format_count
    app.jinja_env.filters["decimal"] = format_amount
    # Templates ask for translations hundreds of times a page; Flask-Babel's own callables
    # look the request's locale up through several proxies each time (a third of a board's CPU).
    # The i18n extension (Flask-Babel loads it) adds this method to the environment at run time.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=gettext,
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


_translations_by_locale: dict[BabelLocale, NullTranslations] = {}


def _translations() -> NullTranslations:
    """The catalogue of the locale in force (force_locale included), found with one lookup once
    Flask-Babel has chosen the locale: its own callables go through several proxies each time."""
    locale = get_locale()
    try:
        return _translations_by_locale[locale]
    except KeyError:
        translations = get_translations()
        if locale is not None:  # outside any request Flask-Babel answers with empty translations
            _translations_by_locale[locale] = translations
        return translations


@lru_cache(maxsize=None)
def _wtforms_catalogue(locale: BabelLocale) -> NullTranslations:
    return BabelTranslations.load(wtforms_messages_path(), [locale], domain="wtforms")


class WTFormsTranslations:
    """WTForms' own messages ("Not a valid choice") in the reader's language, each language's
    catalogue read once per process (Flask-WTF reads it from disk for every request that builds
    a form, half a millisecond each time)."""

    def gettext(self, string: str) -> str:
        return _wtforms_catalogue(babel_locale()).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalogue(babel_locale()).ungettext(singular, plural, n)


wtforms_translations = WTFormsTranslations()

