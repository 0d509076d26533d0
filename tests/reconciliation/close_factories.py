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


def year_of_data(*, invoices_per_month: int = 30, asins: int = 40, year: int = 2026) -> None:
    """Twelve months of invoices (three lines each over ``asins`` products) and weekly payments that
    pay them net of shortage and price claims, reversals, co-op and chargebacks — written in bulk."""
    from reconciliation.models import ImportBatch, LineStatus, LineType, Remittance, RemittanceLine

    batch = ImportBatch.objects.create(name="year", door="command", checksum="year", status="imported")
    for month in range(1, 13):
        numbers = []
        for i in range(invoices_per_month):
            number = f"Y{month:02d}-{i:04d}"
            make_invoice(
                number,
                date(year, month, 1 + i % 27),
                L(f"B{(i * 3) % asins:03d}", 10, "4.25", received=9 if i % 5 == 0 else None),
                L(f"B{(i * 3 + 1) % asins:03d}", 5, "7.10", po_cost="7.00" if i % 7 == 0 else None),
                L(f"B{(i * 3 + 2) % asins:03d}", 2, "19.99"),
                fc=("ABE2", "PHX6", "ONT8")[i % 3],
            )
            numbers.append(number)
        for week in range(4):
            rows = []
            for number in numbers[week::4]:
                rows.append((number, Decimal("113.48"), LineType.INVOICE, ""))
                if number.endswith(("0", "5")):
                    rows.append((f"{number}SC", Decimal("-4.25"), LineType.SHORTAGE, number))
                    rows.append((f"{number}SCR", Decimal("4.25"), LineType.SHORTAGE_REVERSAL, number))
                if number.endswith("7"):
                    rows.append((f"{number}PC", Decimal("-0.50"), LineType.PRICE_CLAIM, number))
            rows.append((f"{month}{week}VCBSINV", Decimal("-25.00"), LineType.CHARGEBACK, ""))
            rows.append((f"{month}{week}-COOP", Decimal("-30.00"), LineType.COOP, ""))
            total = sum((r[1] for r in rows), Decimal(0))
            remittance = Remittance.objects.create(
                payment_number=f"PAY{month:02d}{week}",
                payment_date=date(year, month, 7 * week + 5),
                amount=total,
                source="csv",
                batch=batch,
                file_checksum=f"y{month}{week}",
                line_count=len(rows),
                lines_total=total,
            )
            RemittanceLine.objects.bulk_create(
                [
                    RemittanceLine(
                        remittance=remittance,
                        sequence=seq,
                        document_number=doc,
                        amount_paid=amount,
                        invoice_amount=amount,
                        line_type=kind,
                        base_invoice_number=base,
                        status=LineStatus.OK if kind == LineType.INVOICE else LineStatus.CODED,
                        match_status="matched",
                    )
                    for seq, (doc, amount, kind, base) in enumerate(rows, 1)
                ]
            )
