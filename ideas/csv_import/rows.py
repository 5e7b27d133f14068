"""Rows of an import file, checked cell by cell and put in our terms: an IdeaRow or a VoteRow.

A wrong cell raises RowProblem naming its column; the walk (ideas/csv_import/writer.py) leaves
the row out and lists the problem.
"""
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal, overload

from flask_babel import force_locale, gettext

from ..accounts import EMAIL_MAX, EMAIL_SHAPE, NAME_MAX, name_from_address, normalise_email
from ..csv_export import unguard_cell
from ..i18n import format_count
from ..models import DESCRIPTION_MAX, KINDS, TITLE_MAX
from ..models.types import INTEGER_MAX
from ..status_list import MERGED, MERGED_STATUS, keys, statuses
from ..statuses import NOTE_MAX
from ..tags import TAG_NAME_MAX

EXTERNAL_ID_MAX = 200

# Other tools' statuses, lower-cased with "_" and "-" read as spaces, mapped to ours.
FIDER_STATUSES = {
    "open": "open", "planned": "planned", "started": "in_progress", "completed": "shipped",
    "declined": "declined", "duplicate": "declined",
}
CANNY_STATUSES = {
    "open": "open", "under review": "under_review", "planned": "planned", "in progress": "in_progress",
    "complete": "shipped", "completed": "shipped", "closed": "declined",
}


def own_statuses() -> dict[str, str]:
    """Our statuses (the admins' list, and merged) by key, by English label (built-in or the
    admins'), and by every label the admins wrote, as _status reads names."""
    mapping: dict[str, str] = {}
    with force_locale("en"):
        for status in (*statuses(), MERGED_STATUS):
            for name in (status.key, status.label, *status.labels.values()):
                mapping.setdefault(_status_name(name), status.key)
    return mapping


def _status_name(value: str) -> str:
    """A status name as _status compares them: lower case, "_" and "-" read as spaces."""
    return " ".join(value.lower().replace("_", " ").replace("-", " ").split())


class RowProblem(Exception):
    """One cell of one row is wrong; the row is left out and the problem listed."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def _text(cells: Sequence[str], positions: Mapping[str, int], name: str, unescape: bool = False) -> str:
    """The trimmed cell of field `name` ("" when the file has no such column)."""
    position = positions.get(name)
    if position is None or position >= len(cells):
        return ""
    value = cells[position].strip()
    # Our export guards formula-like cells with apostrophes; take them off again.
    return unguard_cell(value) if unescape else value


def _integer(value: str, column: str) -> int:
    """A count from a cell: a whole number from 0 to 2^31 - 1; empty is 0."""
    if value == "":
        return 0
    if not value.isdigit() or int(value) > INTEGER_MAX:
        raise RowProblem(column, gettext("“%(value)s” is not a whole number of 0 or more.", value=value[:40]))
    return int(value)


US_DATE_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y")


@overload
def _when(value: str, column: str, default: datetime) -> datetime: ...


@overload
def _when(value: str, column: str, default: None = None) -> datetime | None: ...


def _when(value: str, column: str, default: datetime | None = None) -> datetime | None:
    """A timezone-aware datetime from ISO 8601 (or a US date); naive times are taken as UTC."""
    if value == "":
        return default
    parsed = _parse_time(value.replace(" UTC", "+00:00"))
    if parsed is None:
        raise RowProblem(column, gettext("“%(value)s” is not a date: use ISO 8601, e.g. 2026-03-01T09:30Z.",
                                         value=value[:40]))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def _parse_time(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    for pattern in US_DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    return None


@overload
def _email(value: str, column: str, required: Literal[True]) -> str: ...


@overload
def _email(value: str, column: str, required: bool) -> str | None: ...


def _email(value: str, column: str, required: bool) -> str | None:
    """A normalised email address, None when empty and not required."""
    email = normalise_email(value)
    if not email:
        if required:
            raise RowProblem(column, gettext("An email address is required."))
        return None
    if len(email) > EMAIL_MAX or not EMAIL_SHAPE.fullmatch(email):
        raise RowProblem(column, gettext("“%(value)s” is not an email address.", value=value[:60]))
    return email


def _name(value: str, email: str | None) -> str:
    """A display name from a cell, else from the address."""
    name = " ".join(value.replace("\x00", "").split())[:NAME_MAX]
    return name or (name_from_address(email) if email else "")


def _external_id(value: str, column: str) -> str:
    """The other tool's id of the row."""
    if not value:
        raise RowProblem(column, gettext("The row has no id."))
    if len(value) > EXTERNAL_ID_MAX:
        raise RowProblem(column, gettext("The id is longer than %(limit)s characters.",
                                         limit=EXTERNAL_ID_MAX))
    return value


