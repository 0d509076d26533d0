"""Amazon paying the vendor: payment runs, deductions, and the remittance files they produce.

On payment days Amazon pays every invoice due, net of the terms discount when paid in time, and
deducts shortage claims (shipped > received) and price claims (invoice cost > PO cost) against
the invoice they concern. Deductions not tied to the paid invoices (claim reversals and revised
claims, chargebacks, co-op, price protection, provisions) come along at seeded rates. A payment
is never negative and always equals the exact sum of its lines; each run writes the CSV, XLSX
and EDI 820 files of ``remittance``.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from vendorsync.sandbox.common import cents

from . import remittance as files
from .core import SimulatorCore
from .remittance import Remittance, RemittanceFile, RemittanceLine
from .store import dumps, loads

PAYMENT_WEEKDAYS = (1, 4)  # Amazon pays on fixed weekdays; Tuesday and Friday here


@dataclass(frozen=True)
class PaymentTerms:
    """The terms agreed with the buyer ("2% 60 Net 61"): Amazon pays at the discount date."""

    discount_percent: Decimal = Decimal("2.00")
    discount_due_days: int = 60
    net_due_days: int = 61

    def as_json(self) -> dict[str, Any]:
        return {
            "type": "Basic",
            "discountPercent": str(self.discount_percent),
            "discountDueDays": self.discount_due_days,
            "netDueDays": self.net_due_days,
        }

    @property
    def pay_after_days(self) -> int:
        return self.discount_due_days if self.discount_percent else self.net_due_days


AGREED_TERMS = PaymentTerms()

Claim = tuple[str, str, str, Decimal]  # (document number, kind, base invoice, amount)


class Payments(SimulatorCore):
    def payment_run(self, day: date, *, pay_all: bool = False) -> Remittance | None:
        """Pay the invoices due by ``day`` (or every unpaid one) net of deductions; write the files.

        Returns None when nothing is payable. The payment amount is the exact sum of its lines.
        """
        rng = random.Random(f"payment-{day.isoformat()}")
        with self.store.tx() as db:
            query = "SELECT * FROM invoices WHERE payment_number IS NULL"
            args: tuple = ()
            if not pay_all:
                query += " AND due_on <= ?"
                args = (day.isoformat(),)
            invoices = db.execute(query + " ORDER BY date, id", args).fetchall()
            if not invoices:
                return None
            payment_number = str(rng.randrange(10**8, 10**9))
            while db.execute(
                "SELECT 1 FROM remittances WHERE payment_number = ?", (payment_number,)
            ).fetchone():
                payment_number = str(rng.randrange(10**8, 10**9))
            lines, claims, gross = self._invoice_lines(db, invoices, day)
            misc, misc_claims, followed = self._other_lines(db, rng, day, gross)
            remittance = Remittance(payment_number, day, tuple(lines + misc))
            if remittance.amount > 0:
                claims += misc_claims
            else:  # never a negative payment: hold back the deductions not tied to these invoices
                remittance, followed = Remittance(payment_number, day, tuple(lines)), []
            db.executemany(
                "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, 0)",
                [(doc, kind, base, str(amount), payment_number) for doc, kind, base, amount in claims],
            )
            db.executemany(
                "UPDATE claims SET followed_up = 1 WHERE document = ?", [(doc,) for doc in followed]
            )
            db.executemany(
                "UPDATE invoices SET payment_number = ? WHERE id = ?",
                [(payment_number, i["id"]) for i in invoices],
            )
            paths = self._write_files(remittance)
            db.execute(
                "INSERT INTO remittances VALUES (?, ?, ?, ?, ?)",
                (
                    payment_number,
                    day.isoformat(),
                    str(remittance.amount),
                    dumps(
                        [
                            asdict(line)
                            | {
                                "document_date": line.document_date.isoformat(),
                                "invoice_amount": str(line.invoice_amount),
                                "discount": str(line.discount),
                                "amount_paid": str(line.amount_paid),
                            }
                            for line in remittance.lines
                        ]
                    ),
                    dumps({fmt: str(path) for fmt, path in paths.items()}),
                ),
            )
        return remittance

    def _invoice_lines(
        self, db: sqlite3.Connection, invoices: list[sqlite3.Row], day: date
    ) -> tuple[list[RemittanceLine], list[Claim], Decimal]:
        """Each invoice paid (less the terms discount in time), with its shortage and price claims."""
        lines: list[RemittanceLine] = []
        claims: list[Claim] = []
        gross = Decimal("0")
        for invoice in invoices:
            number, total = invoice["id"], Decimal(invoice["total"])
            invoice_date = date.fromisoformat(invoice["date"])
            matched = loads(invoice["lines"])
            po = matched[0]["po"] if matched else ""
            terms = loads(invoice["body"]).get("paymentTerms") or self.terms.as_json()
            percent = Decimal(str(terms.get("discountPercent") or "0"))
            in_time = day <= invoice_date + timedelta(days=int(terms.get("discountDueDays") or 0))
            discount = cents(total * percent / 100) if percent and in_time else Decimal("0.00")
            gross += total
            lines.append(
                RemittanceLine(number, invoice_date, total, discount, total - discount, "Invoice payment", po)
            )
            shortage = price = Decimal("0")
            for entry in matched:
                unit_cost = Decimal(entry["unit_cost"])
                receipts = db.execute(
                    "SELECT rowid, shipped, received FROM receipts WHERE po = ? AND seq = ? AND claimed_by IS NULL"
                    " AND received < shipped",
                    (entry["po"], entry["seq"]),
                ).fetchall()
                for receipt in receipts:
                    shortage += (receipt["shipped"] - receipt["received"]) * unit_cost
                    db.execute(
                        "UPDATE receipts SET claimed_by = ? WHERE rowid = ?", (number, receipt["rowid"])
                    )
                po_row = db.execute(
                    "SELECT details FROM purchase_orders WHERE number = ?", (entry["po"],)
                ).fetchone()
                po_line = next(
                    i for i in loads(po_row["details"])["items"] if i["itemSequenceNumber"] == entry["seq"]
                )
                po_cost = Decimal(po_line["netCost"]["amount"])
                if unit_cost > po_cost:
                    price += (unit_cost - po_cost) * entry["units"]
            if shortage:
                amount = -cents(shortage)
                lines.append(
                    RemittanceLine(
                        f"{number}SC", day, amount, Decimal("0.00"), amount, "Shortage claim", po, "04"
                    )
                )
                claims.append((f"{number}SC", "SC", number, amount))
            if price:
                amount = -cents(price)
                lines.append(
                    RemittanceLine(
                        f"{number}PC", day, amount, Decimal("0.00"), amount, "Price claim", po, "01"
                    )
                )
                claims.append((f"{number}PC", "PC", number, amount))
        return lines, claims, gross

    def _other_lines(
        self, db: sqlite3.Connection, rng: random.Random, day: date, gross: Decimal
    ) -> tuple[list[RemittanceLine], list[Claim], list[str]]:
        """Deductions not tied to this payment's invoices: reversals, chargebacks, co-op, provisions.

        Returns the lines, the new claims to remember, and earlier claims now followed up.
        """
        zero = Decimal("0.00")
        lines: list[RemittanceLine] = []
        claims: list[Claim] = []
        followed: list[str] = []

        def add(
            doc: str, amount: Decimal, description: str, code: str = "ZZ", kind: str = "", base: str = ""
        ) -> None:
            amount = cents(amount)
            lines.append(
                RemittanceLine(doc, day, amount, zero, amount, description, "", code if amount < 0 else "")
            )
            if kind:
                claims.append((doc, kind, base, amount))

        earlier = db.execute("SELECT * FROM claims WHERE followed_up = 0 ORDER BY document").fetchall()
        for claim in earlier:
            amount, base = Decimal(claim["amount"]), claim["base_invoice"]
            if claim["kind"] == "SC" and rng.random() < 0.3:
                add(f"{base}SCR", -amount, "Shortage claim reversal", kind="SCR", base=base)
            elif claim["kind"] == "SCR" and rng.random() < 0.5:
                add(f"{base}SCRSC", -amount / 2, "Revised shortage claim", "04", kind="SCRSC", base=base)
            elif claim["kind"] == "PROV":
                add(f"{claim['document']}R", -amount, "Provision for receivables reversal", kind="PROVR")
            else:
                continue
            followed.append(claim["document"])
        if rng.random() < 0.5:
            reason = rng.choice(
                (
                    "ASN Accuracy",
                    "Carton Content Accuracy",
                    "PO On-Time Accuracy",
                    "Overage PO Units",
                    "Prep - Unlabeled",
                )
            )
            add(
                f"{rng.randrange(10**7, 10**8)}VCBSINV",
                -Decimal(rng.randrange(2500, 25000)) / 100,
                f"Chargeback: {reason}",
            )
        if rng.random() < 0.4:
            kind = rng.choice(("Marketing Development Funds", "Damage Allowance", "Freight Allowance"))
            add(
                f"{rng.randrange(1000, 10000)}-{rng.randrange(10**7, 10**8)}",
                -gross * Decimal("0.03"),
                f"Co-op: {kind}",
            )
        if rng.random() < 0.2:
            add(
                f"IPAPUS{rng.randrange(10**6, 10**7)}",
                -Decimal(rng.randrange(1000, 15000)) / 100,
                "Price protection",
            )
        if rng.random() < 0.3 and not any(c["kind"] == "PROV" for c in earlier):
            doc = f"{rng.randrange(10**8, 10**9)}-PROVISION FOR RECEIVABLES"
            add(doc, -gross * Decimal("0.02"), "Provision for receivables", kind="PROV")
        return lines, claims, followed

    def _write_files(self, remittance: Remittance) -> dict[str, Path]:
        self.remittance_dir.mkdir(parents=True, exist_ok=True)
        stem = (
            self.remittance_dir / f"remittance-{remittance.payment_date:%Y%m%d}-{remittance.payment_number}"
        )
        created = datetime.combine(remittance.payment_date, time(6), UTC)
        return {
            "csv": files.write_csv(remittance, stem.with_suffix(".csv")),
            "xlsx": files.write_xlsx(remittance, stem.with_suffix(".xlsx")),
            "820": files.write_820(
                remittance,
                stem.with_suffix(".820"),
                control_number=self.store.next_serial("edi_control"),
                created=created,
            ),
        }

    def remittance_files(self) -> list[RemittanceFile]:
        """Every remittance file written so far, oldest payment first (for the app's importers)."""
        with self.store.tx() as db:
            rows = db.execute("SELECT * FROM remittances ORDER BY payment_date, payment_number").fetchall()
        return [
            RemittanceFile(row["payment_number"], date.fromisoformat(row["payment_date"]), fmt, Path(path))
            for row in rows
            for fmt, path in loads(row["files"]).items()
        ]

    def remittances(self) -> list[Remittance]:
        with self.store.tx() as db:
            rows = db.execute("SELECT * FROM remittances ORDER BY payment_date, payment_number").fetchall()
        return [
            Remittance(
                row["payment_number"],
                date.fromisoformat(row["payment_date"]),
                tuple(
                    RemittanceLine(
                        **(
                            line
                            | {
                                "document_date": date.fromisoformat(line["document_date"]),
                                "invoice_amount": Decimal(line["invoice_amount"]),
                                "discount": Decimal(line["discount"]),
                                "amount_paid": Decimal(line["amount_paid"]),
                            }
                        )
                    )
                    for line in loads(row["lines"])
                ),
            )
            for row in rows
        ]
