"""Vendor invoices (``submitInvoices``): Amazon's checks and the payable it records for each one.

An invoice must reference shipped POs and items on them, be dated after the PO and not in the
future, and its total must equal lines + charges - allowances + tax. Credit notes are refused
(US marketplace). Each accepted invoice is stored with its lines matched to PO lines and its due
date, ready for ``payments`` to pay (and claim against).

Due dates are compressed for the live demo: 3-8 days after the invoice date (seeded by the
invoice number; the seeded history's are 6-16), not the terms' 60. A live demo's day lasts two minutes, so invoices the app
sends are paid — and short receipts claimed against them (``…SC``) — within the first half hour
of ``make run`` instead of two hours later. The terms discount is still taken (paid in time).
"""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta
from decimal import Decimal

from vendorsync.sandbox.common import cents

from . import payloads
from .core import SimulatorCore, err, parse_time
from .store import dumps, loads

DEMO_DUE_DAYS = (3, 8)  # see the module docstring: the demo's compressed wait for payment


class Invoices(SimulatorCore):
    def _check_invoice(self, doc: dict, prefix: str) -> list[dict[str, str]]:
        problems = payloads.require(
            doc,
            prefix,
            (
                "invoiceType",
                "id",
                "date",
                "remitToParty.partyId",
                "invoiceTotal.amount",
                "invoiceTotal.currencyCode",
            ),
        )
        problems += payloads.enum(doc, prefix, "invoiceType", ("Invoice", "CreditNote"))
        for i, item in enumerate(doc.get("items") or []):
            where = f"{prefix}.items[{i}]"
            problems += payloads.require(
                item,
                where,
                (
                    "itemSequenceNumber",
                    "invoicedQuantity.amount",
                    "invoicedQuantity.unitOfMeasure",
                    "netCost.amount",
                ),
            )
            if not isinstance(item.get("itemSequenceNumber", 0), int):
                problems.append(err("InvalidInput", f"'{where}.itemSequenceNumber' must be an integer."))
            if payloads.decimal(payloads.get(item, "netCost.amount")) is None:
                problems.append(err("InvalidInput", f"'{where}.netCost.amount' is not a decimal."))
        if payloads.decimal(payloads.get(doc, "invoiceTotal.amount")) is None:
            problems.append(err("InvalidInput", f"'{prefix}.invoiceTotal.amount' is not a decimal."))
        return problems

    def _apply_invoice(
        self, db: sqlite3.Connection, doc: dict, at: datetime, due_days: int | None
    ) -> list[dict[str, str]]:
        number = doc["id"]
        if doc["invoiceType"] == "CreditNote":
            return [err("UNSUPPORTED_DOCUMENT", "Credit notes are not supported in this marketplace (US).")]
        if db.execute("SELECT 1 FROM invoices WHERE id = ?", (number,)).fetchone():
            return [err("DUPLICATE_INVOICE", f"Invoice number {number} was already submitted.")]
        if not doc.get("items"):
            return [err("InvalidInput", f"Invoice {number} has no items.")]
        errors, matched, total = [], [], Decimal("0")
        invoice_date = parse_time(doc["date"])
        if invoice_date > at + timedelta(days=1):
            errors.append(err("INVALID_INVOICE_DATE", f"Invoice {number} is dated in the future."))
        shipped = self._shipped_units(db, "")
        for i, item in enumerate(doc["items"]):
            po = (item.get("purchaseOrderNumber") or "").strip()
            row = self._po(db, po, at) if po else None
            if row is None:
                errors.append(
                    err("INVALID_ORDER_ID", "Invalid order ID.", f"items[{i}] purchaseOrderNumber {po!r}")
                )
                continue
            if parse_time(row["created_at"]) > invoice_date:
                errors.append(err("INVALID_INVOICE_DATE", f"Invoice {number} predates purchase order {po}."))
            line = payloads.find_line(loads(row["details"]), item, by_sequence=False)
            if line is None:
                errors.append(err("INVALID_ITEM_ID", f"items[{i}] is not an item of purchase order {po}."))
                continue
            if not any(key[0] == po for key in shipped):
                errors.append(
                    err("INVALID_INVOICE", f"Purchase order {po} has no confirmed shipment to invoice.")
                )
            quantity, cost = item["invoicedQuantity"], Decimal(str(item["netCost"]["amount"]))
            if int(quantity["amount"]) <= 0 or cost <= 0:
                errors.append(
                    err("InvalidInput", f"items[{i}] quantity and netCost must be greater than zero.")
                )
            total += int(quantity["amount"]) * cost
            units = payloads.units(quantity)
            matched.append(
                {
                    "po": po,
                    "seq": line["itemSequenceNumber"],
                    "units": units,
                    "unit_cost": str(int(quantity["amount"]) * cost / units),
                }
            )
        for charge in doc.get("chargeDetails") or []:
            total += Decimal(str(charge["chargeAmount"]["amount"]))
        for allowance in doc.get("allowanceDetails") or []:
            total -= Decimal(str(allowance["allowanceAmount"]["amount"]))
        for tax in doc.get("taxDetails") or []:
            total += Decimal(str(tax["taxAmount"]["amount"]))
        stated = Decimal(str(doc["invoiceTotal"]["amount"]))
        if cents(total) != cents(stated):
            errors.append(
                err(
                    "INVALID_INVOICE_TOTAL",
                    f"invoiceTotal {stated} does not equal the sum of the lines {cents(total)}.",
                )
            )
        if stated <= 0:
            errors.append(
                err("INVALID_INVOICE_TOTAL", "Invoices with a zero or negative total are not accepted.")
            )
        if errors:
            return errors
        if due_days is None:
            due_days = random.Random(f"due-{number}").randint(*DEMO_DUE_DAYS)
        due = invoice_date.date() + timedelta(days=due_days)
        db.execute(
            "INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, NULL)",
            (
                number,
                dumps(doc),
                invoice_date.date().isoformat(),
                str(cents(stated)),
                dumps(matched),
                due.isoformat(),
            ),
        )
        return []
