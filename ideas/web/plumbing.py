"""What every blueprint (pages and JSON API) leans on: the `<id:…>` converter, page numbers and
pages, the role checks, the one loader per object, and whom a request counts against for rate
limits. Views import from here, never from one another.

Ids are PostgreSQL INTEGER columns: comparing one with 2**31 fails ("integer out of range")
and SQLite fails at 2**63, so a bigger id must never reach a query. Page numbers become an
OFFSET, which must stay a small number too.
"""
from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable, Container, Sequence, TypeVar

from flask import abort, current_app, g, request
from flask_login import current_user, login_required
from sqlalchemy import Select
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter, Map

from ..api_keys import find_api_key
from ..comments import may_read
from ..extensions import db
from ..models import KINDS, ApiKey, Comment, Idea, User
from ..models.types import INTEGER_MAX as ID_MAX
from ..tags import TAG_NAME_MAX
from ..visibility import can_see_idea, moderated_boards
# The API's upload takes its own body limit too, and may lean on this module only.
from .body_limits import accepts_body_up_to  # noqa: F401

View = TypeVar("View", bound=Callable[..., Any])

# -- Numbers in URLs --------------------------------------------------------------------------

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


# -- Filters of a list --------------------------------------------------------------------------
# A filter from the query string that the list does not know is dropped, never an error.

def chosen(args: MultiDict[str, str], name: str, choices: Container[str], default: str = "") -> str:
    """`args[name]` when it is one of `choices`, else `default`."""
    value = args.get(name, default)
    return value if value in choices else default


def typed(args: MultiDict[str, str], name: str, limit: int) -> str:
    """`args[name]` as typed, cut to `limit` characters, without NUL (which no column holds)."""
    return args.get(name, "")[:limit].replace("\x00", "")


def idea_filters(args: MultiDict[str, str], sorts: Container[str], default_sort: str,
                 statuses: Container[str]) -> dict[str, str]:
    """What every list of ideas (the board, the team's inbox) is sorted and narrowed by: one of
    its `sorts`, one of the `statuses` it lists, a kind, a tag's name."""
    return {
        "sort": chosen(args, "sort", sorts, default_sort),
        "status": chosen(args, "status", statuses),
        "kind": chosen(args, "kind", KINDS),
        "tag": typed(args, "tag", TAG_NAME_MAX),
    }


# -- Pages of rows ------------------------------------------------------------------------------
# Paging by "one row more than the page" needs no COUNT over big tables.

@dataclass
class Page:
    """One page of results; has_next is known by fetching one row more than shown."""

    items: list
    number: int
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def prev_num(self) -> int:
        return self.number - 1

    @property
    def next_num(self) -> int:
        return self.number + 1


def fetch_page(statement: Select, number: int, per_page: int,
               load: Callable[[list], Sequence] | None = None, scalars: bool = True) -> Page:
    """Run `statement` for page `number` without a COUNT over the whole list.

    With `load`, `statement` selects ids only and `load(ids)` turns the page's ids into rows:
    sorting thousands of search matches, or skipping to page 50, then moves narrow rows
    instead of whole ideas with their descriptions. `scalars=False` keeps whole result rows.
    """
    result = db.session.execute(statement.limit(per_page + 1).offset((number - 1) * per_page))
    rows = list(result.scalars() if scalars else result.all())
    if load is not None:
        rows = list(load(rows))
    return Page(items=rows[:per_page], number=number, has_next=len(rows) > per_page)


def page_of(statement: Select, per_page: int, name: str = "page", scalars: bool = True) -> Page:
    """One page of `statement`'s rows (or first entities), numbered by the query argument `name`."""
    return fetch_page(statement, page_number(request.args, name), per_page, scalars=scalars)


# -- Roles --------------------------------------------------------------------------------------

def role_required(role: str, allowed: Callable[[User], bool]) -> Callable[[View], View]:
    """A view for members whose role passes `allowed(member)`; others get 403.

    The view is marked with `required_role`, so the tests find every such route.
    """
    def decorator(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not allowed(current_user):
                abort(403)
            return view(*args, **kwargs)
        wrapper.required_role = role  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]
    return decorator


staff_required = role_required("staff", lambda member: member.is_staff)
admin_required = role_required("admin", lambda member: member.is_admin)
# Staff, and members who moderate a board (the rule checks it is the idea's board).
moderator_required = role_required("moderator",
                                   lambda member: member.is_staff or bool(moderated_boards(member)))


# -- One loader per object: 404 when it is missing or hidden from this person --------------------

def get_idea(idea_id: int) -> Idea:
    """The idea, or 404 when it is missing or hidden from this person."""
    idea = db.session.get(Idea, idea_id) if idea_id <= ID_MAX else None
    if idea is None or not can_see_idea(current_user, idea):
        abort(404)
    return idea


def get_comment(comment_id: int) -> Comment:
    """The comment, or 404 (also when it or its idea is hidden from this person): the thread's own
    rule, comments.may_read (internal notes for staff; hidden comments for staff and the board's
    moderators, who may unhide them)."""
    comment = db.session.get(Comment, comment_id) if comment_id <= ID_MAX else None
    if comment is None:
        abort(404)
    if not may_read(current_user, get_idea(comment.idea_id), comment):
        abort(404)
    return comment


# -- API keys: a request to the JSON API may present one -----------------------------------------

API_BLUEPRINT = "api"


def presented_token() -> str | None:
    """The token of the Authorization header; "" when the header is not `Bearer <token>`; None
    when there is no header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def judged_by_api_key() -> bool:
    """True for an API request with an Authorization header: it alone decides who is asking, never
    the session cookie. Pages ignore the header."""
    return request.blueprint == API_BLUEPRINT and presented_token() is not None


def request_api_key() -> ApiKey | None:
    """The live key this request presents (looked up once per request), or None."""
    if "api_key" not in g:
        token = presented_token()
        g.api_key = find_api_key(token) if token else None
    return g.api_key


def member_for_api_key() -> User | None:
    """The owner of the live key this request presents, or None."""
    key = request_api_key()
    return key.user if key is not None else None


# -- Whom a request counts against for rate limits ----------------------------------------------
# The limiter is one object for every app of the process and keeps the first app's key prefix,
# so each key carries its own app's RATELIMIT_KEY_PREFIX (the suite builds many apps).

def _scoped(key: str) -> str:
    """`key` under this app's RATELIMIT_KEY_PREFIX."""
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    return f"{prefix}/{key}" if prefix else key


def rate_limit_key() -> str:
    """Limits count per API key on the API, per member when signed in, per address otherwise.

    An API request with a bad key counts per address: the header never buys a fresh allowance.
    """
    if judged_by_api_key():
        key = request_api_key()
        return _scoped(f"apikey:{key.id}") if key is not None else address_key()
    if current_user.is_authenticated:
        return _scoped(f"member:{current_user.id}")
    return address_key()


def address_key() -> str:
    """For forms that create or enter accounts: always per address, so that signing in as
    a fresh account never brings a fresh allowance."""
    return _scoped(f"addr:{request.remote_addr}")
