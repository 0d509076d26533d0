"""Outbox handlers of orders out: the ASN and the invoice to Amazon, the invoice and the closing of
unshipped lines in NetSuite.

Every handler is safe to run again: a shipment or invoice that already has its transaction id or
856/810 file is not sent a second time (the relay may repeat a delivery whose outcome it did not
learn), and NetSuite writes are found again by external id (``lookup``) before any retry.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from orders import edi
from orders.flows import amazon_now
from orders.models import PurchaseOrder
from orders.outbound import cases, encoders, services, validation
from orders.outbound_models import Invoice, InvoiceStatus, Shipment, ShipmentStatus
from vendorsync import connections
from vendorsync.errors import DeliveryResult, RejectedError
from vendorsync.models import OutboxMessage, Team
from vendorsync.outbox import register_handler


def _shipment(message: OutboxMessage) -> Shipment:
    return Shipment.objects.select_related("purchase_order", "vendor_code").get(
        public_id=message.payload["shipment"]
    )


def _fulfilled(shipment: Shipment) -> dict[int, int]:
    fulfilment = services.parse_fulfilment(shipment.fulfilment)
    by_seq = {line.sequence: line.pk for line in shipment.purchase_order.lines.all()}
    out: dict[int, int] = {}
    for _, _, seq, units in fulfilment.lines:
        if seq in by_seq:
            out[by_seq[seq]] = out.get(by_seq[seq], 0) + units
    return out


@register_handler("amazon", services.SHIPMENT_OPERATION, owner_team=Team.OPS)
def deliver_shipment(message: OutboxMessage) -> DeliveryResult:
    shipment = _shipment(message)
    if shipment.transaction_id or shipment.edi_file:  # already sent: never twice
        return DeliveryResult(
            remote_id=shipment.transaction_id or shipment.edi_file, response_excerpt="already sent"
        )
    # The last check before anything leaves: the same rules as the flow, on the rows we encode.
    problems = validation.validate_shipment(shipment, fulfilled=_fulfilled(shipment), now=amazon_now())
    if problems:
        with transaction.atomic():
            Shipment.objects.filter(pk=shipment.pk).update(
                status=ShipmentStatus.BLOCKED, problems=validation.summarise(problems)
            )
        cases.sync_validation_cases(shipment, problems)
        return DeliveryResult(
            remote_id="", response_excerpt=f"blocked before sending: {problems[0].message}"[:200]
        )
    now = timezone.now()
    if shipment.channel == "edi":
        text, numbers = encoders.render_856(shipment, at=now)
        path = edi.write_outbound(f"856_{shipment.shipment_identifier}_{numbers.interchange:09d}.edi", text)
        services.shipment_submitted(
            shipment=shipment, edi_group_control_number=str(numbers.group), edi_file=path.name
        )
        return DeliveryResult(remote_id=f"ISA{numbers.interchange:09d}", response_excerpt=path.name)
    document = encoders.to_shipment_confirmation(shipment, at=amazon_now())
    try:
        with connections.amazon_client(retry_writes=False) as client:
            reference = client.submit_shipment_confirmations(document)
    except RejectedError as exc:
        services.shipment_record_outcome(shipment=shipment, status="Failure", errors=[{"message": str(exc)}])
        cases.raise_rejected(shipment, str(exc))
        raise
    services.shipment_submitted(shipment=shipment, transaction_id=reference.transaction_id)
    return DeliveryResult(remote_id=reference.transaction_id, response_excerpt="202 Accepted")


# --- Invoices ------------------------------------------------------------------------------------


def _invoice(message: OutboxMessage) -> Invoice:
    return Invoice.objects.select_related("purchase_order__vendor_code", "shipment").get(
        public_id=message.payload["invoice"]
    )


def _created(invoice: Invoice, record: dict) -> DeliveryResult:
    netsuite_id = str(record.get("id", ""))
    services.invoice_netsuite_created(
        invoice=invoice, netsuite_id=netsuite_id, number=str(record.get("tranId") or "")
    )
    return DeliveryResult(remote_id=netsuite_id, response_excerpt=f"invoice eid:{invoice.external_id}")


def lookup_invoice(message: OutboxMessage) -> DeliveryResult | None:
    invoice = _invoice(message)
    with connections.netsuite_client(retry_writes=False) as client:
        record = client.get_by_external_id("invoice", message.payload["external_id"])
    return None if record is None else _created(invoice, record)


@register_handler("netsuite", services.INVOICE_NETSUITE_OPERATION, owner_team=Team.OPS, lookup=lookup_invoice)
def deliver_netsuite_invoice(message: OutboxMessage) -> DeliveryResult:
    invoice = _invoice(message)
    if invoice.netsuite_id:
        return DeliveryResult(remote_id=invoice.netsuite_id, response_excerpt="already created")
    try:
        with connections.netsuite_client(retry_writes=False) as client:
            existing = client.get_by_external_id("invoice", message.payload["external_id"])
            if existing is not None:
                return _created(invoice, existing)
            new_id = client.transform(
                "salesOrder", message.payload["sales_order_id"], "invoice", message.payload["record"]
            )
            record = client.get("invoice", new_id)
    except RejectedError as exc:
        cases.raise_invoice_failed(invoice, f"NetSuite: {exc}")
        raise
    return _created(invoice, record)


@register_handler("amazon", services.INVOICE_OPERATION, owner_team=Team.OPS)
def deliver_invoice(message: OutboxMessage) -> DeliveryResult:
    invoice = _invoice(message)
    if (
        invoice.transaction_id
        or invoice.edi_file
        or invoice.status in (InvoiceStatus.SUBMITTED, InvoiceStatus.ACCEPTED)
    ):
        return DeliveryResult(
            remote_id=invoice.transaction_id or invoice.edi_file, response_excerpt="already sent"
        )
    problems = validation.invoice_problems(invoice.number)
    if not invoice.number:
        problems.append(validation.Problem("invoice_number", "NetSuite gave the invoice no number"))
    if problems:
        cases.raise_invoice_failed(invoice, "; ".join(p.message for p in problems))
        raise RejectedError("; ".join(p.message for p in problems))
    now = timezone.now()
    if invoice.channel == "edi":
        text, numbers = encoders.render_810(invoice, at=now)
        path = edi.write_outbound(f"810_{invoice.number}_{numbers.interchange:09d}.edi", text)
        services.invoice_submitted(
            invoice=invoice, edi_group_control_number=str(numbers.group), edi_file=path.name
        )
        return DeliveryResult(remote_id=f"ISA{numbers.interchange:09d}", response_excerpt=path.name)
    try:
        with connections.amazon_client(retry_writes=False) as client:
            reference = client.submit_invoices(encoders.to_api_invoice(invoice))
    except RejectedError as exc:
        services.invoice_record_outcome(invoice=invoice, status="Failure", errors=[{"message": str(exc)}])
        cases.raise_invoice_failed(invoice, str(exc))
        raise
    services.invoice_submitted(invoice=invoice, transaction_id=reference.transaction_id)
    return DeliveryResult(remote_id=reference.transaction_id, response_excerpt="202 Accepted")


# --- Closing unshipped sales-order lines ---------------------------------------------------------


def _open_lines(client, message: OutboxMessage) -> list[int]:  # noqa: ANN001
    record = client.get("salesOrder", message.payload["sales_order_id"], expand_sub_resources=True)
    wanted = set(message.payload["lines"])
    return [
        int(line["line"])
        for line in (record.get("item") or {}).get("items", [])
        if str(line.get("custcol_amz_po_line")) in wanted and not line.get("isClosed")
    ]


def lookup_closed_lines(message: OutboxMessage) -> DeliveryResult | None:
    with connections.netsuite_client(retry_writes=False) as client:
        if _open_lines(client, message):
            return None
    return DeliveryResult(remote_id=message.payload["sales_order_id"], response_excerpt="lines closed")


@register_handler("netsuite", services.CLOSE_LINES_OPERATION, owner_team=Team.OPS, lookup=lookup_closed_lines)
def deliver_close_lines(message: OutboxMessage) -> DeliveryResult:
    po = PurchaseOrder.objects.get(public_id=message.payload["purchase_order"])
    with connections.netsuite_client(retry_writes=False) as client:
        lines = _open_lines(client, message)
        if lines:
            client.patch(
                "salesOrder",
                message.payload["sales_order_id"],
                {"item": {"items": [{"line": n, "isClosed": True} for n in lines]}},
            )
    return DeliveryResult(
        remote_id=message.payload["sales_order_id"],
        response_excerpt=f"PO {po.number}: closed SO lines {lines}"[:200],
    )
