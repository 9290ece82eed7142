"""The migrations make the schema, both ways, and say the same as the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from almerepas.core import migrate
from almerepas.core.db import Base, make_engine
from tests.conftest import Backend


def test_upgrade_to_head_matches_models_and_downgrades_to_base(backend: Backend) -> None:
    engine = make_engine(backend.empty_database())
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert migrate.current_revisions(conn) == migrate.head_revisions()
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
            )
            assert diff == [], f"models and migrations differ: {diff}"
            tables = set(inspect(conn).get_table_names())
        assert set(Base.metadata.tables) <= tables

        migrate.downgrade(engine, "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
            assert migrate.current_revisions(conn) == frozenset()

        migrate.upgrade(engine)  # and up again: downgrade left nothing behind that blocks it
        with engine.connect() as conn:
            assert migrate.current_revisions(conn) == migrate.head_revisions()
    finally:
        engine.dispose()


def test_each_migration_steps_down_and_up_again(backend: Backend) -> None:
    engine = make_engine(backend.empty_database())
    try:
        migrate.upgrade(engine)
        migrate.downgrade(engine, "-1")
        migrate.upgrade(engine)
        with engine.connect() as conn:
            assert migrate.current_revisions(conn) == migrate.head_revisions()
    finally:
        engine.dispose()


def test_there_is_one_head() -> None:
    assert len(migrate.head_revisions()) == 1
