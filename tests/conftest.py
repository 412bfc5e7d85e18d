"""Test fixtures: one real database per run, migrated with Alembic; per test a
connection-level transaction with savepoints, rolled back afterwards.

- SQLite (default): a temporary file.
- PostgreSQL: set TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test);
  a throwaway database is created next to it for this run and dropped at the end, so
  parallel runs never collide.

Fixtures:
- `app`, `client`, `session`: isolated per test (rolled back). Use for almost everything.
  The test keeps an app context pushed (for arranging data, `transaction()`, services);
  every test-client request runs in its own contexts, as in production, so what Flask-WTF,
  Flask-Login and Flask-Babel cache in `g` for a request never outlives it.
- `committed_app`: the app on the real engine — commits are real (needed for live
  servers, browsers and concurrency); every table is emptied after the test.
- `fresh_database_url`: an empty, un-migrated extra database (migration tests).

Passwords are hashed with a cheap scrypt (TEST_PASSWORD_HASH_METHOD) through the app's
PASSWORD_HASH_METHOD config: a test about hashing time (login timing, the concurrency
races) is marked `production_password_hashing` and gets production's cost.
"""
from __future__ import annotations

import contextvars
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from app import create_app, migrate
from app.db import make_engine, make_sessionmaker
from app.models import Base

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
IS_POSTGRES = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgresql"))
# scrypt with N=2**10 instead of 2**15: ~2 ms a hash instead of ~70 ms, the same code path.
TEST_PASSWORD_HASH_METHOD = "scrypt:1024:8:1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_pg = pytest.mark.skip(reason="PostgreSQL only: set TEST_DATABASE_URL (concurrency means nothing on SQLite)")
    for item in items:
        if "postgres_only" in item.keywords:
            # races and lock waits: `make test` runs them in its serial step, never beside another worker
            item.add_marker(pytest.mark.serial)
            if not IS_POSTGRES:
                item.add_marker(skip_pg)


class _Databases:
    """Creates and drops throwaway databases for this run."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.created: list[str] = []

    def new_url(self) -> str:
        if not IS_POSTGRES:
            return f"sqlite:///{self.tmp / f'test-{uuid.uuid4().hex[:8]}.sqlite3'}"
        assert TEST_DATABASE_URL is not None
        name = f"sw_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        self.created.append(name)
        return make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self.created or TEST_DATABASE_URL is None:
            return
        admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def databases() -> Iterator[_Databases]:
    with tempfile.TemporaryDirectory(prefix="stockwise-test-") as tmp:
        dbs = _Databases(Path(tmp))
        yield dbs
        dbs.drop_all()


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def database_url(databases: _Databases) -> str:
    url = databases.new_url()
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def fresh_database_url(databases: _Databases) -> str:
    return databases.new_url()


class RequestIsolatingClient(FlaskClient):
    """A test client whose every request starts from an empty `contextvars` context.

    The `app` fixture keeps the test's app context pushed; Flask would reuse it (and its
    `g`) for each request made inside it, so per-request caches (CSRF token, logged-in
    user, locale) would leak from one request into the next. Running the request in a
    fresh context makes it push its own app context, exactly as under a real server.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        # buffered: a streamed body (CSV export) is read, and its context popped, in that context too
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


def _config(database_url: str, instance_dir: Path, request: pytest.FixtureRequest | None = None,
            **extra: Any) -> dict[str, Any]:
    production_hashing = request is not None and request.node.get_closest_marker("production_password_hashing")
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "INSTANCE_DIR": str(instance_dir),
        "TESTING": True,
        **({} if production_hashing else {"PASSWORD_HASH_METHOD": TEST_PASSWORD_HASH_METHOD}),
        **extra,
    }


@pytest.fixture
def app(engine: Engine, database_url: str, instance_dir: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The app with every session joined to one outer transaction, rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    application = create_app(_config(database_url, instance_dir, request, ENGINE=engine))
    application.test_client_class = RequestIsolatingClient
    application.extensions["stockwise_db"].sessionmaker = make_sessionmaker(
        connection, join_transaction_mode="create_savepoint"
    )
    with application.app_context():
        yield application
    outer.rollback()
    connection.close()


@pytest.fixture
def session(app: Any) -> Iterator[Session]:
    """A session on the test's transaction, for arranging data and checking results."""
    s = app.extensions["stockwise_db"].sessionmaker()
    yield s
    s.close()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


def _truncate_all(engine: Engine) -> None:
    tables = [t.name for t in Base.metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for t in reversed(tables):
                conn.execute(text(f'DELETE FROM "{t}"'))


@pytest.fixture
def committed_app(engine: Engine, database_url: str, instance_dir: Path,
                  request: pytest.FixtureRequest) -> Iterator[Any]:
    """The app on the real engine: commits are real; all tables are emptied afterwards."""
    _truncate_all(engine)
    application = create_app(_config(database_url, instance_dir, request, ENGINE=engine))
    application.test_client_class = RequestIsolatingClient
    with application.app_context():
        yield application
    _truncate_all(engine)
