"""Human document numbers: PREFIX-YEAR-NNNNNN (e.g. TR-2026-000123), one sequence per prefix and year."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session


def next_document_number(session: Session, column: Any, prefix: str, today: dt.date) -> str:
    """The next free number for `prefix` in `today`'s year, read from `column` (a unique column).

    Two concurrent creators can compute the same number; the unique constraint then
    refuses the second insert, so a number is never handed out twice.
    """
    stem = f"{prefix}-{today.year}-"
    last = session.scalar(select(func.max(column)).where(column.like(stem + "%")))
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{stem}{seq:06d}"
