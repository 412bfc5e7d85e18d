"""What a PostgreSQL connection really sends: a count of the protocol messages (libpq trace).

SQLAlchemy's `begin`/`rollback` events are not the wire: psycopg sends BEGIN only before
the first statement of a transaction and nothing for a rollback of a connection that ran
none. So round trips are counted from the frontend messages libpq writes to a trace file:
every extended-protocol `Sync` and every simple `Query` ("BEGIN", "COMMIT", …) is one
round trip. Used by the API bench and by tests/web/api/test_round_trips.py.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


@dataclass
class Wire:
    """The frontend messages sent while the `wire_trace` block ran, one line each
    (e.g. ``Query "BEGIN"``, ``Parse "" "SELECT …"``, ``Sync``)."""

    messages: list[str] = field(default_factory=list)

    @property
    def round_trips(self) -> int:
        return sum(1 for m in self.messages if m.startswith(("Sync", "Query")))

    @property
    def statements(self) -> list[str]:
        """The SQL of each statement sent (simple queries and parsed ones)."""
        out = []
        for m in self.messages:
            if m.startswith("Query"):
                out.append(m.split(None, 1)[1].strip('"'))
            elif m.startswith("Parse"):
                out.append(m.split('"', 3)[3].rsplit('"', 1)[0])
        return out


def _frontend_messages(text: str) -> list[str]:
    """Frontend lines of a libpq trace (``F\\t<len>\\t<message>``), joined over SQL newlines."""
    out: list[str] = []
    for line in text.splitlines():
        if line.startswith("F\t"):
            out.append(line.split("\t", 2)[2].strip())
        elif line.startswith("B\t"):
            continue
        elif out:
            out[-1] += " " + line.strip()
    return out


@contextmanager
def wire_trace(engine: Engine) -> Iterator[Wire]:
    """Trace every connection of `engine` (PostgreSQL, psycopg 3) while the block runs: the
    pool is emptied first so each connection is opened with tracing on, and again after."""
    from psycopg import pq

    fd, path = tempfile.mkstemp(prefix="stockwise-wire-")
    wire = Wire()

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.pgconn.trace(fd)
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)

    engine.dispose()
    event.listen(engine, "connect", on_connect)
    try:
        yield wire
    finally:
        engine.dispose()  # closes the traced connections, so their trace is complete
        event.remove(engine, "connect", on_connect)
        os.close(fd)
        with open(path, encoding="utf-8", errors="replace") as f:
            wire.messages = _frontend_messages(f.read())
        os.unlink(path)
