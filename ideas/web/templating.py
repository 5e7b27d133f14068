"""Template filters and globals."""
from datetime import datetime, timezone
from typing import Any

from flask import Flask
from flask_login import current_user
from markupsafe import Markup

from ..i18n import exact_time, reader_zone, relative_time
from ..sanitize import plain_text
from ..board import board_of
from ..boards import main_board_name
from ..status_list import STATUS_NAMES, category_of, look, voting_open
from ..visibility import can_see_idea, is_public
from ..branding import current_brand
from .fragments import register_fragment_cache

__all__ = ["exact_time", "relative_time", "time_tag", "register_template_helpers"]


def time_tag(moment: datetime | None) -> Markup | str:
    """A <time> element: relative words, the exact time (in the reader's zone) on hover."""
    if moment is None:
        return ""
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        moment.astimezone(timezone.utc).isoformat(timespec="seconds"), exact_time(moment, reader_zone()),
        relative_time(moment),
    )


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    register_fragment_cache(app)
    app.jinja_env.filters["excerpt"] = lambda html, limit=180: plain_text(html, limit)
    app.jinja_env.filters["time"] = time_tag
    app.jinja_env.tests["public"] = is_public  # `idea is public`: ideas.visibility decides
    app.jinja_env.tests["seen"] = lambda idea: can_see_idea(current_user, idea)  # by the reader
    app.jinja_env.globals["main_board_name"] = main_board_name
    app.jinja_env.globals["board_of"] = board_of  # (slug, name) of an idea's board, or None
    app.jinja_env.globals["status_look"] = look  # a status badge's classes and symbol
    app.jinja_env.globals["STATUS_LABELS"] = STATUS_NAMES  # {key: label}, the admins' list, read afresh
    app.jinja_env.tests["open_for_votes"] = voting_open  # `idea is open_for_votes`
    app.jinja_env.globals["status_category"] = category_of

    @app.context_processor
    def site() -> dict[str, Any]:
        brand = current_brand()
        return {"site_name": brand.name, "brand": brand}
