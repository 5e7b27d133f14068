"""CSV export of ideas and votes for staff, streamed a page at a time. Nothing here knows about HTTP.

Each page is one keyset query (`id > last id ORDER BY id LIMIT n`), so a million votes are
read in a thousand small queries that each use the primary key, and never held at once.

Columns added later go at the end (`url` stays where it was), for scripts that read a file by
position: so `board` (the idea's board by slug, "main" for the main board) comes last. A
backer's private note is never exported: the votes file says how much an idea matters to them
(`importance`), nothing more.
"""
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from flask_login import AnonymousUserMixin
from sqlalchemy import Select, func, select, true

from . import audit
from .boards import MAIN_SLUG
from .extensions import db
from .inbox import follower_counts
from .models import Board, Idea, IdeaPriority, Segment, Tag, User, Vote, idea_tags
from .segments import ideas_backed_by, segment_clause
from .visibility import listed_ideas

IDEA_COLUMNS = (
    "id", "title", "description", "kind", "status", "tags", "votes", "imported_votes", "followers",
    "author_name", "author_email", "created", "last_status_change", "url", "impact", "effort", "priority",
    "board",
)
URL_AT = IDEA_COLUMNS.index("url")  # the one column the caller fills in (it knows the site's URL)
VOTE_COLUMNS = ("idea_id", "member_email", "member_name", "date", "importance")
PAGE_SIZE = 1000
TAG_SEPARATOR = ", "
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection, CWE-1236).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A spreadsheet may split on ";" or a tab rather than our ",": German Excel does. Our quotes then
# no longer line up, so a cell can start after any separator or line break inside a field, and
# quotes there may be read as an empty quoted string before a formula.
CELL_START_INSIDE = re.compile(r"(?<=[,;\t\r\n])(?=\"*[=+\-@\t\r])")
GUARD_INSIDE = re.compile(r"(?<=[,;\t\r\n])'(?=\"*[=+\-@\t\r])")

# A row of the ideas file without its url: IDEA_COLUMNS' types, in order, dates and the
# priority score as text, impact and effort None when nobody set them.
IdeaRow = tuple[int, str, str, str, str, str, int, int, int, str, str, str, str, int | None, int | None, str,
                str]
# A row of the votes file: idea id, email, name, date, importance ("" when the backer did not say).
VoteRow = tuple[int, str, str, str, str]


def safe_cell(value: object) -> str:
    """The cell's text, with an apostrophe wherever a spreadsheet could start a cell that runs a formula."""
    if value is None:
        return ""
    text = CELL_START_INSIDE.sub("'", value if isinstance(value, str) else str(value))
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def unguard_cell(text: str) -> str:
    """The text `safe_cell` was given: its apostrophes taken off again (CSV import of our export)."""
    if len(text) > 1 and text[0] == "'" and text.startswith(FORMULA_STARTS, 1):
        text = text[1:]
    return GUARD_INSIDE.sub("", text)


