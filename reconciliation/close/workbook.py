"""The close workbook for auditors: one sheet per section of the close page, each with the lines
behind its figure (openpyxl write-only, so a year's lines stream rather than sit in memory)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from reconciliation.close.selectors import (
    CloseReport,
    period_batches,
    period_disputes,
    period_lines,
    period_remittances,
)
from reconciliation.models import DEDUCTION_TYPES, LineMatchStatus
from vendorsync.exports import safe_cell_value

ITERATOR_CHUNK = 2_000


def _sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    sheet = workbook.create_sheet(title=title[:31])
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
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


def close_workbook(report: CloseReport) -> bytes:
    span, period = report.span, report.period
    workbook = Workbook(write_only=True)
    _sheet(
        workbook,
        "Summary",
        ["Figure", "Value"],
        [
            ("Period", span.label),
            ("From", span.start),
            ("To", span.end),
            ("Locked", "yes" if period is not None and period.locked else "no"),
            ("Payments", report.payments),
            ("Cash received", report.cash_received),
            ("Deductions", report.deductions_total),
            ("Open disputes", report.disputes_open),
            ("Open disputes still owed", report.disputes_open_amount),
            ("Unexplained variance (matching)", report.unexplained),
            ("Settlement drift (payment − lines)", report.drift),
            ("Items outstanding", len(report.blockers)),
        ],
    )
    _sheet(
        workbook,
        "Cash received",
        [
            "Payment",
            "Date",
            "Amount",
            "Currency",
            "Lines",
            "Matched",
            "Deductions",
            "Unexplained",
            "Drift",
            "Status",
        ],
        (
            (
                r.payment_number,
                r.payment_date,
                r.amount,
                r.currency,
                r.line_count,
                r.matched_amount,
                r.deductions_amount,
                r.unexplained_amount,
                r.drift,
                r.get_status_display(),
            )
            for r in period_remittances(report.span)
            .order_by("payment_date", "payment_number")
            .iterator(ITERATOR_CHUNK)
        ),
    )
    _sheet(
        workbook,
        "Deductions by type",
        ["Type", "Lines", "Total"],
        ((r["label"], r["lines"], r["total"]) for r in report.deductions_by_type),
    )
    _sheet(
        workbook,
        "Deductions by GL account",
        ["Account", "Name", "Lines", "Total"],
        ((r["number"], r["name"], r["lines"], r["total"]) for r in report.deductions_by_account),
    )
    deduction_lines = (
        period_lines(report.span)
        .filter(line_type__in=DEDUCTION_TYPES)
        .select_related("remittance", "gl_account")
        .order_by("remittance__payment_date", "remittance_id", "sequence")
    )
    _sheet(
        workbook,
        "Deduction lines",
        ["Payment", "Paid on", "Document", "Type", "Base invoice", "Code", "Amount", "GL account", "Status"],
        (
            (
                ln.remittance.payment_number,
                ln.remittance.payment_date,
                ln.document_number,
                ln.get_line_type_display(),
                ln.base_invoice_number,
                ln.adjustment_code,
                ln.amount_paid,
                str(ln.gl_account) if ln.gl_account_id else "",
                ln.get_status_display(),
            )
            for ln in deduction_lines.iterator(ITERATOR_CHUNK)
        ),
    )
    _sheet(
        workbook,
        "Open disputes",
        ["Dispute", "Type", "Status", "Claimed on", "Disputed", "Recovered", "Claim lines"],
        (
            (
                str(d),
                d.get_kind_display(),
                d.get_status_display(),
                d.claimed_on,
                d.disputed_amount,
                d.recovered_amount,
                ", ".join(dl.line.document_number for dl in d.lines.all()),
            )
            for d in period_disputes(report.span).prefetch_related("lines__line").order_by("claimed_on", "id")
        ),
    )
    _sheet(
        workbook,
        "Batches",
        ["Batch", "Status", "Posting date", "Payment total", "Prepared by", "Approved by"],
        (
            (
                b.number,
                b.get_status_display(),
                b.posting_date,
                b.payment_total,
                b.prepared_by.get_username(),
                b.approved_by.get_username() if b.approved_by_id else "",
            )
            for b in period_batches(report.span, period)
            .select_related("prepared_by", "approved_by")
            .order_by("id")
        ),
    )
    unexplained = (
        period_lines(report.span)
        .filter(match_status__in=[LineMatchStatus.UNMATCHED, LineMatchStatus.SUGGESTED])
        .select_related("remittance")
        .order_by("remittance__payment_date", "remittance_id", "sequence")
    )
    _sheet(
        workbook,
        "Unexplained variance",
        ["Payment", "Document", "Type", "Amount paid", "Applied", "Match status"],
        (
            (
                ln.remittance.payment_number,
                ln.document_number,
                ln.get_line_type_display(),
                ln.amount_paid,
                ln.applied,
                ln.get_match_status_display(),
            )
            for ln in unexplained.iterator(ITERATOR_CHUNK)
        ),
    )
    _sheet(
        workbook,
        "Outstanding",
        ["Kind", "What", "Count", "Amount"],
        ((b.kind, b.message, b.count, b.amount) for b in report.blockers),
    )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
