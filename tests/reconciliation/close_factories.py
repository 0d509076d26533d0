"""Orders-side facts for the close, profitability and analytics tests: invoices with their PO
lines (shipped, received, PO cost), written straight to the tables (bulk, so a year is quick)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from orders.models import Invoice, InvoiceLine, PurchaseOrder, PurchaseOrderLine, Shipment, VendorCode

_serial = itertools.count(1)


@dataclass(frozen=True)
class L:
    asin: str
    qty: int
    cost: str
    received: int | None = None  # default: all of it
    po_cost: str | None = None  # default: the invoiced cost


def make_invoice(number: str, when: date, *lines: L, fc: str = "ABE2") -> Invoice:
    vendor, _ = VendorCode.objects.get_or_create(code="VEND1")
    n = next(_serial)
    po = PurchaseOrder.objects.create(
        vendor_code=vendor,
        number=f"PO{n:06d}",
        ordered_at=datetime(when.year, when.month, when.day, tzinfo=UTC),
        source="api",
        ship_to=fc,
    )
    po_lines = PurchaseOrderLine.objects.bulk_create(
        [
            PurchaseOrderLine(
                purchase_order=po,
                position=i,
                sequence=str(i),
                asin=ln.asin,
                ordered_quantity=ln.qty,
                ordered_eaches=ln.qty,
                accepted_quantity=ln.qty,
                shipped_quantity=ln.qty,
                received_quantity=ln.qty if ln.received is None else ln.received,
                net_cost=Decimal(ln.po_cost or ln.cost),
            )
            for i, ln in enumerate(lines, 1)
        ]
    )
    shipment = Shipment.objects.create(
        shipment_identifier=f"S{n:08d}",
        vendor_code=vendor,
        purchase_order=po,
        netsuite_fulfilment_id=f"IF{n}",
        ship_to=fc,
    )
    total = sum((Decimal(ln.cost) * ln.qty for ln in lines), Decimal(0)).quantize(Decimal("0.01"))
    invoice = Invoice.objects.create(
        shipment=shipment,
        purchase_order=po,
        external_id=f"INV-EXT-{n}",
        number=number,
        invoice_date=when,
        total=total,
        status="accepted",
    )
    InvoiceLine.objects.bulk_create(
        [
            InvoiceLine(invoice=invoice, po_line=pl, sequence=i, quantity=ln.qty, unit_cost=Decimal(ln.cost))
            for i, (pl, ln) in enumerate(zip(po_lines, lines, strict=True), 1)
        ]
    )
    return invoice
