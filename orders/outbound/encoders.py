"""The one outbound model encoded two ways: ``submitShipmentConfirmations`` / ``submitInvoices`` JSON
and the X12 856 (5010) / 810 (4010).

Both channels share one value per document: the rows become the Amazon connector's
``ShipmentConfirmation`` / ``Invoice`` here, and the API client sends that value as JSON while the
EDI connector writes the very same value as an 856 / 810 — so the two paths cannot disagree, and
there is no second ASN or invoice type to keep in step. The only X12 extra passed alongside is the
product ids to echo (an 850's own qualifiers, ``orders.edi.product_ids``). Item numbering: shipped
items are numbered "001"… per PO line in PO order (also LIN01 in the 856); cartons "001"… in
fulfilment order; SSCCs are sent in the 20-character ``00`` + SSCC-18 form; invoice items by the
invoice line's sequence (also IT101).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings

from orders import edi as orders_edi
from orders.models import PurchaseOrderLine
from orders.outbound.validation import sscc_digits
from orders.outbound_models import Container, ContainerItem, ContainerKind, Invoice, Shipment
from vendorsync import edi as x12
from vendorsync.amazon import values as api
from vendorsync.edi.x12 import ControlNumbers
from vendorsync.edi_numbers import next_control_numbers


class _Tree:
    """The shipment's containers and contents, read once (three queries)."""

    def __init__(self, shipment: Shipment) -> None:
        self.shipment = shipment
        self.containers = list(Container.objects.filter(shipment=shipment).order_by("sequence", "id"))
        self.items: dict[int, list[ContainerItem]] = defaultdict(list)
        for item in (
            ContainerItem.objects.filter(container__shipment=shipment)
            .select_related("po_line")
            .order_by("id")
        ):
            self.items[item.container_id].append(item)
        lines = {i.po_line_id: i.po_line for items in self.items.values() for i in items}
        self.lines: list[PurchaseOrderLine] = sorted(lines.values(), key=lambda line: line.position)
        self.reference = {line.pk: f"{n:03d}" for n, line in enumerate(self.lines, start=1)}
        self.pallets = [c for c in self.containers if c.kind == ContainerKind.PALLET]
        self.cartons = [c for c in self.containers if c.kind == ContainerKind.CARTON]
        self.cartons_on = {p.pk: [c for c in self.cartons if c.parent_id == p.pk] for p in self.pallets}
        self.loose_cartons = [c for c in self.cartons if c.parent_id is None]

    def units(self, line: PurchaseOrderLine) -> int:
        return sum(i.quantity for items in self.items.values() for i in items if i.po_line_id == line.pk)

    def gross_weight(self) -> Decimal:
        """Pallets weigh what is on them; cartons count only when loose."""
        top = [c for c in self.containers if c.parent_id is None]
        return sum((c.weight or Decimal(0) for c in top), Decimal(0))


def _sscc20(container: Container) -> str:
    return "00" + sscc_digits(container.sscc)


def _weight(container: Container) -> api.Weight | None:
    return api.Weight(container.weight, container.weight_unit) if container.weight is not None else None


def _dimensions(container: Container) -> api.Dimensions | None:
    if container.length is None or container.width is None or container.height is None:
        return None
    return api.Dimensions(container.length, container.width, container.height, container.dimension_unit)


def _details(line: PurchaseOrderLine, item: ContainerItem | None, po_number: str) -> api.ItemDetails:
    return api.ItemDetails(
        purchase_order_number=po_number,
        regulation_references=api.RegulationReferences(due_diligence_reference=item.due_diligence_reference)
        if item and item.due_diligence_reference
        else None,
        lot_number=(item.lot_number or None) if item else None,
        expiry=api.Expiry(
            expiry_date=datetime(
                item.expiry_date.year, item.expiry_date.month, item.expiry_date.day, tzinfo=UTC
            )
        )
        if item and item.expiry_date
        else None,
    )


def to_shipment_confirmation(shipment: Shipment, *, at: datetime) -> api.ShipmentConfirmation:
    """The ASN as ``submitShipmentConfirmations`` wants it; the PO number is given on every item."""
    return _confirmation(_Tree(shipment), at)


