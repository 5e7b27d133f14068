"""Engine set-up per database, and the few statements that differ between dialects."""
import contextvars
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypeVar, cast

from flask import current_app, has_request_context
from sqlalchemy import Connection, Engine, Select, Table, event, literal_column, or_, select, text, update
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm.attributes import QueryableAttribute, set_committed_value
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnClause, ColumnElement
from sqlalchemy.sql.selectable import FromClause
from sqlalchemy.sql.visitors import InternalTraversal

from .extensions import Model, db

log = logging.getLogger(__name__)

# A new connection's busy timeout, until its first transaction sets that of who asks (WaitLimits).
SQLITE_BUSY_TIMEOUT_MS = 10_000
# The errors that mean "busy, try again later": SQLite's SQLITE_BUSY and SQLITE_LOCKED (lowest
# byte of the extended code), PostgreSQL's lock_not_available (lock_timeout) and query_canceled
# (statement_timeout).
SQLITE_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
POSTGRES_BUSY_STATES = frozenset({"55P03", "57014"})

# True while the current request or job will write: SQLite then takes the write lock when the
# transaction begins (BEGIN IMMEDIATE), instead of failing to upgrade a read lock midway.
_writing = contextvars.ContextVar("ideas_writing", default=False)
ViewFunction = TypeVar("ViewFunction", bound=Callable[..., Any])


def configure_engine(engine: Engine) -> None:
    """Apply per-dialect settings to a freshly created engine (inside the app's context)."""
    limits = {kind: WaitLimits.from_config(current_app.config, kind) for kind in ("web", "background")}
    # First of the begin listeners: SQLite's BEGIN IMMEDIATE already waits for the lock.
    event.listen(engine, "begin", lambda connection: _apply_wait_limits(connection, limits), insert=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "begin", _note_begin)
        event.listen(engine, "before_cursor_execute", _note_statement)


# PostgreSQL: psycopg prepares a statement the fifth time a connection runs it, and forgets every
# prepared statement on ROLLBACK. A request's transaction used to end in a rollback (the session
# closing), so nothing was ever prepared: every statement was parsed and planned afresh on every
# request (the roadmap's cards: 1.3 ms planning for 0.9 ms running). A transaction that only
# read ends in COMMIT instead (`end_reading`): the same for the data, and the plans are kept.

def _note_begin(connection: Connection) -> None:
    connection.info["only_read"] = True


def _note_statement(connection: Connection, cursor: DBAPICursor, statement: str, parameters: Any,
                    context: ExecutionContext | None, executemany: bool) -> None:
    if not statement.lstrip()[:6].upper() == "SELECT":
        connection.info["only_read"] = False


def written_limit(count: int) -> ColumnClause[Any]:
    """`count` for `.limit()`, written into the SQL rather than bound: PostgreSQL cannot cost a
    prepared statement's generic plan with `LIMIT $1`, so it would plan such a statement afresh on
    every run (or, worse, settle on a plan made for no particular limit)."""
    return literal_column(str(int(count)))


def end_reading(exception: BaseException | None = None) -> None:
    """End the session's transaction with COMMIT when it only ran SELECTs and holds no unsaved
    change (PostgreSQL; see above); anything else is left to the session's usual rollback."""
    if exception is not None or not db.session.registry.has():
        return
    session = db.session()
    if session.get_transaction() is None:
        return
    if session.new or session.dirty or session.deleted or dialect_name() != "postgresql":
        return
    if session.connection().info.get("only_read"):
        # Nothing changed, so nothing to expire: objects handed out of the context stay readable.
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire


class WaitLimits(NamedTuple):
    """How long a statement may wait for a lock before the database gives up (SQLite: the busy
    timeout; PostgreSQL: lock_timeout), and how long one may run (PostgreSQL: statement_timeout;
    0 is no limit). A person waiting for a page should get an answer, even "busy, try again",
    within seconds; the worker and the CLI have nobody waiting and may wait longer."""

    busy_timeout_ms: int
    lock_timeout_ms: int
    statement_timeout_ms: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any], kind: str) -> "WaitLimits":
        """The limits for web requests ("web") or for the worker and the CLI ("background")."""
        prefix = "" if kind == "web" else "BACKGROUND_"
        return cls(round(config[f"DATABASE_{prefix}BUSY_TIMEOUT_SECONDS"] * 1000),
                   int(config[f"PG_{prefix}LOCK_TIMEOUT_MS"]),
                   int(config[f"PG_{prefix}STATEMENT_TIMEOUT_MS"]))


