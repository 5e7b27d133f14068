"""Backups and restores: `flask --app ideas backup PATH` and `flask --app ideas restore PATH`.

SQLite: the copy goes through SQLite's online backup API, never a file copy. A file copy of a
database in WAL mode misses what sits in its -wal file, and copying a backup over a live file
leaves that -wal beside it: SQLite then replays the stale frames onto the restored pages (the old
data comes back, or the file is corrupt). The backup API reads one consistent snapshot while
other processes go on writing, and a restore through it writes into the live database through
SQLite's own locks and journal, so a -wal or -shm beside it is handled as SQLite always does.
PostgreSQL: `pg_dump -Fc` and `pg_restore` (ideas/backups_postgres.py).

Both check the copy (integrity, schema revision) and say what to do when the backup's schema is
older or newer than this version of Ideas.
"""
import os
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import click
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from .extensions import db

T = TypeVar("T")
# A restore waits this long for the app's transactions to let go of the database.
SQLITE_LOCK_TIMEOUT_S = 30


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


# SQLite

def sqlite_path(url: URL) -> Path:
    """The database file a SQLite URL names; an in-memory database has none to copy."""
    if not url.database or url.database == ":memory:" or url.database.startswith("file::memory:"):
        raise BackupFailed("DATABASE_URL names an in-memory SQLite database: there is no file "
                           "to back up or restore into.")
    return Path(url.database)


def _connect(path: Path) -> sqlite3.Connection:
    """A plain connection that waits for other processes' locks instead of failing at once."""
    connection = sqlite3.connect(path, timeout=SQLITE_LOCK_TIMEOUT_S, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout = {SQLITE_LOCK_TIMEOUT_S * 1000}")
    return connection


def check_integrity(connection: sqlite3.Connection, name: Path) -> None:
    """Raise unless `PRAGMA integrity_check` finds the database sound."""
    found = [row[0] for row in connection.execute("PRAGMA integrity_check").fetchall()]
    if found != ["ok"]:
        raise BackupFailed(f"{name} fails SQLite's integrity check: {'; '.join(found[:5])}")


def sqlite_revision(connection: sqlite3.Connection) -> str | None:
    """The alembic revision stored in the database, or None when it has no alembic_version."""
    has_table = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()
    if not has_table:
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def backup_sqlite(live: Path, target: Path) -> Copy:
    """Copy the live database into `target` as one self-contained, checked file.

    The whole copy is one backup step, so one read transaction: in WAL mode writers carry on
    meanwhile and the copy is the snapshot at its start. (Copying in several steps would restart
    each time another process commits, and under steady writes might never finish.) The copy
    is written beside `target` and renamed into place, so a failed run never leaves a half
    backup where a good one was."""
    if not live.exists():
        raise BackupFailed(f"There is no database at {live}.")
    _refuse_same_file(live, target)
    started = time.monotonic()
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with closing(_connect(live)) as source, closing(_connect(partial)) as copy:
            source.backup(copy)
            # The copied header keeps WAL mode; a backup is one file, with no -wal to lose.
            copy.execute("PRAGMA journal_mode = DELETE")
            check_integrity(copy, target)
            revision = sqlite_revision(copy)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Copy(str(target), target.stat().st_size, time.monotonic() - started, revision)


def _refuse_same_file(live: Path, other: Path) -> None:
    """Refuse a backup written over the live file, or restored from it: either would replace the
    live file under its own -wal, the very trap this module exists to avoid."""
    if other.resolve() == live.resolve():
        raise BackupFailed(f"{other} is the live database itself: choose another path.")


def read_sqlite_backup(backup: Path) -> str | None:
    """Check a backup file before anything is replaced with it; its schema revision."""
    if not backup.is_file():
        raise BackupFailed(f"There is no backup file at {backup}.")
    try:
        with closing(sqlite3.connect(f"{backup.absolute().as_uri()}?mode=ro", uri=True)) as source:
            check_integrity(source, backup)
            return sqlite_revision(source)
    except sqlite3.DatabaseError as error:
        raise BackupFailed(f"{backup} is not a SQLite backup ({error}).") from None


def sqlite_has_tables(live: Path) -> bool:
    """True when the live database exists and holds tables a restore would replace."""
    if not live.exists() or live.stat().st_size == 0:
        return False
    with closing(_connect(live)) as connection:
        return connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0


def restore_sqlite(backup: Path, live: Path) -> Copy:
    """Replace the live database's content with the backup's, through the backup API.

    It writes into the live file under SQLite's write lock and through its journal, so a -wal
    or -shm beside it (a running app, or one that crashed) stays consistent with the file, and
    app processes still connected read the restored data in their next transaction. The WAL is
    then checkpointed into the file, and the result checked."""
    _refuse_same_file(live, backup)
    started = time.monotonic()
    live.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(backup)) as source, closing(_connect(live)) as target:
        source.backup(target)
        target.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        check_integrity(target, live)
        revision = sqlite_revision(target)
    return Copy(str(live), live.stat().st_size, time.monotonic() - started, revision)


