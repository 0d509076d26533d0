"""ASIN profitability: revenue from our invoices, claims attributed through the invoice they name,
co-op/chargebacks pro rata to what was received, recoveries — and the whole adds up to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from orders.models import Invoice
from reconciliation.models import LineType, RemittanceLine
from reconciliation.profitability.compute import (
    ATTRIBUTED_TYPES,
    RECOVERY_TYPES,
    UNATTRIBUTED,
    allocate,
    profitability,
)

from .close_factories import L, make_invoice
from .test_import import csv_bytes, run

D = Decimal
NOV = (date(2026, 11, 1), date(2026, 11, 30))


def pay(number: str, when: str, *rows: tuple[str, str, str]) -> None:
    """A payment of (document, amount paid, terms discount) rows."""
    total = sum((D(a) for _d, a, _t in rows), D("0"))
    data = csv_bytes(
        *(f"{number},{when},{total},USD,{doc},{when},Line,{D(a) + D(t)},{t},{a}" for doc, a, t in rows)
    )
    batch = run(data, name=f"{number}.csv")
    assert batch.status == "imported", batch.errors


@pytest.fixture
def november(gl):
    # INV-A: B01 fully received, B02 two short; INV-B: B03 invoiced above its PO cost.
    make_invoice("INV-A", date(2026, 11, 3), L("B01", 10, "5.00"), L("B02", 4, "12.50", received=2))
    make_invoice("INV-B", date(2026, 11, 9), L("B03", 3, "10.00", po_cost="9.00"), fc="PHX6")
    make_invoice("INV-OLD", date(2026, 10, 2), L("B01", 1, "5.00"))  # October: not this period's revenue
    pay(
        "P1",
        "11/20/2026",
        ("INV-A", "98.00", "2.00"),  # 100.00 less 2% terms
        ("INV-ASC", "-25.00", "0.00"),  # two units of B02 short
        ("INV-BPC", "-3.00", "0.00"),  # B03 1.00 over PO cost × 3
        ("1234VCBSINV", "-10.00", "0.00"),  # a chargeback: pro rata
        ("INV-XSC", "-7.00", "0.00"),  # an invoice we do not hold
        ("PROV-1-PROVISION FOR RECEIVABLES", "-4.00", "0.00"),  # left out
    )
    pay("P2", "11/27/2026", ("INV-ASCR", "25.00", "0.00"))


def independent_totals(start: date, end: date) -> tuple[Decimal, Decimal, Decimal]:
    revenue = Invoice.objects.filter(invoice_date__range=(start, end)).aggregate(t=Sum("total"))["t"] or 0
    lines = RemittanceLine.objects.filter(remittance__payment_date__range=(start, end))
    deductions = sum(
        -ln.amount_paid for ln in lines.filter(line_type__in=ATTRIBUTED_TYPES - RECOVERY_TYPES)
    ) + sum(ln.discount for ln in lines.filter(line_type=LineType.INVOICE))
    recoveries = sum(ln.amount_paid for ln in lines.filter(line_type__in=RECOVERY_TYPES))
    return D(revenue).quantize(D("0.01")), D(deductions), D(recoveries)


def test_claims_follow_their_invoice_and_charges_follow_receipts(november):
    report = profitability(*NOV)
    rows = {r.asin: r for r in report.rows}
    assert rows["B01"].revenue == D("50.00") and rows["B02"].revenue == D("50.00")
    assert rows["B03"].revenue == D("30.00")
    assert rows["B02"].claims == D("25.00")  # the shortage lands on the short ASIN only
    assert rows["B01"].claims == 0
    assert rows["B03"].claims == D("3.00")
    assert rows["B01"].discounts == D("1.00") and rows["B02"].discounts == D("1.00")
    # Chargeback 10.00 by received × cost: B01 50, B02 25, B03 30 → 105.
    assert rows["B01"].prorata + rows["B02"].prorata + rows["B03"].prorata == D("10.00")
    assert rows["B01"].prorata == D("4.76") and rows["B02"].prorata == D("2.38")
    assert rows["B02"].recoveries == D("25.00")
    assert rows[UNATTRIBUTED].claims == D("7.00")
    assert report.left_out == D("-4.00")


def test_the_period_adds_up_to_revenue_minus_deductions_plus_recoveries(november):
    report = profitability(*NOV)
    revenue, deductions, recoveries = independent_totals(*NOV)
    totals = report.totals
    assert totals.revenue == revenue == D("130.00")
    assert totals.deductions == deductions
    assert totals.recoveries == recoveries
    assert totals.net == revenue - deductions + recoveries


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amount=st.decimals(min_value=D("-100000"), max_value=D("100000"), places=2),
    weights=st.lists(st.decimals(min_value=D("0"), max_value=D("1000"), places=4), min_size=1, max_size=8),
)
def test_a_split_always_adds_up_to_the_cent(amount, weights):
    split = allocate(amount, [(str(i), w) for i, w in enumerate(weights)])
    if sum(weights) == 0:
        assert split is None
    else:
        assert sum(a for _k, a in split) == amount


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.lists(
        st.tuples(
            st.integers(1, 40),  # qty
            st.decimals(min_value=D("0.01"), max_value=D("99.99"), places=4),  # unit cost
            st.integers(0, 40),  # received
            st.decimals(min_value=D("0"), max_value=D("500"), places=2),  # a claim on it
        ),
        min_size=1,
        max_size=4,
    ),
    chargeback=st.decimals(min_value=D("0"), max_value=D("300"), places=2),
)
def test_any_period_adds_up_to_the_cent(gl, data, chargeback):
    from reconciliation.models import ImportBatch, Remittance

    RemittanceLine.objects.all().delete()
    Remittance.objects.all().delete()
    ImportBatch.objects.all().delete()
    Invoice.objects.all().delete()
    rows = []
    for i, (qty, cost, received, claim) in enumerate(data):
        make_invoice(f"H-{i}", date(2026, 11, 5), L(f"A{i}", qty, str(cost), received=min(received, qty)))
        rows.append((f"H-{i}", "1000.00", "0.00"))
        if claim:
            rows.append((f"H-{i}SC", str(-claim), "0.00"))
    if chargeback:
        rows.append(("99VCBSINV", str(-chargeback), "0.00"))
    pay("PH", "11/20/2026", *rows)
    report = profitability(*NOV)
    revenue, deductions, recoveries = independent_totals(*NOV)
    assert report.totals.revenue == revenue
    assert report.totals.net == revenue - deductions + recoveries


def test_each_figure_drills_down_to_its_lines(november, personas):
    client = Client()
    client.force_login(personas["finance"])
    page = client.get(reverse("reconciliation:profitability"), {"month": "2026-11"})
    assert page.status_code == 200
    assert b"B02" in page.content and b"figure=claims" in page.content
    lines = client.get(
        reverse("reconciliation:profitability_lines"),
        {"month": "2026-11", "product": "B02", "figure": "claims"},
    )
    assert lines.status_code == 200
    assert b"INV-ASC" in lines.content and b"units short" in lines.content
    assert b"INV-BPC" not in lines.content
    bad = client.get(reverse("reconciliation:profitability"), {"month": "November"})
    assert bad.status_code == 400 and b"is not YYYY-MM" in bad.content


def test_the_table_sorts_filters_and_exports(november, personas):
    client = Client()
    client.force_login(personas["finance"])
    page = client.get(reverse("reconciliation:profitability"), {"month": "2026-11", "q": "b03"})
    assert b"B03" in page.content and b"B01" not in page.content
    sorted_page = client.get(
        reverse("reconciliation:profitability"), {"month": "2026-11", "sort": "-revenue"}
    )
    assert sorted_page.status_code == 200
    export = client.get(reverse("reconciliation:profitability"), {"month": "2026-11", "export": "xlsx"})
    sheet = load_workbook(BytesIO(export.content)).active
    header = [c.value for c in sheet[1]]
    assert header[0] == "ASIN" and "Net realised" in header
    net = header.index("Net realised")
    values = {row[0].value: row[net].value for row in sheet.iter_rows(min_row=2)}
    assert values["B02"] == pytest.approx(50 - 25 - 1 - 2.38 + 25)
