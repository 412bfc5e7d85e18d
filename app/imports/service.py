"""CSV imports: products, supplier price lists, opening stock, sales history.

Two steps: `preview_import` validates every row against the database and writes nothing;
`run_import` validates again and writes everything — or, if ANY row is bad, nothing
(it raises `ValidationFailed` listing each row and column). Opening stock and sales history
go through the stock service as receipt / shipment movements whose event ids come from the
row's content, so importing the same file twice changes nothing the second time.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_audit
from app.catalog.models import Category, Product
from app.errors import N_, ValidationFailed
from app.imports.parse import Columns, ParsedFile, RowError, parse_csv
from app.stock.models import MovementKind, Warehouse
from app.stock.service import MovementInput, MovementPlan, preview_movements, record_movements
from app.suppliers.models import Supplier, SupplierPrice

COLUMNS = {
    "products": Columns(("sku", "name"), ("category", "unit", "pack_size", "unit_cost", "style_number", "specification")),
    "supplier_prices": Columns(("supplier", "sku", "unit_price"),
                               ("currency", "moq", "pack_size", "lead_time_days", "valid_from", "valid_to", "is_preferred")),
    "opening_stock": Columns(("warehouse", "sku", "quantity"), ("date",)),
    "sales": Columns(("date", "warehouse", "sku", "quantity"), ("reference",)),
}
SOURCES = {"opening_stock": "import:opening_stock", "sales": "import:sales"}
MAX_INTEGER = 1_000_000_000  # quantities, pack sizes, lead times: well inside a 32-bit column
MAX_MONEY = Decimal("99999999.9999")
# A stock import is one transaction (all rows or none). Over 1,000 balances it holds the stock
# gate exclusively (docs/concurrency.md rule 11): its lock count is bounded, but every other
# stock writer waits for its COMMIT, so its size is: above this a file must be split (20,000
# pairs took 22 s to import on a loaded test machine).
MAX_BALANCES_PER_IMPORT = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab and line breaks are allowed in a cell


@dataclass
class Checked:
    """The outcome of validating a file: what would be written, and every error."""

    parsed: ParsedFile
    errors: list[RowError]
    actions: list[Any] = field(default_factory=list)
    skipped: int = 0  # rows already imported before (same event id)


class _Row:
    """Typed access to one row's cells, collecting errors instead of raising."""

    def __init__(self, row: dict[str, str], errors: list[RowError]) -> None:
        self.row, self.errors, self.n = row, errors, int(row["_row"])

    def fail(self, column: str | None, message: str) -> None:
        self.errors.append(RowError(self.n, column, message))

    def text(self, col: str, *, required: bool = False, max_len: int = 200) -> str | None:
        v = self.row.get(col) or None
        if v is None and required:
            self.fail(col, N_("required"))
        elif v is not None and len(v) > max_len:
            self.fail(col, N_("longer than %(n)s characters", n=max_len))
        elif v is not None and _CONTROL.search(v):
            # PostgreSQL refuses NUL in text (a 500 at confirm); the other control characters are never meant.
            self.fail(col, N_("contains a control character (such as NUL)"))
            return None
        return v

    def integer(self, col: str, *, default: int | None = None, minimum: int = 0, maximum: int = MAX_INTEGER) -> int | None:
        raw = self.row.get(col) or ""
        if not raw:
            if default is None:
                self.fail(col, N_("required"))
            return default
        try:
            v = int(raw)
        except ValueError:
            self.fail(col, N_("%(value)s is not a whole number", value=repr(raw[:40])))
            return None
        if v < minimum:
            self.fail(col, N_("must be at least %(n)s", n=minimum))
            return None
        if v > maximum:
            self.fail(col, N_("must be at most %(n)s", n=maximum))
            return None
        return v

    def money(self, col: str, *, default: Decimal | None = None) -> Decimal | None:
        raw = self.row.get(col) or ""
        if not raw:
            if default is None:
                self.fail(col, N_("required"))
            return default
        try:
            v = Decimal(raw)
        except InvalidOperation:
            self.fail(col, N_("%(value)s is not a number", value=repr(raw[:40])))
            return None
        # Finite first: comparing a signalling NaN raises InvalidOperation (was a 500 at preview).
        if not v.is_finite():
            self.fail(col, N_("%(value)s is not a number", value=repr(raw[:40])))
            return None
        if v < 0:
            self.fail(col, N_("must be zero or more"))
            return None
        if v > MAX_MONEY:  # the columns are NUMERIC(12, 4)
            self.fail(col, N_("must be at most %(n)s", n=str(MAX_MONEY)))
            return None
        return v

    def date(self, col: str, *, default: dt.date | None = None) -> dt.date | None:
        raw = self.row.get(col) or ""
        if not raw:
            if default is None:
                self.fail(col, N_("required"))
            return default
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            self.fail(col, N_("%(value)s is not a date (YYYY-MM-DD)", value=repr(raw)))
            return None


