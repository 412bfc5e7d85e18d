"""Database plumbing: the declarative Base, engine and session, and `transaction()`.

Transactions have one home: each entry point (view, API handler, CLI command, job)
opens exactly one `transaction()` — its unit of work that writes; services receive the
session and may flush, never commit.

Reads and writes start differently on SQLite (docs/concurrency.md, rule 6): the request
session (`session()`) reads in a deferred transaction, which takes no lock (WAL lets it
run beside the writer); `transaction()` takes the write lock with ``BEGIN IMMEDIATE``
before its first statement, so check-then-write cannot race and a read never has to be
upgraded into a write (the upgrade is what fails with SQLITE_BUSY). Any other
transaction (a job's own sessions, ``engine.begin()``) starts ``BEGIN IMMEDIATE`` too.
On PostgreSQL nothing differs: row locks do that work.
"""
from __future__ import annotations

import datetime as dt
import enum
import logging
import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Connection, CursorResult, Engine, Result, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.config import ConfigError

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def enum_check(column: str, values: type[enum.StrEnum]) -> str:
    """The SQL of a CHECK constraint keeping `column` to the values of a StrEnum."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


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
        _configure_sqlite(engine)
    elif not kwargs.get("pool_pre_ping"):
        _ping_idle_connections(engine)
    return engine


# A pooled connection idle longer than this, or one whose socket has input waiting (the
# server hung up), is pinged before use; a dead one is replaced. Pinging every checkout
# (pool_pre_ping) would cost one round trip per request.
IDLE_PING_SECONDS = 10.0


def _has_pending_input(dbapi_connection: Any) -> bool:
    """Whether an idle PostgreSQL connection has something to read — which, between
    statements, means the server has closed it (a terminated backend sends its error and
    hangs up). One non-blocking poll of the socket, no round trip: a connection killed
    seconds ago is caught before the request's first statement uses it."""
    try:
        fd = dbapi_connection.pgconn.socket
    except Exception:  # no socket any more: certainly dead
        return True
    readable, _, _ = select.select([fd], [], [], 0)
    return bool(readable)


