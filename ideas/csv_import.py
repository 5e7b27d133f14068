"""CSV import of ideas and votes: our own export, Fider's posts export, Canny's posts and votes.

Nothing here knows about HTTP. `plan_import` is the dry run: it reads the file, names every bad
row and counts what would be created, and writes nothing. `run_import` walks the same code with
writing switched on, so what the dry run promised is what the import does.

Every created idea is recorded in `imported_records` under (source, "idea", external id), and a
member has one vote per idea, so importing a file again adds nothing: the import is idempotent. Members
named by email are created without a password and unconfirmed (so nothing is ever mailed to
them); they can claim the account with "forgot password". Work is set-based, a batch of rows
at a time, so large files cost a few queries per thousand rows.
"""
import _csv
import csv
import io
import json
import os
import re
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, overload

from flask_babel import gettext, lazy_gettext
from sqlalchemy import func, insert, select, text, tuple_, update

from . import audit
from .accounts import EMAIL_MAX, EMAIL_SHAPE, NAME_MAX, normalise_email
from .csv_export import unguard_cell
from .database import dialect_name, insert_many_ignoring_conflicts
from .errors import InvalidInput
from .extensions import db
from .i18n import format_count
from .models import (
    DESCRIPTION_MAX, KINDS, STATUS_LABELS, STATUSES, TITLE_MAX, Follow, Idea, ImportedRecord, Tag,
    TimelineEntry, User, Vote, idea_tags, utcnow,
)
from .models.types import INTEGER_MAX
from .statuses import NOTE_MAX
from .sanitize import render_markdown
from .tags import TAG_NAME_MAX
from .voting import trending_score

BATCH_SIZE = 1000
PROBLEMS_SHOWN = 500
EXTERNAL_ID_MAX = 200
UPLOAD_MAX_AGE = 24 * 3600  # seconds an uploaded file waits for its confirmation
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")

# Other tools' statuses, lower-cased with "_" and "-" read as spaces, mapped to ours.
FIDER_STATUSES = {
    "open": "open", "planned": "planned", "started": "in_progress", "completed": "shipped",
    "declined": "declined", "duplicate": "declined",
}
CANNY_STATUSES = {
    "open": "open", "under review": "under_review", "planned": "planned", "in progress": "in_progress",
    "complete": "shipped", "completed": "shipped", "closed": "declined",
}
OWN_STATUSES = {
    **{status: status for status in STATUSES},
    **{label.lower(): status for status, label in STATUS_LABELS.items()},
    **{status.replace("_", " "): status for status in STATUSES},
}
SOURCE_NAMES = {"ideas": "Ideas", "fider": "Fider", "canny": "Canny"}


class BadFile(InvalidInput):
    """The file as a whole cannot be imported (size, encoding, not CSV, unknown columns)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, {"file": message})


class RowProblem(Exception):
    """One cell of one row is wrong; the row is left out and the problem listed."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


@dataclass(frozen=True)
class Format:
    """One kind of file we accept, recognised by its header row."""

    name: str
    source: str  # ImportedRecord.source: whose ids the file's ids are
    kind: str  # "idea" or "vote": what one row becomes
    label: str
    # Our field name -> the header names that carry it (normalised: lower case, words joined by "_").
    columns: dict
    required: tuple  # fields the header must have

    def headers(self, fields: Iterable[str] | None = None) -> list[str]:
        """The header names each field may go by, for the page that lists them."""
        return [gettext(" or ").join(self.columns[name]) for name in (fields or self.columns)]

    def optional_headers(self) -> list[str]:
        """The other columns read, each with the names it may go by."""
        return [gettext(" or ").join(names) for name, names in self.columns.items()
                if name not in self.required]


