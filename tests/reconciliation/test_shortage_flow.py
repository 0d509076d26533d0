"""Shortage evidence end to end: our real clients against both simulators.

The app ships with SSCC cartons, Amazon accepts the ASN and the invoice, the FC counts short, the
receipts sync copies the received quantities, Amazon's payment run deducts a …SC claim, the
remittance-files sync imports it — and the claim is judged disputable from our own cartons, with a
``disputable_shortage`` case, without anyone running a command for it.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from orders.outbound_models import Invoice, InvoiceStatus, Shipment, ShipmentStatus
from reconciliation.models import LineType, RemittanceLine
from reconciliation.shortage_models import ShortageClaim, ShortageVerdict
from tests.orders.conftest import relay, sandbox  # noqa: F401 - the order flow's fixtures
from tests.orders.test_order_flow import full_cycle, run
from tests.orders.test_orders_out import ship
from vendorsync.models import ExceptionCase, ExceptionKind
from vendorsync.sandbox.amazon import AmazonSimulator, receiving
from vendorsync.sandbox.clock import SimClock

pytestmark = pytest.mark.django_db


class ShortCount(random.Random):
    """The FC's count comes in short on every line (1-2 units) instead of one line in twenty."""

    def random(self) -> float:
        return 0.0


def test_a_short_receipt_of_our_accepted_asn_is_judged_disputable_after_the_syncs(
    sandbox,  # noqa: F811
    relay,  # noqa: F811
    settings,
    monkeypatch,
):
    settings.ORDERS_INVOICE_SOURCE = "transform"
    settings.REMITTANCE_INBOX = sandbox / "sandbox" / "remittances"
    full_cycle(relay)
    ship(invoice=False)
    run("fulfilments")
    run("shipments")
    relay()
    SimClock().advance(seconds=60)
    run("shipments")
    ours = Shipment.objects.filter(
        status=ShipmentStatus.ACCEPTED, purchase_order__acknowledgements__status="accepted"
    )
    shipment = ours.distinct().order_by("id").first()
    assert shipment is not None
    run("invoices")
    relay()
    relay()
    SimClock().advance(seconds=60)
    run("invoices")
    invoice = Invoice.objects.get(shipment=shipment)
    assert invoice.status == InvoiceStatus.ACCEPTED, invoice.errors

    monkeypatch.setattr(receiving, "random", SimpleNamespace(Random=ShortCount))
    amazon = AmazonSimulator()
    day = SimClock().advance(days=3).date()
    assert amazon.receive(day) >= 1
    run("receipts")
    shipment.purchase_order.refresh_from_db()
    assert any(ln.received_quantity < ln.shipped_quantity for ln in shipment.purchase_order.lines.all())

    assert amazon.payment_run(day, pay_all=True) is not None
    run("remittance-files")  # imports the payment; the after-flow step judges its claims
    line = RemittanceLine.objects.get(document_number=f"{invoice.number}SC")
    assert line.line_type == LineType.SHORTAGE
    claim = ShortageClaim.objects.get(line=line)
    assert claim.verdict == ShortageVerdict.DISPUTABLE, claim.reason
    assert claim.shipment_id == shipment.pk and claim.amount_at_risk == -line.amount_paid
    assert claim.shipped_units > claim.received_units and claim.disputable_units == claim.claimed_units
    case = ExceptionCase.objects.open().get(dedupe_key=claim.case_key)
    assert case.kind == ExceptionKind.DISPUTABLE_SHORTAGE and case.amount_at_risk == claim.amount_at_risk
