"""SQLite backups and restores through SQLite's online backup API (see ideas/backups/__init__.py
for why never a file copy)."""
import os
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL

from .copies import BackupFailed, Copy

# A restore waits this long for the app's transactions to let go of the database.
SQLITE_LOCK_TIMEOUT_S = 30


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
