"""Amazon's Finance Remittance API payments (reference §8.2) into the normalised structure.

``netAmountPaid`` is the amount paid, ``totalAmount`` the invoice amount and the
``TermsDiscountTaken`` breakdown the terms discount. Only ``SUCCESSFUL`` payments are final;
the fetcher skips the others. Each item's position is its "row" in error messages.
"""

from __future__ import annotations

import json
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


def _amount(money: Any, where: int | None, column: str) -> tuple[Decimal, str]:
    if not isinstance(money, dict) or "currencyAmount" not in money:
        raise ImportRefused([RowError(where, column, "is missing")], code="bad_api")
    try:
        return parse_amount(money["currencyAmount"]), str(money.get("currencyCode") or "USD")
    except ValueError as exc:
        raise ImportRefused([RowError(where, column, str(exc))], code="bad_api") from None


def payment_from_api(header: dict[str, Any], items: list[dict[str, Any]]) -> ParsedPayment:
    number = str(header.get("paymentNumber") or header.get("uniquePaymentId") or "").strip()
    if not number:
        raise ImportRefused([RowError(None, "paymentNumber", "is missing")], code="bad_api")
    try:
        paid_on = parse_date(header.get("paymentDate"))
    except ValueError as exc:
        raise ImportRefused([RowError(None, "paymentDate", str(exc))], code="bad_api") from None
    amount, currency = _amount(header.get("paymentAmount"), None, "paymentAmount")
    payee = next(
        (
            str(r.get("relatedIdentifierValue"))
            for r in header.get("relatedIdentifiers") or []
            if r.get("relatedIdentifierName") in ("PAYEE_CODE", "VENDOR_CODE")
        ),
        "",
    )
    lines = []
    for index, item in enumerate(items, start=1):
        paid, _ = _amount(item.get("netAmountPaid"), index, "netAmountPaid")
        total = _amount(item["totalAmount"], index, "totalAmount")[0] if item.get("totalAmount") else None
        discount = Decimal("0.00")
        for part in item.get("netAmountPaidBreakdown") or []:
            if part.get("breakdownType") == "TermsDiscountTaken":
                discount = _amount(part.get("breakdownAmount"), index, "TermsDiscountTaken")[0]
        try:
            issued = parse_date(item["invoiceIssueDate"]) if item.get("invoiceIssueDate") else None
        except ValueError as exc:
            raise ImportRefused([RowError(index, "invoiceIssueDate", str(exc))], code="bad_api") from None
        document = str(item.get("invoiceNumber") or "").strip()
        if not document:
            raise ImportRefused([RowError(index, "invoiceNumber", "is missing")], code="bad_api")
        lines.append(
            ParsedLine(
                row=index,
                document_number=document,
                amount_paid=paid,
                document_date=issued,
                invoice_amount=total,
                discount=discount,
                description=str(item.get("description") or "")[:255],
            )
        )
    return ParsedPayment(
        payment_number=number,
        payment_date=paid_on,
        amount=amount,
        currency=currency,
        lines=lines,
        unique_payment_id=str(header.get("uniquePaymentId") or ""),
        payment_method=str(header.get("paymentMethod") or ""),
        payee_code=payee,
    )


def read(header: dict[str, Any], items: list[dict[str, Any]]) -> ParsedFile:
    return ParsedFile(format="api", payments=[payment_from_api(header, items)])


def canonical_bytes(header: dict[str, Any], items: list[dict[str, Any]]) -> bytes:
    """A stable byte form of one API payment, for its checksum (the same payment twice = same bytes)."""
    return json.dumps({"header": header, "items": items}, sort_keys=True, default=str).encode()
