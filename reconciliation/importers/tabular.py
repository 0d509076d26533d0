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
from datetime import date
from decimal import Decimal
from typing import Any

from reconciliation.importers.base import (
    CENT,
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
_PLAIN_AMOUNT = re.compile(r"-?\d+(?:\.\d{1,2})?")
_CURRENCY = re.compile(r"[A-Z]{3}")

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

    def err(row: int, field: str, message: str) -> None:
        errors.append(RowError(row, header_names.get(field, field), message))

    # Everything below runs once per row (100,000 rows is a normal export), so it is written for
    # speed: column positions and parsers resolved once, cells read by index, dates parsed once per
    # distinct text, plain amounts ("-1234.56") converted without the general parser.
    def optional(field: str) -> int:
        return columns.get(field, -1)

    date_fields = [
        (field, columns[field], field == HeaderField.PAYMENT_DATE)
        for field in (HeaderField.PAYMENT_DATE, HeaderField.DOCUMENT_DATE)
        if field in columns
    ]
    amount_fields = [
        (field, columns[field], field == HeaderField.AMOUNT_PAID)
        for field in (
            HeaderField.AMOUNT_PAID,
            HeaderField.INVOICE_AMOUNT,
            HeaderField.DISCOUNT,
            HeaderField.PAYMENT_AMOUNT,
        )
        if field in columns
    ]
    number_at, document_at = columns[HeaderField.PAYMENT_NUMBER], columns[HeaderField.DOCUMENT_NUMBER]
    currency_at = optional(HeaderField.CURRENCY)
    description_at = optional(HeaderField.DESCRIPTION)
    order_at = optional(HeaderField.PURCHASE_ORDER)
    code_at = optional(HeaderField.ADJUSTMENT_CODE)
    dates: dict[object, date] = {}  # text -> date: a remittance repeats a handful of dates
    currencies: dict[str, bool] = {}
    amounts: dict[str, Decimal] = {}  # text -> amount, for texts the general parser had to read
    plain = _PLAIN_AMOUNT.fullmatch
    zero = Decimal("0.00")
    # The payment's own cells (number, date, amount, currency) repeat on every row of a payment:
    # a row whose raw payment cells equal those of the last row read cleanly reuses its payment
    # and skips parsing and cross-checking them again (the same text gives the same values).
    payment_date_at = columns[HeaderField.PAYMENT_DATE]
    payment_amount_at = optional(HeaderField.PAYMENT_AMOUNT)
    line_date_fields = [entry for entry in date_fields if entry[0] != HeaderField.PAYMENT_DATE]
    line_amount_fields = [entry for entry in amount_fields if entry[0] != HeaderField.PAYMENT_AMOUNT]
    last_key: tuple[Any, ...] | None = None
    last_payment: ParsedPayment | None = None

    def text_at(values: list[Any], index: int, width: int) -> str:
        if index < 0 or index >= width:
            return ""
        value = values[index]
        if value is None:
            return ""
        return value.strip() if isinstance(value, str) else str(value).strip()

    for count, (row_number, values) in enumerate(iterator, start=1):
        if progress and total_rows and count % 2000 == 0:
            progress(min(count / total_rows, 1.0))
        width = len(values)
        # Payment and document numbers as text_at() reads them, inlined: this runs on every row.
        raw = values[number_at] if number_at < width else None
        number = raw.strip() if raw.__class__ is str else "" if raw is None else str(raw).strip()
        if not number and not any(v.strip() if isinstance(v, str) else v is not None for v in values):
            continue  # a blank row (checked only when the payment number is missing: it rarely is)
        if len(errors) >= MAX_ERRORS:
            break
        raw = values[document_at] if document_at < width else None
        document = raw.strip() if raw.__class__ is str else "" if raw is None else str(raw).strip()
        if not number:
            err(row_number, HeaderField.PAYMENT_NUMBER, "is empty")
            continue
        if not document:
            err(row_number, HeaderField.DOCUMENT_NUMBER, "is empty")
        errors_before = len(errors)
        key = (
            number,
            values[payment_date_at] if payment_date_at < width else None,
            values[payment_amount_at] if 0 <= payment_amount_at < width else None,
            values[currency_at] if 0 <= currency_at < width else None,
        )
        same = key == last_key
        parsed: dict[str, Any] = {}
        for field, index, required in line_date_fields if same else date_fields:
            raw = values[index] if index < width else None
            if isinstance(raw, str):
                raw = raw.strip()
            if raw is None or raw == "":
                if required:
                    err(row_number, field, "is empty")
                continue
            value = dates.get(raw) if isinstance(raw, str) else None
            if value is None:
                try:
                    value = parse_date(raw)
                except ValueError as exc:
                    err(row_number, field, str(exc))
                    continue
                if isinstance(raw, str):
                    dates[raw] = value
            parsed[field] = value
        for field, index, required in line_amount_fields if same else amount_fields:
            raw = values[index] if index < width else None
            if isinstance(raw, str):
                raw = raw.strip()
                if plain(raw):  # the common case, "-1234.56": no symbols, separators or brackets
                    value = Decimal(raw)
                    parsed[field] = value if raw[-3:-2] == "." else value.quantize(CENT)
                    continue
                if raw in amounts:  # e.g. the payment amount "1,234,567.89" on every row
                    parsed[field] = amounts[raw]
                    continue
            if raw is None or raw == "":
                if required:
                    err(row_number, field, "is empty")
                continue
            try:
                value = parse_amount(raw)
            except ValueError as exc:
                err(row_number, field, str(exc))
                continue
            parsed[field] = value
            if isinstance(raw, str) and len(amounts) < 10_000:
                amounts[raw] = value
        if not document or HeaderField.AMOUNT_PAID not in parsed:
            continue
        if same:
            payment = last_payment
        else:
            if HeaderField.PAYMENT_DATE not in parsed:
                continue
            currency = (text_at(values, currency_at, width) or "USD").upper()
            if currency not in currencies:
                currencies[currency] = bool(_CURRENCY.fullmatch(currency))
            if not currencies[currency]:
                err(row_number, HeaderField.CURRENCY, f"{currency} is not a currency code")
                continue
            payment_date = parsed[HeaderField.PAYMENT_DATE]
            payment_amount = parsed.get(HeaderField.PAYMENT_AMOUNT)
            payment = payments.get(number)
            if payment is None:
                payment = payments[number] = ParsedPayment(
                    payment_number=number,
                    payment_date=payment_date,
                    amount=zero,
                    currency=currency,
                    row=row_number,
                )
                if payment_amount is not None:
                    payment_amounts[number] = payment_amount
            else:
                if payment.payment_date != payment_date:
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
                    payment_amount is not None
                    and number in payment_amounts
                    and payment_amounts[number] != payment_amount
                ):
                    err(
                        row_number,
                        HeaderField.PAYMENT_AMOUNT,
                        f"payment {number} is {payment_amounts[number]} on row {payment.row}",
                    )
        payment.lines.append(
            ParsedLine(
                row_number,
                document,
                parsed[HeaderField.AMOUNT_PAID],
                parsed.get(HeaderField.DOCUMENT_DATE),
                parsed.get(HeaderField.INVOICE_AMOUNT),
                parsed.get(HeaderField.DISCOUNT, zero),
                text_at(values, description_at, width)[:255],
                text_at(values, order_at, width)[:40],
                text_at(values, code_at, width)[:10],
            )
        )
        if not same and len(errors) == errors_before:
            last_key, last_payment = key, payment
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
