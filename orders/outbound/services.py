"""Orders-out services: every state change of shipments, containers, invoices and PO lines here.

Each runs in a transaction and writes its ``AuditEvent`` there. Deliveries to Amazon (ASN,
invoice) and NetSuite (invoice transform, closing SO lines) are outbox messages enqueued in the
same transaction as the change that calls for them; nothing here makes a network call.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from orders.models import (
    AcknowledgementLine,
    AcknowledgementStatus,
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
)
from orders.outbound import validation
from orders.outbound_models import (
    SENT_SHIPMENT_STATUSES,
    Container,
    ContainerItem,
    ContainerKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Shipment,
    ShipmentStatus,
)
from vendorsync.models import OutboxMessage
from vendorsync.roles import perm
from vendorsync.services import audit_record, outbox_enqueue

SHIPMENT_OPERATION = "shipment.submit"
INVOICE_NETSUITE_OPERATION = "invoice.create"
INVOICE_OPERATION = "invoice.submit"
CLOSE_LINES_OPERATION = "salesorder.close_lines"

_DESCR = re.compile(r"^\s*(?P<sku>.+?)\s+x\s+(?P<units>\d+)\b")


def _require(actor: Any) -> None:
    if actor is not None and not actor.has_perm(perm("work_orders")):
        raise PermissionDenied("Your role cannot change shipments.")


# --- Reading a fulfilment ------------------------------------------------------------------------


@dataclass(frozen=True)
class Package:
    """One NetSuite package row: SSCC in ``packageCartonNumber``, weight in lb, contents in the
    description ("SKU x units") or in ``custrecord_contents`` [{sku, quantity, lot, expiry}]."""

    sequence: int
    sscc: str
    weight: Decimal | None
    description: str
    tracking_number: str = ""
    kind: str = ContainerKind.CARTON  # custrecord_container_type: carton | pallet
    parent_sscc: str = ""  # custrecord_parent_sscc: the pallet a carton sits on
    contents: tuple[tuple[str, int, str, date | None], ...] = ()  # (sku, units, lot, expiry)
    due_diligence: dict[str, str] = field(default_factory=dict, compare=False)  # sku → EUDR DDS reference
    dimensions: tuple[Decimal, Decimal, Decimal] | None = None


@dataclass(frozen=True)
class Fulfilment:
    netsuite_id: str
    number: str
    status: str  # Picked | Packed | Shipped
    sales_order_id: str
    shipped_date: date | None
    lines: tuple[tuple[int, str, str, int], ...]  # (orderLine, item id, PO line sequence, eaches)
    packages: tuple[Package, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def parse_fulfilment(record: Mapping[str, Any]) -> Fulfilment:
    """A NetSuite ``itemFulfillment`` (expanded) as we use it."""

    def items(sublist: str) -> list[dict[str, Any]]:
        value = record.get(sublist) or {}
        return list(value.get("items") or []) if isinstance(value, dict) else []

    lines = tuple(
        (
            int(line.get("orderLine") or 0),
            str((line.get("item") or {}).get("id", "")),
            str(line.get("custcol_amz_po_line") or ""),
            abs(int(line.get("quantity") or 0)),
        )
        for line in items("item")
        if line.get("itemReceive", True) not in (False, "F")
    )
    packages = []
    for number, pkg in enumerate(items("package"), start=1):
        description = str(pkg.get("packageDescr") or "")
        contents: list[tuple[str, int, str, date | None]] = []
        due_diligence: dict[str, str] = {}
        for entry in pkg.get("custrecord_contents") or []:
            if entry.get("dds"):
                due_diligence[str(entry.get("sku", ""))] = str(entry["dds"])[:60]
            expiry = entry.get("expiry")
            contents.append(
                (
                    str(entry.get("sku", "")),
                    int(entry.get("quantity") or 0),
                    str(entry.get("lot") or ""),
                    date.fromisoformat(expiry) if expiry else None,
                )
            )
        if not contents:
            match = _DESCR.match(description.split(";")[0])
            if match:
                contents.append((match["sku"], int(match["units"]), "", None))
        dims = [_decimal(pkg.get(k)) for k in ("custrecord_length", "custrecord_width", "custrecord_height")]
        packages.append(
            Package(
                sequence=number,
                sscc=str(pkg.get("packageCartonNumber") or "").strip(),
                weight=_decimal(pkg.get("packageWeight")),
                description=description[:300],
                tracking_number=str(pkg.get("packageTrackingNumber") or "")[:60],
                kind=str(pkg.get("custrecord_container_type", ContainerKind.CARTON) or "").lower(),
                parent_sscc=str(pkg.get("custrecord_parent_sscc") or "").strip(),
                contents=tuple(contents),
                due_diligence=due_diligence,
                dimensions=tuple(dims) if all(d is not None for d in dims) else None,  # type: ignore[arg-type]
            )
        )
    status = record.get("shipStatus") or {}
    shipped = record.get("shippedDate") or (record.get("tranDate") if status.get("id") == "C" else None)
    return Fulfilment(
        netsuite_id=str(record.get("id", "")),
        number=str(record.get("tranId") or ""),
        status=str(
            status.get("refName") or {"A": "Picked", "B": "Packed", "C": "Shipped"}.get(status.get("id"), "")
        ),
        sales_order_id=str((record.get("createdFrom") or {}).get("id", "")),
        shipped_date=date.fromisoformat(str(shipped)[:10]) if shipped else None,
        lines=lines,
        packages=tuple(packages),
        raw=record,
    )


# --- Shipments -----------------------------------------------------------------------------------


def shipment_identifier(vendor_code: str, fulfilment_id: str) -> str:
    """Ours, stable per fulfilment, never reused: ``<vendor code>-IF<NetSuite id>``."""
    return f"{vendor_code}-IF{fulfilment_id}"


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@dataclass
class Built:
    shipment: Shipment
    fulfilled: dict[int, int]  # PO line id → eaches per the fulfilment
    rebuilt: bool


def shipment_build(
    *, po: PurchaseOrder, fulfilment: Fulfilment, channel: str, ship_from: str, ship_from_name: str = ""
) -> Built:
    """Create or rebuild the shipment of a fulfilment (containers and contents as NetSuite has them).

    A shipment already queued or sent is never rebuilt: what Amazon was told stays as told.
    """
    lines_by_seq = {line.sequence: line for line in po.lines.all()}
    fulfilled: dict[int, int] = defaultdict(int)
    line_by_item: dict[str, PurchaseOrderLine] = {}
    for _, item_id, seq, units in fulfilment.lines:
        line = lines_by_seq.get(seq)
        if line is None:
            continue
        fulfilled[line.pk] += units
        line_by_item.setdefault(item_id, line)
    skus = {c[0] for p in fulfilment.packages for c in p.contents}
    item_ids = dict(Item.objects.filter(sku__in=skus).values_list("sku", "netsuite_id"))
    with transaction.atomic():
        shipment = (
            Shipment.objects.select_for_update().filter(netsuite_fulfilment_id=fulfilment.netsuite_id).first()
        )
        if shipment is not None and shipment.status in SENT_SHIPMENT_STATUSES:
            return Built(shipment, dict(fulfilled), rebuilt=False)
        header = {
            "vendor_code": po.vendor_code,
            "purchase_order": po,
            "netsuite_fulfilment_number": fulfilment.number,
            "fulfilment_status": fulfilment.status,
            "fulfilment": dict(fulfilment.raw),
            "channel": channel,
            "shipped_at": _noon(fulfilment.shipped_date) if fulfilment.shipped_date else None,
            "ship_from": ship_from,
            "ship_from_name": ship_from_name,
            "ship_to": po.ship_to,
            "import_details": po.import_details or {},
            "updated_at": timezone.now(),
        }
        created = shipment is None
        if created:
            shipment = Shipment.objects.create(
                shipment_identifier=shipment_identifier(po.vendor_code.code, fulfilment.netsuite_id),
                netsuite_fulfilment_id=fulfilment.netsuite_id,
                **header,
            )
        else:
            for key, value in header.items():
                setattr(shipment, key, value)
            shipment.save()
            shipment.containers.all().delete()
        by_sscc: dict[str, Container] = {}
        pending_parent: list[tuple[Container, str]] = []
        for package in fulfilment.packages:
            container = Container.objects.create(
                shipment=shipment,
                kind=package.kind if package.kind in ContainerKind.values else "",
                sequence=package.sequence,
                sscc=package.sscc[:40],
                weight=package.weight,
                tracking_number=package.tracking_number,
                description=package.description,
                length=package.dimensions[0] if package.dimensions else None,
                width=package.dimensions[1] if package.dimensions else None,
                height=package.dimensions[2] if package.dimensions else None,
            )
            if package.sscc:
                by_sscc.setdefault(validation.sscc_digits(package.sscc), container)
            if package.parent_sscc:
                pending_parent.append((container, validation.sscc_digits(package.parent_sscc)))
            for sku, units, lot, expiry in package.contents:
                line = line_by_item.get(item_ids.get(sku, ""))
                if line is None or units <= 0:
                    continue  # unknown contents: the contents rule reports the carton
                ContainerItem.objects.create(
                    container=container,
                    po_line=line,
                    quantity=units,
                    lot_number=lot[:40],
                    expiry_date=expiry,
                    due_diligence_reference=package.due_diligence.get(sku, ""),
                )
        for container, parent in pending_parent:
            if parent in by_sscc:
                container.parent = by_sscc[parent]
                container.save(update_fields=["parent"])
        audit_record(
            actor=None,
            action="shipment.built" if created else "shipment.rebuilt",
            subject=shipment,
            after={
                "fulfilment": fulfilment.number or fulfilment.netsuite_id,
                "status": fulfilment.status,
                "containers": len(fulfilment.packages),
            },
        )
        return Built(shipment, dict(fulfilled), rebuilt=True)


def shipment_validate(
    *, shipment: Shipment, fulfilled: dict[int, int], now: datetime
) -> list[validation.Problem]:
    """Run every rule; a shipped fulfilment becomes READY or BLOCKED, a picked one stays PICKED."""
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().select_related("purchase_order").get(pk=shipment.pk)
        if locked.status in SENT_SHIPMENT_STATUSES:
            return []
        shipped = locked.fulfilment_status == "Shipped"
        problems = validation.validate_shipment(locked, fulfilled=fulfilled, now=now if shipped else None)
        before = {"status": locked.status, "problems": len(locked.problems)}
        if not shipped:
            status = ShipmentStatus.PICKED
        else:
            status = ShipmentStatus.BLOCKED if problems else ShipmentStatus.READY
        locked.status = status
        locked.problems = validation.summarise(problems)
        locked.validated_at = timezone.now()
        locked.save(update_fields=["status", "problems", "validated_at"])
        if before != {"status": status, "problems": len(problems)}:
            audit_record(
                actor=None,
                action="shipment.validated",
                subject=locked,
                before=before,
                after={"status": status, "problems": [p.message for p in problems][:20]},
            )
        shipment.status, shipment.problems = locked.status, locked.problems
        return problems


def shipment_queue(*, shipment: Shipment, actor: Any = None) -> Shipment:
    """Send a READY shipment: one outbox message (API or 856 as the shipment's channel says)."""
    _require(actor)
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.status != ShipmentStatus.READY:
            return locked
        attempt = len(locked.errors)  # a resend after a rejection gets a new delivery
        locked.status = ShipmentStatus.QUEUED
        locked.save(update_fields=["status"])
        outbox_enqueue(
            target="amazon",
            operation=SHIPMENT_OPERATION,
            external_key=f"ASN-{locked.shipment_identifier}-{locked.validated_at:%Y%m%d%H%M%S%f}-{attempt}",
            payload={"shipment": str(locked.public_id)},
        )
        audit_record(actor=actor, action="shipment.queued", subject=locked, after={"channel": locked.channel})
        return locked


def _mark_submitted(
    model: type[Shipment] | type[Invoice],
    pk: int,
    status: str,
    action: str,
    *,
    transaction_id: str,
    edi_group_control_number: str,
    edi_file: str,
) -> Any:
    """Sent to Amazon (API transaction id, or the 856/810 file and its group control number): the
    same transition for an ASN and an invoice, audited in its transaction."""
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=pk)
        locked.status = status
        locked.submitted_at = timezone.now()
        locked.transaction_id = transaction_id
        locked.transaction_status = "Processing"
        locked.edi_group_control_number = edi_group_control_number
        locked.edi_file = edi_file
        locked.save()
        audit_record(
            actor=None,
            action=action,
            subject=locked,
            after={"transaction_id": transaction_id, "edi_file": edi_file},
        )
        return locked


