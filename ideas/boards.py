"""Boards: admins make them (name, address, description, order, who may see them), staff move ideas
between them. Who sees which board is decided in ideas/visibility.py, which reads the boards'
access once per request (ideas/board_access.py).

The main board is no row (ideas on it have no board_id): it is the site's home page, open to
whoever may use the site, called as admins name it (MAIN_BOARD_NAME, "General" until then).
"""
import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from . import audit
from .board_access import MAIN, MAIN_SLUG, store_board_accesses
from .errors import InvalidInput, NotAllowed
from .events import BoardCreated, BoardDeleted, BoardUpdated, IdeaMoved, board_view
from .events.publish import publish
from .extensions import db
from .models import (
    BOARD_ACCESS, BOARD_DESCRIPTION_MAX, BOARD_NAME_MAX, BOARD_SLUG_MAX, Board, Company, Idea, Segment, Tag,
    User, utcnow,
)
from .site_settings import get_setting, set_setting
from .statuses import add_timeline_entry

RESERVED_SLUGS = frozenset({MAIN_SLUG, "new", "all", "admin"})
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# Reading boards

def all_boards() -> list[Board]:
    """Every board, in the admins' order."""
    return list(db.session.execute(select(Board).order_by(Board.position, Board.name)).scalars())


def board_by_slug(slug: Any) -> Board | None:
    """The board at `slug`, or None."""
    if not isinstance(slug, str) or not slug or len(slug) > BOARD_SLUG_MAX:
        return None
    return db.session.execute(select(Board).where(Board.slug == slug)).scalar()


def board_chosen(slug: str | None) -> Board | None:
    """The board a form or a body names by slug (None or main: the main board); InvalidInput on
    `board` when there is none. Whether the writer may post there is the rule's to say."""
    if slug is None or slug == MAIN_SLUG:
        return None
    board = board_by_slug(slug)
    if board is None:
        raise InvalidInput(_("Please correct the fields marked below."),
                           {"board": _("Choose a board from the list.")})
    return board


def main_board_name() -> str:
    """What the main board is called (admins may name it)."""
    return get_setting("main_board_name") or _("General")


def board_name(board: Board | None) -> str:
    return main_board_name() if board is None else board.name


def idea_counts() -> dict[int, int]:
    """{board id (MAIN for the main board): how many ideas it holds}, for the admins' list."""
    rows = db.session.execute(select(Idea.board_id, func.count()).group_by(Idea.board_id))
    return {MAIN if board_id is None else board_id: count for board_id, count in rows}


# Admins make, change and remove boards

def create_board(actor: User, fields: Mapping[str, Any]) -> Board:
    """Make a board (admins only); `fields` as `_checked` reads them."""
    audit.require_admin(actor)
    values, segments, companies, moderators = _checked(fields)
    now = utcnow()
    board = Board(**values, created_at=now, updated_at=now)
    board.segments, board.companies, board.moderators = segments, companies, moderators
    db.session.add(board)
    db.session.flush()
    store_board_accesses()
    publish(BoardCreated(actor, board))
    return board


def update_board(actor: User, board: Board, fields: Mapping[str, Any]) -> bool:
    """Change a board (admins only); False when nothing changed. Its new access holds at once."""
    audit.require_admin(actor)
    values, segments, companies, moderators = _checked(fields, board)
    before = board_view(board)
    for name, value in values.items():
        setattr(board, name, value)
    board.segments, board.companies, board.moderators = segments, companies, moderators
    if board_view(board) == before:
        return False
    board.updated_at = utcnow()
    db.session.flush()
    store_board_accesses()
    publish(BoardUpdated(actor, board, before))
    return True


def delete_board(actor: User, board: Board) -> None:
    """Remove a board that holds no idea (admins only): ideas are moved away first, never lost."""
    audit.require_admin(actor)
    if db.session.execute(select(Idea.id).where(Idea.board_id == board.id).limit(1)).scalar() is not None:
        raise NotAllowed(_("Move this board's ideas to another board before removing it."))
    before = board_view(board)
    db.session.execute(update(Tag).where(Tag.board_id == board.id).values(board_id=None))  # shared again
    db.session.delete(board)
    db.session.flush()
    store_board_accesses()
    publish(BoardDeleted(actor, board, before))


def rename_main_board(actor: User, name: Any) -> None:
    """Name the main board (admins only; empty: the default name)."""
    audit.require_admin(actor)
    name = " ".join(name.split()) if isinstance(name, str) else ""
    if len(name) > BOARD_NAME_MAX or "\x00" in name:
        problem = _("Keep the name to %(limit)s characters.", limit=BOARD_NAME_MAX)
        raise InvalidInput(_("Please correct the fields marked below."), {"main_board_name": problem})
    set_setting("main_board_name", "" if name == _("General") else name)


def slug_from(name: str) -> str:
    """An address made from a name: lower-case letters and digits joined by hyphens."""
    return "-".join(re.findall(r"[a-z0-9]+", name.lower()))[:BOARD_SLUG_MAX].strip("-")


