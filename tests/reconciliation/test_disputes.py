"""Disputes: opened from claim lines (one or several), refused for anything else, paid back by a
later remittance whose document numbers tie (reversal, revised claim, repayment), and the figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from reconciliation.disputes import selectors, services
from reconciliation.disputes.tables import line_key
from reconciliation.models import (
    Dispute,
    DisputeRecovery,
    DisputeStatus,
    Remittance,
    RemittanceLine,
    ShortageClaim,
)
from vendorsync import services as core
from vendorsync.models import AuditEvent, ExceptionCase, ExceptionKind

from .test_import import csv_bytes, run

D = Decimal

CLAIMS = csv_bytes(
    "P300,10/03/2026,186.00,USD,INV-1,09/01/2026,Invoice payment,100.00,0.00,100.00",
    "P300,10/03/2026,186.00,USD,INV-2,09/02/2026,Invoice payment,100.00,0.00,100.00",
    "P300,10/03/2026,186.00,USD,INV-1SC,10/03/2026,Shortage claim,(9.00),0.00,(9.00)",
    "P300,10/03/2026,186.00,USD,INV-2SC,10/03/2026,Shortage claim,(3.00),0.00,(3.00)",
    "P300,10/03/2026,186.00,USD,INV-2PC,10/03/2026,Price claim,(2.00),0.00,(2.00)",
)


def later(number: str, when: str, *rows: tuple[str, str]) -> None:
    total = sum((D(amount) for _doc, amount in rows), D("0"))
    batch = run(
        csv_bytes(
            *(f"{number},{when},{total},USD,{doc},{when},Line,{amount},0.00,{amount}" for doc, amount in rows)
        ),
        name=f"{number}.csv",
    )
    assert batch.status == "imported", batch.errors


@pytest.fixture
def claims(gl):
    batch = run(CLAIMS)
    assert batch.status == "imported", batch.errors
    remittance = Remittance.objects.get(payment_number="P300")
    return {line.document_number: line for line in remittance.lines.select_related("remittance")}


def test_a_dispute_covers_several_claims_and_is_audited(claims, personas):
    dispute = services.dispute_open(
        lines=[claims["INV-1SC"], claims["INV-2SC"]], user=personas["finance"], reference="CASE-1"
    )
    assert dispute.kind == "shortage"
    assert dispute.status == DisputeStatus.OPEN
    assert dispute.disputed_amount == D("12.00")
    assert dispute.claimed_on == date(2026, 10, 3)
    assert sorted(dispute.lines.values_list("amount", flat=True)) == [D("3.00"), D("9.00")]
    assert AuditEvent.objects.filter(action="dispute.opened", subject_id=str(dispute.public_id)).exists()


@pytest.mark.parametrize(
    ("docs", "message"),
    [
        (["INV-1"], "only shortage and price claims"),
        (["INV-1SC", "INV-2PC"], "one kind of claim"),
        ([], "at least one"),
    ],
)
def test_it_refuses_what_is_not_one_kind_of_claim(claims, personas, docs, message):
    with pytest.raises(ValidationError, match=message):
        services.dispute_open(lines=[claims[d] for d in docs], user=personas["finance"])
    assert not Dispute.objects.exists()


def test_a_line_is_disputed_once_and_the_error_names_it(claims, personas):
    services.dispute_open(lines=[claims["INV-1SC"]], user=personas["finance"])
    with pytest.raises(ValidationError, match=r"Line 3 \(INV-1SC\) of payment P300 is already disputed"):
        services.dispute_open(lines=[claims["INV-2SC"], claims["INV-1SC"]], user=personas["finance"])
    assert Dispute.objects.count() == 1  # nothing half-written


def test_only_finance_disputes(claims, personas):
    for persona in ("ops", "admin"):
        with pytest.raises(PermissionDenied):
            services.dispute_open(lines=[claims["INV-1SC"]], user=personas[persona])


def test_a_later_reversal_pays_the_claim_back_and_wins_it(claims, personas):
    dispute = services.dispute_open(lines=[claims["INV-1SC"]], user=personas["finance"])
    later("P301", "10/17/2026", ("INV-5", "50.00"), ("INV-1SCR", "9.00"))
    assert services.dispute_recoveries_match() == 1
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.WON
    assert dispute.recovered_amount == D("9.00")
    assert dispute.recovered_on == date(2026, 10, 17)
    recovery = DisputeRecovery.objects.get()
    assert recovery.line.document_number == "INV-1SCR" and recovery.source == "auto"
    assert services.dispute_recoveries_match() == 0  # idempotent: never linked twice
    figures = selectors.dispute_figures()
    assert figures.total.recovered == D("9.00")
    assert figures.total.win_rate == D("100.0")
    assert figures.total.average_days == D("14.0")  # 3 Oct → 17 Oct


def test_a_revised_claim_takes_part_back_partially_won(claims, personas):
    dispute = services.dispute_open(lines=[claims["INV-1SC"]], user=personas["finance"])
    later("P301", "10/17/2026", ("INV-5", "50.00"), ("INV-1SCR", "9.00"))
    later("P302", "10/24/2026", ("INV-6", "50.00"), ("INV-1SCRSC", "-4.50"))
    services.dispute_recoveries_match()
    dispute.refresh_from_db()
    assert dispute.recovered_amount == D("4.50")
    assert dispute.status == DisputeStatus.PARTIALLY_WON


def test_a_recovery_imported_before_the_dispute_is_found_when_it_opens(claims, personas):
    later("P301", "10/17/2026", ("INV-5", "50.00"), ("INV-2PCR", "1.50"))
    dispute = services.dispute_open(lines=[claims["INV-2PC"]], user=personas["finance"])
    assert dispute.status == DisputeStatus.PARTIALLY_WON
    assert dispute.recovered_amount == D("1.50")


def test_an_earlier_or_unrelated_line_is_no_recovery(claims, personas):
    later("P299", "09/20/2026", ("INV-1SCR", "9.00"))  # paid before the claim: not its reversal
    later("P301", "10/17/2026", ("INV-3SCR", "9.00"))  # another invoice's reversal
    dispute = services.dispute_open(lines=[claims["INV-1SC"]], user=personas["finance"])
    assert dispute.recovered_amount == 0 and dispute.status == DisputeStatus.OPEN


def test_finance_records_the_outcome_and_the_win_rate_counts_it(claims, personas):
    won = services.dispute_open(lines=[claims["INV-1SC"]], user=personas["finance"])
    lost = services.dispute_open(lines=[claims["INV-2SC"]], user=personas["finance"])
    services.dispute_update(dispute=lost, user=personas["finance"], status="lost", reference="CASE-9")
    later("P301", "10/17/2026", ("INV-1SCR", "9.00"))
    services.dispute_recoveries_match()
    won.refresh_from_db()
    figures = selectors.dispute_figures()
    assert figures.total.decided == 2 and figures.total.win_rate == D("50.0")
    shortage = next(f for f in figures.by_kind if f.label == "Shortage claim")
    assert shortage.disputed == D("12.00") and shortage.recovered == D("9.00")
    assert [m.label for m in figures.by_month] == ["2026-10"]
    with pytest.raises(ValidationError, match="not one of"):
        services.dispute_update(dispute=won, user=personas["finance"], status="maybe")


def test_opening_a_dispute_resolves_the_lines_disputable_shortage_case(claims, personas):
    line = claims["INV-1SC"]
    claim = ShortageClaim.objects.create(
        line=line,
        verdict="disputable",
        reason="Our accepted ASN shows 10 shipped; Amazon claims 9 received.",
        fingerprint="test",
        claimed_amount=D("9.00"),
        amount_at_risk=D("9.00"),
    )
    case, _ = core.exception_raise(
        kind=ExceptionKind.DISPUTABLE_SHORTAGE, dedupe_key=claim.case_key, message="Disputable: INV-1SC"
    )
    other, _ = core.exception_raise(
        kind=ExceptionKind.DISPUTABLE_SHORTAGE,
        dedupe_key="disputable_shortage:other",
        message="Another claim",
    )
    assert services.disputable_case_keys([line]) == [claim.case_key]
    services.dispute_open(lines=[line], user=personas["finance"])
    case.refresh_from_db()
    assert case.status == "resolved" and case.auto_resolved
    assert list(ExceptionCase.objects.open()) == [other]


def test_the_page_opens_a_dispute_from_chosen_lines(claims, personas, django_assert_max_num_queries):
    client = Client()
    client.force_login(personas["finance"])
    response = client.post(
        reverse("reconciliation:dispute_open"),
        {"line": [line_key(claims["INV-1SC"]), line_key(claims["INV-2SC"])], "reference": "AMZ-77"},
    )
    dispute = Dispute.objects.get()
    assert response.status_code == 302 and response["Location"] == dispute.get_absolute_url()
    assert dispute.reference == "AMZ-77" and dispute.lines.count() == 2
    page = client.get(reverse("reconciliation:disputes"))
    assert b"AMZ-77" in page.content and b"INV-2PC" in page.content  # still disputable
    with django_assert_max_num_queries(12):
        detail = client.get(dispute.get_absolute_url())
    assert b"INV-1SC" in detail.content
    bad = client.post(reverse("reconciliation:dispute_open"), {"line": ["nonsense"]}, follow=True)
    assert b"does not name a remittance line" in bad.content


def test_ops_cannot_see_or_open_disputes(claims, personas):
    client = Client()
    client.force_login(personas["ops"])
    assert client.get(reverse("reconciliation:disputes")).status_code == 403
    response = client.post(reverse("reconciliation:dispute_open"), {"line": [line_key(claims["INV-1SC"])]})
    assert response.status_code == 403
    assert not Dispute.objects.exists()
    assert RemittanceLine.objects.filter(document_number="INV-1SC").exists()


def test_a_recovery_whose_numbers_do_not_tie_is_recorded_by_hand(claims, personas):
    dispute = services.dispute_open(lines=[claims["INV-2SC"]], user=personas["finance"])
    later("P305", "10/30/2026", ("ADJ-99812", "3.00"))  # Amazon repaid it under its own reference
    assert services.dispute_recoveries_match() == 0
    client = Client()
    client.force_login(personas["finance"])
    claim = dispute.lines.get()
    url = reverse("reconciliation:dispute_recovery_add", args=[dispute.public_id])
    missing = client.post(
        url, {"claim": claim.pk, "payment_number": "P305", "document_number": "NOPE"}, follow=True
    )
    assert b"Payment P305 has no line NOPE" in missing.content
    client.post(url, {"claim": claim.pk, "payment_number": "P305", "document_number": "ADJ-99812"})
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.WON and dispute.recovered_amount == D("3.00")
    assert DisputeRecovery.objects.get().source == "manual"
    twice = client.post(
        url, {"claim": claim.pk, "payment_number": "P305", "document_number": "ADJ-99812"}, follow=True
    )
    assert b"already pays back a disputed claim" in twice.content
    assert AuditEvent.objects.filter(action="dispute.recovery_recorded").count() == 1