def shipment_submitted(
    *, shipment: Shipment, transaction_id: str = "", edi_group_control_number: str = "", edi_file: str = ""
) -> Shipment:
    return _mark_submitted(
        Shipment,
        shipment.pk,
        ShipmentStatus.SUBMITTED,
        "shipment.submitted",
        transaction_id=transaction_id,
        edi_group_control_number=edi_group_control_number,
        edi_file=edi_file,
    )


def shipment_record_outcome(
    *, shipment: Shipment, status: str, errors: Sequence[Mapping[str, Any]] = ()
) -> Shipment:
    """Amazon's verdict (transaction status, or the 997): Success → accepted, Failure → rejected."""
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.transaction_status == status and status != "Failure":
            return locked
        locked.transaction_status = status
        if status == "Success":
            locked.status = ShipmentStatus.ACCEPTED
        elif status == "Failure":
            locked.status = ShipmentStatus.REJECTED
            locked.errors = [*locked.errors, *[dict(e) for e in errors]]
        locked.save(update_fields=["transaction_status", "status", "errors"])
        if status in ("Success", "Failure"):
            _recount_shipped(locked.purchase_order_id)
        audit_record(actor=None, action="shipment.outcome", subject=locked, after={"status": status})
        return locked


def shipment_retry(*, shipment: Shipment, actor: Any = None) -> Shipment:
    """A rejected shipment goes back through validation and is sent again by the next run."""
    _require(actor)
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if locked.status == ShipmentStatus.REJECTED:
            locked.status = ShipmentStatus.BLOCKED
            locked.save(update_fields=["status"])
            audit_record(actor=actor, action="shipment.retry", subject=locked)
        return locked


