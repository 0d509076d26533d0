"""Builders for shortage-evidence tests: a shipment as the orders-out flows leave it, and a claim.

The shipment rows are what ``orders.outbound`` writes (PO → Shipment → Container → ContainerItem,
Invoice → InvoiceLine, received quantities on the PO lines); the claim arrives through the real
remittance importer (CSV), classified by the seeded rules.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal

from stdnum import ean

from orders.models import PurchaseOrder, PurchaseOrderLine, VendorCode
from orders.outbound_models import (
    Container,
    ContainerItem,
    ContainerKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Shipment,
    ShipmentStatus,
)
from reconciliation.models import Remittance, RemittanceLine

from .test_import import csv_bytes, run

_serial = itertools.count(1)


def sscc() -> str:
    """A fresh, valid SSCC-18 (GS1 mod-10 check digit)."""
    body = f"0{'0614141'}{next(_serial):09d}"
    return body + ean.calc_check_digit(body)


def shipment(
    po_number: str,
    lines: list[tuple[str, int, str]],
    *,
    received: dict[str, int] | None = None,
    status: str = ShipmentStatus.ACCEPTED,
    cartons_per_line: int = 2,
    invoice_number: str | None = None,
    fc: str = "ABE8",
) -> Shipment:
    """One PO fully shipped in ``cartons_per_line`` cartons per line and invoiced at ``cost``.

    ``lines``: (sequence, eaches, unit cost); ``received``: Amazon's received eaches per sequence.
    """
    vendor, _ = VendorCode.objects.get_or_create(code="VSYNC")
    po = PurchaseOrder.objects.create(
        vendor_code=vendor,
        number=po_number,
        ordered_at=datetime(2026, 11, 1, tzinfo=UTC),
        source="api",
        ship_to=fc,
        status="acknowledged",
    )
    n = next(_serial)
    ship = Shipment.objects.create(
        shipment_identifier=f"ASN-{po_number}",
        vendor_code=vendor,
        purchase_order=po,
        netsuite_fulfilment_id=f"IF{n}",
        status=status,
        shipped_at=datetime(2026, 11, 5, 12, tzinfo=UTC),
        carrier_scac="UPSN",
        bill_of_lading=f"BOL{n}",
        pro_number=f"PRO{n}",
        ship_to=fc,
        transaction_status="Success" if status == ShipmentStatus.ACCEPTED else "",
    )
    invoice = Invoice.objects.create(
        shipment=ship,
        purchase_order=po,
        external_id=f"AMZ-INV-{ship.shipment_identifier}",
        number=invoice_number or f"INV-{po_number}",
        invoice_date=date(2026, 11, 6),
        total=sum((Decimal(cost) * units for _, units, cost in lines), Decimal(0)),
        status=InvoiceStatus.ACCEPTED,
    )
    sequence = itertools.count(1)
    for position, (seq, units, cost) in enumerate(lines, start=1):
        po_line = PurchaseOrderLine.objects.create(
            purchase_order=po,
            position=position,
            sequence=seq,
            asin=f"B0{seq:0>8}",
            ordered_quantity=units,
            ordered_eaches=units,
            net_cost=Decimal(cost),
            accepted_quantity=units,
            shipped_quantity=units,
            received_quantity=(received or {}).get(seq, units),
        )
        per_carton = [units // cartons_per_line] * cartons_per_line
        per_carton[-1] += units - sum(per_carton)
        for carton_units in per_carton:
            container = Container.objects.create(
                shipment=ship,
                kind=ContainerKind.CARTON,
                sequence=next(sequence),
                sscc=sscc(),
                weight=Decimal("12.5"),
            )
            ContainerItem.objects.create(container=container, po_line=po_line, quantity=carton_units)
        InvoiceLine.objects.create(
            invoice=invoice, po_line=po_line, sequence=position, quantity=units, unit_cost=Decimal(cost)
        )
    return ship


def claim(*rows: tuple[str, str], payment: str = "P300", paid: str = "11/30/2026") -> list[RemittanceLine]:
    """Import a payment whose lines are (document number, amount) — claims are negative amounts."""
    total = sum((Decimal(amount) for _, amount in rows), Decimal(0))
    body = csv_bytes(
        *(
            f'{payment},{paid},"{total}",USD,{doc},{paid},Line,"{amount}",0.00,"{amount}"'
            for doc, amount in rows
        )
    )
    batch = run(body, name=f"{payment}.csv")
    assert batch.status == "imported", batch.errors
    remittance = Remittance.objects.get(payment_number=payment)
    return list(remittance.lines.order_by("sequence"))
