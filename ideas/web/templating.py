"""Template filters and globals."""
from datetime import datetime, timezone

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


def time_tag(moment):
    """A <time> element: relative words, the exact time on hover."""
    if moment is None:
        return ""
    exact = moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        moment.isoformat(), exact, relative_time(moment)
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
