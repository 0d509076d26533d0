"""Rows of a spreadsheet (CSV or XLSX) into payments, through the header-mapping table.

The first non-empty row is the header. Every header must be in the mapping table (an admin maps a
new layout, or marks a column ``ignore``): an unknown column is refused rather than silently
dropped. Rows are grouped by payment number (several payments per file are normal); payment-level
values must agree on every row of a payment. All row errors are collected, then the file is
refused with them, so one upload shows every problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from reconciliation.importers.base import (
    ImportRefused,
    ParsedFile,
    ParsedLine,
    ParsedPayment,
    RowError,
    parse_amount,
    parse_date,
)
from reconciliation.models import HeaderField, HeaderMapping

REQUIRED = (
    HeaderField.PAYMENT_NUMBER,
    HeaderField.PAYMENT_DATE,
    HeaderField.DOCUMENT_NUMBER,
    HeaderField.AMOUNT_PAID,
)
MAX_ERRORS = 100

Progress = Callable[[float], None] | None


def normalise_header(text: object) -> str:
    return re.sub(r"\s+", " ", str(text or "").replace("\ufeff", "")).strip().lower()


def header_table() -> dict[str, str]:
    return dict(HeaderMapping.objects.values_list("header", "field"))


def read_rows(
    rows: Iterable[tuple[int, list[Any]]],
    *,
    fmt: str,
    total_rows: int | None = None,
    progress: Progress = None,
) -> ParsedFile:
    mapping = header_table()
    iterator = iter(rows)
    columns: dict[str, int] = {}
    header_names: dict[str, str] = {}
    for row_number, values in iterator:
        if not any(str(v).strip() for v in values if v is not None):
            continue
        errors = []
        for index, raw in enumerate(values):
            name = normalise_header(raw)
            if not name:
                continue
            field = mapping.get(name)
            if field is None:
                errors.append(
                    RowError(
                        row_number,
                        str(raw).strip(),
                        "unknown column: add it to the header mappings (or map it to 'ignore')",
                    )
                )
            elif field == HeaderField.IGNORE:
                continue
            elif field in columns:
                errors.append(
                    RowError(
                        row_number,
                        str(raw).strip(),
                        f"a second column for {field} (first: {header_names[field]!r})",
                    )
                )
            else:
                columns[field] = index
                header_names[field] = str(raw).strip()
        missing = [HeaderField(f).label for f in REQUIRED if f not in columns]
        if missing:
            errors.append(RowError(row_number, "", f"missing required column(s): {', '.join(missing)}"))
        if errors:
            raise ImportRefused(errors, code="bad_header")
        break
    else:
        raise ImportRefused([RowError(None, "", "the file has no header row")], code="empty")

    payments: dict[str, ParsedPayment] = {}
    errors: list[RowError] = []
    payment_amounts: dict[str, Decimal] = {}

    def cell(values: list[Any], field: str) -> Any:
        index = columns.get(field)
        if index is None or index >= len(values):
            return None
        value = values[index]
        return value.strip() if isinstance(value, str) else value

    def err(row: int, field: str, message: str) -> None:
        errors.append(RowError(row, header_names.get(field, field), message))

    # Resolved once: the loop below runs per row (100,000 rows is a normal export).
    value_fields = [
        (field, columns[field], parser, field in (HeaderField.PAYMENT_DATE, HeaderField.AMOUNT_PAID))
        for field, parser in (
            (HeaderField.PAYMENT_DATE, parse_date),
            (HeaderField.DOCUMENT_DATE, parse_date),
            (HeaderField.AMOUNT_PAID, parse_amount),
            (HeaderField.INVOICE_AMOUNT, parse_amount),
            (HeaderField.DISCOUNT, parse_amount),
            (HeaderField.PAYMENT_AMOUNT, parse_amount),
        )
        if field in columns
    ]
    number_at, document_at = columns[HeaderField.PAYMENT_NUMBER], columns[HeaderField.DOCUMENT_NUMBER]
    # Payment-level cells repeat on every row of a payment: parse each distinct text once.
    repeated: dict[tuple[str, object], Any] = {}

    for count, (row_number, values) in enumerate(iterator, start=1):
        if progress and total_rows and count % 2000 == 0:
            progress(min(count / total_rows, 1.0))
        width = len(values)
        if not any(v.strip() if isinstance(v, str) else v is not None for v in values):
            continue
        if len(errors) >= MAX_ERRORS:
            break
        number = str(values[number_at] if number_at < width and values[number_at] is not None else "").strip()
        document = str(
            values[document_at] if document_at < width and values[document_at] is not None else ""
        ).strip()
        if not number:
            err(row_number, HeaderField.PAYMENT_NUMBER, "is empty")
            continue
        if not document:
            err(row_number, HeaderField.DOCUMENT_NUMBER, "is empty")
        parsed: dict[str, Any] = {}
        for field, index, parser, required in value_fields:
            raw = values[index] if index < width else None
            if isinstance(raw, str):
                raw = raw.strip()
            if raw is None or raw == "":
                if required:
                    err(row_number, field, "is empty")
                continue
            try:
                if field in (HeaderField.PAYMENT_DATE, HeaderField.PAYMENT_AMOUNT) and isinstance(raw, str):
                    key = (field, raw)
                    if key not in repeated:
                        repeated[key] = parser(raw)
                    parsed[field] = repeated[key]
                else:
                    parsed[field] = parser(raw)
            except ValueError as exc:
                err(row_number, field, str(exc))
        if not document or HeaderField.AMOUNT_PAID not in parsed or HeaderField.PAYMENT_DATE not in parsed:
            continue
        currency = str(cell(values, HeaderField.CURRENCY) or "USD").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            err(row_number, HeaderField.CURRENCY, f"{currency} is not a currency code")
            continue
        payment = payments.get(number)
        if payment is None:
            payment = payments[number] = ParsedPayment(
                payment_number=number,
                payment_date=parsed[HeaderField.PAYMENT_DATE],
                amount=Decimal("0.00"),
                currency=currency,
                row=row_number,
            )
            if HeaderField.PAYMENT_AMOUNT in parsed:
                payment_amounts[number] = parsed[HeaderField.PAYMENT_AMOUNT]
        else:
            if payment.payment_date != parsed[HeaderField.PAYMENT_DATE]:
                err(
                    row_number,
                    HeaderField.PAYMENT_DATE,
                    f"payment {number} dated {payment.payment_date} on row {payment.row}",
                )
            if payment.currency != currency:
                err(
                    row_number,
                    HeaderField.CURRENCY,
                    f"payment {number} is in {payment.currency} on row {payment.row}",
                )
            if (
                HeaderField.PAYMENT_AMOUNT in parsed
                and number in payment_amounts
                and payment_amounts[number] != parsed[HeaderField.PAYMENT_AMOUNT]
            ):
                err(
                    row_number,
                    HeaderField.PAYMENT_AMOUNT,
                    f"payment {number} is {payment_amounts[number]} on row {payment.row}",
                )
        payment.lines.append(
            ParsedLine(
                row=row_number,
                document_number=document,
                amount_paid=parsed[HeaderField.AMOUNT_PAID],
                document_date=parsed.get(HeaderField.DOCUMENT_DATE),
                invoice_amount=parsed.get(HeaderField.INVOICE_AMOUNT),
                discount=parsed.get(HeaderField.DISCOUNT, Decimal("0.00")),
                description=str(cell(values, HeaderField.DESCRIPTION) or "")[:255],
                purchase_order=str(cell(values, HeaderField.PURCHASE_ORDER) or "")[:40],
                adjustment_code=str(cell(values, HeaderField.ADJUSTMENT_CODE) or "")[:10],
            )
        )
    if errors:
        raise ImportRefused(errors, code="bad_rows")
    if not payments:
        raise ImportRefused(
            [RowError(None, "", "the file has a header but no remittance lines")], code="empty"
        )
    warnings = []
    for number, payment in payments.items():
        if number in payment_amounts:
            payment.amount = payment_amounts[number]
        else:
            # Without a payment-amount column the lines are all we know; drift cannot be checked.
            payment.amount = payment.lines_total
            warnings.append(f"payment {number}: no payment amount column, taken as the sum of its lines")
    return ParsedFile(format=fmt, payments=list(payments.values()), warnings=warnings)