def _lookup(session: Session, column: Any, id_column: Any, values: set[str]) -> dict[str, int]:
    values = {v for v in values if not _CONTROL.search(v)}  # those rows fail on their own; PostgreSQL refuses NUL
    if not values:
        return {}
    return dict(session.execute(select(column, id_column).where(column.in_(values))).all())


def _check_products(session: Session, parsed: ParsedFile, errors: list[RowError], _now: dt.datetime) -> Checked:
    checked = Checked(parsed, errors)
    seen: set[str] = set()
    for raw in parsed.rows:
        r = _Row(raw, errors)
        sku = r.text("sku", required=True, max_len=64)
        if sku in seen:
            r.fail("sku", N_("%(sku)s appears twice in the file", sku=sku))
        seen.add(sku or "")
        values = {"sku": sku, "name": r.text("name", required=True), "category": r.text("category", max_len=40),
                  "unit": r.text("unit", max_len=16) or "pcs", "pack_size": r.integer("pack_size", default=1, minimum=1),
                  "unit_cost": r.money("unit_cost", default=Decimal(0)),
                  "style_number": r.text("style_number", max_len=64), "specification": r.text("specification")}
        checked.actions.append(values)
    return checked


def _write_products(session: Session, checked: Checked, _now: dt.datetime, _source: str) -> int:
    rows = checked.actions
    existing = {p.sku: p for p in session.scalars(select(Product).where(Product.sku.in_({r["sku"] for r in rows})))}
    codes = {r["category"] for r in rows if r["category"]}
    categories = {c.code: c for c in session.scalars(select(Category).where(Category.code.in_(codes)))}
    for code in codes - set(categories):
        categories[code] = Category(code=code, name=code)
        session.add(categories[code])
    session.flush()
    for r in rows:
        product = existing.get(r["sku"]) or Product(sku=r["sku"])
        product.name, product.unit, product.pack_size = r["name"], r["unit"], r["pack_size"]
        product.unit_cost, product.style_number, product.specification = r["unit_cost"], r["style_number"], r["specification"]
        product.category_id = categories[r["category"]].id if r["category"] else None
        session.add(product)
    session.flush()
    return len(rows)


def _check_prices(session: Session, parsed: ParsedFile, errors: list[RowError], _now: dt.datetime) -> Checked:
    checked = Checked(parsed, errors)
    suppliers = _lookup(session, Supplier.code, Supplier.id, {r.get("supplier", "") for r in parsed.rows})
    products = _lookup(session, Product.sku, Product.id, {r.get("sku", "") for r in parsed.rows})
    for raw in parsed.rows:
        r = _Row(raw, errors)
        code, sku = r.text("supplier", required=True), r.text("sku", required=True)
        if code and code not in suppliers:
            r.fail("supplier", N_("unknown supplier %(code)s", code=code))
        if sku and sku not in products:
            r.fail("sku", N_("unknown SKU %(sku)s", sku=sku))
        valid_from = r.date("valid_from", default=dt.date(2000, 1, 1))
        valid_to = r.date("valid_to", default=dt.date.max)
        if valid_from and valid_to and valid_to < valid_from:
            r.fail("valid_to", N_("is before valid_from"))
        preferred = (r.row.get("is_preferred") or "").lower()
        if preferred not in ("", "yes", "no", "true", "false", "1", "0", "y", "n"):
            r.fail("is_preferred", N_("use yes or no"))
        currency = (r.text("currency", max_len=3) or "CNY").upper()
        checked.actions.append({
            "supplier_id": suppliers.get(code or ""), "product_id": products.get(sku or ""),
            "unit_price": r.money("unit_price"), "currency": currency, "moq": r.integer("moq", default=1, minimum=1),
            "pack_size": r.integer("pack_size", default=1, minimum=1),
            "lead_time_days": r.integer("lead_time_days", default=7), "valid_from": valid_from,
            "valid_to": None if valid_to == dt.date.max else valid_to,
            "is_preferred": preferred in ("yes", "true", "1", "y"),
        })
    return checked


def _write_prices(session: Session, checked: Checked, _now: dt.datetime, _source: str) -> int:
    keys = {(a["supplier_id"], a["product_id"], a["valid_from"]) for a in checked.actions}
    existing = {(p.supplier_id, p.product_id, p.valid_from): p for p in session.scalars(
        select(SupplierPrice).where(tuple_(SupplierPrice.supplier_id, SupplierPrice.product_id,
                                           SupplierPrice.valid_from).in_(list(keys))))} if keys else {}
    for a in checked.actions:
        price = existing.get((a["supplier_id"], a["product_id"], a["valid_from"])) or SupplierPrice()
        for k, v in a.items():
            setattr(price, k, v)
        session.add(price)
    session.flush()
    return len(checked.actions)