def _apply_wait_limits(connection: Connection, limits: dict[str, WaitLimits]) -> None:
    """Give the transaction the limits of who asks: a request (a person waits) or not (the
    worker, the CLI). One engine serves both in the development server, so this is decided as
    each transaction begins.

    Sent on the driver's connection, not through SQLAlchemy: settings, like the PRAGMAs, not
    statements of the transaction (nor counted as its queries)."""
    kind = "web" if has_request_context() else "background"
    wanted, raw = limits[kind], connection.connection.dbapi_connection
    assert raw is not None  # a connection beginning a transaction is live, never invalidated
    if connection.dialect.name == "postgresql":
        # For this transaction only (SET LOCAL), one round trip each: a session setting would
        # stay on the server connection, which PgBouncer in transaction mode hands to other
        # clients (README: Connection poolers), web requests and the worker alike.
        raw.execute(f"SELECT set_config('lock_timeout', '{wanted.lock_timeout_ms}', true), "
                    f"set_config('statement_timeout', '{wanted.statement_timeout_ms}', true)")
    elif connection.dialect.name == "sqlite" and connection.info.get("wait_limits") != kind:
        # The connection is this process's own: set once, until it serves the other kind.
        raw.execute(f"PRAGMA busy_timeout = {wanted.busy_timeout_ms}")
        connection.info["wait_limits"] = kind


def is_busy(error: BaseException) -> bool:
    """True when `error` (SQLAlchemy's, or the driver's) is the database saying "not now": a lock
    held past the busy timeout or lock_timeout, or a statement past statement_timeout. Nothing was
    changed, and the same request may well succeed a moment later."""
    original = getattr(error, "orig", error)
    if isinstance(original, sqlite3.OperationalError):
        return (getattr(original, "sqlite_errorcode", 0) & 0xFF) in SQLITE_BUSY_CODES
    return getattr(original, "sqlstate", None) in POSTGRES_BUSY_STATES


