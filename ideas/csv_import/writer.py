"""The walk through an import file, shared by the dry run and the import: batch by batch, it counts
(and when writing, creates) the members, tags, ideas, votes and follows the rows bring (or, for a
companies file, the companies and memberships: ideas/csv_import/companies.py).

Members, follows and timeline steps are made by the rules that make them one at a time
(ideas/accounts.py, ideas/following.py, ideas/statuses.py), applied to a whole batch at once.
"""
import csv
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, cast

from flask_babel import gettext
from sqlalchemy import func, insert, select, text, tuple_, update

from .. import audit
from ..accounts import add_passwordless_accounts
from ..database import dialect_name, insert_many_ignoring_conflicts
from ..events import CsvImported
from ..events.publish import publish
from ..extensions import db
from ..following import follow_values, join_followers_in_bulk
from ..models import Idea, ImportedRecord, Tag, User, Vote, idea_tags, utcnow
from ..sanitize import render_markdown
from ..statuses import add_timeline_rows, status_step
from ..voting import trending_score
from .companies import CompanyPass, parse_company, take_companies
from .formats import SOURCE_NAMES, BadFile, csv_reader, decode_upload, detect_format
from .plan import ImportPlan
from .rows import PARSERS, IdeaRow, RowProblem, VoteRow

BATCH_SIZE = 1000


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
        self.companies = CompanyPass(plan, write, self.now)

    # Members and tags.

    def member_ids(self, people: dict[str, str]) -> dict[str, int | None]:
        """{email: member id or None (new, dry run)} for `people` ({email: name}); creates the new ones."""
        found: dict[str, int] = dict(db.session.execute(
            select(func.lower(User.email), User.id).where(func.lower(User.email).in_(list(people)))
        ).all())
        missing = [email for email in people if email not in found and email not in self.new_members]
        if missing:
            self.plan.members += len(missing)
            self.new_members.update(
                add_passwordless_accounts({email: people[email] for email in missing}, self.now) if self.write
                else dict.fromkeys(missing))
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
        known_authors = written(authors)
        author_ids = [self._author_id(row, known_authors) for row in rows]
        idea_ids = db.session.execute(
            insert(Idea).returning(Idea.id, sort_by_parameter_order=True),
            [self._idea_values(row, author_id) for row, author_id in zip(rows, author_ids, strict=True)]
        ).scalars().all()
        created = list(zip(rows, idea_ids, author_ids, strict=True))
        db.session.execute(insert(ImportedRecord), [
            dict(source=self.source, kind="idea", external_id=row.external_id, idea_id=idea_id,
                 created_at=self.now) for row, idea_id, _ in created])
        insert_many_ignoring_conflicts(idea_tags, [
            dict(idea_id=idea_id, tag_id=tags[name]) for row, idea_id, _ in created for name in row.tags])
        # Authors follow their idea; the staff member standing in for an unknown author hears of
        # status changes only, not of every comment on a thousand imported ideas.
        join_followers_in_bulk([
            follow_values(author_id, idea_id, "author", self.now,
                          level=None if row.author_email else "status")
            for row, idea_id, author_id in created])
        add_timeline_rows([status_step(self.actor.id, idea_id, row.status, row.note, row.status_changed_at)
                           for row, idea_id, _ in created if row.status != "open"])

    def _author_id(self, row: IdeaRow, authors: Mapping[str, int]) -> int:
        """Who the row's idea is by: its author, or the staff member importing, standing in."""
        return authors[row.author_email] if row.author_email else self.actor.id

    def _idea_values(self, row: IdeaRow, author_id: int) -> dict[str, Any]:
        """The columns of the idea a row becomes."""
        return dict(
            title=row.title, description=row.description, description_html=render_markdown(row.description),
            kind=row.kind, status=row.status, author_id=author_id,
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
        voters = written(members)
        join_followers_in_bulk([follow_values(voters[row.email], idea_id, "vote", self.now)
                                for idea_id, row in new_votes])

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


def written(ids: Mapping[str, int | None]) -> dict[str, int]:
    """`ids` ({email or name: id}) of a pass that writes, where every member and tag has its id."""
    assert all(value is not None for value in ids.values())
    return cast(dict[str, int], ids)


def _walk(actor: User, data: bytes, filename: str, max_bytes: int, write: bool) -> ImportPlan:
    """Read the file batch by batch; count (and with `write`, create) what it brings."""
    audit.require_staff(actor)
    text = decode_upload(data, max_bytes)
    reader = csv_reader(text)
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise BadFile(gettext("The file has no header row."))
        chosen, positions = detect_format(header)
        plan = ImportPlan(chosen, filename=filename)
        run = _Run(actor, plan, write)
        parse: Callable[..., Any] = PARSERS.get(chosen.name) or parse_company
        takers: dict[str, Callable[[list[Any]], None]] = {
            "idea": run.take_ideas, "vote": run.take_votes, "company": partial(take_companies, run.companies)}
        take = takers[chosen.kind]
        batch: list[Any] = []  # IdeaRow, VoteRow or CompanyRow, as `parse` and `take` go together
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
        publish(CsvImported(actor, plan.summary()))
    return plan


def plan_import(actor: User, data: bytes, filename: str = "",
                max_bytes: int = 20 * 1024 * 1024) -> ImportPlan:
    """The dry run: problems row by row and what the import would create. Writes nothing."""
    return _walk(actor, data, filename, max_bytes, write=False)


def run_import(actor: User, data: bytes, filename: str = "",
               max_bytes: int = 20 * 1024 * 1024) -> ImportPlan:
    """Import the file (staff only): ideas, votes, members and tags; flushes, the caller commits."""
    return _walk(actor, data, filename, max_bytes, write=True)