# Commands

def _database_url() -> URL:
    """The database the app is configured for (DATABASE_URL), as SQLAlchemy parsed it."""
    return db.engine.url


def _size(size: int) -> str:
    """A file size as an operator reads it."""
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"


def _run(action: Callable[[], T]) -> T:
    """Run a backup or restore, turning what went wrong into a message and a failing exit."""
    try:
        return action()
    except BackupFailed as error:
        raise click.ClickException(str(error)) from None
    except (sqlite3.Error, OSError) as error:  # a missing folder, a full disk, a locked file
        raise click.ClickException(f"{type(error).__name__}: {error}") from None


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--overwrite", is_flag=True, help="Replace PATH when it exists.")
@with_appcontext
def backup_command(path: Path, overwrite: bool) -> None:
    """Back the database up into PATH while the site runs (SQLite: a checked copy of the file;
    PostgreSQL: pg_dump's custom format)."""
    if path.exists() and not overwrite:
        raise click.ClickException(f"{path} exists: choose a new name, or pass --overwrite.")
    url = _database_url()
    if url.get_backend_name() == "sqlite":
        copy = _run(lambda: backup_sqlite(sqlite_path(url), path))
        checked = "integrity check ok"
    else:
        from .backups_postgres import backup_postgres

        copy = _run(lambda: backup_postgres(url, path))
        checked = "archive readable by pg_restore"
    click.echo(f"Backed up {url.render_as_string()} into {copy.path}: {_size(copy.size)} in "
               f"{copy.seconds:.2f} s, {checked}, schema revision {copy.revision}.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace a database that has data without asking.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database named by DATABASE_URL with the backup in PATH. Stop the app and the
    worker first: whatever they wrote after the backup was taken is lost."""
    url = _database_url()
    if url.get_backend_name() == "sqlite":
        live = _run(lambda: sqlite_path(url))
        revision = _run(lambda: read_sqlite_backup(path))
        _run(lambda: check_restorable(revision))
        if sqlite_has_tables(live) and not yes:
            _confirm(url)
        copy = _run(lambda: restore_sqlite(path, live))
        checked = "integrity check ok"
    else:
        from .backups_postgres import plan_postgres_restore, restore_postgres

        plan = _run(lambda: plan_postgres_restore(path))
        _run(lambda: check_restorable(plan.revision))
        if plan.replaces_data and not yes:
            _confirm(url)
        copy = _run(lambda: restore_postgres(url, path))
        checked = "statistics refreshed (ANALYZE)"
    click.echo(f"Restored {path} into {url.render_as_string()} in {copy.seconds:.2f} s, {checked}.")
    click.echo(revision_advice(copy.revision))
    click.echo("Then `flask --app ideas check` verifies the stored counts against the rows.")


def _confirm(url: URL) -> None:
    """Ask before replacing a database that holds data (the app may still be writing to it)."""
    click.confirm(f"Replace everything in {url.render_as_string()} with the backup? Stop the app "
                  "and the worker first: what they wrote after the backup was taken is lost",
                  abort=True)


def register_backup_commands(app: Flask) -> None:
    """`flask --app ideas backup` and `restore`."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