OWN_IDEAS = Format("ideas-ideas", "ideas", "idea", lazy_gettext("Ideas: ideas file"), {
    "id": ("id",), "title": ("title",), "description": ("description",), "kind": ("kind",),
    "status": ("status",), "tags": ("tags",), "votes": ("votes",), "imported_votes": ("imported_votes",),
    "followers": ("followers",), "author_name": ("author_name",), "author_email": ("author_email",),
    "created": ("created",), "last_status_change": ("last_status_change",), "url": ("url",),
}, ("id", "title", "kind", "status", "author_email"))
OWN_VOTES = Format("ideas-votes", "ideas", "vote", lazy_gettext("Ideas: votes file"), {
    "idea_id": ("idea_id",), "email": ("member_email",), "name": ("member_name",), "created": ("date",),
}, ("idea_id", "email"))
# Fider's posts export (app/pkg/csv/csv.go in getfider/fider); older releases said total_votes.
FIDER_POSTS = Format("fider-posts", "fider", "idea", lazy_gettext("Fider: posts export"), {
    "id": ("number",), "title": ("title",), "description": ("description",), "created": ("created_at",),
    "author_name": ("created_by",), "imported_votes": ("votes_count", "total_votes"),
    "comments": ("comments_count", "total_comments"), "status": ("status",),
    "responded_by": ("responded_by",), "responded_at": ("responded_at",), "response": ("response",),
    "original_number": ("original_number",), "original_title": ("original_title",), "tags": ("tags",),
}, ("id", "title", "created", "author_name", "imported_votes", "status"))
# Canny's exports name the fields of Canny's post and vote objects; spelling varies, so
# "Author Email", "author_email" and "authorEmail" all read as author_email.
CANNY_POSTS = Format("canny-posts", "canny", "idea", lazy_gettext("Canny: posts export"), {
    "id": ("id", "post_id"), "title": ("title", "post_title"), "description": ("details", "post_details"),
    "status": ("status", "post_status"), "author_name": ("author_name", "author"),
    "author_email": ("author_email", "email"), "board": ("board", "board_name"),
    "category": ("category", "category_name"), "tags": ("tags",),
    "created": ("created", "created_at", "date"),
    "imported_votes": ("votes", "vote_count", "votes_count"), "url": ("url", "post_url"),
}, ("id", "title", "description"))
CANNY_VOTES = Format("canny-votes", "canny", "vote", lazy_gettext("Canny: votes export"), {
    "idea_id": ("post_id",), "email": ("voter_email", "email"), "name": ("voter_name", "voter", "name"),
    "created": ("created", "created_at", "date"), "post_title": ("post_title",),
}, ("idea_id", "email"))
FORMATS = (OWN_IDEAS, OWN_VOTES, FIDER_POSTS, CANNY_POSTS, CANNY_VOTES)


def normalise_header(name: str | None) -> str:
    """`Author Email`, `author_email` and `authorEmail` all become `author_email`."""
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", (name or "").strip())
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def detect_format(header: list[str]) -> tuple[Format, dict[str, int]]:
    """The format whose required columns the header row has, and each field's column index."""
    names = [normalise_header(cell) for cell in header]
    for candidate in FORMATS:
        positions = {}
        for name, accepted in candidate.columns.items():
            found = next((names.index(option) for option in accepted if option in names), None)
            if found is not None:
                positions[name] = found
        if all(name in positions for name in candidate.required):
            return candidate, positions
    shown = ", ".join(cell.strip() for cell in header[:8] if cell.strip()) or gettext("nothing")
    raise BadFile(gettext("The columns of this file (%(columns)s) match none of the formats listed below. "
                          "Upload an export of Ideas, Fider or Canny with its header row.", columns=shown))


# Reading the file.

