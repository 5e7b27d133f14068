"""The schema comes from migrations, matches the models, and migrates down and up again."""
import warnings

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from ideas.extensions import db
from flask_login import AnonymousUserMixin

ANONYMOUS = AnonymousUserMixin()


# Indexes on an expression, which alembic cannot reflect from SQLite nor compare on PostgreSQL;
# test_the_inbox_reads_its_default_order_from_an_index checks that they exist and are used.
EXPRESSION_INDEXES = ("ix_ideas_triage_order", "ix_ideas_triage_order_sqlite")


def test_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_object": lambda obj, name, type_, *_: not (name or "").startswith("idea_search")
            and name not in ("search_vector", "ix_ideas_search_vector", *EXPRESSION_INDEXES),
        })
        with warnings.catch_warnings():  # the two kinds of "cannot compare an expression index"
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based")
            differences = compare_metadata(context, db.metadata)

    assert differences == []


def test_downgrade_to_nothing_and_upgrade_again(app):
    with app.app_context():
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        assert {"ideas", "votes", "users", "comments", "follows"} <= set(
            inspect(db.engine).get_table_names())


def test_search_index_follows_inserts_updates_and_deletes(app, make_idea):
    from ideas.similar import similar_ideas

    idea = make_idea(title="Quarterly invoices")
    with app.app_context():
        assert [i.id for i in similar_ideas("invoices", ANONYMOUS)] == [idea.id]
        db.session.execute(text("UPDATE ideas SET title = 'Monthly statements' WHERE id = :id"),
                           {"id": idea.id})
        assert similar_ideas("invoices", ANONYMOUS) == []
        assert [i.id for i in similar_ideas("statements", ANONYMOUS)] == [idea.id]


def test_sqlite_runs_with_foreign_keys_on_and_wal(app):
    with app.app_context(), db.engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas only")
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_the_inbox_reads_its_default_order_from_an_index(app):
    """New first, then the longest waiting: at 100,000 ideas, sorting them all took 35 ms."""
    from ideas.inbox import inbox_query
    from ideas.models import User

    with app.app_context():
        staff = User(role="staff")
        statement = inbox_query(staff).limit(51).compile(db.engine, compile_kwargs={"literal_binds": True})
        if db.engine.dialect.name == "sqlite":
            plan = " ".join(row[3] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {statement}")))
            assert "USING INDEX ix_ideas_triage_order_sqlite" in plan and "TEMP B-TREE" not in plan
        else:
            db.session.execute(text("SET LOCAL enable_seqscan = off"))  # an empty table: judge the shape
            plan = " ".join(row[0] for row in db.session.execute(text(f"EXPLAIN {statement}")))
            assert "ix_ideas_triage_order" in plan and "Sort" not in plan