def _sqlite_on_connect(dbapi_connection: sqlite3.Connection, connection_record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy, not pysqlite, decide when a transaction begins (see _sqlite_on_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE" if _writing.get() else "BEGIN")


def mark_writing(value: bool = True) -> contextvars.Token[bool]:
    """Declare that the current request or job writes; returns a token for `reset_writing`."""
    return _writing.set(value)


def reset_writing(token: contextvars.Token[bool]) -> None:
    _writing.reset(token)


def commit_writes() -> None:
    """Commit, and let the rest of this request or job read outside SQLite's write lock.

    For a view whose answer, once its change is committed, only reads: without this every later
    transaction of a write request begins with the lock too, and rendering the answer kept
    every other writer waiting. Not for a view that writes again after it."""
    db.session.commit()
    mark_writing(False)


def reads_first(view: ViewFunction) -> ViewFunction:
    """Mark a view whose POST reads (and works) before it writes: its request does not take
    SQLite's write lock from its first query, as other writes do (ideas.register_request_hooks).
    The view ends its read transaction (rollback) and writes inside `with writing():`, so the
    slow part (a password's argon2id) keeps no other writer waiting."""
    view.reads_first = True  # type: ignore[attr-defined]
    return view


@contextmanager
def writing() -> Iterator[None]:
    """A block whose SQLite transactions begin with the write lock held."""
    token = mark_writing()
    try:
        yield
    finally:
        reset_writing(token)


def note_after_answer(note: Callable[[], None], what: str) -> None:
    """Write a small note once a page's answer is made (a session or a page last seen): the
    request's read transaction ends, the note takes the write lock first in a transaction of its
    own, and a busy database costs the visitor nothing but the note (logged as a warning)."""
    try:
        db.session.rollback()  # the request's own transaction is over: its answer is made
        with writing():
            note()
            db.session.commit()
    except OperationalError:
        db.session.rollback()
        log.warning("could not note %s", what, exc_info=True)


def dialect_name() -> str:
    """"postgresql" or "sqlite": the database the session talks to."""
    return db.session.get_bind().dialect.name


def _insert(model: FromClause) -> PgInsert | SqliteInsert:
    # A model's `__table__` is typed FromClause, which insert() does not take; it is a Table.
    return (pg_insert if dialect_name() == "postgresql" else sqlite_insert)(cast(Table, model))


def insert_ignore(model: type[Model] | Table, **values: Any) -> bool:
    """Insert a row of `model` (or a Table) unless it breaks a unique constraint; True when a
    row was inserted."""
    db.session.flush()
    table = cast(Table, getattr(model, "__table__", model))
    key = table.primary_key.columns.values()[0]
    statement = _insert(table).values(**values).on_conflict_do_nothing().returning(key)
    # rowcount is unreliable with RETURNING on some drivers; a returned row is not.
    return db.session.connection().execute(statement).first() is not None


def insert_many_ignoring_conflicts(table: FromClause, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows in one executemany, leaving out those that break a unique constraint.

    One cached statement for every batch, rather than a thousand-row VALUES list compiled anew."""
    if rows:
        db.session.execute(_insert(table).on_conflict_do_nothing(), rows)


def inserted_ignoring_conflicts(table: FromClause, rows: Sequence[dict[str, Any]],
                                returning: ColumnElement[Any]) -> list[Any]:
    """As insert_many_ignoring_conflicts, and the values of `returning` of the rows inserted."""
    if not rows:
        return []
    db.session.flush()
    statement = _insert(table).on_conflict_do_nothing().returning(returning)
    return list(db.session.execute(statement, rows).scalars())


def upsert(model: type[Model], index_elements: list[str], values: dict[str, Any],
           update: dict[str, Any]) -> None:
    """Insert a row, or update `update` on the row that already has its key."""
    db.session.flush()
    statement = _insert(model.__table__).values(**values)
    statement = statement.on_conflict_do_update(index_elements=index_elements, set_=update)
    db.session.connection().execute(statement)


def add_to_counter(obj: Any, column: str, delta: int, **also: Any) -> int:
    """Atomically add `delta` to a stored counter (and set `also`); returns the new value.

    `column = column + delta` is computed by the database, so concurrent changes never
    overwrite each other; the in-memory object is updated without marking it dirty.
    """
    model = type(obj)
    counter = getattr(model, column)
    # The UPDATE also bumps the row's version (models/types.row_version): read it back with the count.
    versioned = "version" in model.__table__.c
    statement = (
        update(model)
        .where(model.id == obj.id)
        .values({column: counter + delta, **also})
        .returning(counter, *([model.version] if versioned else []))
    )
    row = db.session.execute(statement, execution_options={"synchronize_session": False}).one()
    new_value = row[0]
    set_committed_value(obj, column, new_value)
    if versioned:
        set_committed_value(obj, "version", row[1])
    for name, value in also.items():
        set_committed_value(obj, name, value)
    return new_value


def lock_rows(model: type[Any], ids: Iterable[int]) -> dict[int, Any]:
    """Read the rows of `model` with these ids afresh and hold them until the transaction ends.

    Always in id order, so two transactions locking overlapping sets queue instead of
    deadlocking. PostgreSQL: `SELECT … FOR NO KEY UPDATE OF` the table alone (not the rows a
    joined eager load reads); "no key" lets rows that merely point at these (a comment, a follow)
    be inserted meanwhile. SQLite has no FOR UPDATE and needs none: a write transaction there
    begins with the database's write lock (BEGIN IMMEDIATE), so this is a plain fresh read."""
    statement = (
        select(model).where(model.id.in_(sorted(set(ids)))).order_by(model.id)
        .with_for_update(of=model, key_share=True).execution_options(populate_existing=True)
    )
    return {row.id: row for row in db.session.execute(statement).unique().scalars()}


def sync_id_sequences(*models: type[Model]) -> None:
    """After inserting rows with explicit ids, move PostgreSQL's id sequences past them."""
    if dialect_name() != "postgresql":
        return
    for model in models:
        table = cast(Table, model.__table__).name
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
        ))


def insert_from_select_ignoring_conflicts(table: FromClause, names: Sequence[str],
                                          rows: Select[*tuple[Any, ...]]) -> PgInsert | SqliteInsert:
    """An INSERT of the `rows` select into `names` of `table` that leaves out rows breaking a
    unique constraint; a statement to execute (or, on PostgreSQL, to use as a CTE)."""
    return _insert(table).from_select(names, rows).on_conflict_do_nothing()


class unindexed(ColumnElement):
    """`column`, in a form SQLite's planner uses no index for (a unary `+`; elsewhere just the
    column), so that a condition on it does not draw the planner away from the index that
    serves the query's ORDER BY … LIMIT."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement[Any] | QueryableAttribute[Any]) -> None:
        # An ORM attribute (Idea.id) compiles as its column: it proxies what the compiler asks of it.
        self.column: ColumnElement[Any] = column  # type: ignore[assignment]
        self.type = column.type


@compiles(unindexed)
def _compile_unindexed(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(unindexed, "sqlite")
def _compile_unindexed_on_sqlite(element: unindexed, compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)


def claim_due(model: Any, limit: int, now: datetime, lease: timedelta,
              order_by: Iterable[ColumnElement[Any] | QueryableAttribute[Any]]) -> list[int]:
    """Atomically take up to `limit` due rows of an outbox table for this worker; their ids, sorted.

    A row is due when `next_attempt_at <= now` and no live lease holds it. The claim holds until
    `now + lease`: that value is the worker's token for the rows. PostgreSQL skips rows another
    worker is claiming (SKIP LOCKED); SQLite's write lock makes the UPDATE one step anyway."""
    due = (
        select(model.id)
        .where(model.next_attempt_at <= now, or_(model.claimed_until.is_(None), model.claimed_until < now))
        .order_by(*order_by).limit(limit)
    )
    if dialect_name() == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = db.session.execute(
        update(model).where(model.id.in_(due.scalar_subquery()))
        .values(claimed_until=now + lease).returning(model.id),
        execution_options={"synchronize_session": False},
    ).scalars().all()
    db.session.commit()
    return sorted(claimed)
