"""Month-end close: the period's figures, and the list of what stands between finance and closing —
empty exactly when nothing is outstanding, each item linking to the page that fixes it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from reconciliation import matching_services as ms
from reconciliation.close.selectors import close_blockers, close_report
from reconciliation.close.services import period_span
from reconciliation.disputes.services import dispute_open
from reconciliation.models import (
    AccountingPeriod,
    BatchStatus,
    DeductionMapping,
    OpenInvoice,
    PostingBatch,
    Remittance,
    RemittanceLine,
)

from .test_import import csv_bytes, run

D = Decimal
OUTSTANDING = (
    "unmatched",
    "unmapped",
    "not_batched",
    "draft",
    "awaiting_approval",
    "failed_posting",
    "drift",
)


def invoice(number: str, amount: str) -> OpenInvoice:
    return OpenInvoice.objects.create(
        netsuite_id=f"ns-{number}",
        number=number,
        date=date(2026, 11, 1),
        amount=D(amount),
        open_balance=D(amount),
        customer_id="1001",
    )


def pay(number: str, when: str, *rows: tuple[str, str], amount: str | None = None) -> None:
    total = amount or str(sum((D(a) for _d, a in rows), D("0")))
    batch = run(
        csv_bytes(*(f"{number},{when},{total},USD,{doc},{when},Line,{a},0.00,{a}" for doc, a in rows)),
        name=f"{number}.csv",
    )
    assert batch.status == "imported", batch.errors


def posted(personas, period: AccountingPeriod, *payments: str) -> PostingBatch:
    """A batch that posted ``payments`` (the books hold them: nothing outstanding on their account)."""
    done = batch(BatchStatus.POSTED, personas, period)
    done.remittances.set(Remittance.objects.filter(payment_number__in=payments))
    return done


@pytest.fixture
def november(gl, personas):
    """A clean November: one payment, its invoice matched, its shortage claim coded, and posted."""
    invoice("INV-1", "100.00")
    pay("P1", "11/10/2026", ("INV-1", "100.00"), ("INV-1SC", "-9.00"))
    ms.remittance_automatch()
    period = AccountingPeriod.objects.create(
        name="Nov 2026", start_date=date(2026, 11, 1), end_date=date(2026, 11, 30)
    )
    posted(personas, period, "P1")
    return period


def batch(status: str, personas, period: AccountingPeriod) -> PostingBatch:
    approved = status not in (BatchStatus.DRAFT, BatchStatus.PENDING_APPROVAL)
    return PostingBatch.objects.create(
        status=status,
        period=period,
        posting_date=date(2026, 11, 28),
        prepared_by=personas["finance"],
        approved_by=personas["approver"] if approved else None,
        approved_at=timezone.now() if approved else None,
        payment_total=D("91.00"),
    )


def make_outstanding(kind: str, personas, period: AccountingPeriod) -> None:
    # Each kind alone: a payment made for another kind is posted, so it holds nothing else up.
    if kind == "unmatched":
        pay("P2", "11/12/2026", ("REF-77", "50.00"))  # names no invoice of ours
        posted(personas, period, "P2")
    elif kind == "unmapped":
        DeductionMapping.objects.filter(line_type="chargeback").delete()
        invoice("INV-3", "60.00")
        pay("P3", "11/14/2026", ("INV-3", "60.00"), ("1234VCBSINV", "-6.00"))
        ms.remittance_automatch()
        posted(personas, period, "P3")
    elif kind == "not_batched":
        invoice("INV-5", "30.00")
        pay("P5", "11/21/2026", ("INV-5", "30.00"))
        ms.remittance_automatch()
    elif kind == "draft":
        batch(BatchStatus.DRAFT, personas, period)
    elif kind == "awaiting_approval":
        batch(BatchStatus.PENDING_APPROVAL, personas, period)
    elif kind == "posting":
        batch(BatchStatus.APPROVED, personas, period)
    elif kind == "failed_posting":
        batch(BatchStatus.FAILED, personas, period)
    elif kind == "drift":
        invoice("INV-4", "40.00")
        pay("P4", "11/20/2026", ("INV-4", "40.00"), amount="45.00")  # the payment says 45, its lines 40
        ms.remittance_automatch()
        posted(personas, period, "P4")


def test_a_clean_period_has_nothing_outstanding_and_its_figures(november):
    report = close_report(period_span(november), november)
    assert report.blockers == [] and report.clear
    assert report.cash_received == D("91.00") and report.payments == 1
    assert report.deductions_total == D("-9.00")
    assert [(r["number"], r["total"]) for r in report.deductions_by_account] == [("4520", D("-9.00"))]


@pytest.mark.parametrize("kinds", [(k,) for k in OUTSTANDING] + [OUTSTANDING])
def test_the_list_names_exactly_what_is_outstanding(november, personas, kinds):
    for kind in kinds:
        make_outstanding(kind, personas, november)
    blockers = close_blockers(period_span(november), november)
    assert {b.kind for b in blockers} == set(kinds), [b.message for b in blockers]
    assert all(b.url for b in blockers)


def test_another_periods_items_do_not_hold_this_one(november, personas):
    pay("P9", "12/02/2026", ("REF-99", "50.00"))
    december = AccountingPeriod.objects.create(
        name="Dec 2026", start_date=date(2026, 12, 1), end_date=date(2026, 12, 31)
    )
    batch(BatchStatus.PENDING_APPROVAL, personas, december)
    assert close_blockers(period_span(november), november) == []
    assert {b.kind for b in close_blockers(period_span(december), december)} == {
        "unmatched",
        "not_batched",
        "awaiting_approval",
    }


def test_the_page_links_each_item_to_its_fix(november, personas, django_assert_max_num_queries):
    make_outstanding("unmatched", personas, november)
    make_outstanding("drift", personas, november)
    # NetSuite lists periods a year ahead: the close page offers only those that have begun.
    AccountingPeriod.objects.create(
        name="Far Future 2099", start_date=date(2099, 1, 1), end_date=date(2099, 1, 31)
    )
    client = Client()
    client.force_login(personas["finance"])
    assert client.get(reverse("reconciliation:close_index"))["Location"] == reverse(
        "reconciliation:close", args=[november.public_id]
    )
    with django_assert_max_num_queries(27):
        page = client.get(reverse("reconciliation:close", args=[november.public_id]))
    html = page.content.decode()
    assert "Payment P2: 1 line(s) not matched" in html
    assert "Far Future 2099" not in html and "Nov 2026" in html
    assert "/workbench/" in html and "/exceptions/" in html
    by_account = client.get(
        reverse("reconciliation:deductions"), {"gl": "4520", "start": "2026-11-01", "end": "2026-11-30"}
    )
    assert b"INV-1SC" in by_account.content
    assert "?gl=4520&amp;start=2026-11-01&amp;end=2026-11-30" in html


def test_the_auditors_workbook_has_a_sheet_per_section_with_its_lines(november, personas):
    make_outstanding("unmatched", personas, november)
    line = RemittanceLine.objects.get(document_number="INV-1SC")
    dispute_open(lines=[line], user=personas["finance"], reference="CASE-7")
    client = Client()
    client.force_login(personas["finance"])
    response = client.get(reverse("reconciliation:close", args=[november.public_id]), {"export": "xlsx"})
    book = load_workbook(BytesIO(response.content))
    assert book.sheetnames == [
        "Summary",
        "Cash received",
        "Deductions by type",
        "Deductions by GL account",
        "Deduction lines",
        "Open disputes",
        "Batches",
        "Unexplained variance",
        "Outstanding",
    ]
    cash = [[c.value for c in row] for row in book["Cash received"].iter_rows(min_row=2)]
    assert sorted(r[0] for r in cash) == ["P1", "P2"]
    assert [r[2] for r in book["Deduction lines"].iter_rows(min_row=2, values_only=True)] == ["INV-1SC"]
    assert next(book["Open disputes"].iter_rows(min_row=2, values_only=True))[0] == "CASE-7"
    assert next(book["Unexplained variance"].iter_rows(min_row=2, values_only=True))[1] == "REF-77"
