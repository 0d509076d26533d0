"""Shortage-claim evidence: verdicts from our own cartons, the disputable_shortage case, idempotency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.outbound_models import Container, ShipmentStatus
from reconciliation.shortage.services import shortage_refresh
from reconciliation.shortage_models import ShortageClaim, ShortageVerdict
from vendorsync.models import AuditEvent, ExceptionCase, ExceptionKind, ExceptionStatus

from .shortage_world import claim, shipment

pytestmark = pytest.mark.django_db
D = Decimal


def verdict_of(line) -> ShortageClaim:
    return ShortageClaim.objects.get(line=line)


def test_all_cartons_shipped_and_the_asn_accepted_make_the_claim_disputable():
    shipment("PO1", [("1", 24, "2.50")], received={"1": 22})
    (line,) = claim(("INV-PO1SC", "-5.00"))
    result = shortage_refresh()
    assert result.created == 1 and result.raised == 1
    sc = verdict_of(line)
    assert sc.verdict == ShortageVerdict.DISPUTABLE
    assert (sc.shipped_units, sc.received_units, sc.claimed_units, sc.disputable_units) == (24, 22, 2, 2)
    assert sc.amount_at_risk == D("5.00") and sc.fc == "ABE8" and sc.purchase_order_number == "PO1"
    assert (
        "ASN-PO1 shows 24 units in 2 containers" in sc.reason and "2 units (5.00) are disputable" in sc.reason
    )
    case = ExceptionCase.objects.open().get(dedupe_key=f"disputable_shortage:{sc.public_id}")
    assert case.kind == ExceptionKind.DISPUTABLE_SHORTAGE and case.owner_team == "finance"
    assert case.amount_at_risk == D("5.00") and case.subject_id == str(sc.public_id)


def test_a_claim_larger_than_what_the_cartons_prove_is_disputable_only_up_to_the_proof():
    # We invoiced 10 but our ASN's cartons hold 8; Amazon received 7 and claims 3 (7.50).
    ship = shipment("PO2", [("1", 10, "2.50")], received={"1": 7})
    item = Container.objects.filter(shipment=ship).order_by("sequence").last().items.get()
    item.quantity -= 2
    item.save()
    (line,) = claim(("INV-PO2SC", "-7.50"))
    shortage_refresh()
    sc = verdict_of(line)
    assert sc.verdict == ShortageVerdict.DISPUTABLE
    assert (sc.claimed_units, sc.disputable_units, sc.amount_at_risk) == (3, 1, D("2.50"))


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (ShipmentStatus.BLOCKED, "was blocked by validation and never sent"),
        (ShipmentStatus.READY, "was never sent"),
        (ShipmentStatus.REJECTED, "was rejected by Amazon"),
    ],
)
def test_an_asn_that_was_blocked_never_sent_or_rejected_proves_nothing(status, words):
    shipment("PO3", [("1", 24, "2.50")], received={"1": 22}, status=status)
    (line,) = claim(("INV-PO3SC", "-5.00"))
    shortage_refresh()
    sc = verdict_of(line)
    assert sc.verdict == ShortageVerdict.ACCEPT and words in sc.reason
    assert sc.amount_at_risk == 0
    assert not ExceptionCase.objects.filter(kind=ExceptionKind.DISPUTABLE_SHORTAGE).exists()


def test_a_carton_with_a_bad_sscc_means_the_claim_stands():
    ship = shipment("PO4", [("1", 24, "2.50")], received={"1": 22})
    carton = ship.containers.order_by("sequence").first()
    carton.sscc = carton.sscc[:-1] + str((int(carton.sscc[-1]) + 1) % 10)
    carton.save()
    (line,) = claim(("INV-PO4SC", "-5.00"))
    shortage_refresh()
    sc = verdict_of(line)
    assert sc.verdict == ShortageVerdict.ACCEPT and "Carton 1 of ASN ASN-PO4" in sc.reason
    assert "check digit" in sc.reason


def test_no_shipment_behind_the_invoice_is_insufficient():
    (line,) = claim(("INV-OLD1SC", "-12.00"))
    shortage_refresh()
    sc = verdict_of(line)
    assert sc.verdict == ShortageVerdict.INSUFFICIENT
    assert "No shipment of ours is behind invoice INV-OLD1" in sc.reason
    assert sc.shipped_units is None and sc.amount_at_risk == 0


def test_a_partial_shipment_whose_receipt_matches_the_claim_is_accepted():
    # Invoiced 12, our cartons hold 10, Amazon received the 10 and claims the 2 we never shipped.
    ship = shipment("PO5", [("1", 12, "3.00")], received={"1": 10})
    item = ship.containers.order_by("sequence").last().items.get()
    item.quantity -= 2
    item.save()
    (line,) = claim(("INV-PO5SC", "-6.00"))
    shortage_refresh()
    sc = verdict_of(line)
    assert sc.verdict == ShortageVerdict.ACCEPT
    assert "Amazon received 10 of the 10 units" in sc.reason and "agrees with our own cartons" in sc.reason
    assert (sc.claimed_units, sc.amount_at_risk) == (2, 0)


def test_a_revised_claim_is_judged_like_a_claim():
    shipment("PO6", [("1", 24, "2.50")], received={"1": 22})
    lines = claim(("INV-PO6SCRSC", "-5.00"))
    shortage_refresh()
    assert verdict_of(lines[0]).verdict == ShortageVerdict.DISPUTABLE


def test_a_refresh_on_unchanged_evidence_writes_nothing():
    shipment("PO7", [("1", 24, "2.50")], received={"1": 22})
    claim(("INV-PO7SC", "-5.00"), ("INV-OLD7SC", "-1.00"))
    first = shortage_refresh()
    audits = AuditEvent.objects.filter(action="shortage.verdict").count()
    again = shortage_refresh()
    assert (first.created, again.created, again.updated, again.unchanged) == (2, 0, 0, 2)
    assert AuditEvent.objects.filter(action="shortage.verdict").count() == audits == 2
    assert ExceptionCase.objects.filter(kind=ExceptionKind.DISPUTABLE_SHORTAGE).count() == 1


def test_the_case_resolves_itself_when_the_evidence_turns_to_accept():
    ship = shipment("PO8", [("1", 24, "2.50")], received={"1": 22})
    (line,) = claim(("INV-PO8SC", "-5.00"))
    shortage_refresh()
    sc = verdict_of(line)
    case = ExceptionCase.objects.open().get(dedupe_key=sc.case_key)
    # The receipts sync learns Amazon found the two units after all.
    ship.purchase_order.lines.update(received_quantity=24)
    result = shortage_refresh()
    sc.refresh_from_db()
    case.refresh_from_db()
    assert sc.verdict == ShortageVerdict.ACCEPT and result.resolved == 1
    assert case.status == ExceptionStatus.RESOLVED and case.auto_resolved
    assert "Verdict is now accept" in case.resolution_note


def test_a_closed_case_is_not_reopened_while_the_claim_stays_disputable():
    ship = shipment("PO9", [("1", 24, "2.50")], received={"1": 22})
    (line,) = claim(("INV-PO9SC", "-5.00"))
    shortage_refresh()
    sc = verdict_of(line)
    from vendorsync.services import exception_clear

    exception_clear(dedupe_key=sc.case_key, note="Disputed in Vendor Central (dispute 123).")
    # New evidence changes the figures but not the verdict: the dispute's closure stands.
    ship.purchase_order.lines.update(received_quantity=23)
    result = shortage_refresh()
    sc.refresh_from_db()
    assert result.updated == 1 and sc.verdict == ShortageVerdict.DISPUTABLE and sc.amount_at_risk == D("2.50")
    assert not ExceptionCase.objects.open().filter(dedupe_key=sc.case_key).exists()


def test_an_open_case_follows_a_changed_amount():
    ship = shipment("PO10", [("1", 24, "2.50")], received={"1": 22})
    (line,) = claim(("INV-PO10SC", "-5.00"))
    shortage_refresh()
    ship.purchase_order.lines.update(received_quantity=23)
    shortage_refresh()
    case = ExceptionCase.objects.open().get(dedupe_key=verdict_of(line).case_key)
    assert case.amount_at_risk == D("2.50") and case.occurrences == 2


def test_the_evidence_of_many_claims_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    for n in range(12):
        shipment(f"PQ{n}", [("1", 10, "2.00"), ("2", 6, "4.00")], received={"1": 9, "2": 6})
    claim(*[(f"INV-PQ{n}SC", "-2.00") for n in range(12)])
    # Raising a new case is the core service, a few queries each (only when a verdict turns disputable).
    with django_assert_max_num_queries(20 + 12 * 6):
        shortage_refresh()
    ShortageClaim.objects.update(fingerprint="stale")
    with django_assert_max_num_queries(20):
        result = shortage_refresh()
    assert result.updated == 12