def _timestamp(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _score(value: float | None) -> str:
    """A priority score as stored (two decimals at most), without trailing zeros; none yet is 0."""
    return f"{value or 0:.2f}".rstrip("0").rstrip(".")


def _lines(rows: Iterable[Iterable[object]]) -> str:
    """The CSV text of `rows`, each cell made safe and quoted."""
    buffer = io.StringIO()
    # Quoting every cell keeps a field whole for any reader that splits on our ",".
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def exported_ideas(viewer: User | AnonymousUserMixin, segment: Segment | None = None) -> Select[Idea]:
    """A select of the ideas the export holds: those staff find in lists (not withdrawn, not merged),
    and with a segment, those its members proposed or back."""
    statement = listed_ideas(viewer)
    return statement.where(ideas_backed_by(segment)) if segment is not None else statement


def idea_pages(viewer: User | AnonymousUserMixin, page_size: int | None = None,
               segment: Segment | None = None) -> Iterator[list[IdeaRow]]:
    """The exported ideas as lists of rows (tuples in IDEA_COLUMNS order, url left out), a page each.

    Rows are plain columns, not ORM objects, so nothing piles up in the session as pages go by.
    Impact, effort and the priority score come in the page's own query (an outer join: an idea
    without its priority row has neither, and a score of 0), and so does the board's slug.
    """
    audit.require_staff(viewer)
    page_size = page_size or PAGE_SIZE
    last_id = 0
    while True:
        rows = db.session.execute(
            exported_ideas(viewer, segment)
            .with_only_columns(Idea.id, Idea.title, Idea.description, Idea.kind, Idea.status, Idea.vote_count,
                               Idea.imported_vote_count, User.name, User.email, Idea.created_at,
                               Idea.status_changed_at, IdeaPriority.impact, IdeaPriority.effort,
                               IdeaPriority.score, func.coalesce(Board.slug, MAIN_SLUG).label("board"))
            .join_from(Idea, User, User.id == Idea.author_id)
            .outerjoin(IdeaPriority, IdeaPriority.idea_id == Idea.id)
            .outerjoin(Board, Board.id == Idea.board_id)
            .where(Idea.id > last_id).order_by(Idea.id).limit(page_size)
        ).all()
        if not rows:
            return
        ids = [row.id for row in rows]
        followers = dict(db.session.execute(follower_counts(ids)).all())
        tags: dict[int, list[str]] = {}
        for idea_id, name in db.session.execute(
            select(idea_tags.c.idea_id, Tag.name).join(Tag, Tag.id == idea_tags.c.tag_id)
            .where(idea_tags.c.idea_id.in_(ids)).order_by(Tag.name)
        ):
            tags.setdefault(idea_id, []).append(name)
        yield [
            (row.id, row.title, row.description, row.kind, row.status,
             TAG_SEPARATOR.join(tags.get(row.id, ())), row.vote_count, row.imported_vote_count,
             followers.get(row.id, 0), row.name, row.email,
             _timestamp(row.created_at), _timestamp(row.status_changed_at),
             row.impact, row.effort, _score(row.score), row.board)
            for row in rows
        ]
        last_id = ids[-1]


def vote_pages(viewer: User | AnonymousUserMixin, page_size: int | None = None,
               segment: Segment | None = None) -> Iterator[list[VoteRow]]:
    """Votes on the exported ideas as lists of (idea id, email, name, date, importance) rows, a page
    each; with a segment, only its members' votes. Never the backer's private note."""
    audit.require_staff(viewer)
    page_size = page_size or PAGE_SIZE
    # The same ideas as the ideas file, as a plain join (a page of votes probes their ideas by key).
    exported = exported_ideas(viewer).whereclause
    assert exported is not None  # listed_ideas always filters
    voters = segment_clause(segment) if segment is not None else true()
    last_id = 0
    while True:
        rows = db.session.execute(
            select(Vote.id, Vote.idea_id, User.email, User.name, Vote.created_at, Vote.importance)
            .join(User, User.id == Vote.user_id)
            .join(Idea, Idea.id == Vote.idea_id)
            .where(Vote.id > last_id, exported, voters)
            .order_by(Vote.id).limit(page_size)
        ).all()
        if not rows:
            return
        yield [(idea_id, email, name, _timestamp(created_at), importance or "")
               for _, idea_id, email, name, created_at, importance in rows]
        last_id = rows[-1][0]


def ideas_csv(viewer: User | AnonymousUserMixin, idea_url: Callable[[int], str],
              page_size: int | None = None, segment: Segment | None = None) -> Iterator[str]:
    """The ideas file as text chunks: a byte-order mark and header, then one chunk per page.

    `idea_url(idea_id)` gives each idea's address (the caller knows the site's URL).
    """
    yield "\ufeff" + _lines([IDEA_COLUMNS])
    for page in idea_pages(viewer, page_size, segment):
        yield _lines(row[:URL_AT] + (idea_url(row[0]),) + row[URL_AT:] for row in page)


def votes_csv(viewer: User | AnonymousUserMixin, page_size: int | None = None,
              segment: Segment | None = None) -> Iterator[str]:
    """The votes file as text chunks: a byte-order mark and header, then one chunk per page."""
    yield "\ufeff" + _lines([VOTE_COLUMNS])
    for page in vote_pages(viewer, page_size, segment):
        yield _lines(page)
