"""The one CSV writer for every export (staff lists, admin audit log, supplier portal).

Every download is the same: streamed line by line, UTF-8 with a BOM (spreadsheet programs
on Chinese Windows need it to read the text right), formula cells defused, one
``Content-Type: text/csv; charset=utf-8``, ``Cache-Control: no-store`` and an attachment
file name.

The body is written after the view has returned, so it cannot use the request's
transaction the usual way (the request's teardown has run by then). `csv_response` takes
the request's session over (`hand_over_session`) and closes it when the body is done or
the client goes away (WSGI calls the response's ``close()`` in both cases): the
transaction ends and the connection goes back to the pool either way.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Generator, Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import quote

from flask import Response, stream_with_context

from app.db import hand_over_session

BOM = "\ufeff"
CONTENT_TYPE = "text/csv; charset=utf-8"
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CHUNK_CHARS = 16 * 1024  # one write to the socket per ~16 KiB, not one per row


def defused(value: Any) -> Any:
    """The cell as written: None is empty; a text starting like a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_lines(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The BOM and the header, then the rows, in chunks of whole lines; every cell defused."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    buf.write(BOM)
    writer.writerow([defused(str(h)) for h in header])
    try:
        for row in rows:
            writer.writerow([defused(v) for v in row])
            if buf.tell() >= _CHUNK_CHARS:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()
    finally:  # the client left: close the row source (and its cursor) now, before the session
        if isinstance(rows, Generator):
            rows.close()


def content_disposition(filename: str) -> str:
    """``attachment`` with `filename`: plain ASCII quoted, anything else also as RFC 5987
    ``filename*`` (a header is Latin-1 on the wire; a SKU may be Chinese)."""
    fallback = "".join(ch if " " <= ch <= "~" and ch not in '"\\' else "_" for ch in filename)
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def csv_response(filename: str, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Response:
    """Stream `rows` (read lazily, e.g. a `yield_per` query) as the download `filename`."""
    resp = Response(stream_with_context(csv_lines(header, rows)), content_type=CONTENT_TYPE)
    resp.headers["Content-Disposition"] = content_disposition(filename)
    resp.headers["Cache-Control"] = "no-store"
    owned = hand_over_session()
    if owned is not None:
        resp.call_on_close(owned.close)
    return resp
