"""XLSX export shared by every table: amounts stay numeric, text can never become a formula.

One entry point for views: ``table_xlsx_response(request, table, name)``. It counts the rows and
- up to ``EXPORT_INLINE_ROWS`` builds the file in the request (well under a second);
- above that, creates an ``ExportJob`` that a Celery worker builds (``vendorsync.export_jobs``) and
  sends the user to its progress page, so a big export never holds a web worker for seconds;
- above ``EXPORT_MAX_ROWS`` asks for a narrower filter.

The worker cannot receive a queryset: it rebuilds the table from the export's registered builder
(``register_export(name, build_table, perms=...)``, called next to the view) with the user and the
list's querystring (filters and sort). A table whose name is not registered is exported inline up
to the threshold and refused above it (safe by default; registering it is one line).

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return could be run as a
formula by a spreadsheet (OWASP "CSV injection"); such text is written with a leading apostrophe
(the reference's rule), which keeps it inert text in every spreadsheet program. Numbers (Decimal, int) are written as numbers so finance can sum them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import IO, Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tables2.data import TableQuerysetData
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from vendorsync.roles import perm

logger = logging.getLogger(__name__)

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Rows fetched per database round trip when a worker streams a big export (bounded memory).
ITERATOR_CHUNK = 2_000


def safe_cell_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, (Decimal, int, float)):
        return value
    if isinstance(value, datetime):
        # Excel has no time zones: write the local wall time the user saw on screen.
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value
    text = str(value)
    if text.startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def write_workbook(
    target: IO[bytes], headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Export"
) -> None:
    """Write an XLSX to ``target`` in openpyxl's write-only mode (rows go to disk, not memory)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=safe_cell_value(header))
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=safe_cell_value(value))
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
    workbook.save(target)


def build_workbook(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Export") -> bytes:
    buffer = BytesIO()
    write_workbook(buffer, headers, rows, title=title)
    return buffer.getvalue()


def xlsx_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    response = HttpResponse(build_workbook(headers, rows, title=filename), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


# --- Registry of exports a worker can rebuild ------------------------------------------------------


@dataclass(frozen=True)
class ExportSpec:
    """How a worker rebuilds a list's table: ``build_table(user, querydict)`` returns the table."""

    name: str
    build_table: Callable[[Any, QueryDict], Any]
    perms: tuple[str, ...]
    title: str


_REGISTRY: dict[str, ExportSpec] = {}
_discovered = False


def register_export(
    name: str,
    build_table: Callable[[Any, QueryDict], Any],
    *,
    perms: Iterable[str],
    title: str = "",
) -> None:
    """Let exports of ``name`` run in a worker. Call at import time of the view's module.

    ``build_table`` must be the view's own table construction (filters applied from the
    querydict, same queryset), so the file holds what the page showed. ``perms``: any one of these
    permission codenames lets a user export (checked again in the worker and at download).
    """
    perms = tuple(perms)
    if not perms:
        raise ImproperlyConfigured(f"Export {name!r} needs at least one permission.")
    existing = _REGISTRY.get(name)
    if existing is not None and existing.build_table is not build_table:
        raise ImproperlyConfigured(f"Export {name!r} is registered twice with different tables.")
    _REGISTRY[name] = ExportSpec(name, build_table, perms, title or name.replace("-", " ").capitalize())


def get_export(name: str) -> ExportSpec | None:
    """The registered export, importing every app's ``views`` once (a worker has not loaded them)."""
    global _discovered
    if name not in _REGISTRY and not _discovered:
        _discovered = True
        autodiscover_modules("views")
    return _REGISTRY.get(name)


def export_title(name: str) -> str:
    spec = _REGISTRY.get(name)
    return spec.title if spec else name


def may_export(user: Any, spec: ExportSpec) -> bool:
    return bool(getattr(user, "is_active", False) and any(user.has_perm(perm(code)) for code in spec.perms))


# --- Tables -----------------------------------------------------------------------------------------


def export_params(query: QueryDict, table: Any) -> str:
    """The list's querystring as a job stores it: filters and sort, without paging or ``export``."""
    kept = query.copy()
    for key in ("export", table.prefixed_page_field, table.prefixed_per_page_field):
        kept.pop(key, None)
    return kept.urlencode()


def apply_sort(table: Any, query: QueryDict) -> None:
    """Order the table as the page did (``?sort=``); unknown columns are ignored by django-tables2."""
    order_by = query.get(table.prefixed_order_by_field)
    if order_by:
        table.order_by = order_by


def count_rows(table: Any) -> int:
    # COUNT(*) for a queryset: len() on an unpaginated django-tables2 table would load every row.
    if isinstance(table.data, TableQuerysetData):
        return table.data.data.count()
    return len(table.data)


def table_rows(table: Any) -> tuple[list[str], Iterator[list[Any]]]:
    """Headers and raw rows of every record (not just a page); querysets are streamed in chunks."""
    columns = [c for c in table.columns if c.column.exclude_from_export is False and c.name != "actions"]
    headers = [str(c.header) for c in columns]
    if isinstance(table.data, TableQuerysetData):
        records: Iterable[Any] = table.data.data.iterator(chunk_size=ITERATOR_CHUNK)
    else:
        records = table.data
    return headers, ([_raw(record, c) for c in columns] for record in records)


def _raw(record: Any, bound_column: Any) -> Any:
    accessor = bound_column.accessor
    value = accessor.resolve(record, quiet=True)
    if hasattr(record, f"get_{bound_column.name}_display"):
        return getattr(record, f"get_{bound_column.name}_display")()
    if hasattr(value, "get_username"):
        return value.get_username()
    return value


# --- The views' entry point -------------------------------------------------------------------------


def table_xlsx_response(request: HttpRequest, table: Any, filename: str) -> HttpResponse:
    """Export a django-tables2 table (all rows, sorted as on the page): inline, as a job, or refused.

    ``filename`` names the file and, when registered with ``register_export``, the export a worker
    can rebuild.
    """
    apply_sort(table, request.GET)
    rows_count = count_rows(table)
    if rows_count > settings.EXPORT_MAX_ROWS:
        return _back_to_list(
            request,
            f"{rows_count:,} rows are more than one export can hold ({settings.EXPORT_MAX_ROWS:,}); "
            "narrow the filter and export again.",
        )
    if rows_count <= settings.EXPORT_INLINE_ROWS:
        headers, rows = table_rows(table)
        return xlsx_response(filename, headers, rows)
    spec = get_export(filename)
    if spec is None:
        logger.warning(
            "Export %r is not registered (register_export); refused %s rows.", filename, rows_count
        )
        return _back_to_list(
            request,
            f"{rows_count:,} rows are more than this list exports at once "
            f"({settings.EXPORT_INLINE_ROWS:,}); narrow the filter and export again.",
        )
    from vendorsync.export_jobs import export_job_request

    job, created = export_job_request(
        user=request.user, name=spec.name, params=export_params(request.GET, table), rows_total=rows_count
    )
    if created:
        messages.info(
            request,
            f"Your export of {rows_count:,} rows is being prepared. It will be ready to download here.",
        )
    else:
        messages.info(
            request,
            "You already have an export being prepared (shown below); one runs at a time. "
            "Export again once it is ready.",
        )
    return redirect(job)


def _back_to_list(request: HttpRequest, message: str) -> HttpResponse:
    messages.warning(request, message)
    query = request.GET.copy()
    query.pop("export", None)
    return redirect(f"{request.path}?{query.urlencode()}")
