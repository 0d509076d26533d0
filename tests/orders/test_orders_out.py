"""Orders out end to end: NetSuite fulfilments → validated ASNs → Amazon → invoices → receipts.

Our real clients against both simulators (in-process); the warehouse simulator ships the sales
orders our order flow created, with SSCC cartons.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import PurchaseOrder
from orders.outbound_models import Container, Invoice, InvoiceStatus, Shipment, ShipmentStatus
from tests.orders.test_order_flow import full_cycle, run
from vendorsync import connections
from vendorsync.models import ExceptionCase, OutboxMessage, OutboxState
from vendorsync.sandbox.amazon.store import Store as AmazonStore
from vendorsync.sandbox.clock import SimClock
from vendorsync.sandbox.netsuite import simulate_day

pytestmark = pytest.mark.django_db


def ship(**kwargs) -> None:
    simulate_day(SimClock().now().date(), **({"missing_weight_share": 0, "duplicate_sscc_share": 0} | kwargs))


@pytest.fixture
def shipped(sandbox, relay, settings):
    settings.ORDERS_INVOICE_SOURCE = "transform"
    full_cycle(relay)
    ship(invoice=False)
    run("fulfilments")
    return relay


def ours() -> list[Shipment]:
    """Shipments of POs this run acknowledged (the seed's history is not ours to judge)."""
    return list(
        Shipment.objects.filter(purchase_order__acknowledgements__status="accepted", shipped_at__isnull=False)
        .distinct()
        .order_by("id")
    )


def test_shipped_fulfilments_become_valid_asns_accepted_by_amazon_and_invoiced_once(shipped, settings):
    relay = shipped
    fresh = [s for s in ours() if s.status == ShipmentStatus.READY]
    assert fresh, [(s.shipment_identifier, s.status, s.problems) for s in ours()]
    shipment = fresh[0]
    assert shipment.containers.count() >= 1
    assert all(c.sscc and c.weight for c in shipment.containers.all())
    run("shipments")
    relay()
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SUBMITTED and shipment.transaction_id
    SimClock().advance(seconds=60)
    run("shipments")
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.ACCEPTED, shipment.errors
    # PO lines count what Amazon accepted.
    po = shipment.purchase_order
    shipped_units = sum(c.items.first().quantity for c in shipment.containers.all() if c.items.exists())
    assert sum(ln.shipped_quantity * ln.unit_size for ln in po.lines.all()) >= shipped_units > 0

    run("invoices")
    invoice = Invoice.objects.get(shipment=shipment)
    assert invoice.status == InvoiceStatus.NETSUITE
    relay()  # NetSuite transform, then the Amazon submission it queues
    relay()
    invoice.refresh_from_db()
    assert invoice.netsuite_id and invoice.number and invoice.status == InvoiceStatus.SUBMITTED
    expected = sum((line.amount for line in invoice.lines.all()), Decimal(0))
    assert invoice.total == expected > 0
    with connections.netsuite_client() as client:
        record = client.get("invoice", invoice.netsuite_id)
    assert record["externalId"] == invoice.external_id and record["tranId"] == invoice.number
    SimClock().advance(seconds=60)
    run("invoices")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ACCEPTED, invoice.errors

    # The relay did not learn the outcome of either delivery (a timeout after the write) and tries
    # again: the NetSuite transform is found by external id, the Amazon submission is not repeated.
    transaction_id = invoice.transaction_id
    Invoice.objects.filter(pk=invoice.pk).update(netsuite_id="", status=InvoiceStatus.NETSUITE)
    OutboxMessage.objects.filter(external_key__contains=invoice.external_id).update(
        state=OutboxState.RETRY, outcome_unknown=True, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    relay()
    with connections.netsuite_client() as client:
        query = f"SELECT id FROM transaction WHERE type = 'CustInvc' AND externalid = '{invoice.external_id}' ORDER BY id"  # noqa: S608
        assert len(list(client.suiteql(query))) == 1
    invoice.refresh_from_db()
    assert invoice.netsuite_id and invoice.transaction_id == transaction_id
    with AmazonStore(settings.VAR_DIR / "sandbox" / "amazon.sqlite3").tx() as db:
        sent = db.execute(
            "SELECT COUNT(*) FROM transactions WHERE kind = 'invoice' AND body LIKE ?",
            (f'%"{invoice.number}"%',),
        ).fetchone()[0]
    assert sent == 1


def test_missing_weight_blocks_the_asn_naming_the_carton_until_netsuite_is_corrected(sandbox, relay):
    full_cycle(relay)
    ship(missing_weight_share=1.0, invoice=False)
    run("fulfilments")
    blocked = [s for s in ours() if s.status == ShipmentStatus.BLOCKED]
    assert blocked
    shipment = blocked[0]
    case = ExceptionCase.objects.open().get(dedupe_key=f"asn_blocked:{shipment.shipment_identifier}")
    carton = shipment.containers.order_by("sequence").first()
    assert f"Carton {carton.sequence} SSCC {carton.sscc}" in case.message and "weight_missing" in case.message
    assert case.details["rerun_flow"] == "shipments"
    run("shipments")
    relay()
    assert not OutboxMessage.objects.filter(payload__shipment=str(shipment.public_id)).exists()
    # The warehouse weighs the cartons in NetSuite; the re-run sends the ASN.
    with connections.netsuite_client() as client:
        record = client.get("itemFulfillment", shipment.netsuite_fulfilment_id, expand_sub_resources=True)
        packages = [
            {k: v for k, v in p.items() if k.startswith("package")} | {"packageWeight": "12.5"}
            for p in record["package"]["items"]
        ]
        client.patch(
            "itemFulfillment",
            shipment.netsuite_fulfilment_id,
            {"package": {"items": packages}},
            replace=["package"],
        )
    run("shipments")
    shipment.refresh_from_db()
    assert shipment.status in (ShipmentStatus.QUEUED, ShipmentStatus.READY), shipment.problems
    case.refresh_from_db()
    assert case.status != "open"
    relay()
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SUBMITTED


def test_receipts_and_window_close(shipped, settings):
    relay = shipped
    run("shipments")
    relay()
    SimClock().advance(days=3)
    run("shipments")
    accepted = [s for s in ours() if s.status == ShipmentStatus.ACCEPTED]
    assert accepted
    run("receipts")
    po = accepted[0].purchase_order
    assert any(line.received_quantity > 0 for line in po.lines.all())


def test_sscc_is_stored_once_per_container():
    assert Container._meta.get_field("sscc").db_index
    assert PurchaseOrder


def test_asn_by_856_into_the_outbound_folder_and_a_997_closes_the_loop(sandbox, relay, settings):
    from datetime import UTC, datetime

    from tests.edi.support import pyx12_check
    from vendorsync.edi import (
        ControlNumbers,
        FunctionalAcknowledgement,
        OutboundEnvelope,
        TransactionResponse,
        parse_interchanges,
        read_ship_notices,
        write_997,
    )

    settings.ORDERS_ASN_CHANNEL = "edi"
    full_cycle(relay)
    ship(invoice=False)
    run("fulfilments")
    run("shipments")
    relay()
    sent = [s for s in ours() if s.status == ShipmentStatus.SUBMITTED]
    assert sent and all(s.channel == "edi" and s.edi_file for s in sent)
    shipment = sent[0]
    text = (sandbox / "edi" / "outbound" / shipment.edi_file).read_text()
    assert pyx12_check(text)[0] == []
    [notice] = read_ship_notices(text)
    ssccs = {c.carton_identifiers[0].container_identification_number for c in notice.confirmation.cartons}
    assert ssccs == {"00" + c.sscc for c in shipment.containers.all()}
    [interchange] = parse_interchanges(text)
    [group] = interchange.groups
    answer = FunctionalAcknowledgement(
        functional_id="SH",
        group_control_number=group.header.control_number,
        version="005010",
        transactions=(TransactionResponse("856", group.transactions[0].control_number, "A"),),
        group_status="A",
        included=1,
        received=1,
        accepted=1,
    )
    inbound = sandbox / "edi" / "inbound"
    inbound.mkdir(parents=True, exist_ok=True)
    (inbound / "997_asn.edi").write_text(
        write_997(
            answer,
            envelope=OutboundEnvelope(sender_id="AMAZON", receiver_id="VENDORSYNC", test=True),
            control_numbers=ControlNumbers(901, 901, 1),
            at=datetime(2026, 11, 21, tzinfo=UTC),
        )
    )
    run("orders")  # the orders flow leaves 997s for 856s alone
    assert (inbound / "997_asn.edi").exists()
    run("shipments")
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.ACCEPTED
    assert (inbound / "done" / "997_asn.edi").exists()


def test_window_close_closes_unshipped_sales_order_lines_in_netsuite(sandbox, relay):
    from datetime import timedelta

    full_cycle(relay)
    po = (
        PurchaseOrder.objects.filter(acknowledgements__status="accepted", lines__accepted_quantity__gt=0)
        .exclude(netsuite_sales_order_id="")
        .first()
    )
    PurchaseOrder.objects.filter(pk=po.pk).update(ship_window_end=SimClock().now() - timedelta(hours=1))
    run("po-window")
    relay()
    with connections.netsuite_client() as client:
        record = client.get("salesOrder", po.netsuite_sales_order_id, expand_sub_resources=True)
    accepted = {ln.sequence for ln in po.lines.filter(accepted_quantity__gt=0)}
    closed = {str(ln["custcol_amz_po_line"]) for ln in record["item"]["items"] if ln.get("isClosed")}
    assert accepted and accepted <= closed
    run("po-window")  # nothing left open: nothing more to close
    assert (
        OutboxMessage.objects.filter(
            operation="salesorder.close_lines", payload__purchase_order=str(po.public_id)
        ).count()
        == 1
    )
    # The warehouse no longer ships closed lines.
    ship(invoice=False)
    run("fulfilments")
    assert not Shipment.objects.filter(purchase_order=po).exists()


def test_invoice_by_810_carries_the_netsuite_number(shipped, settings, sandbox):
    from tests.edi.support import pyx12_check
    from vendorsync.edi import read_invoices

    relay = shipped
    settings.ORDERS_INVOICE_CHANNEL = "edi"
    run("shipments")
    relay()
    SimClock().advance(seconds=60)
    run("shipments")
    run("invoices")
    relay()
    relay()
    invoice = Invoice.objects.filter(status=InvoiceStatus.SUBMITTED, channel="edi").first()
    assert invoice is not None and invoice.edi_file and invoice.number
    text = (sandbox / "edi" / "outbound" / invoice.edi_file).read_text()
    assert pyx12_check(text)[0] == []
    [read] = read_invoices(text)
    assert read.invoice.id == invoice.number and read.invoice.invoice_total.amount == invoice.total
    assert read.purchase_order_number == invoice.purchase_order.number