def _recount_shipped(po_id: int) -> None:
    """PO line shipped quantities (in the line's unit) from the shipments Amazon accepted."""
    totals: dict[int, int] = defaultdict(int)
    for line_id, qty in ContainerItem.objects.filter(
        container__shipment__purchase_order_id=po_id, container__shipment__status=ShipmentStatus.ACCEPTED
    ).values_list("po_line_id", "quantity"):
        totals[line_id] += qty
    for line in PurchaseOrderLine.objects.filter(purchase_order_id=po_id):
        shipped = totals.get(line.pk, 0) // max(line.unit_size, 1)
        if line.shipped_quantity != shipped:
            line.shipped_quantity = shipped
            line.save(update_fields=["shipped_quantity"])


# --- Invoices ------------------------------------------------------------------------------------


def acknowledged_cost(line: PurchaseOrderLine) -> Decimal | None:
    """The cost we acknowledged for the line (per its unit of measure); the PO's cost otherwise."""
    ack_line = (
        AcknowledgementLine.objects.filter(
            po_line=line, acknowledgement__status=AcknowledgementStatus.ACCEPTED, net_cost__isnull=False
        )
        .order_by("-acknowledgement__created_at")
        .first()
    )
    return ack_line.net_cost if ack_line is not None else line.net_cost