def _tags(value: str, column: str, *extra: str) -> list[str]:
    """Tag names from a comma-separated cell (plus `extra` ones, e.g. a board), lower-cased."""
    names = [" ".join(part.split()).lower() for part in value.split(",")]
    names += [" ".join(part.split()).lower() for part in extra]
    names = list(dict.fromkeys(name for name in names if name))
    for name in names:
        if len(name) > TAG_NAME_MAX:
            raise RowProblem(column, gettext("The tag “%(name)s” is longer than %(limit)s characters.",
                                             name=name[:50], limit=TAG_NAME_MAX))
    return names


def _status(value: str, column: str, mapping: Mapping[str, str], tool: str) -> str:
    """Our status for another tool's status name."""
    key = _status_name(value)
    if key not in mapping:
        known = ", ".join([*keys(), MERGED] if tool == "Ideas" else mapping)
        raise RowProblem(column, gettext("“%(value)s” is not a %(tool)s status we know (%(known)s).",
                                         value=value[:40], tool=tool, known=known))
    return mapping[key]


@dataclass
class IdeaRow:
    """One row of an ideas or posts file, checked and in our terms."""

    row: int
    external_id: str
    title: str
    description: str
    kind: str
    status: str
    note: str
    tags: list
    author_email: str | None
    author_name: str
    created_at: datetime
    status_changed_at: datetime
    imported_votes: int


@dataclass
class VoteRow:
    """One row of a votes file, checked."""

    row: int
    idea_external_id: str
    email: str
    name: str
    created_at: datetime


def _check_text(title: str, description: str, column_title: str, column_description: str) -> None:
    """The rules the idea form applies to title and description."""
    if not title:
        raise RowProblem(column_title, gettext("The title is empty."))
    if len(title) > TITLE_MAX:
        raise RowProblem(column_title, gettext("The title is longer than %(limit)s characters.",
                                               limit=TITLE_MAX))
    if len(description) > DESCRIPTION_MAX:
        raise RowProblem(column_description, gettext("The text is longer than %(limit)s characters.",
                                                     limit=format_count(DESCRIPTION_MAX)))
    if "\x00" in title or "\x00" in description:
        raise RowProblem(column_title, gettext("The text holds characters that cannot be stored."))


def parse_own_idea(number: int, cells: list[str], positions: dict[str, int], now: datetime) -> IdeaRow:
    """A row of our own ideas file."""
    def text(name: str) -> str:
        return _text(cells, positions, name, unescape=True)

    external_id = _external_id(text("id"), "id")
    title, description = " ".join(text("title").split()), text("description")
    _check_text(title, description, "title", "description")
    kind = text("kind").lower() or "idea"
    if kind not in KINDS:
        raise RowProblem("kind", gettext("“%(value)s” is not a kind: use idea, problem or praise.",
                                         value=kind[:40]))
    status = _status(text("status"), "status", own_statuses(), "Ideas")
    if status == "merged":
        raise RowProblem("status", gettext("Merged ideas are not imported: "
                                           "their votes moved to the surviving idea."))
    created = _when(text("created"), "created", now)
    changed = _when(text("last_status_change"), "last_status_change", created)
    note = "Declined before this idea was imported." if status == "declined" else ""
    email = _email(text("author_email"), "author_email", required=True)
    return IdeaRow(number, external_id, title, description, kind, status, note, _tags(text("tags"), "tags"),
                   email, _name(text("author_name"), email), created, changed,
                   _integer(text("imported_votes"), "imported_votes"))


