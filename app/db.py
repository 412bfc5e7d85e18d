"""Database plumbing: the declarative Base, engine and session, and `transaction()`.

Transactions have one home: each entry point (view, API handler, CLI command, job)
opens exactly one `transaction()`; services receive the session and may flush, never
commit. On SQLite every transaction starts with ``BEGIN IMMEDIATE`` so writers are
serialised and the embedded default is as correct as PostgreSQL under concurrency.
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, NoSuchModuleError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.config import ConfigError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware datetimes, stored as UTC on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a zone is required")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create the engine; an unusable URL is a `ConfigError` with one clear line."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"DATABASE_URL is not a database URL: {url!r}") from exc
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigError(f"DATABASE_URL must be sqlite:/// or postgresql+psycopg://, not {parsed.drivername!r}")
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 30)
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise ConfigError(f"DATABASE_URL names a driver that is not installed: {parsed.drivername!r}") from exc
    if engine.dialect.name == "sqlite":
        _serialise_sqlite_writers(engine)
    elif not kwargs.get("pool_pre_ping"):
        _ping_idle_connections(engine)
    return engine


# A pooled connection idle longer than this is pinged before use (a dead one is replaced).
# Pinging every checkout (pool_pre_ping) would cost one round trip per request.
IDLE_PING_SECONDS = 10.0


def _ping_idle_connections(engine: Engine) -> None:
    @event.listens_for(engine.pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", time.monotonic()) < IDLE_PING_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as exc:  # the pool discards it and checks out another
            raise DisconnectionError(str(exc)) from exc


def _serialise_sqlite_writers(engine: Engine) -> None:
    """Take SQLite's write lock at BEGIN, so check-then-write cannot race."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(bind: Any, **kwargs: Any) -> sessionmaker[Session]:
    return sessionmaker(bind=bind, expire_on_commit=False, **kwargs)


class Database:
    """Engine and sessions for one app; `session()` is per request (or per CLI call)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessionmaker = make_sessionmaker(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


def current_db() -> Database:
    from flask import current_app

    db: Database = current_app.extensions["stockwise_db"]
    return db


def session() -> Session:
    """The session of the current request or CLI command (created on first use)."""
    from flask import g

    s: Session | None = g.get("_db_session")
    if s is None:
        s = current_db().sessionmaker()
        g._db_session = s
    return s


@contextmanager
def transaction() -> Iterator[Session]:
    """The one commit point of an entry point: commit on success, roll back on error."""
    s = session()
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise


def close_session(_exc: BaseException | None = None) -> None:
    from flask import g

    s: Session | None = g.pop("_db_session", None)
    if s is not None:
        s.close()


@contextmanager
def single_statement_session() -> Iterator[Session]:
    """PostgreSQL only: a session whose every statement is its own transaction — no BEGIN and
    COMMIT round trips — for a write that is one statement (app.stock.reservations_sql) or
    an unlocked read. Nothing to commit or roll back: each statement already did. (Sessions
    bound to a connection — a test's outer transaction — join it through `transaction()`.)"""
    if not isinstance(current_db().sessionmaker.kw.get("bind"), Engine):
        with transaction() as joined:
            yield joined
        return
    # A request never holds two pooled connections (the pool would run dry under load):
    # the request session's read-only transaction (e.g. the token lookup) ends first.
    session().close()
    conn = current_db().engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        with Session(bind=conn) as s:
            yield s
    finally:
        conn.close()