def _confirmation(tree: _Tree, at: datetime) -> api.ShipmentConfirmation:
    shipment = tree.shipment
    po = shipment.purchase_order.number
    shipped_items = tuple(
        api.ShippedItem(
            item_sequence_number=tree.reference[line.pk],
            shipped_quantity=api.ItemQuantity(tree.units(line), "Eaches", 1),
            amazon_product_identifier=line.asin or None,
            vendor_product_identifier=line.vendor_product_id or None,
            item_details=api.ItemDetails(purchase_order_number=po),
        )
        for line in tree.lines
    )

    def contents(container: Container) -> tuple[api.ContainerItem, ...]:
        return tuple(
            api.ContainerItem(
                item_reference=tree.reference[item.po_line_id],
                shipped_quantity=api.ItemQuantity(item.quantity, "Eaches", 1),
                item_details=_details(item.po_line, item, po)
                if (item.lot_number or item.expiry_date or item.due_diligence_reference)
                else None,
            )
            for item in tree.items.get(container.pk, [])
        )

    carton_numbers = {c.pk: f"{n:03d}" for n, c in enumerate(tree.cartons, start=1)}
    cartons = tuple(
        api.Carton(
            carton_sequence_number=carton_numbers[c.pk],
            items=contents(c),
            carton_identifiers=(api.ContainerIdentification("SSCC", _sscc20(c)),),
            dimensions=_dimensions(c),
            weight=_weight(c),
            tracking_number=c.tracking_number or None,
        )
        for c in tree.cartons
    )
    pallets = tuple(
        api.Pallet(
            pallet_identifiers=(api.ContainerIdentification("SSCC", _sscc20(p)),),
            dimensions=_dimensions(p),
            weight=_weight(p),
            carton_reference_numbers=tuple(carton_numbers[c.pk] for c in tree.cartons_on[p.pk]),
            carton_count=len(tree.cartons_on[p.pk]) if tree.cartons_on[p.pk] else None,
            items=contents(p),
        )
        for p in tree.pallets
    )
    transport = None
    if shipment.carrier_scac or shipment.bill_of_lading or shipment.pro_number:
        transport = api.TransportationDetails(
            carrier_scac=shipment.carrier_scac or None,
            carrier_shipment_reference_number=shipment.pro_number or None,
            transportation_mode="Road",
            bill_of_lading_number=shipment.bill_of_lading or None,
        )
    return api.ShipmentConfirmation(
        shipment_identifier=shipment.shipment_identifier,
        shipment_confirmation_type="Original",
        shipment_confirmation_date=at,
        selling_party=api.Party(shipment.vendor_code.code),
        ship_from_party=api.Party(shipment.ship_from),
        ship_to_party=api.Party(shipment.ship_to),
        shipped_items=shipped_items,
        shipment_type="SmallParcel" if not pallets else "LessThanTruckLoad",
        shipment_structure="PalletizedAssortmentCase" if pallets else "LooseAssortmentCase",
        transportation_details=transport,
        shipped_date=shipment.shipped_at,
        shipment_measurements=api.ShipmentMeasurements(
            gross_shipment_weight=api.Weight(tree.gross_weight(), "Lb"),
            carton_count=len(tree.cartons),
            pallet_count=len(tree.pallets),
        ),
        cartons=cartons,
        pallets=pallets,
        import_details=_import_details(shipment),
    )


def _import_details(shipment: Shipment) -> api.ShipmentImportDetails | None:
    """Direct-import POs: the PO's method of payment and containers, echoed on the ASN."""
    details = shipment.import_details or {}
    if not details:
        return None
    return api.ShipmentImportDetails(
        method_of_payment=details.get("method_of_payment") or None,
        import_containers=details.get("import_containers") or None,
        handling_instructions=details.get("shipping_instructions") or None,
    )


def render_856(shipment: Shipment, *, at: datetime) -> tuple[str, ControlNumbers]:
    """The same ``ShipmentConfirmation`` as the API path, written as an 856 (S → O → T → P → I)."""
    tree = _Tree(shipment)
    numbers = next_control_numbers()
    text = x12.write_856(
        _confirmation(tree, at),
        envelope=orders_edi.envelope(),
        control_numbers=numbers,
        at=at,
        product_ids={tree.reference[line.pk]: orders_edi.product_ids(line) for line in tree.lines},
    )
    return text, numbers


# --- Invoices ------------------------------------------------------------------------------------


def remit_to() -> str:
    return getattr(settings, "ORDERS_REMIT_TO_PARTY", "") or ""


def to_api_invoice(invoice: Invoice) -> api.Invoice:
    po = invoice.purchase_order
    vendor = po.vendor_code.code
    lines = list(invoice.lines.select_related("po_line").order_by("sequence"))
    items = tuple(
        api.InvoiceItem(
            item_sequence_number=line.sequence,
            invoiced_quantity=api.ItemQuantity(line.quantity, line.unit_of_measure, line.unit_size),
            net_cost=api.Money(line.unit_cost.normalize(), invoice.currency),
            amazon_product_identifier=line.po_line.asin or None,
            vendor_product_identifier=line.po_line.vendor_product_id or None,
            purchase_order_number=po.number,
        )
        for line in lines
    )
    at = datetime(
        invoice.invoice_date.year, invoice.invoice_date.month, invoice.invoice_date.day, 12, tzinfo=UTC
    )

    return api.Invoice(
        invoice_type="Invoice",
        id=invoice.number,
        date=at,
        remit_to_party=api.Party(remit_to() or vendor),
        invoice_total=api.Money(invoice.total, invoice.currency),
        ship_to_party=api.Party(po.ship_to) if po.ship_to else None,
        bill_to_party=api.Party(po.bill_to_party) if po.bill_to_party else None,
        items=items,
    )


def render_810(invoice: Invoice, *, at: datetime) -> tuple[str, ControlNumbers]:
    """The same ``Invoice`` as the API path, written as an 810."""
    numbers = next_control_numbers()
    lines = invoice.lines.select_related("po_line")
    text = x12.write_810(
        to_api_invoice(invoice),
        envelope=orders_edi.envelope(),
        control_numbers=numbers,
        at=at,
        product_ids={line.sequence: orders_edi.product_ids(line.po_line) for line in lines},
    )
    return text, numbers
