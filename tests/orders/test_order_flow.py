"""The order flow end to end, with our real clients against the simulators (in-process WSGI).

items → orders (validate, decide, sales order queued) → relay (NetSuite upsert) → acknowledgements
→ relay (Amazon submitAcknowledgement) → transactions (Amazon's verdict), and every exception kind
of the flow raised and then resolved by itself once its cause is gone.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from orders import services
from orders.models import (
    Acknowledgement,
    AcknowledgementStatus,
    IdentifierKind,
    Item,
    PurchaseOrder,
    PurchaseOrderStatus,
    SalesOrderState,
    VendorCode,
)
from vendorsync import connections, flows
from vendorsync.models import ExceptionCase, ExceptionStatus, OutboxMessage, OutboxState, SyncOutcome
from vendorsync.sandbox import catalog
from vendorsync.sandbox.amazon.store import Store as AmazonStore
from vendorsync.sandbox.clock import SimClock

pytestmark = pytest.mark.django_db


def run(name: str):
    result = flows.run_flow(name)
    assert result.outcome in (SyncOutcome.SUCCEEDED, SyncOutcome.PARTIAL), result.error
    return result


def full_cycle(relay) -> None:
    """What beat and the worker do: each flow once, the relay after each step that writes."""
    run("items")
    run("orders")
    relay()
    run("acknowledgements")
    relay()
    SimClock().advance(seconds=60)  # Amazon answers a transaction ~20 s after the submission
    run("transactions")


def netsuite_sales_orders(external_id: str) -> list[dict]:
    assert external_id.replace("-", "").isalnum()  # goes into the query text below
    query = f"SELECT id, otherrefnum FROM transaction WHERE type = 'SalesOrd' AND externalid = '{external_id}' ORDER BY id"  # noqa: S608
    with connections.netsuite_client() as client:
        return list(client.suiteql(query))


def open_case(kind: str, po: PurchaseOrder) -> ExceptionCase | None:
    return ExceptionCase.objects.open().filter(kind=kind, subject_id=str(po.public_id)).first()


def test_pos_become_sales_orders_and_acknowledgements_accepted_by_amazon(sandbox, relay):
    full_cycle(relay)
    acknowledged = PurchaseOrder.objects.filter(status=PurchaseOrderStatus.ACKNOWLEDGED, source="api")
    assert acknowledged.count() >= 5
    po = acknowledged.first()
    assert po.sales_order_state == SalesOrderState.CREATED and po.netsuite_sales_order_id
    [sales_order] = netsuite_sales_orders(f"AMZ-PO-{po.number}")
    assert sales_order["id"] == po.netsuite_sales_order_id and sales_order["otherrefnum"] == po.number
    ack = po.acknowledgements.get(status=AcknowledgementStatus.ACCEPTED)
    assert ack.transaction_status == "Success" and ack.transaction_id
    # Never more than ordered, and every active line decided.
    for line in po.lines.filter(cancelled=False):
        assert (
            line.accepted_quantity + line.backordered_quantity + line.rejected_quantity
            == line.ordered_quantity
        )
    # Vendor code mapped to the NetSuite customer by its external id AMZ-VC-<code>.
    vendor = VendorCode.objects.get(code=catalog.VENDOR_CODE)
    assert vendor.netsuite_customer_id == catalog.AMAZON_CUSTOMER_ID


def test_re_running_every_flow_duplicates_nothing(sandbox, relay):
    full_cycle(relay)
    counts = (PurchaseOrder.objects.count(), OutboxMessage.objects.count(), Acknowledgement.objects.count())
    lines = sorted(PurchaseOrder.objects.values_list("number", "lines__sequence", "lines__accepted_quantity"))
    again = flows.run_flow("orders")
    relay()
    run("acknowledgements")
    assert again.counts["created"] == 0 and again.counts["changed"] == 0
    assert (
        PurchaseOrder.objects.count(),
        OutboxMessage.objects.count(),
        Acknowledgement.objects.count(),
    ) == counts
    assert (
        sorted(PurchaseOrder.objects.values_list("number", "lines__sequence", "lines__accepted_quantity"))
        == lines
    )
    po = PurchaseOrder.objects.filter(sales_order_state=SalesOrderState.CREATED).first()
    assert len(netsuite_sales_orders(po.sales_order_external_id)) == 1


def test_a_sku_asin_gap_blocks_the_po_until_a_cross_reference_is_added(sandbox, relay, personas):
    full_cycle(relay)
    case = ExceptionCase.objects.open().filter(kind="sku_asin_gap").order_by("-first_seen_at").first()
    assert case is not None and case.details["rerun_flow"] == "items" and case.amount_at_risk > 0
    po = PurchaseOrder.objects.get(public_id=case.subject_id)
    assert po.status == PurchaseOrderStatus.BLOCKED and not po.acknowledgements.exists()
    assert not OutboxMessage.objects.filter(external_key__startswith=po.sales_order_external_id).exists()
    # Map every unmapped ASIN to an item with stock; the PO goes on by itself.
    stocked = Item.objects.filter(available__gt=1000).order_by("sku")
    for index, line in enumerate(po.lines.filter(item__isnull=True, cancelled=False)):
        services.cross_reference_add(
            actor=personas["ops"],
            vendor_code=po.vendor_code,
            kind=IdentifierKind.ASIN,
            value=line.asin,
            item=stocked[index],
        )
    from orders.flows import revalidate

    revalidate(PurchaseOrder.objects.filter(pk=po.pk))
    case.refresh_from_db()
    assert case.status == ExceptionStatus.RESOLVED and case.auto_resolved
    assert "Cross-reference" in case.resolution_note or "cross-reference" in case.resolution_note
    relay()
    run("acknowledgements")
    relay()
    SimClock().advance(seconds=60)
    run("transactions")
    po.refresh_from_db()
    assert po.status == PurchaseOrderStatus.ACKNOWLEDGED
    assert len(netsuite_sales_orders(po.sales_order_external_id)) == 1
    # The PO was older than 24 h while blocked: ack_overdue was raised and is now resolved too.
    overdue = ExceptionCase.objects.filter(kind="ack_overdue", subject_id=str(po.public_id)).first()
    if overdue is not None:
        assert overdue.status == ExceptionStatus.RESOLVED and overdue.auto_resolved


def test_a_price_discrepancy_clears_itself_when_netsuite_cost_is_fixed(sandbox, relay):
    run("items")
    run("orders")
    case = ExceptionCase.objects.open().filter(kind="price_discrepancy").first()
    assert case is not None and case.amount_at_risk > 0
    po = PurchaseOrder.objects.get(public_id=case.subject_id)
    # Finance agrees Amazon's price is right: NetSuite's cost of each mismatched item is set to it.
    with connections.netsuite_client() as client:
        for entry in case.details["lines"]:
            line = po.lines.get(sequence=entry["sequence"])
            client.patch("inventoryItem", line.item.netsuite_id, {"cost": entry["amazon"]})
    run("items")  # revalidates the POs with an open price case, whatever their status
    case.refresh_from_db()
    assert case.status == ExceptionStatus.RESOLVED and case.auto_resolved


def test_ack_failed_is_raised_from_the_transaction_status_and_resolved_by_an_accepted_ack(
    sandbox, relay, client, personas
):
    run("items")
    run("orders")
    relay()
    po = PurchaseOrder.objects.filter(
        status=PurchaseOrderStatus.READY, sales_order_state=SalesOrderState.CREATED
    ).first()
    # Amazon closes the PO on its side before our acknowledgement arrives: the transaction fails.
    amazon = AmazonStore(sandbox / "sandbox" / "amazon.sqlite3")
    with amazon.tx() as db:
        db.execute("UPDATE purchase_orders SET state = 'Closed' WHERE number = ?", (po.number,))
    run("acknowledgements")
    relay()
    SimClock().advance(seconds=60)
    run("transactions")
    po.refresh_from_db()
    case = open_case("ack_failed", po)
    assert po.status == PurchaseOrderStatus.ACK_FAILED and case is not None
    assert "INVALID_ORDER_STATE" in case.message and case.details["rerun_flow"] == "transactions"
    assert case.amount_at_risk > 0
    # Amazon reopens it; ops re-send the acknowledgement; Amazon accepts it and the case resolves.
    with amazon.tx() as db:
        db.execute("UPDATE purchase_orders SET state = 'New' WHERE number = ?", (po.number,))
    client.force_login(personas["ops"])
    response = client.post(reverse("orders:po_redecide", args=[po.public_id]), follow=True)
    assert "decided again" in response.content.decode()
    po.refresh_from_db()
    assert po.status == PurchaseOrderStatus.READY
    run("acknowledgements")
    relay()
    SimClock().advance(seconds=60)
    run("transactions")
    case.refresh_from_db()
    assert case.status == ExceptionStatus.RESOLVED and case.auto_resolved


def test_po_not_mapped_when_netsuite_refuses_and_resolved_once_the_sales_order_exists(sandbox, relay):
    run("items")
    VendorCode.objects.filter(code=catalog.VENDOR_CODE).update(netsuite_customer_id="99999")
    run("orders")
    relay()
    po = PurchaseOrder.objects.filter(sales_order_state=SalesOrderState.FAILED).first()
    assert po is not None
    case = open_case("po_not_mapped", po)
    assert case is not None and "entity" in case.message
    message = OutboxMessage.objects.get(external_key=po.sales_order_external_id)
    assert message.state == OutboxState.NEEDS_REVIEW
    # Ops fix the mapping (the next items sync restores it) and send the delivery again.
    run("items")
    from vendorsync.outbox.services import outbox_requeue

    payload = message.payload
    payload["record"]["entity"] = {"id": catalog.AMAZON_CUSTOMER_ID}
    OutboxMessage.objects.filter(pk=message.pk).update(payload=payload)
    message.refresh_from_db()
    outbox_requeue(message=message, actor=None, reason="customer mapping fixed")
    relay()
    case.refresh_from_db()
    po.refresh_from_db()
    assert case.status == ExceptionStatus.RESOLVED and case.auto_resolved
    assert po.sales_order_state == SalesOrderState.CREATED


def test_a_sales_order_is_not_duplicated_when_the_relay_delivers_again_after_a_lost_response(sandbox, relay):
    run("items")
    run("orders")
    message = OutboxMessage.objects.filter(operation="salesorder.upsert").first()
    relay()
    message.refresh_from_db()
    assert message.state == OutboxState.SENT
    # The worker died after NetSuite stored the order but before the relay recorded it: the
    # message is still "sending" with an old claim, so the next relay run delivers it again.
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxState.SENDING, claimed_at=message.sent_at - timedelta(hours=1)
    )
    relay()
    message.refresh_from_db()
    assert message.state == OutboxState.SENT and message.attempts == 2
    assert len(netsuite_sales_orders(message.payload["external_id"])) == 1
    # And the lookup by external id (used after an ambiguous outcome) finds that same record.
    from orders.handlers import lookup_sales_order

    found = lookup_sales_order(message)
    assert found is not None and found.remote_id == message.remote_id


def test_with_ops_approval_nothing_is_sent_until_approved(sandbox, relay, settings, personas):
    settings.ORDERS_ACK_APPROVAL = "ops"
    run("items")
    run("orders")
    relay()
    run("acknowledgements")
    pending = Acknowledgement.objects.filter(status=AcknowledgementStatus.PENDING_APPROVAL)
    assert pending.exists()
    assert not OutboxMessage.objects.filter(operation="acknowledgement.submit").exists()
    ack = pending.first()
    services.acknowledgement_approve(actor=personas["ops"], ack=ack)
    run("acknowledgements")
    assert OutboxMessage.objects.filter(external_key=f"ACK-{ack.public_id}").exists()
    with pytest.raises(Exception, match="cannot change orders"):
        services.acknowledgement_approve(actor=personas["finance"], ack=pending.first())


def test_our_client_sends_strict_names_so_a_misspelt_sales_order_field_fails(sandbox):
    from vendorsync.netsuite import NetSuiteRejectedError

    body = {
        "entity": {"id": catalog.AMAZON_CUSTOMER_ID},
        "otherRefNumber": "TYPO0001",
        "item": {"items": [{"item": {"id": catalog.items()[0].netsuite_id}, "quantity": 1}]},
    }
    with (
        connections.netsuite_client() as client,
        pytest.raises(NetSuiteRejectedError, match="otherRefNumber"),
    ):
        client.upsert_by_external_id("salesOrder", "AMZ-PO-TYPO0001", body)
