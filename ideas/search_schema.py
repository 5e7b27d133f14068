"""The full-text search schema, for migrations: the tables the ORM does not describe.

PostgreSQL: a generated, GIN-indexed tsvector column on ideas. SQLite: an external-content
FTS5 table kept in step by triggers. Batch migrations that rebuild `ideas` on SQLite drop the
triggers with the old table, so they call `create_sqlite_triggers` again afterwards.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.operations import Operations

TRIGGERS = {
    "idea_search_insert": (
        "CREATE TRIGGER idea_search_insert AFTER INSERT ON ideas BEGIN "
        "INSERT INTO idea_search(rowid, title, description) "
        "VALUES (new.id, new.title, new.description); END"
    ),
    "idea_search_delete": (
        "CREATE TRIGGER idea_search_delete AFTER DELETE ON ideas BEGIN "
        "INSERT INTO idea_search(idea_search, rowid, title, description) "
        "VALUES ('delete', old.id, old.title, old.description); END"
    ),
    "idea_search_update": (
        "CREATE TRIGGER idea_search_update AFTER UPDATE OF title, description ON ideas BEGIN "
        "INSERT INTO idea_search(idea_search, rowid, title, description) "
        "VALUES ('delete', old.id, old.title, old.description); "
        "INSERT INTO idea_search(rowid, title, description) "
        "VALUES (new.id, new.title, new.description); END"
    ),
}


def create_search_index(op: Operations) -> None:
    """Create the search column or table for the current database."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE ideas ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(description, '')), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_ideas_search_vector ON ideas USING gin (search_vector)")
        return
    # porter stems English words; the ideas table holds the text (external content).
    op.execute(
        "CREATE VIRTUAL TABLE idea_search USING fts5("
        "title, description, content='ideas', content_rowid='id', tokenize='porter unicode61')"
    )
    create_sqlite_triggers(op)


def create_sqlite_triggers(op: Operations) -> None:
    """(Re)create the triggers that keep FTS5 in step, then rebuild the index. SQLite only."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, sql in TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(sql)
    op.execute("INSERT INTO idea_search(idea_search) VALUES ('rebuild')")


def drop_search_index(op: Operations) -> None:
    """Remove the search column or table."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_ideas_search_vector")
        op.execute("ALTER TABLE ideas DROP COLUMN IF EXISTS search_vector")
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS idea_search")
