"""Reading an uploaded CSV: size, encoding and header checks, then rows as dicts. Pure."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from app.errors import N_

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Columns:
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowError:
    row: int  # the spreadsheet row number: the header is row 1, the first data row is row 2
    column: str | None
    message: str


@dataclass
class ParsedFile:
    header: list[str] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _header_errors(header: list[str], columns: Columns) -> list[RowError]:
    """Missing required, unknown and repeated columns: errors on row 1."""
    missing = [c for c in columns.required if c not in header]
    unknown = [c for c in header if c not in columns.required + columns.optional]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    return ([RowError(1, c, N_("required column is missing")) for c in missing]
            + [RowError(1, c or "(blank)", N_("unknown column")) for c in unknown]
            + [RowError(1, c, N_("column appears twice")) for c in duplicated])


def _read_rows(reader: Any, header: list[str], out: ParsedFile) -> None:
    """Append the non-blank rows (trimmed, keyed by column) to `out`, or their errors.
    `reader` is a `csv.reader` (its class is private to `_csv`)."""
    try:
        for line_no, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(out.rows) >= MAX_ROWS:
                out.errors.append(RowError(line_no, None, N_("more than %(n)s rows; split the file", n=MAX_ROWS)))
                break
            if len(cells) != len(header):
                out.errors.append(RowError(line_no, None, N_(
                    "%(cells)s cells, the header has %(header)s", cells=len(cells), header=len(header))))
                continue
            out.rows.append({"_row": str(line_no), **{h: c.strip() for h, c in zip(header, cells, strict=True)}})
    except csv.Error as exc:
        out.errors.append(RowError(reader.line_num, None, N_("not valid CSV: %(error)s", error=str(exc))))


def parse_csv(data: bytes, columns: Columns) -> ParsedFile:
    """Decode (UTF-8, BOM allowed), check the header, return the rows with trimmed cells.

    File-level problems are errors on row 1 (the header) or row 0 (the file itself).
    """
    out = ParsedFile()
    if not data.strip():
        out.errors.append(RowError(0, None, N_("the file is empty")))
        return out
    if len(data) > MAX_BYTES:
        out.errors.append(RowError(0, None, N_("the file is larger than %(mb)s MB", mb=MAX_BYTES // (1024 * 1024))))
        return out
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        out.errors.append(RowError(0, None, N_(
            "the file is not UTF-8 text (byte %(byte)s); save it as CSV UTF-8", byte=exc.start)))
        return out
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error):
        out.errors.append(RowError(1, None, N_("no header row")))
        return out
    out.header = header
    out.errors.extend(_header_errors(header, columns))
    if out.errors:
        return out
    _read_rows(reader, header, out)
    if not out.rows and not out.errors:
        out.errors.append(RowError(2, None, N_("the file has a header but no rows")))
    return out
