"""Models and migrations agree; the history downgrades to base and upgrades again."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app import migrate
from app.db import make_engine
from app.models import Base


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    return diff


def test_migrations_build_the_schema_the_models_describe(fresh_database_url: str) -> None:
    migrate.upgrade(fresh_database_url)
    assert _diff(fresh_database_url) == []


def test_downgrade_to_base_and_upgrade_again(fresh_database_url: str) -> None:
    migrate.upgrade(fresh_database_url)
    migrate.downgrade(fresh_database_url, "base")
    engine = make_engine(fresh_database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrate.upgrade(fresh_database_url)
    assert _diff(fresh_database_url) == []
    engine = make_engine(fresh_database_url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()
