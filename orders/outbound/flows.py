"""Orders-out sync steps: fulfilments(50), shipments(60), invoices(70), receipts(80), po-window(90).

- ``fulfilments`` reads NetSuite item fulfilments changed since the cursor — picked and packed ones
  too, so package data is checked while the goods are still in the building — and builds and
  validates their shipments.
- ``shipments`` re-reads the fulfilments of shipments not yet sent (a correction made in NetSuite
  is picked up by re-running this step), sends the valid ones (outbox; API or 856), follows
  Amazon's transaction status and reads 997s for our 856/810s.
- ``invoices`` creates one invoice per accepted shipment (NetSuite transform through the outbox,
  or the invoice the account raised in NetSuite) and follows Amazon's verdict.
- ``receipts`` copies Amazon's received quantity per PO line (``getPurchaseOrdersStatus``).
- ``po-window`` warns before a ship window ends and closes unshipped lines when it has.

Every step is idempotent; a re-run changes nothing that did not change.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import F

from orders import edi
from orders.flows import _every, amazon_now, follow_transactions
from orders.models import PurchaseOrder, PurchaseOrderStatus
from orders.outbound import cases, services
from orders.outbound_models import Invoice, InvoiceStatus, Shipment, ShipmentStatus
from vendorsync import connections
from vendorsync.edi import FunctionalAcknowledgement, X12Error, parse_interchanges, read_documents
from vendorsync.flows import FlowContext, FlowResult, register_flow
from vendorsync.models import ExceptionKind, Severity, Team
from vendorsync.services import exception_clear, exception_raise

logger = logging.getLogger(__name__)

FULFILMENTS_QUERY = (
    "SELECT id, tranid, status, lastmodifieddate FROM transaction WHERE type = 'ItemShip' "
    "AND lastmodifieddate >= '{since}' ORDER BY lastmodifieddate, id"
)
UNSENT = (ShipmentStatus.PICKED, ShipmentStatus.BLOCKED, ShipmentStatus.READY)


def process_fulfilment(record: dict[str, Any], pos_by_so: dict[str, PurchaseOrder] | None = None) -> str:
    """Build and validate the shipment of one fulfilment record; returns what happened."""
    fulfilment = services.parse_fulfilment(record)
    po = (pos_by_so or {}).get(fulfilment.sales_order_id) or (
        PurchaseOrder.objects.select_related("vendor_code")
        .filter(netsuite_sales_order_id=fulfilment.sales_order_id)
        .exclude(netsuite_sales_order_id="")
        .first()
    )
    if po is None:
        return "not_ours"
    built = services.shipment_build(
        po=po,
        fulfilment=fulfilment,
        channel=settings.ORDERS_ASN_CHANNEL,
        ship_from=settings.ORDERS_SHIP_FROM_ID,
        ship_from_name=settings.ORDERS_SHIP_FROM_NAME,
    )
    if not built.rebuilt:
        return "already_sent"
    problems = services.shipment_validate(
        shipment=built.shipment, fulfilled=built.fulfilled, now=amazon_now()
    )
    cases.sync_validation_cases(built.shipment, problems)
    return "blocked" if problems else ("ready" if built.shipment.status == ShipmentStatus.READY else "picked")


@register_flow(
    "fulfilments",
    label="Fulfilments",
    description="NetSuite item fulfilments (picked, packed, shipped) with their packages: SSCC, weight, "
    "contents; each becomes a validated ASN.",
    owner_team=Team.OPS,
    order=50,
    every_seconds=_every(300),
    freshness_seconds=3600,
)
def fulfilments_flow(ctx: FlowContext) -> FlowResult:
    since = ctx.cursor or "1970-01-01"
    counts: dict[str, int] = {"read": 0}
    latest = since
    with connections.netsuite_client() as client:
        rows = list(client.suiteql(FULFILMENTS_QUERY.format(since=since.replace("'", ""))))
        sent = set(
            Shipment.objects.exclude(status__in=UNSENT).values_list("netsuite_fulfilment_id", flat=True)
        )
        for row in rows:
            latest = max(latest, str(row.get("lastmodifieddate") or since))
            if str(row["id"]) in sent:
                continue
            record = client.get("itemFulfillment", row["id"], expand_sub_resources=True)
            counts["read"] += 1
            outcome = process_fulfilment(record)
            counts[outcome] = counts.get(outcome, 0) + 1
    return FlowResult(counts=counts, cursor=latest)


@register_flow(
    "shipments",
    label="Shipments (ASNs)",
    description="Re-checks unsent ASNs against NetSuite, sends the valid ones (API or EDI 856) and "
    "follows Amazon's verdict.",
    owner_team=Team.OPS,
    order=60,
    every_seconds=_every(300),
    freshness_seconds=3600,
)
def shipments_flow(ctx: FlowContext) -> FlowResult:
    counts: dict[str, int] = {"rechecked": 0, "queued": 0, "accepted": 0, "rejected": 0, "processing": 0}
    unsent = list(
        Shipment.objects.filter(status__in=(*UNSENT, ShipmentStatus.REJECTED)).select_related(
            "purchase_order"
        )
    )
    if unsent:
        with connections.netsuite_client() as client:
            for shipment in unsent:
                if shipment.status == ShipmentStatus.REJECTED:
                    services.shipment_retry(shipment=shipment)
                record = client.get(
                    "itemFulfillment", shipment.netsuite_fulfilment_id, expand_sub_resources=True
                )
                process_fulfilment(record)
                counts["rechecked"] += 1
    for shipment in Shipment.objects.filter(status=ShipmentStatus.READY):
        services.shipment_queue(shipment=shipment)
        counts["queued"] += 1
    pending = list(
        Shipment.objects.filter(status=ShipmentStatus.SUBMITTED, channel="api")
        .exclude(transaction_id="")
        .select_related("purchase_order")
    )
    followed = follow_transactions(
        pending,
        record=lambda shipment, status, errors: services.shipment_record_outcome(
            shipment=shipment, status=status, errors=errors
        ),
        on_success=cases.clear_rejected,
        on_failure=lambda shipment, detail: cases.raise_rejected(
            shipment, f"transaction {shipment.transaction_id} failed: {detail}"
        ),
    )
    counts["accepted"] += followed["succeeded"]
    counts["rejected"] += followed["failed"]
    counts["processing"] += followed["processing"]
    counts["edi_997"] = read_functional_acks()
    return FlowResult(counts=counts)


def read_functional_acks() -> int:
    """997s answering our 856s (SH) and 810s (IN); other files are left for their flows."""
    folder = edi.inbound_dir()
    if not folder.is_dir():
        return 0
    count = 0
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
            interchanges = parse_interchanges(text)
            documents = list(read_documents(text))
        except X12Error:
            continue  # the orders flow reports unreadable files
        groups = {g.header.functional_id for i in interchanges for g in i.groups}
        acks = [d for d in documents if isinstance(d, FunctionalAcknowledgement)]
        if groups != {"FA"} or not acks or any(a.functional_id not in ("SH", "IN") for a in acks):
            continue
        for ack in acks:
            count += 1
            accepted = ack.group_status in ("A", "E") and all(t.status != "R" for t in ack.transactions)
            codes = [code for t in ack.transactions for code in t.error_codes]
            status = "Success" if accepted else "Failure"
            errors = [] if accepted else [{"code": "997", "message": f"AK5 codes {codes}"}]
            model = Shipment if ack.functional_id == "SH" else Invoice
            for obj in model.objects.filter(edi_group_control_number=ack.group_control_number, channel="edi"):
                if isinstance(obj, Shipment):
                    services.shipment_record_outcome(shipment=obj, status=status, errors=errors)
                    if accepted:
                        cases.clear_rejected(obj)
                    else:
                        cases.raise_rejected(obj, f"Amazon's 997 rejected our 856 (AK5 codes {codes})")
                else:
                    services.invoice_record_outcome(invoice=obj, status=status, errors=errors)
                    if not accepted:
                        cases.raise_invoice_failed(obj, f"Amazon's 997 rejected our 810 (AK5 codes {codes})")
        done = folder / "done"
        done.mkdir(exist_ok=True)
        path.replace(done / Path(path.name))
    return count


@register_flow(
    "invoices",
    label="Invoices",
    description="One invoice per accepted shipment at the acknowledged cost: created in NetSuite, then "
    "sent to Amazon (API or EDI 810) with the NetSuite number.",
    owner_team=Team.OPS,
    order=70,
    every_seconds=_every(300),
    freshness_seconds=3600,
)
def invoices_flow(ctx: FlowContext) -> FlowResult:
    counts: dict[str, int] = {"created": 0, "matched_in_netsuite": 0, "accepted": 0, "failed": 0}
    source = settings.ORDERS_INVOICE_SOURCE
    today = amazon_now().date()
    for shipment in Shipment.objects.filter(status=ShipmentStatus.ACCEPTED, invoice__isnull=True):
        try:
            if services.invoice_create(shipment=shipment, invoice_date=today, source=source):
                counts["created"] += 1
        except ValueError as exc:
            logger.warning("Invoice for %s not created: %s", shipment, exc)
            counts["not_invoiceable"] = counts.get("not_invoiceable", 0) + 1
    waiting = list(Invoice.objects.filter(status=InvoiceStatus.NETSUITE).select_related("purchase_order"))
    if source == "netsuite" and waiting:
        counts["matched_in_netsuite"] = _match_netsuite_invoices(waiting)
    pending = list(
        Invoice.objects.filter(status=InvoiceStatus.SUBMITTED, channel="api")
        .exclude(transaction_id="")
        .select_related("purchase_order")
    )
    followed = follow_transactions(
        pending,
        record=lambda invoice, status, errors: services.invoice_record_outcome(
            invoice=invoice, status=status, errors=errors
        ),
        on_success=cases.clear_invoice_failed,
        on_failure=cases.raise_invoice_failed,
    )
    counts["accepted"] += followed["succeeded"]
    counts["failed"] += followed["failed"]
    return FlowResult(counts=counts)


def _match_netsuite_invoices(waiting: list[Invoice]) -> int:
    """The account invoices in NetSuite: take its invoice for the PO with our total, once."""
    used = set(Invoice.objects.exclude(netsuite_id="").values_list("netsuite_id", flat=True))
    matched = 0
    with connections.netsuite_client() as client:
        for invoice in waiting:
            number = invoice.purchase_order.number
            if not number.isalnum():
                continue  # goes into the query text
            query = f"SELECT id, tranid, foreigntotal FROM transaction WHERE type = 'CustInvc' AND otherrefnum = '{number}' ORDER BY id"  # noqa: S608, E501
            rows = client.suiteql(query)
            for row in rows:
                if str(row["id"]) in used:
                    continue
                if services._decimal(row.get("foreigntotal")) == invoice.total:
                    services.invoice_netsuite_created(
                        invoice=invoice, netsuite_id=str(row["id"]), number=str(row.get("tranid") or "")
                    )
                    used.add(str(row["id"]))
                    matched += 1
                    break
    return matched


@register_flow(
    "receipts",
    label="Receipts",
    description="Amazon's received quantity per PO line (getPurchaseOrdersStatus): received < invoiced "
    "predicts a shortage claim.",
    owner_team=Team.OPS,
    order=80,
    every_seconds=_every(1800),
    freshness_seconds=6 * 3600,
)
def receipts_flow(ctx: FlowContext) -> FlowResult:
    counts = {"purchase_orders": 0, "lines_changed": 0}
    pos = list(
        PurchaseOrder.objects.filter(
            shipments__status__in=(ShipmentStatus.SUBMITTED, ShipmentStatus.ACCEPTED)
        ).distinct()
    )
    if not pos:
        return FlowResult(counts=counts)
    with connections.amazon_client() as client:
        for po in pos:
            received: dict[str, int] = {}
            for status in client.iter_purchase_orders_status(purchase_order_number=po.number):
                if status.purchase_order_number != po.number:
                    continue
                for item in status.items:
                    if item.received_quantity is None:
                        continue
                    received[item.item_sequence_number.lstrip("0") or "0"] = item.received_quantity.amount
            counts["purchase_orders"] += 1
            counts["lines_changed"] += services.po_lines_received(po=po, received=received)
    return FlowResult(counts=counts)


def open_lines(po: PurchaseOrder) -> list[Any]:
    return [
        line
        for line in po.lines.filter(cancelled=False)
        if line.accepted_quantity + line.backordered_quantity - line.shipped_quantity - line.closed_quantity
        > 0
    ]


def _po_subject(po: PurchaseOrder) -> dict[str, str]:
    return {"subject_type": "orders.purchaseorder", "subject_id": str(po.public_id)}


@register_flow(
    "po-window",
    label="PO window close",
    description="Warns before a ship window ends with open lines; at its end closes unshipped and "
    "backordered sales-order lines in NetSuite.",
    owner_team=Team.OPS,
    order=90,
    every_seconds=_every(900),
    freshness_seconds=6 * 3600,
)
def po_window_flow(ctx: FlowContext) -> FlowResult:
    now = amazon_now()
    warn = now + timedelta(hours=settings.ORDERS_PO_EXPIRING_HOURS)
    counts = {"expiring": 0, "closed": 0, "needs_decision": 0}
    candidates = (
        PurchaseOrder.objects.filter(ship_window_end__isnull=False, ship_window_end__lte=warn)
        .exclude(status__in=(PurchaseOrderStatus.CANCELLED, PurchaseOrderStatus.REJECTED))
        .filter(
            lines__cancelled=False,
            lines__accepted_quantity__gt=F("lines__shipped_quantity")
            + F("lines__closed_quantity")
            - F("lines__backordered_quantity"),
        )
        .select_related("vendor_code")
        .distinct()
    )
    for po in candidates:
        lines = open_lines(po)
        expiring_key = f"po_expiring:{po.vendor_code.code}:{po.number}"
        expired_key = f"po_expired_open_lines:{po.vendor_code.code}:{po.number}"
        if not lines:
            exception_clear(dedupe_key=expiring_key, note="No open lines left.")
            exception_clear(dedupe_key=expired_key, note="No open lines left.")
            continue
        summary = ", ".join(
            f"line {ln.sequence}: {ln.accepted_quantity + ln.backordered_quantity - ln.shipped_quantity - ln.closed_quantity} open"
            for ln in lines[:10]
        )
        if po.ship_window_end > now:
            counts["expiring"] += 1
            exception_raise(
                kind=ExceptionKind.PO_EXPIRING,
                dedupe_key=expiring_key,
                message=f"PO {po.number}: ship window ends {po.ship_window_end:%Y-%m-%d %H:%M} UTC with open lines ({summary}).",
                severity=Severity.MEDIUM,
                details={"rerun_flow": "po-window", "window_end": po.ship_window_end.isoformat()},
                **_po_subject(po),
            )
            continue
        exception_clear(dedupe_key=expiring_key, note="The ship window has ended.")
        in_flight = po.shipments.filter(
            status__in=(ShipmentStatus.PICKED, ShipmentStatus.BLOCKED, ShipmentStatus.READY,
                        ShipmentStatus.QUEUED, ShipmentStatus.SUBMITTED)
        ).exists()  # fmt: skip
        if in_flight or not po.netsuite_sales_order_id:
            counts["needs_decision"] += 1
            reason = (
                "a shipment of it is not yet confirmed by Amazon (send it late or cancel it)"
                if in_flight
                else "it has no NetSuite sales order to close lines on"
            )
            exception_raise(
                kind=ExceptionKind.PO_EXPIRED_OPEN_LINES,
                dedupe_key=expired_key,
                message=f"PO {po.number}: ship window ended with open lines ({summary}); {reason}.",
                severity=Severity.HIGH,
                details={"rerun_flow": "po-window", "lines": [ln.sequence for ln in lines]},
                **_po_subject(po),
            )
            continue
        if services.po_close_open_lines(po=po):
            counts["closed"] += 1
            exception_clear(dedupe_key=expired_key, note="Unshipped lines closed in NetSuite.")
    return FlowResult(counts=counts)
