"""Pages of results with a `next` link, fetched without counting the whole list."""
from collections.abc import Sequence
from typing import Any

from flask import request, url_for
from sqlalchemy import Select

from ..web.plumbing import PAGE_MAX, fetch_page
from .fields import Integer

PER_PAGE = 20
PER_PAGE_MAX = 100

PAGE_FIELDS = {
    "page": Integer(1, PAGE_MAX, "Which page, from 1."),
    "per_page": Integer(1, PER_PAGE_MAX, f"How many per page (default {PER_PAGE})."),
}


def page_of(statement: Select, args: dict[str, Any],
            scalars: bool = True) -> tuple[Sequence[Any], str | None]:
    """(items, next URL or None) for the page `args` asks for; `args` are the checked query values.
    `scalars=False` keeps whole result rows."""
    number = args.get("page", 1)
    page = fetch_page(statement, number, args.get("per_page", PER_PAGE), scalars=scalars)
    next_url = None
    if page.has_next:
        # Only views call this, so the request matched a rule: it has an endpoint and view args.
        assert request.endpoint is not None and request.view_args is not None
        next_url = url_for(request.endpoint, **request.view_args, **{**args, "page": number + 1},
                           _external=True)
    return page.items, next_url
