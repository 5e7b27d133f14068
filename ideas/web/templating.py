"""Template filters and globals."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import has_request_context
from flask_login import current_user
from markupsafe import Markup

from ..models import KIND_LABELS, STATUS_LABELS
from ..sanitize import plain_text
from .branding import page_brand


def relative_time(moment, now=None):
    """"3 days ago" for a timezone-aware moment."""
    now = now or datetime.now(timezone.utc)
    seconds = int((now - moment).total_seconds())
    if seconds < 45:
        return "just now"
    for size, unit in ((31_536_000, "year"), (2_592_000, "month"), (604_800, "week"),
                       (86_400, "day"), (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            count = round(seconds / size) if seconds < 2 * size else seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def _reader_zone():
    """The signed-in member's time zone (chosen for the digest), else UTC."""
    zone_name = getattr(current_user, "timezone", None) if has_request_context() else None
    try:
        return ZoneInfo(zone_name) if zone_name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def exact_time(moment, zone=timezone.utc):
    """"Monday 30 November 2026, 14:05 UTC": the words a hover shows."""
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M} {local.tzname()}"


def time_tag(moment):
    """A <time> element: relative words, the exact time (in the reader's zone) on hover."""
    if moment is None:
        return ""
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        moment.astimezone(timezone.utc).isoformat(timespec="seconds"), exact_time(moment, _reader_zone()),
        relative_time(moment),
    )


def register_template_helpers(app):
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["excerpt"] = lambda html, limit=180: plain_text(html, limit)
    app.jinja_env.filters["time"] = time_tag
    app.jinja_env.globals.update(
        STATUS_LABELS=STATUS_LABELS,
        KIND_LABELS=KIND_LABELS,
    )

    @app.context_processor
    def site():
        brand = page_brand()
        return {"site_name": brand.name, "brand": brand}
