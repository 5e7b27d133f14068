"""The files the import reads: each format's header names, which format a header row is, the text.

Our own export, Fider's posts export, and Canny's posts and votes exports. A format is known by
the columns its header row has, whatever their order, case or spelling (`Author Email`,
`author_email`, `authorEmail`).
"""
import _csv
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext, lazy_gettext

from ..errors import InvalidInput

SOURCE_NAMES = {"ideas": "Ideas", "fider": "Fider", "canny": "Canny"}


class BadFile(InvalidInput):
    """The file as a whole cannot be imported (size, encoding, not CSV, unknown columns)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, {"file": message})


@dataclass(frozen=True)
class Format:
    """One kind of file we accept, recognised by its header row."""

    name: str
    source: str  # ImportedRecord.source: whose ids the file's ids are
    kind: str  # "idea", "vote" or "company": what one row becomes
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
# Companies (ideas/csv_import/companies.py): every column besides these is an attribute.
OWN_COMPANIES = Format("ideas-companies", "ideas", "company", lazy_gettext("Ideas: companies file"), {
    "id": ("company_id",), "name": ("company_name",), "email": ("member_email",),
}, ("id", "name"))
FORMATS = (OWN_IDEAS, OWN_VOTES, FIDER_POSTS, CANNY_POSTS, CANNY_VOTES, OWN_COMPANIES)
# The position of a companies file's attribute column is kept under this prefix and its header.
ATTRIBUTE_COLUMN = "attribute:"


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
            if candidate.kind == "company":
                taken = set(positions.values())
                positions.update({ATTRIBUTE_COLUMN + name: index for index, name in enumerate(names)
                                  if name and index not in taken})
            return candidate, positions
    shown = ", ".join(cell.strip() for cell in header[:8] if cell.strip()) or gettext("nothing")
    raise BadFile(gettext("The columns of this file (%(columns)s) match none of the formats listed below. "
                          "Upload an export of Ideas, Fider or Canny, or a companies file, with its header "
                          "row.", columns=shown))


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


def csv_reader(text: str) -> _csv.Reader:
    """A csv reader for the text; a header with semicolons and no commas means a semicolon file."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