def _check_movements(kind: str) -> Callable[[Session, ParsedFile, list[RowError], dt.datetime], Checked]:
    def check(session: Session, parsed: ParsedFile, errors: list[RowError], now: dt.datetime) -> Checked:
        checked = Checked(parsed, errors)
        warehouses = _lookup(session, Warehouse.code, Warehouse.id, {r.get("warehouse", "") for r in parsed.rows})
        products = _lookup(session, Product.sku, Product.id, {r.get("sku", "") for r in parsed.rows})
        candidates = []
        for raw in parsed.rows:
            r = _Row(raw, errors)
            code, sku = r.text("warehouse", required=True), r.text("sku", required=True)
            if code and code not in warehouses:
                r.fail("warehouse", N_("unknown warehouse %(code)s", code=code))
            if sku and sku not in products:
                r.fail("sku", N_("unknown SKU %(sku)s", sku=sku))
            qty = r.integer("quantity", minimum=1)
            day = r.date("date", default=now.date() if kind == "opening_stock" else None)
            if day and day > now.date():
                r.fail("date", N_("is in the future"))
            event = (f"{code}:{sku}" if kind == "opening_stock"
                     else r.text("reference", max_len=100) or f"{day}:{code}:{sku}")
            candidates.append((r, event, warehouses.get(code or ""), products.get(sku or ""), qty, day))
        bad_rows = {e.row for e in errors}
        in_file: dict[str, int] = {}
        balances: set[tuple[int, int]] = set()
        rows: list[_Row] = []
        movements: list[MovementInput] = []
        for r, event, wid, pid, qty, day in candidates:
            if r.n in bad_rows or wid is None or pid is None or qty is None or day is None:
                continue  # a row with a missing value has an error already
            if event in in_file:
                r.fail("reference" if kind == "sales" else "sku", N_("same movement as row %(row)s", row=in_file[event]))
                continue
            balances.add((pid, wid))
            if len(balances) > MAX_BALANCES_PER_IMPORT:
                r.fail("sku", N_("more than %(n)s SKU × warehouse pairs in one file; split the file",
                                 n=MAX_BALANCES_PER_IMPORT))
                break
            in_file[event] = r.n
            rows.append(r)
            movements.append(MovementInput(
                pid, wid, MovementKind.RECEIPT.value if kind == "opening_stock" else MovementKind.SHIPMENT.value,
                qty, dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC), event_id=event,
                reference_type="import", reference_id=kind, note=f"CSV import row {r.n}"))
        # The stock core plans the rows in file order, so a row that would empty the shelf is named.
        planned = preview_movements(session, movements, source=SOURCES[kind]) if movements else MovementPlan()
        for refused in planned.refused:
            rows[refused.index].fail("quantity", N_(
                "%(reason)s (on hand %(on_hand)s, reserved %(reserved)s)", reason=refused.reason,
                on_hand=refused.position.on_hand, reserved=refused.position.reserved))
        checked.skipped += len(planned.duplicates)
        checked.actions.extend(movements[i] for i in planned.applied)
        return checked

    return check


def _write_movements(session: Session, checked: Checked, now: dt.datetime, source: str) -> int:
    if not checked.actions:
        return 0
    return record_movements(session, checked.actions, source=source, now=now).applied


CHECKS = {"products": _check_products, "supplier_prices": _check_prices,
          "opening_stock": _check_movements("opening_stock"), "sales": _check_movements("sales")}
WRITERS = {"products": _write_products, "supplier_prices": _write_prices, "opening_stock": _write_movements,
           "sales": _write_movements}


def preview_import(session: Session, *, kind: str, data: bytes, now: dt.datetime) -> Checked:
    """Validate a file completely without writing anything."""
    if kind not in COLUMNS:
        raise ValidationFailed(N_("unknown import %(kind)s", kind=kind), [{"field": "kind", "message": N_("unknown import")}])
    parsed = parse_csv(data, COLUMNS[kind])
    errors = list(parsed.errors)
    if errors:
        return Checked(parsed, errors)
    checked = CHECKS[kind](session, parsed, errors, now)
    checked.errors.sort(key=lambda e: e.row)
    return checked


@dataclass(frozen=True)
class ImportResult:
    kind: str
    rows: int
    written: int
    skipped: int


def run_import(session: Session, actor: Actor, *, kind: str, data: bytes, now: dt.datetime,
               filename: str = "") -> ImportResult:
    """Validate and write the whole file, or nothing: raises `ValidationFailed` whose errors
    name each bad row (`field` = "row N, column")."""
    checked = preview_import(session, kind=kind, data=data, now=now)
    if checked.errors:
        raise ValidationFailed(
            N_("%(n)s problem(s) in the file; nothing was imported", n=len(checked.errors)),
            [{"field": f"row {e.row}" + (f", {e.column}" if e.column else ""), "message": e.message}
             for e in checked.errors],
        )
    written = WRITERS[kind](session, checked, now, SOURCES.get(kind, "import"))
    record_audit(session, actor, "import." + kind, "import", None, filename=filename, rows=len(checked.parsed.rows),
                 written=written, skipped=checked.skipped)
    return ImportResult(kind, len(checked.parsed.rows), written, checked.skipped)
