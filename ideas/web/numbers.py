"""Numbers that arrive in URLs, kept to what the database can hold before any query runs.

Ids are PostgreSQL INTEGER columns: comparing one with 2**31 fails ("integer out of range")
and SQLite fails at 2**63, so a bigger id must never reach a query. Page numbers become an
OFFSET, which must stay a small number too.
"""
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter, Map

from ..models.types import INTEGER_MAX as ID_MAX

PAGE_MAX = 10_000  # far beyond any real page; times the largest page size still fits an INTEGER


# 1 to 2147483647, digit by digit. The range must be in the pattern: werkzeug checks a converter's
# min and max only after it has chosen a rule by method, so DELETE /api/v1/ideas/0 would be a 405
# wherever another method shares the path.
ID_PATTERN = (r"0*(?:[1-9]\d{0,8}|1\d{9}|20\d{8}|21[0-3]\d{7}|214[0-6]\d{6}|2147[0-3]\d{5}"
              r"|21474[0-7]\d{4}|214748[0-2]\d{3}|2147483[0-5]\d{2}|21474836[0-3]\d|214748364[0-7])")


class IdConverter(IntegerConverter):
    """`<id:name>`: a row id from 1 to ID_MAX; any other number matches no route, so it is a 404."""

    regex = ID_PATTERN

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=ID_MAX)


def register_id_converter(url_map: Map) -> None:
    """Make `<id:…>` available to the routes; call before any blueprint is registered."""
    url_map.converters["id"] = IdConverter


def page_number(args: MultiDict, name: str = "page") -> int:
    """The page `args[name]` asks for, from 1 to PAGE_MAX; missing or not a number is page 1.

    A page past the end shows an empty page (as GitHub's lists do), not an error.
    """
    number = args.get(name, 1, type=int) or 1
    return min(max(number, 1), PAGE_MAX)
