"""Shared posting test data: a reconciled remittance with every kind of charge, and its invoices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reconciliation import matching_services as ms
from reconciliation.models import AccountingPeriod, GLAccount, OpenInvoice, Remittance

from .test_import import csv_bytes, run

# P300 pays INV-1 (100.00) less a 2.00 terms discount, INV-2 (200.00) in full, and deducts a shortage
# claim on INV-1 and a chargeback; it pays back an earlier shortage claim on INV-2 (SCR, positive).
P300 = csv_bytes(
    "P300,11/30/2026,274.00,USD,INV-1,11/01/2026,Invoice payment,100.00,2.00,98.00",
    "P300,11/30/2026,274.00,USD,INV-2,11/02/2026,Invoice payment,200.00,0.00,200.00",
    "P300,11/30/2026,274.00,USD,INV-1SC,11/30/2026,Shortage claim,(9.00),0.00,(9.00)",
    "P300,11/30/2026,274.00,USD,12345678VCBSINV,11/30/2026,Chargeback,(20.00),0.00,(20.00)",
    "P300,11/30/2026,274.00,USD,INV-2SCR,11/30/2026,Shortage claim reversal,5.00,0.00,5.00",
)


def invoice(number: str, amount: str, netsuite_id: str) -> OpenInvoice:
    return OpenInvoice.objects.create(
        netsuite_id=netsuite_id,
        number=number,
        date=date(2026, 11, 1),
        amount=Decimal(amount),
        open_balance=Decimal(amount),
        customer_id="1001",
    )


@pytest.fixture
def items(gl):
    """Every mapped account has its other-charge item (credit memo style needs one)."""
    for account in GLAccount.objects.all():
        account.deduction_item_id = f"9{account.number}"
        account.save()
    return gl


@pytest.fixture
def november(db):
    return AccountingPeriod.objects.create(
        name="Nov 2026", start_date=date(2026, 11, 1), end_date=date(2026, 11, 30)
    )


@pytest.fixture
def reconciled(items, november):
    """P300, imported and auto-matched: every line explained."""
    invoice("INV-1", "100.00", "501")
    invoice("INV-2", "200.00", "502")
    batch = run(P300)
    assert batch.status == "imported", batch.errors
    remittance = Remittance.objects.get(payment_number="P300")
    ms.remittance_automatch(remittances=[remittance])
    remittance.refresh_from_db()
    return remittance
