"""What backups and restores share: the error an operator reads, what a copy wrote, and whether this
version of Ideas can run on a backup's schema."""
from dataclasses import dataclass

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app


class BackupFailed(Exception):
    """A backup or restore that cannot go on; the message tells the operator what to do."""


@dataclass(frozen=True)
class Copy:
    """What a backup or restore wrote: where, how big, how long it took, the schema revision."""

    path: str
    size: int
    seconds: float
    revision: str | None


# The schema revision

def code_revisions() -> tuple[set[str], ScriptDirectory]:
    """The migration heads of this version of Ideas, and its migration scripts."""
    scripts = ScriptDirectory(current_app.extensions["migrate"].directory)
    return set(scripts.get_heads()), scripts


def check_restorable(revision: str | None) -> None:
    """Refuse a backup this version of Ideas cannot run on: not an Ideas database, or one made by
    a newer version (its schema has migrations this code does not know, and has no downgrade)."""
    if revision is None:
        raise BackupFailed("The backup has no schema revision (no alembic_version table): "
                           "it is not a database of Ideas.")
    heads, scripts = code_revisions()
    if revision in heads:
        return
    try:
        scripts.get_revision(revision)
    except CommandError:
        raise BackupFailed(
            f"The backup's schema is at revision {revision}, which this version of Ideas does not "
            "know: it was made by a newer version. Restore it with that version (or a newer one) "
            "of Ideas.") from None


def revision_advice(revision: str | None) -> str:
    """One sentence on how the schema of a restored database compares with the code's."""
    heads, _ = code_revisions()
    if revision in heads:
        return f"Schema revision {revision}, the one this version of Ideas expects."
    return (f"Schema revision {revision} is older than this version of Ideas ({', '.join(sorted(heads))}): "
            "run `flask --app ideas db upgrade` before starting the app.")
