"""Outbox handlers of the orders app: the NetSuite sales order and the Amazon acknowledgement.

The sales order is written with ``PUT salesOrder/eid:AMZ-PO-<PO>`` (upsert by external id), so a
retry after a timeout converges on the same record; ``lookup`` finds it by that external id when
the relay is unsure whether a write went through. A refusal raises ``po_not_mapped`` for ops.
The acknowledgement goes to Amazon's ``submitAcknowledgement`` (a transaction id to follow), or as
an 855 file into the EDI outbound folder, as the acknowledgement's channel says.
"""

from __future__ import annotations

from django.utils import timezone

from orders import edi, services
from orders.models import Acknowledgement, Channel, PurchaseOrder
from vendorsync import connections
from vendorsync.amazon import values as api
from vendorsync.errors import DeliveryResult, RejectedError
from vendorsync.models import ExceptionKind, OutboxMessage, Severity, Team
from vendorsync.outbox import register_handler
from vendorsync.services import exception_clear, exception_raise


def _po(message: OutboxMessage) -> PurchaseOrder:
    return PurchaseOrder.objects.select_related("vendor_code").get(
        public_id=message.payload["purchase_order"]
    )


def _po_not_mapped_key(po: PurchaseOrder) -> str:
    return f"po_not_mapped:{po.vendor_code.code}:{po.number}"


def _sales_order_exists(po: PurchaseOrder, netsuite_id: str) -> DeliveryResult:
    services.purchase_order_sales_order_created(po=po, netsuite_id=netsuite_id)
    exception_clear(dedupe_key=_po_not_mapped_key(po), note=f"Sales order {netsuite_id} exists in NetSuite.")
    return DeliveryResult(
        remote_id=netsuite_id, response_excerpt=f"salesOrder eid:{po.sales_order_external_id}"
    )


def _not_mapped(po: PurchaseOrder, error: str) -> None:
    services.purchase_order_sales_order_failed(po=po, error=error)
    exception_raise(
        kind=ExceptionKind.PO_NOT_MAPPED,
        dedupe_key=_po_not_mapped_key(po),
        message=f"PO {po.number}: NetSuite refused the sales order {po.sales_order_external_id}: {error[:400]}",
        subject_type="orders.purchaseorder",
        subject_id=str(po.public_id),
        severity=Severity.HIGH,
        details={"rerun_flow": "orders", "error": error[:2000], "external_id": po.sales_order_external_id},
    )


def lookup_sales_order(message: OutboxMessage) -> DeliveryResult | None:
    po = _po(message)
    with connections.netsuite_client(retry_writes=False) as client:
        record = client.get_by_external_id("salesOrder", message.payload["external_id"])
    if record is None:
        return None
    return _sales_order_exists(po, str(record.get("id", "")))


@register_handler("netsuite", services.SALES_ORDER_OPERATION, owner_team=Team.OPS, lookup=lookup_sales_order)
def deliver_sales_order(message: OutboxMessage) -> DeliveryResult:
    po = _po(message)
    if not po.vendor_code.netsuite_customer_id:
        error = f"Vendor code {po.vendor_code.code} is not mapped to a NetSuite customer."
        _not_mapped(po, error)
        raise ValueError(error)
    external_id = message.payload["external_id"]
    try:
        with connections.netsuite_client(retry_writes=False) as client:
            netsuite_id = client.upsert_by_external_id("salesOrder", external_id, message.payload["record"])
            if not netsuite_id:
                record = client.get_by_external_id("salesOrder", external_id)
                netsuite_id = str(record["id"]) if record else ""
    except RejectedError as exc:
        _not_mapped(po, str(exc))
        raise
    return _sales_order_exists(po, netsuite_id or "")


def acknowledgement_document(ack: Acknowledgement) -> api.OrderAcknowledgement:
    """Our acknowledgement in the Orders API's shape: every line, its buckets, the cost we invoice."""
    po = ack.purchase_order
    buckets: dict[int, list] = {}
    lines = {}
    for ack_line in ack.lines.select_related("po_line").order_by("po_line__position", "id"):
        buckets.setdefault(ack_line.po_line_id, []).append(ack_line)
        lines[ack_line.po_line_id] = ack_line.po_line
    items = []
    for line_id, line in sorted(lines.items(), key=lambda pair: pair[1].position):
        unit = line.unit_of_measure or "Eaches"
        cost = buckets[line_id][0].net_cost
        item_acks = []
        for bucket in buckets[line_id]:
            item_acks.append(
                api.ItemAcknowledgement(
                    acknowledgement_code=bucket.code,
                    acknowledged_quantity=api.ItemQuantity(bucket.quantity, unit, line.unit_size),
                    scheduled_ship_date=bucket.scheduled_ship_date
                    if bucket.code == "Backordered"
                    else (po.ship_window_start if bucket.code == "Accepted" else None),
                    rejection_reason=bucket.rejection_reason or None,
                )
            )
        items.append(
            api.AcknowledgementItem(
                ordered_quantity=api.ItemQuantity(line.ordered_quantity, unit, line.unit_size),
                item_acknowledgements=tuple(item_acks),
                item_sequence_number=line.sequence,
                amazon_product_identifier=line.asin or None,
                vendor_product_identifier=line.vendor_product_id or None,
                net_cost=api.Money(cost.normalize(), po.currency or line.net_cost_currency or "USD")
                if cost is not None and cost > 0
                else None,
            )
        )
    return api.OrderAcknowledgement(
        purchase_order_number=po.number,
        selling_party=api.Party(po.vendor_code.code),
        acknowledgement_date=timezone.now(),
        items=tuple(items),
    )


def _ack_failed(ack: Acknowledgement, error: str) -> None:
    po = ack.purchase_order
    exception_raise(
        kind=ExceptionKind.ACK_FAILED,
        dedupe_key=f"ack_failed:{po.vendor_code.code}:{po.number}",
        message=f"PO {po.number}: Amazon refused our acknowledgement: {error[:400]}",
        subject_type="orders.purchaseorder",
        subject_id=str(po.public_id),
        severity=Severity.HIGH,
        details={"rerun_flow": "acknowledgements", "error": error[:2000]},
    )


@register_handler("amazon", services.ACK_OPERATION, owner_team=Team.OPS)
def deliver_acknowledgement(message: OutboxMessage) -> DeliveryResult:
    ack = Acknowledgement.objects.select_related("purchase_order__vendor_code").get(
        public_id=message.payload["acknowledgement"]
    )
    if ack.channel == Channel.EDI:
        now = timezone.now()
        text, numbers = edi.render_855(ack, list(ack.lines.select_related("po_line")), now)
        path = edi.write_outbound(f"855_{ack.purchase_order.number}_{numbers.interchange:09d}.edi", text)
        services.acknowledgement_submitted(
            ack=ack, edi_group_control_number=str(numbers.group), edi_file=path.name
        )
        return DeliveryResult(remote_id=f"ISA{numbers.interchange:09d}", response_excerpt=path.name)
    document = acknowledgement_document(ack)
    try:
        with connections.amazon_client(retry_writes=False) as client:
            reference = client.submit_acknowledgement(document)
    except RejectedError as exc:
        services.acknowledgement_record_outcome(ack=ack, status="Failure", errors=[{"message": str(exc)}])
        _ack_failed(ack, str(exc))
        raise
    services.acknowledgement_submitted(ack=ack, transaction_id=reference.transaction_id)
    return DeliveryResult(remote_id=reference.transaction_id, response_excerpt="202 Accepted")