def parse_fider_post(number: int, cells: list[str], positions: dict[str, int], now: datetime) -> IdeaRow:
    """A row of Fider's posts export; its vote count has no voters, so it becomes imported votes."""
    def text(name: str) -> str:
        return _text(cells, positions, name)

    external_id = _external_id(text("id"), "number")
    if text("status").lower() == "deleted":
        raise RowProblem("status", gettext("The post was deleted in Fider, so it is not imported."))
    status = _status(text("status"), "status", FIDER_STATUSES, "Fider")
    title, description = " ".join(text("title").split()), text("description")
    created = _when(text("created"), "created_at", now)
    author = _name(text("author_name"), None) or "someone"
    description = _signed(description, f"Posted in Fider by {author} on {created:%Y-%m-%d}.")
    _check_text(title, description, "title", "description")
    response = text("response")
    if response and text("responded_by"):
        response = f"{text('responded_by')} answered in Fider: {response}"
    if text("status").lower() == "duplicate":
        original = f"#{text('original_number')} “{text('original_title')}”".strip()
        response = f"A duplicate of Fider post {original}. {response}".strip()
    if status == "declined" and not response:
        response = "Declined in Fider before this idea was imported."
    if len(response) > NOTE_MAX:
        raise RowProblem("response", gettext("The response is longer than %(limit)s characters.",
                                             limit=format_count(NOTE_MAX)))
    changed = _when(text("responded_at"), "responded_at", created) if status != "open" else created
    return IdeaRow(number, external_id, title, description, "idea", status, response,
                   _tags(text("tags"), "tags"), None, author, created, changed,
                   _integer(text("imported_votes"), "votes_count"))


def parse_canny_post(number: int, cells: list[str], positions: dict[str, int], now: datetime) -> IdeaRow:
    """A row of Canny's posts export; board and category become tags."""
    def text(name: str) -> str:
        return _text(cells, positions, name)

    external_id = _external_id(text("id"), "id")
    status = _status(text("status") or "open", "status", CANNY_STATUSES, "Canny")
    title, description = " ".join(text("title").split()), text("description")
    email = _email(text("author_email"), "author_email", required=False)
    author = _name(text("author_name"), email)
    created = _when(text("created"), "created", now)
    if email is None:
        description = _signed(description, f"Posted in Canny by {author or 'someone'} on {created:%Y-%m-%d}.")
    _check_text(title, description, "title", "details")
    note = "Closed in Canny before this idea was imported." if status == "declined" else ""
    return IdeaRow(number, external_id, title, description, "idea", status, note,
                   _tags(text("tags"), "tags", text("board"), text("category")), email, author, created,
                   created, _integer(text("imported_votes"), "votes"))


def parse_vote(number: int, cells: list[str], positions: dict[str, int], now: datetime) -> VoteRow:
    """A row of a votes file (ours or Canny's): which idea, which member, when."""
    def text(name: str) -> str:
        return _text(cells, positions, name, unescape=True)

    idea_external_id = _external_id(text("idea_id"), "idea_id")
    email = _email(text("email"), "email", required=True)
    return VoteRow(number, idea_external_id, email, _name(text("name"), email),
                   _when(text("created"), "date", now))


def _signed(description: str, line: str) -> str:
    """The description with an italic line saying where it came from."""
    return f"{description}\n\n*{line}*" if description else f"*{line}*"


PARSERS = {
    "ideas-ideas": parse_own_idea, "ideas-votes": parse_vote, "fider-posts": parse_fider_post,
    "canny-posts": parse_canny_post, "canny-votes": parse_vote,
}
