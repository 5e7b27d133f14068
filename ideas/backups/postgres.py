"""PostgreSQL backups for `flask --app ideas backup` and `restore`: pg_dump's custom format
(`pg_dump -Fc`, a consistent snapshot taken while the site writes on) and `pg_restore`, run
against DATABASE_URL. Needs PostgreSQL's client programs of the server's major version or newer."""
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL

from ..extensions import db
from .copies import BackupFailed, Copy

CLIENT_MISSING = ("{tool} was not found on PATH: install PostgreSQL's client programs, of the "
                  "server's major version ({server}) or newer (Debian and Ubuntu: "
                  "apt-get install postgresql-client).")
CLIENT_TOO_OLD = ("{tool} is from PostgreSQL {client}, older than the server ({server}): it cannot "
                  "read that server's catalog. Install the client programs of PostgreSQL {server} "
                  "or newer (e.g. postgresql-client-{server}) and put them first on PATH.")


def libpq_target(url: URL) -> tuple[str, dict[str, str]]:
    """DATABASE_URL as libpq reads it, and the environment to run a client program in.

    libpq knows no driver names (`postgresql+psycopg://`), and the password goes in PGPASSWORD
    so that it never shows in the process list."""
    # URL.set() ignores None, so the password goes by the named tuple's own _replace.
    conninfo = url.set(drivername="postgresql")._replace(password=None).render_as_string(
        hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return conninfo, env


def server_major() -> int:
    """The major version of the PostgreSQL server the app talks to (15 for 15.4)."""
    with db.engine.connect() as connection:
        return int(connection.exec_driver_sql("SHOW server_version_num").scalar_one()) // 10000


def client_tool(tool: str, server: int) -> str:
    """The path of pg_dump or pg_restore, refused when missing or older than the server."""
    path = shutil.which(tool)
    if path is None:
        raise BackupFailed(CLIENT_MISSING.format(tool=tool, server=server))
    version = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"\)\s*(\d+)", version)  # "pg_dump (PostgreSQL) 15.4 (Debian …)"
    client = int(found.group(1)) if found else 0
    if client < server:
        raise BackupFailed(CLIENT_TOO_OLD.format(tool=tool, client=client or "unknown", server=server))
    return path


def _run_tool(arguments: list[str], env: dict[str, str] | None = None) -> str:
    """Run a client program; its output, or its own words on why it failed."""
    result = subprocess.run(arguments, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        said = result.stderr.strip()[-2000:] or f"exit status {result.returncode}"
        raise BackupFailed(f"{Path(arguments[0]).name} failed: {said}")
    return result.stdout


def archive_revision(pg_restore: str, archive: Path) -> str | None:
    """Read the whole archive (a truncated or damaged one fails here), then return the schema
    revision it holds: the rows of its alembic_version table, without restoring anything."""
    _run_tool([pg_restore, "--file", os.devnull, str(archive)])
    rows = _run_tool([pg_restore, "--data-only", "--table", "alembic_version", "--file", "-",
                      str(archive)]).splitlines()
    starts = [n for n, line in enumerate(rows) if line.startswith("COPY ") and "alembic_version" in line]
    if not starts or starts[0] + 1 >= len(rows) or rows[starts[0] + 1] == "\\.":
        return None
    return rows[starts[0] + 1].strip()


def backup_postgres(url: URL, target: Path) -> Copy:
    """pg_dump the database into `target` (custom format), then read the archive back.

    pg_dump takes one snapshot, so the archive is consistent while the site writes on. It is
    written beside `target` and renamed into place, so a failed run leaves no half archive."""
    server = server_major()
    pg_dump, pg_restore = client_tool("pg_dump", server), client_tool("pg_restore", server)
    conninfo, env = libpq_target(url)
    started = time.monotonic()
    partial = target.with_name(target.name + ".partial")
    try:
        _run_tool([pg_dump, "--format=custom", "--file", str(partial), "--dbname", conninfo], env)
        revision = archive_revision(pg_restore, partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Copy(str(target), target.stat().st_size, time.monotonic() - started, revision)


@dataclass(frozen=True)
class RestorePlan:
    """What a restore would do: the backup's schema revision, and whether it replaces data."""

    revision: str | None
    replaces_data: bool


def plan_postgres_restore(archive: Path) -> RestorePlan:
    """Check the archive and the target database before anything changes.

    `pg_restore --clean` drops only what the archive holds: restored over a database at
    another schema revision, the tables of the other migrations would stay and the next
    `db upgrade` would fail on them. So that case is refused, in favour of an empty database."""
    pg_restore = client_tool("pg_restore", server_major())
    revision = archive_revision(pg_restore, archive)
    current, tables = target_state()
    if tables and current != revision:
        raise BackupFailed(
            f"The database is not empty ({tables} tables, schema revision {current or 'none'}) and "
            f"the backup is at revision {revision}: pg_restore --clean would leave the tables it "
            "does not know. Restore into a new, empty database instead (createdb NAME, then run "
            "this command with DATABASE_URL naming it).")
    return RestorePlan(revision, tables > 0)


def target_state() -> tuple[str | None, int]:
    """The schema revision of the app's database (None without one) and its number of tables."""
    with db.engine.connect() as connection:
        tables = connection.execute(text(
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")).scalar_one()
        has_version = connection.execute(text("SELECT to_regclass('alembic_version')")).scalar()
        revision = None
        if has_version:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return revision, tables


def restore_postgres(url: URL, archive: Path) -> Copy:
    """pg_restore the archive into the database, all or nothing, then refresh the planner's
    statistics (a restored database has none, and the board is planned badly without them)."""
    pg_restore = client_tool("pg_restore", server_major())
    conninfo, env = libpq_target(url)
    db.engine.dispose()  # no pooled connection of ours holds locks on what is dropped
    started = time.monotonic()
    _run_tool([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges",
               "--single-transaction", "--exit-on-error", "--dbname", conninfo, str(archive)], env)
    db.engine.dispose()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")
    revision, _ = target_state()
    return Copy(str(archive), archive.stat().st_size, time.monotonic() - started, revision)
