"""Backups and restores: `flask --app ideas backup PATH` and `flask --app ideas restore PATH`.

SQLite: the copy goes through SQLite's online backup API, never a file copy. A file copy of a
database in WAL mode misses what sits in its -wal file, and copying a backup over a live file
leaves that -wal beside it: SQLite then replays the stale frames onto the restored pages (the old
data comes back, or the file is corrupt). The backup API reads one consistent snapshot while
other processes go on writing, and a restore through it writes into the live database through
SQLite's own locks and journal, so a -wal or -shm beside it is handled as SQLite always does.
PostgreSQL: `pg_dump -Fc` and `pg_restore` (ideas/backups/postgres.py).

Both check the copy (integrity, schema revision) and say what to do when the backup's schema is
older or newer than this version of Ideas.
"""
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from ..extensions import db
from .copies import BackupFailed, Copy, check_restorable, revision_advice
from .postgres import backup_postgres, plan_postgres_restore, restore_postgres
from .sqlite import backup_sqlite, read_sqlite_backup, restore_sqlite, sqlite_has_tables, sqlite_path

__all__ = ["BackupFailed", "Copy", "backup_sqlite", "register_backup_commands"]

T = TypeVar("T")


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
