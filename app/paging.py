"""One page of a list: rows plus what the pager needs (pages are 1-based), and its order."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeAlias, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")

DEFAULT_PER_PAGE = 50
# A SELECT of any number of columns of any type (`Select[Any]` would mean one column).
AnySelect: TypeAlias = "Select[*tuple[Any, ...]]"


@dataclass(frozen=True)
class Page(Generic[T]):
    rows: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def count_rows(session: Session, stmt: AnySelect) -> int:
    """The number of rows `stmt` would return (one query)."""
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def page_of(session: Session, stmt: AnySelect, *, page: int, per_page: int = DEFAULT_PER_PAGE) -> tuple[list[Any], int, int]:
    """(rows, total, page) for an ordered statement: two queries whatever the page size."""
    total = count_rows(session, stmt)
    page = max(1, min(page, max(1, -(-total // per_page))))
    rows = list(session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all())
    return rows, total, page


def clamp_page(page: int | None) -> int:
    """A requested page number, at least 1."""
    return max(1, page or 1)


@dataclass(frozen=True)
class Sort:
    """A list's requested order: a column key and a direction. In a URL: "number" (ascending)
    or "-number" (descending). Which keys a list accepts is the list's own whitelist."""

    key: str
    descending: bool = False

    @classmethod
    def parse(cls, text: str) -> Sort:
        return cls(text[1:], True) if text.startswith("-") else cls(text)

    def __str__(self) -> str:
        return ("-" if self.descending else "") + self.key


def sorted_by(stmt: AnySelect, sort: Sort | None, columns: Mapping[str, Any], *default: Any) -> AnySelect:
    """`stmt` ordered by the sort's column (empty values last either way) then by `default`,
    the list's usual order, which also keeps the pages stable; no sort: `default` alone.

    `columns` is the list's whitelist (key → column); an unknown key is a programming error
    (the web layer refuses it before it gets here)."""
    if sort is None:
        return stmt.order_by(*default)
    if sort.key not in columns:
        raise ValueError(f"cannot sort by {sort.key!r}; one of {sorted(columns)}")
    column = columns[sort.key]
    return stmt.order_by((column.desc() if sort.descending else column.asc()).nulls_last(), *default)


def sorted_rows(rows: Iterable[T], sort: Sort | None, keys: Mapping[str, Callable[[T], Any]]) -> list[T]:
    """`sorted_by` for a list computed in Python (the alert board, the scorecard ranking):
    `rows` (given in the list's usual order) ordered by the sort's key, empty values (None)
    last either way; ties keep the usual order (Python's sort is stable, also reversed), so
    the pages stay stable. No sort: the usual order. `keys` is the list's whitelist."""
    ordered = list(rows)
    if sort is None:
        return ordered
    if sort.key not in keys:
        raise ValueError(f"cannot sort by {sort.key!r}; one of {sorted(keys)}")
    key = keys[sort.key]
    present = [r for r in ordered if key(r) is not None]
    present.sort(key=key, reverse=sort.descending)
    return present + [r for r in ordered if key(r) is None]
