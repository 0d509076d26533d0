"""Reads for the shipment and invoice pages: the container tree and shipped vs received per line."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from orders.models import PurchaseOrderLine
from orders.outbound_models import Container, ContainerItem, Invoice, InvoiceLine, Shipment


def shipment_detail(shipment: Shipment) -> dict[str, Any]:
    """Containers as a tree (pallets with their cartons, then loose cartons), contents, and per PO
    line: shipped here, invoiced, received by Amazon, and the predicted shortage (invoiced − received)."""
    containers = list(Container.objects.filter(shipment=shipment).order_by("sequence"))
    items: dict[int, list[ContainerItem]] = defaultdict(list)
    for item in ContainerItem.objects.filter(container__shipment=shipment).select_related("po_line"):
        items[item.container_id].append(item)
    children: dict[int | None, list[Container]] = defaultdict(list)
    for container in containers:
        children[container.parent_id].append(container)

    def node(container: Container) -> dict[str, Any]:
        return {"container": container, "items": items.get(container.pk, []),
                "children": [node(c) for c in children.get(container.pk, [])]}  # fmt: skip

    shipped: dict[int, int] = defaultdict(int)
    for contents in items.values():
        for item in contents:
            shipped[item.po_line_id] += item.quantity
    invoiced = {
        ln.po_line_id: ln.quantity * ln.unit_size
        for ln in InvoiceLine.objects.filter(invoice__shipment=shipment)
    }
    return {
        "shipment": shipment,
        "tree": [node(c) for c in children.get(None, [])],
        "lines": line_rows(PurchaseOrderLine.objects.filter(pk__in=list(shipped)), shipped, invoiced),
        "invoice": Invoice.objects.filter(shipment=shipment).first(),
    }


def line_rows(lines: Any, shipped: dict[int, int], invoiced: dict[int, int]) -> list[dict[str, Any]]:
    rows = []
    for line in lines.order_by("position"):
        received = line.received_quantity * line.unit_size
        billed = invoiced.get(line.pk)
        rows.append(
            {
                "line": line,
                "shipped": shipped.get(line.pk, 0),
                "invoiced": billed,
                "received": received,
                "shortage": max((billed or 0) - received, 0) if billed is not None else None,
            }
        )
    return rows


def purchase_order_shortages(po_id: int) -> list[dict[str, Any]]:
    """Per PO line (eaches): invoiced in all invoices vs received — a predicted shortage claim."""
    invoiced: dict[int, int] = defaultdict(int)
    for line_id, qty, size in InvoiceLine.objects.filter(invoice__purchase_order_id=po_id).values_list(
        "po_line_id", "quantity", "unit_size"
    ):
        invoiced[line_id] += qty * size
    shipped: dict[int, int] = defaultdict(int)
    for line_id, qty in ContainerItem.objects.filter(
        container__shipment__purchase_order_id=po_id
    ).values_list("po_line_id", "quantity"):
        shipped[line_id] += qty
    rows = line_rows(PurchaseOrderLine.objects.filter(purchase_order_id=po_id), shipped, invoiced)
    return [r for r in rows if r["shortage"]]
