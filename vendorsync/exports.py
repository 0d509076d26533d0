"""XLSX export shared by every table: amounts stay numeric, text can never become a formula.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return could be run as a
formula by a spreadsheet (OWASP "CSV injection"); such text is written with a leading apostrophe
(the reference's rule), which keeps it inert text in every spreadsheet program. Numbers (Decimal, int) are written as numbers so finance can sum them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


def build_workbook(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Export") -> bytes:
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
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    response = HttpResponse(build_workbook(headers, rows, title=filename), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response


def table_xlsx_response(request: HttpRequest, table: Any, filename: str) -> HttpResponse:
    """Export a django-tables2 table (all rows, not just the page) with raw values.

    More rows than ``EXPORT_MAX_ROWS`` would outlast the request's time budget: the user is sent
    back to the same list with a message asking for a narrower filter.
    """
    rows_count = len(table.data)
    if rows_count > settings.EXPORT_MAX_ROWS:
        messages.warning(
            request,
            f"{rows_count:,} rows are more than one export can hold ({settings.EXPORT_MAX_ROWS:,}); "
            "narrow the filter and export again.",
        )
        query = request.GET.copy()
        query.pop("export", None)
        return redirect(f"{request.path}?{query.urlencode()}")
    columns = [c for c in table.columns if c.column.exclude_from_export is False and c.name != "actions"]
    headers = [str(c.header) for c in columns]
    rows = ([_raw(record, c) for c in columns] for record in table.data)
    return xlsx_response(filename, headers, rows)


def _raw(record: Any, bound_column: Any) -> Any:
    accessor = bound_column.accessor
    value = accessor.resolve(record, quiet=True)
    if hasattr(record, f"get_{bound_column.name}_display"):
        return getattr(record, f"get_{bound_column.name}_display")()
    if hasattr(value, "get_username"):
        return value.get_username()
    return value
