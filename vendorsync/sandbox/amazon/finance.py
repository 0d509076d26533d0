"""Amazon's Finance Remittance API (reference §8.2, model 2026-03-17), served from the payment runs.

The same payments the CSV/XLSX/820 files carry, in the API's shapes: ``RemittanceHeader`` (payment
number, ``uniquePaymentId``, ``paymentAmount``, method, status) and ``RemittanceItem`` (invoice or
deduction document, ``totalAmount``, ``netAmountPaid`` with its ``AmountPaid`` /
``TermsDiscountTaken`` breakdown, description). Strict like Amazon: ``marketplaceId`` is required,
the range is at most 90 days and starts no more than a year back; lists page by ``nextToken``
(``PAGE_SIZE`` payments) and a payment's items by ``nextTokenForLineItems`` (``ITEMS_PAGE_SIZE``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from .core import ApiError, SimulatorCore, err
from .store import loads

MARKETPLACE_ID = "ATVPDKIKX0DER"
PAGE_SIZE = 10
ITEMS_PAGE_SIZE = 600


def unique_payment_id(payment_number: str) -> str:
    return f"9{payment_number}"


def _money(amount: Any, currency: str) -> dict[str, Any]:
    # A JSON number, as Amazon sends it; a cent amount's float repr is its exact decimal text.
    return {"currencyCode": currency, "currencyAmount": float(Decimal(str(amount)))}


def _token(value: str | None, name: str) -> int:
    if not value:
        return 0
    if not value.isdigit():
        raise ApiError(400, [err("InvalidInput", f"'{name}' is not a token this API issued.")])
    return int(value)


class FinanceRemittances(SimulatorCore):
    def _header(self, row: Any) -> dict[str, Any]:
        lines = loads(row["lines"])
        return {
            "paymentDate": f"{row['payment_date']}T00:00:00Z",
            "paymentNumber": row["payment_number"],
            "uniquePaymentId": unique_payment_id(row["payment_number"]),
            "paymentAmount": _money(row["amount"], "USD"),
            "paymentMethod": "EFT",
            "remittanceStatus": "SUCCESSFUL",
            "lineItemCount": len(lines),
            "relatedIdentifiers": [
                {"relatedIdentifierName": "VENDOR_CODE", "relatedIdentifierValue": "VSYNC"}
            ],
            "countryCode": "US",
        }

    def list_finance_remittances(
        self,
        *,
        marketplace_id: str | None,
        start: datetime | None,
        end: datetime | None,
        next_token: str | None,
    ) -> dict[str, Any]:
        if marketplace_id != MARKETPLACE_ID:
            raise ApiError(
                400,
                [
                    err(
                        "InvalidInput",
                        "'marketplaceId' is required and must be a marketplace of this account.",
                    )
                ],
            )
        today = self.now().date()
        end_day = end.date() if end else today
        start_day = start.date() if start else end_day - timedelta(days=30)
        if start_day > end_day or end_day - start_day > timedelta(days=90):
            raise ApiError(
                400,
                [err("InvalidInput", "'startDate' must be before 'endDate' and at most 90 days earlier.")],
            )
        if start_day < today - timedelta(days=365):
            raise ApiError(400, [err("InvalidInput", "'startDate' must be within the last year.")])
        offset = _token(next_token, "nextToken")
        with self.store.tx() as db:
            rows = db.execute(
                "SELECT * FROM remittances WHERE payment_date BETWEEN ? AND ? ORDER BY payment_date, payment_number"
                " LIMIT ? OFFSET ?",
                (start_day.isoformat(), end_day.isoformat(), PAGE_SIZE + 1, offset),
            ).fetchall()
        page = rows[:PAGE_SIZE]
        body: dict[str, Any] = {"remittances": [self._header(r) for r in page], "numOfRecords": len(page)}
        if len(rows) > PAGE_SIZE:
            body["nextToken"] = str(offset + PAGE_SIZE)
        return body

    def get_finance_remittance(
        self, unique_id: str, *, marketplace_id: str | None, next_token: str | None
    ) -> dict[str, Any]:
        if marketplace_id != MARKETPLACE_ID:
            raise ApiError(
                400,
                [
                    err(
                        "InvalidInput",
                        "'marketplaceId' is required and must be a marketplace of this account.",
                    )
                ],
            )
        with self.store.tx() as db:
            row = db.execute(
                "SELECT * FROM remittances WHERE '9' || payment_number = ?", (unique_id,)
            ).fetchone()
        if row is None:
            raise ApiError(404, [err("NotFound", f"No remittance with uniquePaymentId {unique_id}.")])
        offset = _token(next_token, "nextTokenForLineItems")
        lines = loads(row["lines"])
        items = []
        for line in lines[offset : offset + ITEMS_PAGE_SIZE]:
            breakdown = [
                {"breakdownType": "AmountPaid", "breakdownAmount": _money(line["amount_paid"], "USD")}
            ]
            if Decimal(str(line["discount"])):
                breakdown.append(
                    {
                        "breakdownType": "TermsDiscountTaken",
                        "breakdownAmount": _money(line["discount"], "USD"),
                    }
                )
            items.append(
                {
                    "invoiceNumber": line["document_number"],
                    "invoiceIssueDate": f"{date.fromisoformat(line['document_date']).isoformat()}T00:00:00Z",
                    "totalAmount": _money(line["invoice_amount"], "USD"),
                    "netAmountPaid": _money(line["amount_paid"], "USD"),
                    "netAmountPaidBreakdown": breakdown,
                    "description": line["description"],
                    "invoiceType": "Standard",
                }
            )
        body: dict[str, Any] = {"remittanceHeader": self._header(row), "remittanceItems": items}
        if offset + ITEMS_PAGE_SIZE < len(lines):
            body["nextTokenForLineItems"] = str(offset + ITEMS_PAGE_SIZE)
        return body