def invoice_create(*, shipment: Shipment, invoice_date: date, source: str) -> Invoice | None:
    """The one invoice of an accepted shipment, for what shipped at the acknowledged cost.

    ``source`` "transform" queues the NetSuite transform of the sales order (external id
    ``AMZ-INV-<shipment>``, found again by that id if a retry is unsure); "netsuite" waits for the
    flow to find the invoice the account raised itself. Returns None if it already exists.
    """
    with transaction.atomic():
        locked = Shipment.objects.select_for_update().select_related("purchase_order").get(pk=shipment.pk)
        if Invoice.objects.filter(shipment=locked).exists():
            return None
        po = locked.purchase_order
        units: dict[int, int] = defaultdict(int)
        for line_id, qty in ContainerItem.objects.filter(container__shipment=locked).values_list(
            "po_line_id", "quantity"
        ):
            units[line_id] += qty
        lines = []
        for position, line in enumerate(
            PurchaseOrderLine.objects.filter(pk__in=list(units)).order_by("position"), start=1
        ):
            cost = acknowledged_cost(line)
            if cost is None or cost <= 0:
                raise ValueError(f"PO {po.number} line {line.sequence}: no acknowledged cost to invoice")
            eaches = units[line.pk]
            if line.unit_size > 1 and eaches % line.unit_size == 0:
                qty, uom, size, unit_cost = (
                    eaches // line.unit_size,
                    line.unit_of_measure or "Cases",
                    line.unit_size,
                    cost,
                )
            else:
                size = max(line.unit_size, 1)
                qty, uom, unit_cost = eaches, "Eaches", cost / size
                size = 1
            lines.append(InvoiceLine(po_line=line, sequence=position, quantity=qty, unit_of_measure=uom,
                                     unit_size=size, unit_cost=unit_cost))  # fmt: skip
        total = sum(((ln.unit_cost * ln.quantity) for ln in lines), Decimal(0)).quantize(Decimal("0.01"))
        invoice = Invoice.objects.create(
            shipment=locked,
            purchase_order=po,
            external_id=f"AMZ-INV-{locked.shipment_identifier}",
            invoice_date=invoice_date,
            currency=po.currency or "USD",
            total=total,
            channel=getattr(settings, "ORDERS_INVOICE_CHANNEL", "api"),
            status=InvoiceStatus.NETSUITE,
        )
        for ln in lines:
            ln.invoice = invoice
        InvoiceLine.objects.bulk_create(lines)
        if source == "transform":
            fulfilment = parse_fulfilment(locked.fulfilment)
            seq_to_order_line = {seq: order_line for order_line, _, seq, _ in fulfilment.lines}
            outbox_enqueue(
                target="netsuite",
                operation=INVOICE_NETSUITE_OPERATION,
                external_key=invoice.external_id,
                payload={
                    "invoice": str(invoice.public_id),
                    "external_id": invoice.external_id,
                    "sales_order_id": po.netsuite_sales_order_id or fulfilment.sales_order_id,
                    "record": {
                        "externalId": invoice.external_id,
                        "tranDate": invoice_date.isoformat(),
                        "otherRefNum": po.number,
                        "memo": f"Amazon ASN {locked.shipment_identifier}",
                        "item": {
                            "items": [
                                {
                                    "orderLine": seq_to_order_line[ln.po_line.sequence],
                                    "quantity": ln.quantity * ln.unit_size,
                                }
                                for ln in lines
                                if ln.po_line.sequence in seq_to_order_line
                            ]
                        },
                    },
                },
            )
        audit_record(
            actor=None,
            action="invoice.created",
            subject=invoice,
            after={"shipment": locked.shipment_identifier, "total": str(total), "source": source},
        )
        return invoice


