"""What an import file holds and what importing it does (or did): the counts and the problems the
walk (ideas/csv_import/writer.py) gathers, shown by the dry run and kept by the audit log."""
from dataclasses import dataclass, field
from typing import Any

from .formats import SOURCE_NAMES, Format
PROBLEMS_SHOWN = 500


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
    companies: int = 0  # new companies
    companies_changed: int = 0  # known companies whose name or attributes change
    memberships: int = 0  # members put in a company
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
                "imported_votes": self.imported_votes, "companies": self.companies,
                "companies_changed": self.companies_changed, "memberships": self.memberships,
                "already_imported": self.already_imported, "problems": self.problem_count}
