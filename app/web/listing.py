"""The one list-page pattern: a GET filter form, a sort from the URL, a page, its CSV.

Filters, sort and page all live in the query string (the filter form is a GET form, the
column headers and the pager keep every other argument), so a list's URL can be bookmarked
and shared. A list view reads them with `read_listing`, asks its service for one page
(`sort=listing.sort, page=listing.page`) and renders with `render_listing`; its CSV export
calls `export_listing` with the same filters and sort. Column headers use the `sort_th`
macro (macros.html).

Each list whitelists its sortable columns (the service's `…_SORTS` mapping, key → column).
A sort outside it never reaches the database: the page is shown in its usual order with a
message saying so; a CSV export answers 400.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from flask import abort, flash, render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from app.paging import Sort
from app.web.exports import csv_response

F = TypeVar("F", bound=FlaskForm)


@dataclass(frozen=True)
class Listing(Generic[F]):
    """What a list request asks for: its filter form (validated), sort and page number."""

    form: F
    sort: Sort | None
    valid: bool

    @property
    def page(self) -> int:
        field = getattr(self.form, "page", None)
        return max(1, (field.data if field is not None else None) or 1)


def page_arg() -> int:
    """The `page` query argument of a list without a filter form (1 when missing or bad)."""
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else 1


def read_sort(sortable: Collection[str], *, export: bool = False) -> Sort | None:
    """The `sort` query argument checked against `sortable` (see the module docstring); for
    lists without a filter form `read_listing` is built on this."""
    raw = request.args.get("sort", "").strip()
    if not raw:
        return None
    sort = Sort.parse(raw)
    if sort.key in sortable:
        return sort
    if export:
        abort(400, description=_("This list cannot be sorted by “%(sort)s”.", sort=raw))
    flash(_("This list cannot be sorted by “%(sort)s”; it is shown in its usual order.", sort=raw), "warning")
    return None


def read_listing(form: F, sortable: Collection[str], *, export: bool = False) -> Listing[F]:
    """The list request in `request.args`: `form` (built from them) validated, the sort
    checked against `sortable`. A filter-less request is valid without validation."""
    valid = not request.args or bool(form.validate())
    return Listing(form, read_sort(sortable, export=export), valid)


def render_listing(template: str, listing: Listing[Any], query: Callable[[], Any], **context: Any) -> Any:
    """The list page: `query()` gives the page of rows; invalid filters render the form's
    errors with no rows and status 422 (and the query is not run)."""
    if not listing.valid:
        return render_template(template, form=listing.form, sort=listing.sort, page=None, **context), 422
    return render_template(template, form=listing.form, sort=listing.sort, page=query(), **context)


def export_listing(listing: Listing[Any], filename: str, header: Sequence[str],
                   rows: Callable[[], Iterable[Sequence[Any]]]) -> Any:
    """The list's CSV (every row that matches, in the requested order); invalid filters: 422."""
    if not listing.valid:
        abort(422)
    return csv_response(filename, header, rows())
