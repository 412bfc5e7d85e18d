"""Document numbers, one scheme for every document: ``PREFIX-YEAR-NNNNNN`` (PO-2026-000123).

The digits are the row id, assigned after the insert's flush, so two concurrent
transactions can never hand out the same number and no counter or lock is needed. The
year is the document's date (creation, receipt, shipment). Numbers are unique across
years but not gap-free within one. The demo seed uses `document_number` with its insert
order, so its numbers look like the UI's (and equal the ids on a fresh database).
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.orm import Session

PURCHASE_ORDER = "PO"
TRANSFER = "TR"
RECEIPT = "GR"
SUPPLIER_RETURN = "RS"
SHIPMENT_NOTICE = "ASN"
CYCLE_COUNT = "CC"


def placeholder() -> str:
    """A unique temporary number for the insert; replaced right after the flush."""
    return f"tmp-{uuid.uuid4().hex[:24]}"


def document_number(prefix: str, year: int, row_id: int) -> str:
    return f"{prefix}-{year}-{row_id:06d}"


def assign_number(session: Session, document: Any, prefix: str, on: dt.date) -> str:
    """Insert `document` (a model with `id` and a unique `number`) and give it its number.

    Adds and flushes the row (with a placeholder number when it has none yet), then sets
    ``number`` from the new id; returns the number.
    """
    if not document.number:
        document.number = placeholder()
    session.add(document)
    session.flush()
    document.number = document_number(prefix, on.year, document.id)
    return str(document.number)