def decode_upload(data: bytes, max_bytes: int) -> str:
    """The file's text (UTF-8, with or without a byte-order mark), or BadFile naming the problem."""
    if len(data) > max_bytes:
        raise BadFile(gettext("The file is larger than the limit of %(size)s MB. "
                              "Split it into smaller files and import them one after the other.",
                              size=max_bytes // (1024 * 1024) or 1))
    if not data.strip():
        raise BadFile(gettext("The file is empty."))
    if b"\x00" in data:
        raise BadFile(gettext("This is not a CSV file in UTF-8: it holds binary data. "
                              "Save it as “CSV UTF-8”."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadFile(gettext("The file is not UTF-8 text. "
                              "Save it as “CSV UTF-8” and upload it again.")) from None


def _reader(text: str) -> _csv.Reader:
    """A csv reader for the text; a header with semicolons and no commas means a semicolon file."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


@dataclass
class Problem:
    """One bad cell: the row (the header is row 1), the column, what is wrong."""

    row: int
    column: str
    message: str


@dataclass
class ImportPlan:
    """What a file holds and what importing it does (or did)."""

    format: Format
    filename: str = ""
    rows: int = 0
    ideas: int = 0
    votes: int = 0
    members: int = 0
    tags: int = 0
    imported_votes: int = 0
    already_imported: int = 0
    problems: list = field(default_factory=list)
    problem_count: int = 0

    def add_problem(self, row: int, column: str, message: str) -> None:
        """Count a problem; keep the first PROBLEMS_SHOWN for the page."""
        self.problem_count += 1
        if len(self.problems) < PROBLEMS_SHOWN:
            self.problems.append(Problem(row, column, message))

    @property
    def source_name(self) -> str:
        return SOURCE_NAMES[self.format.source]

    def summary(self) -> dict[str, Any]:
        """The counts, for the audit log."""
        return {"format": self.format.name, "file": self.filename, "rows": self.rows, "ideas": self.ideas,
                "votes": self.votes, "members": self.members, "tags": self.tags,
                "imported_votes": self.imported_votes, "already_imported": self.already_imported,
                "problems": self.problem_count}


# Cells.

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
    return name or (email.split("@")[0][:NAME_MAX] if email else "")


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
    key = " ".join(value.lower().replace("_", " ").replace("-", " ").split())
    if key not in mapping:
        known = ", ".join(STATUSES if tool == "Ideas" else mapping)
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
    status = _status(text("status"), "status", OWN_STATUSES, "Ideas")
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


# The walk through the file, shared by the dry run and the import.

class _Run:
    """State of one pass over a file: what exists, what this pass made (or would make)."""

    def __init__(self, actor: User, plan: ImportPlan, write: bool) -> None:
        self.actor = actor
        self.plan = plan
        self.write = write
        self.source = plan.format.source
        self.now = utcnow()
        self.seen_ids: dict[str, int] = {}  # external id -> first row, to name repeats
        self.seen_votes: set[tuple[int, str]] = set()
        self.new_members: dict[str, int | None] = {}  # email -> id (or None in a dry run)
        self.new_tags: dict[str, int | None] = {}  # name -> id (or None in a dry run)
        self.voted_ideas: dict[int, int] = {}  # idea id -> votes added, to fix counters at the end

    # Members and tags.

    def member_ids(self, people: dict[str, str]) -> dict[str, int | None]:
        """{email: member id or None (new, dry run)} for `people` ({email: name}); creates the new ones."""
        found: dict[str, int] = dict(db.session.execute(
            select(func.lower(User.email), User.id).where(func.lower(User.email).in_(list(people)))
        ).all())
        missing = [email for email in people if email not in found and email not in self.new_members]
        if missing:
            self.plan.members += len(missing)
            ids: Sequence[int | None] = [None] * len(missing)
            if self.write:
                ids = db.session.execute(
                    insert(User).returning(User.id, sort_by_parameter_order=True),
                    [dict(email=email, name=people[email] or email.split("@")[0][:NAME_MAX],
                          password_hash=None, role="member",
                          created_at=self.now) for email in missing],
                ).scalars().all()
            self.new_members.update(zip(missing, ids, strict=True))
        return {email: found.get(email, self.new_members.get(email)) for email in people}

    def tag_ids(self, names: list[str]) -> dict[str, int | None]:
        """{name: tag id} for `names`, creating the tags that do not exist yet."""
        if not names:
            return {}
        found: dict[str, int] = dict(db.session.execute(
            select(func.lower(Tag.name), Tag.id).where(func.lower(Tag.name).in_(list(names)))
        ).all())
        for name in names:
            if name not in found and name not in self.new_tags:
                self.plan.tags += 1
                tag_id = None
                if self.write:
                    tag_id = db.session.execute(
                        insert(Tag).values(name=name, colour="grey").returning(Tag.id)).scalar_one()
                self.new_tags[name] = tag_id
        return {name: found.get(name, self.new_tags.get(name)) for name in names}

    def recorded(self, kind: str, external_ids: list[str]) -> dict[str, int]:
        """{external id: idea id} of rows an earlier import of this source already brought in."""
        if dialect_name() == "postgresql":
            # One index probe per id. With `external_id IN (...)`, PostgreSQL may read the whole
            # (source, kind) range and test each row against the list when its statistics are
            # stale, as they are while an import fills the table: quadratic on a big file.
            return dict(db.session.execute(text(
                "SELECT k.external_id, r.idea_id FROM unnest(CAST(:ids AS varchar[])) AS k(external_id) "
                "JOIN LATERAL (SELECT idea_id FROM imported_records WHERE source = :source AND kind = :kind "
                "AND external_id = k.external_id) AS r ON true"
            ), {"ids": list(external_ids), "source": self.source, "kind": kind}).all())
        return dict(db.session.execute(
            select(ImportedRecord.external_id, ImportedRecord.idea_id).where(
                ImportedRecord.source == self.source, ImportedRecord.kind == kind,
                ImportedRecord.external_id.in_(external_ids))
        ).all())

    def existing_votes(self, pairs: list[tuple[int | None, int]]) -> set[tuple[int, int]]:
        """The (member id, idea id) pairs among `pairs` that already are votes."""
        if dialect_name() == "postgresql":
            return set(db.session.execute(text(
                "SELECT p.user_id, p.idea_id FROM "
                "unnest(CAST(:users AS integer[]), CAST(:ideas AS integer[])) AS p(user_id, idea_id) "
                "JOIN LATERAL (SELECT 1 FROM votes WHERE votes.user_id = p.user_id "
                "AND votes.idea_id = p.idea_id) AS v ON true"
            ), {"users": [user for user, _ in pairs], "ideas": [idea for _, idea in pairs]}).all())
        # Pairs, not two IN lists: those would probe every member with every idea of the batch.
        return set(db.session.execute(select(Vote.user_id, Vote.idea_id).where(
            tuple_(Vote.user_id, Vote.idea_id).in_(pairs))).all())

    # Ideas.

    def take_ideas(self, rows: list[IdeaRow]) -> None:
        """Ideas of a batch: new ones created with their author, tags, follow and timeline step."""
        rows = [row for row in rows if self._first(row.row, row.external_id, "id")]
        done = self.recorded("idea", [row.external_id for row in rows])
        self.plan.already_imported += sum(1 for row in rows if row.external_id in done)
        rows = [row for row in rows if row.external_id not in done]
        if not rows:
            return
        authors = self.member_ids({row.author_email: row.author_name for row in rows if row.author_email})
        tags = self.tag_ids(list(dict.fromkeys(name for row in rows for name in row.tags)))
        self.plan.ideas += len(rows)
        self.plan.imported_votes += sum(row.imported_votes for row in rows)
        if not self.write:
            return
        idea_ids = db.session.execute(
            insert(Idea).returning(Idea.id, sort_by_parameter_order=True),
            [self._idea_values(row, authors) for row in rows]).scalars().all()
        created = list(zip(rows, idea_ids, strict=True))
        db.session.execute(insert(ImportedRecord), [
            dict(source=self.source, kind="idea", external_id=row.external_id, idea_id=idea_id,
                 created_at=self.now) for row, idea_id in created])
        insert_many_ignoring_conflicts(idea_tags, [
            dict(idea_id=idea_id, tag_id=tags[name]) for row, idea_id in created for name in row.tags])
        # Authors follow their idea; the staff member standing in for an unknown author hears of
        # status changes only, not of every comment on a thousand imported ideas.
        insert_many_ignoring_conflicts(Follow.__table__, [
            dict(user_id=authors[row.author_email] if row.author_email else self.actor.id, idea_id=idea_id,
                 following=True, reason="author", level="all" if row.author_email else "status",
                 created_at=self.now, updated_at=self.now) for row, idea_id in created])
        timeline = [
            dict(idea_id=idea_id, actor_id=self.actor.id, action="status", from_status="open",
                 to_status=row.status, note=row.note, note_html=render_markdown(row.note) if row.note else "",
                 created_at=row.status_changed_at)
            for row, idea_id in created if row.status != "open"]
        if timeline:
            db.session.execute(insert(TimelineEntry), timeline)

    def _idea_values(self, row: IdeaRow, authors: dict[str, int | None]) -> dict[str, Any]:
        """The columns of the idea a row becomes."""
        return dict(
            title=row.title, description=row.description, description_html=render_markdown(row.description),
            kind=row.kind, status=row.status,
            author_id=authors[row.author_email] if row.author_email else self.actor.id,
            vote_count=0, comment_count=0, imported_vote_count=row.imported_votes,
            trending_score=trending_score(0, row.created_at), created_at=row.created_at,
            updated_at=max(row.created_at, row.status_changed_at), status_changed_at=row.status_changed_at,
            awaiting_approval=False)

    # Votes.

    def take_votes(self, rows: list[VoteRow]) -> None:
        """Votes of a batch: one per member and idea (the database's rule), so a vote already there
        is left alone and importing the file again adds nothing."""
        ideas = self.recorded("idea", list({row.idea_external_id for row in rows}))
        kept = []
        for row in rows:
            if row.idea_external_id not in ideas:
                self.plan.add_problem(
                    row.row, "idea_id", gettext("Idea %(id)s is not imported from %(tool)s yet: import its "
                                                "ideas file first.", id=row.idea_external_id[:40],
                                                tool=SOURCE_NAMES[self.source]))
                continue
            key = (ideas[row.idea_external_id], row.email)
            if key in self.seen_votes:
                self.plan.add_problem(row.row, "email", gettext("The same vote is on an earlier row."))
                continue
            self.seen_votes.add(key)
            kept.append((ideas[row.idea_external_id], row))
        if not kept:
            return
        members = self.member_ids({row.email: row.name for _, row in kept})
        pairs = [(members[row.email], idea_id) for idea_id, row in kept if members[row.email] is not None]
        existing = self.existing_votes(pairs) if pairs else set()
        new_votes = [(idea_id, row) for idea_id, row in kept if (members[row.email], idea_id) not in existing]
        self.plan.already_imported += len(kept) - len(new_votes)
        self.plan.votes += len(new_votes)
        if not self.write or not new_votes:
            return
        # A member voting this very moment must not fail the import: their vote stands.
        insert_many_ignoring_conflicts(Vote.__table__, [
            dict(user_id=members[row.email], idea_id=idea_id, created_at=row.created_at,
                 cast_by_id=self.actor.id) for idea_id, row in new_votes])
        for idea_id, _ in new_votes:
            self.voted_ideas[idea_id] = self.voted_ideas.get(idea_id, 0) + 1
        insert_many_ignoring_conflicts(Follow.__table__, [
            dict(user_id=members[row.email], idea_id=idea_id, following=True, reason="vote", level="status",
                 created_at=self.now, updated_at=self.now) for idea_id, row in new_votes])

    def fix_counters(self) -> None:
        """Stored vote counts, trending scores and imported counts of the ideas that got votes."""
        ideas = list(self.voted_ideas)
        for start in range(0, len(ideas), BATCH_SIZE):
            chunk = ideas[start:start + BATCH_SIZE]
            counted = select(func.count(Vote.id)).where(Vote.idea_id == Idea.id).scalar_subquery()
            db.session.execute(update(Idea).where(Idea.id.in_(chunk)).values(vote_count=counted),
                               execution_options={"synchronize_session": False})
            rows = db.session.execute(
                select(Idea.id, Idea.vote_count, Idea.created_at, Idea.imported_vote_count)
                .where(Idea.id.in_(chunk))).all()
            # Another tool's count included the voters its votes file now brings as members: what
            # stays "imported" is only the votes still without a voter, so nothing counts twice.
            lowers = self.source != "ideas"
            db.session.execute(update(Idea), [
                dict(id=idea_id, trending_score=trending_score(count, created_at),
                     imported_vote_count=max(imported - self.voted_ideas[idea_id], 0) if lowers else imported)
                for idea_id, count, created_at, imported in rows])

    def _first(self, row_number: int, external_id: str, column: str) -> bool:
        """False (and a problem) when an earlier row of the file had the same id."""
        earlier = self.seen_ids.get(external_id)
        if earlier is not None:
            self.plan.add_problem(row_number, column, gettext("The id %(id)s is on row %(row)s too.",
                                                              id=external_id[:40], row=earlier))
            return False
        self.seen_ids[external_id] = row_number
        return True


def _walk(actor: User, data: bytes, filename: str, max_bytes: int, write: bool) -> ImportPlan:
    """Read the file batch by batch; count (and with `write`, create) what it brings."""
    audit.require_staff(actor)
    text = decode_upload(data, max_bytes)
    reader = _reader(text)
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise BadFile(gettext("The file has no header row."))
        chosen, positions = detect_format(header)
        plan = ImportPlan(chosen, filename=filename)
        run = _Run(actor, plan, write)
        parse = PARSERS[chosen.name]
        take = run.take_ideas if chosen.kind == "idea" else run.take_votes
        batch: list[Any] = []  # IdeaRow or VoteRow, as `parse` and `take` go together
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            plan.rows += 1
            try:
                batch.append(parse(number, cells, positions, run.now))
            except RowProblem as problem:
                plan.add_problem(number, problem.column, problem.message)
            if len(batch) >= BATCH_SIZE:
                take(batch)
                batch = []
        if batch:
            take(batch)
    except csv.Error as error:
        raise BadFile(gettext("The file cannot be read as CSV near row %(row)s: %(error)s.",
                              row=reader.line_num, error=error)) from None
    if write:
        run.fix_counters()
        audit.record(actor, "csv.imported", ImportTarget(), {}, plan.summary())
        db.session.flush()
    return plan


class ImportTarget:
    """What the audit log names as the target of an import."""

    __tablename__ = "csv_import"
    id = None


def plan_import(actor: User, data: bytes, filename: str = "",
                max_bytes: int = 20 * 1024 * 1024) -> ImportPlan:
    """The dry run: problems row by row and what the import would create. Writes nothing."""
    return _walk(actor, data, filename, max_bytes, write=False)


def run_import(actor: User, data: bytes, filename: str = "",
               max_bytes: int = 20 * 1024 * 1024) -> ImportPlan:
    """Import the file (staff only): ideas, votes, members and tags; flushes, the caller commits."""
    return _walk(actor, data, filename, max_bytes, write=True)


# Uploads waiting between the dry run and the confirmation, kept server-side under a random token.

def store_upload(directory: str, actor: User, data: bytes, filename: str) -> str:
    """Keep the uploaded bytes for the confirmation step; returns the token that names them."""
    os.makedirs(directory, exist_ok=True)
    _discard_stale(directory)
    token = secrets.token_urlsafe(24)
    with open(os.path.join(directory, f"{token}.csv"), "wb") as handle:
        handle.write(data)
    with open(os.path.join(directory, f"{token}.json"), "w", encoding="utf-8") as handle:
        json.dump({"actor_id": actor.id, "filename": filename, "stored_at": time.time()}, handle)
    return token


def load_upload(directory: str, actor: User, token: str | None) -> tuple[bytes, str]:
    """(bytes, filename) of the upload named by `token`, if `actor` uploaded it and it is fresh."""
    expired = InvalidInput(gettext("This upload has expired or was already imported. Upload the file again."),
                           {"file": gettext("Upload the file again.")})
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        raise expired
    try:
        with open(os.path.join(directory, f"{token}.json"), encoding="utf-8") as handle:
            meta = json.load(handle)
        with open(os.path.join(directory, f"{token}.csv"), "rb") as handle:
            data = handle.read()
    except (OSError, ValueError):
        raise expired from None
    if meta.get("actor_id") != actor.id or time.time() - meta.get("stored_at", 0) > UPLOAD_MAX_AGE:
        raise expired
    return data, meta.get("filename", "")


def discard_upload(directory: str, token: str | None) -> None:
    """Remove a kept upload once imported."""
    if isinstance(token, str) and TOKEN_SHAPE.fullmatch(token):
        for suffix in (".csv", ".json"):
            try:
                os.remove(os.path.join(directory, token + suffix))
            except OSError:
                pass


def _discard_stale(directory: str) -> None:
    """Remove uploads nobody confirmed within UPLOAD_MAX_AGE."""
    cutoff = time.time() - UPLOAD_MAX_AGE
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        try:
            if os.path.getmtime(path) < cutoff:
                os.remove(path)
        except OSError:
            pass
