"""A reconciled remittance whose invoices, accounts and deduction items exist in the NetSuite
simulator, so a batch built from it can be posted for real (in-process or from a browser test).

The GL accounts and other-charge items are the simulator's seeded ones (``catalog.GL_ACCOUNTS``,
``warehouse.DEDUCTION_ITEM_BASE``); the invoices are created in the simulator first and imported
as open invoices with their NetSuite ids; every date is in the current (open) month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from reconciliation import matching_services as ms
from reconciliation.models import (
    DEDUCTION_TYPES,
    AccountingPeriod,
    DeductionMapping,
    GLAccount,
    OpenInvoice,
    Remittance,
)
from vendorsync import connections
from vendorsync.sandbox import catalog
from vendorsync.sandbox.netsuite.warehouse import DEDUCTION_ITEM_BASE

from .test_import import csv_bytes, run

CUSTOMER = catalog.AMAZON_CUSTOMER_ID
PER_TYPE = {"terms_discount": "4510", "shortage": "4520", "price_claim": "4530", "coop": "4540",
            "chargeback": "4550"}  # fmt: skip


@dataclass
class World:
    remittance: Remittance
    invoices: dict[str, str]  # number -> NetSuite internal id
    app: object  # the simulator (vendorsync.sandbox.netsuite.NetSuiteApp)
    day: date

    def records(self, prefix: str) -> dict[str, int]:
        store = self.app.store  # type: ignore[attr-defined]
        with store.lock:
            rows = store.conn.execute(
                "SELECT externalid, COUNT(*) FROM record WHERE externalid LIKE ? GROUP BY externalid",
                (f"{prefix}%",),
            ).fetchall()
        return {row[0]: row[1] for row in rows}

    def remaining(self, number: str) -> Decimal:
        with connections.netsuite_client() as client:
            return client.get("invoice", self.invoices[number])["amountRemaining"]


def _accounts() -> dict[str, GLAccount]:
    deduction = [a for a in catalog.GL_ACCOUNTS if a.kind == "deduction"]
    return {
        account.number: GLAccount.objects.create(
            netsuite_id=account.netsuite_id,
            number=account.number,
            name=account.name,
            deduction_item_id=str(DEDUCTION_ITEM_BASE + offset),
        )
        for offset, account in enumerate(deduction)
    }


def build_world(var_dir) -> World:  # noqa: ANN001
    day = datetime.now(UTC).date()
    app = connections._netsuite_app(str(var_dir / "sandbox"))
    accounts = _accounts()
    for line_type in DEDUCTION_TYPES:
        DeductionMapping.objects.create(
            line_type=line_type,
            gl_account=accounts[PER_TYPE.get(line_type, "4580")],
            effective_from=date(2020, 1, 1),
        )
    month_end = date(day.year + day.month // 12, day.month % 12 + 1, 1).toordinal() - 1
    AccountingPeriod.objects.create(
        name=day.strftime("%b %Y"), start_date=day.replace(day=1), end_date=date.fromordinal(month_end)
    )
    invoices = {}
    with connections.netsuite_client() as client:
        for number, amount in (("INV-1", "100.00"), ("INV-2", "200.00")):
            invoices[number] = client.create(
                "invoice",
                {
                    "tranId": number,
                    "externalId": f"AMZ-{number}",
                    "entity": {"id": CUSTOMER},
                    "tranDate": day.isoformat(),
                    "item": {"items": [{"item": {"id": "5000"}, "quantity": 1, "rate": Decimal(amount)}]},
                },
            )
            OpenInvoice.objects.create(
                netsuite_id=invoices[number],
                number=number,
                date=day,
                amount=Decimal(amount),
                open_balance=Decimal(amount),
                customer_id=CUSTOMER,
            )
    # Pays INV-1 less a 2.00 terms discount and INV-2 in full, deducts a shortage claim and a
    # chargeback, and pays back an earlier shortage claim on INV-2 (SCR: re-billed, then applied).
    when = day.strftime("%m/%d/%Y")
    data = csv_bytes(
        f"P300,{when},274.00,USD,INV-1,{when},Invoice payment,100.00,2.00,98.00",
        f"P300,{when},274.00,USD,INV-2,{when},Invoice payment,200.00,0.00,200.00",
        f"P300,{when},274.00,USD,INV-1SC,{when},Shortage claim,(9.00),0.00,(9.00)",
        f"P300,{when},274.00,USD,12345678VCBSINV,{when},Chargeback,(20.00),0.00,(20.00)",
        f"P300,{when},274.00,USD,INV-2SCR,{when},Shortage claim reversal,5.00,0.00,5.00",
    )
    imported = run(data)
    assert imported.status == "imported", imported.errors
    remittance = Remittance.objects.get(payment_number="P300")
    ms.remittance_automatch(remittances=[remittance])
    remittance.refresh_from_db()
    return World(remittance=remittance, invoices=invoices, app=app, day=day)
