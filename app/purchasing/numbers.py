"""Document numbers (PO-2026-000123): derived from the row id after flush, so two
concurrent transactions can never hand out the same number (ids are unique)."""
from __future__ import annotations

import datetime as dt
import uuid


def placeholder() -> str:
    """A unique temporary number for the insert; replaced right after the flush."""
    return f"tmp-{uuid.uuid4().hex[:24]}"


def document_number(prefix: str, year: int, row_id: int) -> str:
    return f"{prefix}-{year}-{row_id:06d}"


def year_of(now: dt.datetime | dt.date) -> int:
    return now.year