def _checked(fields: Mapping[str, Any], board: Board | None = None) -> tuple[
        dict[str, Any], list[Segment], list[Company], list[User]]:
    """The board's columns, segments, companies and moderators from `fields` (name, slug,
    description, position, access, segment_ids, company_ids, moderators: email addresses), or
    InvalidInput naming each wrong field."""
    problems: dict[str, str] = {}
    name = _text(fields.get("name"), single_line=True)
    if not name or len(name) > BOARD_NAME_MAX:
        problems["name"] = _("Give the board a name of at most %(limit)s characters.", limit=BOARD_NAME_MAX)
    slug = _text(fields.get("slug"), single_line=True).lower() or slug_from(name)
    if not SLUG.fullmatch(slug) or len(slug) > BOARD_SLUG_MAX:
        problems["slug"] = _("Use lower-case letters, digits and single hyphens, at most %(limit)s.",
                             limit=BOARD_SLUG_MAX)
    elif slug in RESERVED_SLUGS:
        problems["slug"] = _("“%(slug)s” is kept for the site itself: choose another.", slug=slug)
    description = _text(fields.get("description"))
    if len(description) > BOARD_DESCRIPTION_MAX:
        problems["description"] = _("Keep the description to %(limit)s characters.",
                                    limit=BOARD_DESCRIPTION_MAX)
    try:
        position = int(fields.get("position") or 0)
        if not -10_000 <= position <= 10_000:
            raise ValueError
    except (TypeError, ValueError):
        problems["position"] = _("Give the order as a whole number.")
        position = 0
    access = fields.get("access")
    if access not in BOARD_ACCESS:
        problems["access"] = _("Choose who may see the board.")
    segments = _segments(fields.get("segment_ids"), problems)
    companies = _companies(fields.get("company_ids"), problems)
    moderators = _moderators(fields.get("moderators"), problems)
    if access == "chosen" and not segments and not companies and "segment_ids" not in problems:
        problems["segment_ids"] = _("Choose at least one segment or company the board opens to.")
    taken = {"name": _("Another board has this name."), "slug": _("Another board has this address.")}
    for column, value in (("name", name), ("slug", slug)):
        if column not in problems and _taken(column, value, board):
            problems[column] = taken[column]
    if problems:
        raise InvalidInput(_("Please correct the fields marked below."), problems)
    if access != "chosen":
        segments, companies = [], []
    values = dict(name=name, slug=slug, description=description, position=position, access=access)
    return values, segments, companies, moderators


def _text(value: Any, single_line: bool = False) -> str:
    if not isinstance(value, str):
        return ""
    value = value.replace("\x00", "").strip()
    return " ".join(value.split()) if single_line else value


def _ids(raw: Any) -> list[int] | None:
    """Whole numbers from a list of texts or numbers; None when one is not."""
    try:
        return sorted({int(value) for value in (raw or [])})
    except (TypeError, ValueError):
        return None


def _segments(raw: Any, problems: dict[str, str]) -> list[Segment]:
    ids = _ids(raw)
    found = db.session.execute(select(Segment).where(Segment.id.in_(ids or []))).scalars().all()
    if ids is None or len(found) != len(ids):
        problems["segment_ids"] = _("Choose segments from the list.")
    return list(found)


def _listed(raw: Any) -> list[str]:
    """The distinct items of a text listing them one per line or separated by commas (or of a list)."""
    if isinstance(raw, str):
        return sorted({part.strip() for part in re.split(r"[,\n]", raw) if part.strip()})
    if isinstance(raw, Iterable):
        return sorted({str(part).strip() for part in raw if str(part).strip()})
    return []


def _moderators(raw: Any, problems: dict[str, str]) -> list[User]:
    """Members by email address: each must have an account (staff moderate every board anyway)."""
    wanted = {address.lower() for address in _listed(raw)}
    found = list(db.session.execute(select(User).where(func.lower(User.email).in_(wanted))).scalars())
    missing = sorted(wanted - {member.email.lower() for member in found})
    if missing:
        problems["moderators"] = _("No member has the address %(addresses)s.",
                                   addresses=", ".join(missing[:5]))
    return found


def _companies(raw: Any, problems: dict[str, str]) -> list[Company]:
    """Companies by their external ids: a text of ids, one per line or separated by commas."""
    wanted = _listed(raw)
    found = list(db.session.execute(select(Company).where(Company.external_id.in_(wanted))).scalars())
    missing = sorted(set(wanted) - {company.external_id for company in found})
    if missing:
        problems["company_ids"] = _("No company has the id %(ids)s.", ids=", ".join(missing[:5]))
    return found


def _taken(column: str, value: str, board: Board | None) -> bool:
    taken = db.session.execute(select(Board.id).where(
        func.lower(getattr(Board, column)) == value.lower())).scalar()
    return taken is not None and (board is None or taken != board.id)


# Staff move ideas between boards

def move_idea(actor: User, idea: Idea, board: Board | None) -> bool:
    """Move `idea` to `board` (None: the main board); staff only. A timeline entry says so,
    followers keep following, and the new board's access holds at once everywhere. False when
    the idea is on that board already."""
    audit.require_staff(actor)
    target = board.id if board is not None else None
    if idea.board_id == target:
        return False
    before = board_name(db.session.get(Board, idea.board_id) if idea.board_id is not None else None)
    idea.board_id = target
    idea.updated_at = utcnow()
    # The old board's own tags stay with that board.
    idea.tags = [tag for tag in idea.tags if tag.board_id is None or tag.board_id == target]
    entry = add_timeline_entry(actor, idea, "moved")
    entry.board_name = board.name if board is not None else ""
    db.session.flush()
    publish(IdeaMoved(actor, idea, before, board_name(board)))
    return True