def invoice_netsuite_created(*, invoice: Invoice, netsuite_id: str, number: str) -> Invoice:
    """NetSuite has the invoice: keep its number and queue the submission to Amazon (once)."""
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != InvoiceStatus.NETSUITE:
            return locked
        locked.netsuite_id = netsuite_id
        locked.number = number
        locked.status = InvoiceStatus.QUEUED
        locked.save(update_fields=["netsuite_id", "number", "status"])
        key = f"AMZ-INVSUB-{locked.external_id}"
        # Once per invoice, even when NetSuite's answer is learnt twice (lookup after a retry).
        if not OutboxMessage.objects.filter(external_key=key).exists():
            outbox_enqueue(
                target="amazon",
                operation=INVOICE_OPERATION,
                external_key=key,
                payload={"invoice": str(locked.public_id)},
            )
        audit_record(
            actor=None,
            action="invoice.netsuite_created",
            subject=locked,
            after={"number": number, "id": netsuite_id},
        )
        return locked


def invoice_submitted(
    *, invoice: Invoice, transaction_id: str = "", edi_group_control_number: str = "", edi_file: str = ""
) -> Invoice:
    return _mark_submitted(
        Invoice,
        invoice.pk,
        InvoiceStatus.SUBMITTED,
        "invoice.submitted",
        transaction_id=transaction_id,
        edi_group_control_number=edi_group_control_number,
        edi_file=edi_file,
    )