def _ping_idle_connections(engine: Engine) -> None:
    @event.listens_for(engine.pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # A connection never checked in is fresh (the pool clears `info` when it reconnects):
        # nothing to detect yet. Raising DisconnectionError for it too could fail the pool's
        # second and last checkout attempt, which SQLAlchemy reports as InvalidRequestError
        # ("This connection is closed") — no DBAPI error, so neither a 503 nor a worker's retry.
        # If it died already, its first statement fails with an OperationalError instead.
        if "idle_since" not in record.info:
            return
        recent = time.monotonic() - record.info["idle_since"] < IDLE_PING_SECONDS
        if recent and not _has_pending_input(dbapi_connection):
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()
        except Exception as exc:  # the pool discards it and checks out another
            raise DisconnectionError(str(exc)) from exc


# Execution option naming how a SQLite transaction begins: "DEFERRED" (a read: no lock until
# it writes, and it never should) or "IMMEDIATE" (the default: the write lock at BEGIN).
SQLITE_BEGIN = "stockwise_sqlite_begin"
_WRITE_LOCKED = "stockwise_write_locked"  # connection info: this transaction holds the write lock
_CHANGES_AT_BEGIN = "stockwise_changes_at_begin"


def _configure_sqlite(engine: Engine) -> None:
    """Emit BEGIN ourselves: deferred for the request's reads, IMMEDIATE for everything else."""

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
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE") == "IMMEDIATE"
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        conn.info[_WRITE_LOCKED] = immediate
        conn.info[_CHANGES_AT_BEGIN] = conn.connection.dbapi_connection.total_changes  # type: ignore[union-attr]


def _take_sqlite_write_lock(conn: Connection) -> None:
    """Turn the deferred read transaction on `conn` into one holding the write lock.

    Never by upgrading it (a reader whose snapshot is stale gets SQLITE_BUSY at its first
    write, whatever the busy timeout): a transaction that has only read is ended — it has
    nothing to lose — and a new one begins with BEGIN IMMEDIATE, which waits its turn. The
    ORM session does not notice: its loaded objects and pending changes stay as they are.
    """
    if conn.info.get(_WRITE_LOCKED, True):
        return
    if conn.connection.dbapi_connection.total_changes == conn.info.get(_CHANGES_AT_BEGIN):  # type: ignore[union-attr]
        conn.exec_driver_sql("COMMIT")
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    # else it has written already, so SQLite gave it the write lock then
    conn.info[_WRITE_LOCKED] = True


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
    """The session of the current request or CLI command (created on first use).

    Its reads run in a deferred transaction (no lock on SQLite); it starts on a connection
    checked (pre-ping) with a short retry, so a database that is restarting or has just
    dropped its connections answers the next request instead of failing it.
    """
    from flask import g

    s: Session | None = g.get("_db_session")
    if s is None:
        s = current_db().sessionmaker(execution_options={SQLITE_BEGIN: "DEFERRED"})
        g._db_session = s
        _connect(s, begin="DEFERRED")
    return s


def hand_over_session() -> Session | None:
    """Take the request's session away from the request: the caller now closes it.

    For a streamed response, whose body reads after the view has returned (and after the
    request's teardown): the body ends the transaction and returns the connection itself,
    when it is done or when the client goes away.
    """
    from flask import g

    s: Session | None = g.pop("_db_session", None)
    return s


# Back-off before each retry of a connection that could not be had (PostgreSQL restarting).
CONNECT_RETRY_DELAYS = (0.2, 0.5, 1.0, 2.0)


def _connect(s: Session, *, begin: str) -> None:
    """Begin `s` on a live connection (`begin`: how, on SQLite); retry while the database cannot be reached.

    Only a failure before any statement of the unit of work ran is retried (the pool's
    pre-ping or the connect itself), so a retry can never repeat an effect.
    """
    for delay in (*CONNECT_RETRY_DELAYS, None):
        try:
            s.connection(execution_options={SQLITE_BEGIN: begin})
            return
        except OperationalError as exc:
            s.rollback()
            if delay is None or current_db().dialect != "postgresql":
                raise
            log.warning("database unreachable (%s); retrying in %.1f s", type(exc.orig).__name__, delay)
            time.sleep(delay)


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched (`Session.execute` types its result as a plain
    `Result`; for DML it is a `CursorResult`)."""
    return int(cast(CursorResult[Any], result).rowcount)


def _connect_autocommit(engine: Engine) -> Connection:
    """A pooled connection in autocommit mode, with the retry of `_connect`: this may be the
    request's first contact with the database (a cached API token opens no session)."""
    for delay in (*CONNECT_RETRY_DELAYS, None):
        try:
            return engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except OperationalError as exc:
            if delay is None:
                raise
            log.warning("database unreachable (%s); retrying in %.1f s", type(exc.orig).__name__, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


_PG_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: connected, no transaction open


def _raw_connection(engine: Engine) -> Any:
    """A pooled connection as the pool hands it out (the checkout ping included), with the
    retry of `_connect` while PostgreSQL refuses connections."""
    dbapi = engine.dialect.loaded_dbapi
    for delay in (*CONNECT_RETRY_DELAYS, None):
        try:
            return engine.raw_connection()
        except (OperationalError, dbapi.OperationalError) as exc:
            # Unlike engine.connect(), the pool raises the driver's own error: wrap it as
            # SQLAlchemy would, so that it is the 503 of any lost database.
            wrapped = exc if isinstance(exc, OperationalError) else DBAPIError.instance(
                None, None, exc, dbapi.Error, connection_invalidated=True)
            if delay is None:
                if wrapped is exc:
                    raise
                raise wrapped from exc
            log.warning("database unreachable (%s); retrying in %.1f s", type(wrapped.orig).__name__, delay)
            time.sleep(delay)
    raise AssertionError("unreachable")


def one_statement(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """PostgreSQL only: run one statement (psycopg `%(name)s` parameters) as its own
    transaction and return its rows — the hot path of the stock API (a reservation, its
    commit or release, an availability read: app.stock.reservations_sql, app.stock.levels).

    Straight through psycopg on a pooled connection in autocommit mode: no ORM session, no
    SQLAlchemy statement compilation or result objects, no BEGIN/COMMIT round trips (the
    request's CPU is in docs/deploy.md, "Capacity"). What SQLAlchemy would do on failure is
    kept: a driver error is raised as the `sqlalchemy.exc` error of its class (an
    `OperationalError` becomes the 503), and a lost connection invalidates the pool as a
    disconnect seen by the ORM does. A session bound to a connection (a test's outer
    transaction) runs the statement in it instead, through `transaction()`."""
    db = current_db()
    if not isinstance(db.sessionmaker.kw.get("bind"), Engine):
        with transaction() as joined:
            return [tuple(row) for row in joined.connection().exec_driver_sql(sql, params)]
    from flask import g

    existing: Session | None = g.get("_db_session")  # one pooled connection per request at most
    if existing is not None:
        existing.close()
    engine = db.engine
    fairy = _raw_connection(engine)
    conn = fairy.driver_connection
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute(sql, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        conn.autocommit = False  # as the pool's other users expect it
        return rows
    except engine.dialect.loaded_dbapi.Error as exc:
        disconnect = engine.dialect.is_disconnect(exc, conn, None)
        if disconnect:  # what Connection._handle_dbapi_exception does on a disconnect
            engine.pool._invalidate(fairy, exc)
        elif conn.info.transaction_status == _PG_IDLE:
            conn.autocommit = False
        else:  # in no state to be handed out again
            fairy.invalidate(exc)
        raise DBAPIError.instance(sql, params, exc, engine.dialect.loaded_dbapi.Error,
                                  connection_invalidated=disconnect) from exc
    finally:
        if fairy.is_valid and conn.autocommit:  # left mid-call (a signal, a worker timeout)
            if conn.info.transaction_status == _PG_IDLE:
                conn.autocommit = False
            else:
                fairy.invalidate()
        fairy.close()


@contextmanager
def transaction() -> Iterator[Session]:
    """The one commit point of an entry point: commit on success, roll back on error.

    On SQLite it holds the write lock from before its first statement to its commit
    (`_take_sqlite_write_lock`): the unit of work is serialised with every other writer.

    Nothing is written behind the caller's back at commit: no session event listener adds
    rows. The stock change log (also the webhook outbox) is written by the write step of
    `app.stock.service.stock_change` (`repository.write_balances`), in the same statement
    as the balances on PostgreSQL; the audit row by the service's `record_audit` call.
    """
    s = session()
    if not s.in_transaction():
        _connect(s, begin="IMMEDIATE")
    elif current_db().dialect == "sqlite":
        _take_sqlite_write_lock(s.connection())
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
    # the request session's read-only transaction (e.g. the token lookup), if it has one,
    # ends first — without opening one just to close it.
    from flask import g

    existing: Session | None = g.get("_db_session")
    if existing is not None:
        existing.close()
    conn = _connect_autocommit(current_db().engine)
    try:
        with Session(bind=conn) as s:
            yield s
    finally:
        conn.close()