def invoice_record_outcome(
    *, invoice: Invoice, status: str, errors: Sequence[Mapping[str, Any]] = ()
) -> Invoice:
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.transaction_status == status:
            return locked
        locked.transaction_status = status
        if status == "Success":
            locked.status = InvoiceStatus.ACCEPTED
        elif status == "Failure":
            locked.status = InvoiceStatus.FAILED
            locked.errors = [*locked.errors, *[dict(e) for e in errors]]
        locked.save(update_fields=["transaction_status", "status", "errors"])
        audit_record(actor=None, action="invoice.outcome", subject=locked, after={"status": status})
        return locked


# --- Receipts and the PO window ------------------------------------------------------------------


def po_lines_received(*, po: PurchaseOrder, received: Mapping[str, int]) -> int:
    """Amazon's received quantity per line (by sequence, in the line's unit); returns lines changed."""
    changed = []
    with transaction.atomic():
        for line in PurchaseOrderLine.objects.select_for_update().filter(purchase_order=po):
            key = line.sequence.lstrip("0") or "0"
            value = received.get(key)
            if value is not None and value != line.received_quantity:
                changed.append({"line": line.sequence, "before": line.received_quantity, "after": value})
                line.received_quantity = value
                line.save(update_fields=["received_quantity"])
        if changed:
            audit_record(actor=None, action="purchase_order.received", subject=po, after={"lines": changed})
    return len(changed)


def po_close_open_lines(*, po: PurchaseOrder) -> bool:
    """At the end of the ship window: close what was not shipped, in NetSuite through the outbox.

    Records the closed quantity on each line (accepted + backordered − shipped − already closed)
    and queues one message that patches the sales order's lines ``isClosed``. Once per PO.
    """
    with transaction.atomic():
        locked = PurchaseOrder.objects.select_for_update().get(pk=po.pk)
        closing = []
        for line in locked.lines.filter(cancelled=False):
            open_units = (
                line.accepted_quantity
                + line.backordered_quantity
                - line.shipped_quantity
                - line.closed_quantity
            )
            if open_units > 0:
                line.closed_quantity += open_units
                line.save(update_fields=["closed_quantity"])
                closing.append({"sequence": line.sequence, "quantity": open_units})
        if not closing:
            return False
        outbox_enqueue(
            target="netsuite",
            operation=CLOSE_LINES_OPERATION,
            external_key=f"AMZ-PO-{locked.number}-close-{locked.revision}",
            payload={
                "purchase_order": str(locked.public_id),
                "sales_order_id": locked.netsuite_sales_order_id,
                "lines": [c["sequence"] for c in closing],
            },  # fmt: skip
        )
        audit_record(
            actor=None, action="purchase_order.window_closed", subject=locked, after={"closed": closing}
        )
        return True
