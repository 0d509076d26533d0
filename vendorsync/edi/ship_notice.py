"""856 Ship Notice/Manifest (vendor → Amazon, X12 5010), written from and read back into the
Vendor Shipments API's ``ShipmentConfirmation`` — one ASN type for both channels.

Hierarchy (HL03): S shipment → O order (PRF01 = PO number) → T tare/pallet → P pack/carton →
I item. Pallets and cartons carry ``MAN*GM*<00 + SSCC-18>`` (20 characters, the value on the
label). Cartons may also sit directly under the order (SOPI) and items directly under a pallet
(SOTI) or the order (SOI, only when the confirmation has no containers). HL01 numbers run
depth-first, HL02 points at the parent, and CTT01 is the number of HL segments.

Mapping (reference §9.4, §9.9): ``BSN`` purpose (Original 00, Replace 05), shipment identifier and
the confirmation date; ``DTM*011`` shipped date; ``TD1`` packaging (PLT94 with pallets, else CTN25),
lading quantity (pallets, else cartons) and gross weight; ``TD5`` SCAC and transport mode (Road M,
Air A, Ocean S); ``REF*BM`` bill of lading, ``REF*CN`` PRO, ``REF*AO`` Amazon reference; ``DTM*017``
estimated delivery; ``N1*SF``/``N1*ST`` ship-from/ship-to (N102 from the party's address name, N104
the party id). Each container goes under the PO of its contents (an item's PO is its container
item's ``itemDetails.purchaseOrderNumber``, else its shipped item's): a container holding two POs
cannot be written. Items: ``LIN01`` the shipped item's ``itemSequenceNumber`` (the reference the
API's cartons use), product ids from the shipped item (``product_ids_for``) unless the caller passes
the 850's own, ``SN1`` quantity (Eaches EA, Cases CA), ``REF*LT`` lot and ``DTM*036`` expiry.
Container weights, dimensions and tracking numbers, ``regulationReferences`` and ``importDetails``
have no segment here; the selling party is the interchange sender.

SSCCs and GTINs are checked strictly when writing (a bad check digit raises ``ValueError``
naming the pallet/carton) and leniently when reading (warnings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from vendorsync.amazon import values as api
from vendorsync.edi._common import (
    count_check,
    party_segments,
    product_id_elements,
    product_ids_for,
    read_party,
    read_product_ids,
    read_transaction_sets,
    split_product_ids,
)
from vendorsync.edi.errors import X12Warning
from vendorsync.edi.gs1 import sscc_for_asn, sscc_problem
from vendorsync.edi.values import EnvelopeInfo, N1Loop, ProductId, ReadResult
from vendorsync.edi.x12 import (
    X12_5010,
    ControlNumberSource,
    OutboundEnvelope,
    Segment,
    SegmentData,
    TransactionSet,
    render_interchange,
    x12_date,
    x12_time,
)

PURPOSE = {"Original": "00", "Replace": "05"}
TRANSPORT_METHOD = {"Road": "M", "Air": "A", "Ocean": "S"}
WEIGHT_UNIT = {"Lb": "LB", "Kg": "KG"}
UNIT = {"Eaches": "EA", "Cases": "CA"}


@dataclass(frozen=True)
class EdiShipNotice:
    """An 856 read back: ``confirmation`` is the API value; the rest is what only X12 carries.

    The 856 names no selling party, so ``confirmation.selling_party`` has an empty id. Cartons are
    numbered "001"… in document order; shipped items carry LIN01 as their sequence number.
    """

    confirmation: api.ShipmentConfirmation
    product_ids: Mapping[str, tuple[ProductId, ...]]  # LIN pairs by shipped item
    ship_from: N1Loop
    ship_to: N1Loop
    packaging_code: str = ""  # TD101
    lading_quantity: int = 0  # TD102
    envelope: EnvelopeInfo | None = field(default=None, compare=False)
    warnings: tuple[X12Warning, ...] = field(default=(), compare=False)


class _Numberer:
    def __init__(self) -> None:
        self.count = 0

    def next(self, parent: int | None, level: str) -> tuple[int, SegmentData]:
        self.count += 1
        return self.count, ("HL", self.count, parent, level)


def _sscc(identifiers: Sequence[api.ContainerIdentification], what: str) -> str:
    for identifier in identifiers:
        if identifier.container_identification_type == "SSCC":
            return identifier.container_identification_number
    raise ValueError(f"{what}: no SSCC identifier (the 856 needs MAN*GM)")


def _po(details: api.ItemDetails | None) -> str | None:
    return details.purchase_order_number if details and details.purchase_order_number else None


def build_856_body(
    confirmation: api.ShipmentConfirmation,
    *,
    product_ids: Mapping[str, Sequence[ProductId]] | None = None,
) -> list[SegmentData]:
    """The 856 segments between ST and SE, with HL numbering and parent links.

    ``product_ids`` (by shipped item sequence number) replaces the ids derived from the shipped
    item, so a PO that came by 850 gets its own qualifiers echoed.
    """
    sc = confirmation
    asn = sc.shipment_identifier
    if not asn.strip():
        raise ValueError("856: shipment identifier (BSN02) is empty")
    if not sc.shipped_items:
        raise ValueError(f"856 {asn}: no shipped items")
    measurements = sc.shipment_measurements
    weight = measurements.gross_shipment_weight if measurements else None
    if weight is None or weight.value <= 0:
        raise ValueError(f"856 {asn}: gross shipment weight must be given and positive (TD107)")
    if weight.unit_of_measure not in WEIGHT_UNIT:
        raise ValueError(f"856 {asn}: weight unit {weight.unit_of_measure!r} is not one of Lb, Kg (TD108)")
    shipped = {item.item_sequence_number: item for item in sc.shipped_items}
    cartons = {carton.carton_sequence_number: carton for carton in sc.cartons}
    pallet_of: dict[str, int] = {}
    for number, pallet in enumerate(sc.pallets, start=1):
        for reference in pallet.carton_reference_numbers:
            if reference not in cartons:
                raise ValueError(f"856 {asn} pallet {number}: carton reference {reference!r} is unknown")
            if reference in pallet_of:
                raise ValueError(
                    f"856 {asn}: carton {reference} is on pallets {pallet_of[reference]} and {number}"
                )
            pallet_of[reference] = number

    def item_of(content: api.ContainerItem, what: str) -> api.ShippedItem:
        item = shipped.get(content.item_reference)
        if item is None:
            raise ValueError(f"{what}: item reference {content.item_reference!r} is not a shipped item")
        return item

    def po_of(content: api.ContainerItem, what: str) -> str:
        po = _po(content.item_details) or _po(item_of(content, what).item_details)
        if po is None:
            raise ValueError(f"{what}: item {content.item_reference} names no purchase order")
        return po

    def one_po(contents: Sequence[api.ContainerItem], what: str) -> str:
        pos = {po_of(content, what) for content in contents}
        if len(pos) != 1:
            named = ", ".join(sorted(pos)) or "none"
            raise ValueError(
                f"856 {asn} {what}: holds items of POs {named}; an 856 puts each container under one PO"
            )
        return pos.pop()

    # Every shipped unit is in a container, or (an ASN without containers) none is.
    contained: dict[str, int] = {}
    all_contents = [
        *(c for carton in sc.cartons for c in carton.items),
        *(c for pallet in sc.pallets for c in pallet.items),
    ]
    for content in all_contents:
        item_of(content, f"856 {asn}")
        contained[content.item_reference] = (
            contained.get(content.item_reference, 0) + content.shipped_quantity.eaches
        )
    if sc.cartons or sc.pallets:
        for reference, item in shipped.items():
            if contained.get(reference, 0) != item.shipped_quantity.eaches:
                raise ValueError(
                    f"856 {asn} item {reference}: {item.shipped_quantity.eaches} units shipped, "
                    f"{contained.get(reference, 0)} in cartons and pallets"
                )

    orders: dict[str, dict[str, list]] = {}

    def order(po: str) -> dict[str, list]:
        return orders.setdefault(po, {"pallets": [], "cartons": [], "items": []})

    for item in sc.shipped_items:  # POs in the order their first item appears
        po = _po(item.item_details)
        if po is not None:
            order(po)
    for number, pallet in enumerate(sc.pallets, start=1):
        contents = [
            *pallet.items,
            *(c for ref in pallet.carton_reference_numbers for c in cartons[ref].items),
        ]
        if not contents:
            raise ValueError(f"856 {asn} pallet {number}: pallet is empty")
        order(one_po(contents, f"pallet {number}"))["pallets"].append(pallet)
    for carton in sc.cartons:
        if not carton.items:
            raise ValueError(f"856 {asn} carton {carton.carton_sequence_number}: carton has no items")
        po = one_po(carton.items, f"carton {carton.carton_sequence_number}")
        if carton.carton_sequence_number not in pallet_of:
            order(po)["cartons"].append(carton)
    if not (sc.cartons or sc.pallets):
        for item in sc.shipped_items:
            po = _po(item.item_details)
            if po is None:
                raise ValueError(f"856 {asn} item {item.item_sequence_number}: names no purchase order")
            order(po)["items"].append(api.ContainerItem(item.item_sequence_number, item.shipped_quantity))

    seen_sscc: dict[str, str] = {}

    def man(identifiers: Sequence[api.ContainerIdentification], what: str) -> SegmentData:
        value = sscc_for_asn(_sscc(identifiers, f"856 {asn} {what}"), f"856 {asn} {what}")
        if value in seen_sscc:
            raise ValueError(f"856 {asn} {what}: SSCC {value} is already used by {seen_sscc[value]}")
        seen_sscc[value] = what
        return ("MAN", "GM", value)

    def item_segments(content: api.ContainerItem, what: str) -> list[SegmentData]:
        item = item_of(content, what)
        quantity = content.shipped_quantity
        if quantity.amount <= 0:
            raise ValueError(f"{what}: shipped quantity {quantity.amount} must be positive")
        unit = UNIT.get(quantity.unit_of_measure or "")
        if unit is None:
            raise ValueError(f"{what}: unit {quantity.unit_of_measure!r} is not Eaches or Cases")
        ids = (product_ids or {}).get(item.item_sequence_number) or product_ids_for(
            item.amazon_product_identifier, item.vendor_product_identifier
        )
        out: list[SegmentData] = [
            ("LIN", item.item_sequence_number, *product_id_elements(ids, what)),
            ("SN1", None, quantity.amount, unit),
        ]
        details = content.item_details or item.item_details
        if details and details.lot_number:
            out.append(("REF", "LT", details.lot_number))
        if details and details.expiry and details.expiry.expiry_date:
            out.append(("DTM", "036", x12_date(details.expiry.expiry_date.date())))
        return out

    at = sc.shipment_confirmation_date
    shipped_at = sc.shipped_date or at
    body: list[SegmentData] = [
        ("BSN", PURPOSE[sc.shipment_confirmation_type], asn, x12_date(at.date()), x12_time(at.time())),
        ("DTM", "011", x12_date(shipped_at.date()), x12_time(shipped_at.time())),
    ]
    hl = _Numberer()
    shipment_id, segment = hl.next(None, "S")
    body.append(segment)
    pallet_count = len(sc.pallets) or (measurements.pallet_count if measurements else None) or 0
    carton_count = len(sc.cartons) or (measurements.carton_count if measurements else None) or 0
    lading = pallet_count or carton_count
    if lading <= 0:
        raise ValueError(f"856 {asn}: lading quantity (pallets, else cartons) must be positive (TD102)")
    body.append(
        (
            "TD1",
            "PLT94" if pallet_count else "CTN25",
            lading,
            None,
            None,
            None,
            "G",
            weight.value,
            WEIGHT_UNIT[weight.unit_of_measure],
        )
    )
    transport = sc.transportation_details
    if transport and transport.carrier_scac:
        mode = TRANSPORT_METHOD.get(transport.transportation_mode or "Road")
        if mode is None:
            raise ValueError(
                f"856 {asn}: transportation mode {transport.transportation_mode!r} has no TD504 code"
            )
        body.append(("TD5", None, "2", transport.carrier_scac, mode))
    for qualifier, value in (
        ("BM", transport.bill_of_lading_number if transport else None),
        ("CN", transport.carrier_shipment_reference_number if transport else None),
        ("AO", sc.amazon_reference_number),
    ):
        if value:
            body.append(("REF", qualifier, value))
    if sc.estimated_delivery_date:
        body.append(("DTM", "017", x12_date(sc.estimated_delivery_date.date())))
    body.extend(party_segments("SF", sc.ship_from_party))
    body.extend(party_segments("ST", sc.ship_to_party))

    def put_cartons(parent: int, boxes: Sequence[api.Carton], where: str) -> None:
        for carton in boxes:
            what = f"{where} carton {carton.carton_sequence_number}"
            carton_id, segment = hl.next(parent, "P")
            body.extend((segment, man(carton.carton_identifiers, what)))
            put_items(carton_id, carton.items, what)

    def put_items(parent: int, contents: Sequence[api.ContainerItem], where: str) -> None:
        for number, content in enumerate(contents, start=1):
            _, segment = hl.next(parent, "I")
            body.append(segment)
            body.extend(item_segments(content, f"856 {asn} {where} item {number}"))

    pallet_numbers = {id(p): n for n, p in enumerate(sc.pallets, start=1)}
    for po, parts in orders.items():
        where = f"PO {po}"
        if not (parts["pallets"] or parts["cartons"] or parts["items"]):
            continue
        order_id, segment = hl.next(shipment_id, "O")
        body.extend((segment, ("PRF", po)))
        for pallet in parts["pallets"]:
            pallet_where = f"{where} pallet {pallet_numbers[id(pallet)]}"
            pallet_id, segment = hl.next(order_id, "T")
            body.extend((segment, man(pallet.pallet_identifiers, pallet_where)))
            put_cartons(pallet_id, [cartons[ref] for ref in pallet.carton_reference_numbers], pallet_where)
            put_items(pallet_id, pallet.items, pallet_where)
        put_cartons(order_id, parts["cartons"], where)
        put_items(order_id, parts["items"], where)
    body.append(("CTT", hl.count))
    return body


def write_856(
    confirmation: api.ShipmentConfirmation,
    *,
    envelope: OutboundEnvelope,
    control_numbers: ControlNumberSource,
    at: datetime,
    product_ids: Mapping[str, Sequence[ProductId]] | None = None,
) -> str:
    """A complete 5010 interchange (GS01 SH, ISA11 repetition separator) holding one 856."""
    return render_interchange(
        [("856", build_856_body(confirmation, product_ids=product_ids))],
        functional_id="SH",
        version=X12_5010,
        envelope=envelope,
        control_numbers=control_numbers,
        at=at,
    )


@dataclass
class _Node:
    level: str
    segment: Segment
    parent: int | None
    segments: list[Segment] = field(default_factory=list)
    children: list[int] = field(default_factory=list)


def _read_item(
    node: _Node, po: str, warnings: list[X12Warning], ids: dict[str, tuple[ProductId, ...]]
) -> api.ContainerItem:
    lin = next((s for s in node.segments if s.id == "LIN"), None)
    sn1 = next((s for s in node.segments if s.id == "SN1"), None)
    if lin is None or sn1 is None:
        raise node.segment.error("item HL needs LIN and SN1")
    lot = next((s.text(2) for s in node.segments if s.id == "REF" and s.text(1) == "LT"), "")
    expiry = next((s.date(2) for s in node.segments if s.id == "DTM" and s.text(1) == "036"), None)
    reference = lin.text(1) or f"{len(ids) + 1:03d}"
    ids.setdefault(reference, read_product_ids(lin, 2, warnings))
    unit = {code: name for name, code in UNIT.items()}.get(sn1.text(3), sn1.text(3))
    details = None
    if lot or expiry:
        details = api.ItemDetails(
            purchase_order_number=po,
            lot_number=lot or None,
            expiry=api.Expiry(expiry_date=datetime(expiry.year, expiry.month, expiry.day, tzinfo=UTC))
            if expiry
            else None,
        )
    return api.ContainerItem(
        item_reference=reference,
        shipped_quantity=api.ItemQuantity(sn1.integer(2, required=True), unit),  # type: ignore[arg-type]
        item_details=details,
    )


def _read_sscc(node: _Node, warnings: list[X12Warning]) -> tuple[api.ContainerIdentification, ...]:
    man = next((s for s in node.segments if s.id == "MAN" and s.text(1) == "GM"), None)
    if man is None:
        raise node.segment.error(f"{node.level} HL has no MAN*GM (SSCC)")
    value = man.text(2, required=True)
    problem = sscc_problem(value)
    if problem:
        warnings.append(X12Warning(problem, man.index, "MAN", "MAN02"))
    return (api.ContainerIdentification("SSCC", value),)


def _at(day, moment) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.combine(day, moment or datetime.min.time(), UTC)


def parse_856(tx: TransactionSet) -> EdiShipNotice:
    if tx.id != "856":
        raise tx.segments[0].error(f"expected an 856, got {tx.id}", 1)
    warnings: list[X12Warning] = []
    header: list[Segment] = []
    nodes: dict[int, _Node] = {}
    current: _Node | None = None
    ctt: Segment | None = None
    for segment in tx.body:
        if segment.id == "HL":
            hl_id = int(segment.text(1))
            parent = int(segment.text(2)) if segment.text(2) else None
            current = _Node(level=segment.text(3, required=True), segment=segment, parent=parent)
            nodes[hl_id] = current
            if parent is not None:
                nodes[parent].children.append(hl_id)
        elif segment.id == "CTT":
            ctt = segment
        elif current is None:
            header.append(segment)
        else:
            current.segments.append(segment)

    bsn = next((s for s in header if s.id == "BSN"), None)
    if bsn is None:
        raise tx.segments[0].error("856 has no BSN segment")
    shipment = next((n for n in nodes.values() if n.level == "S"), None)
    if shipment is None:
        raise bsn.error("856 has no shipment (S) HL")
    if ctt is not None and (w := count_check(ctt.integer(1) or 0, len(nodes), ctt, 1, "HL segments")):
        warnings.append(w)

    def kids(node: _Node, level: str) -> list[_Node]:
        return [nodes[c] for c in node.children if nodes[c].level == level]

    def unexpected(node: _Node, allowed: str) -> None:
        for child in node.children:
            if nodes[child].level not in allowed:
                raise nodes[child].segment.error(
                    f"HL level {nodes[child].level!r} under {node.level!r} is not supported (expected {allowed})",
                    3,
                )

    ids: dict[str, tuple[ProductId, ...]] = {}
    cartons: list[api.Carton] = []
    pallets: list[api.Pallet] = []
    loose: list[api.ContainerItem] = []
    po_of_item: dict[str, str] = {}

    def items(node: _Node, po: str) -> tuple[api.ContainerItem, ...]:
        read = tuple(_read_item(i, po, warnings, ids) for i in kids(node, "I"))
        for content in read:
            po_of_item.setdefault(content.item_reference, po)
        return read

    def carton(node: _Node, po: str) -> str:
        unexpected(node, "I")
        number = f"{len(cartons) + 1:03d}"
        cartons.append(api.Carton(number, items(node, po), _read_sscc(node, warnings)))
        return number

    unexpected(shipment, "O")
    for order in kids(shipment, "O"):
        unexpected(order, "TPI")
        prf = next((s for s in order.segments if s.id == "PRF"), None)
        if prf is None:
            raise order.segment.error("order HL has no PRF (PO number)")
        po = prf.text(1, required=True)
        for tare in kids(order, "T"):
            unexpected(tare, "PI")
            identifiers = _read_sscc(tare, warnings)
            references = tuple(carton(p, po) for p in kids(tare, "P"))
            pallets.append(
                api.Pallet(
                    identifiers,
                    carton_reference_numbers=references,
                    carton_count=len(references) or None,
                    items=items(tare, po),
                )
            )
        for pack in kids(order, "P"):
            carton(pack, po)
        loose.extend(items(order, po))

    totals: dict[str, api.ItemQuantity] = {}
    for content in (
        *loose,
        *(c for box in cartons for c in box.items),
        *(c for p in pallets for c in p.items),
    ):
        seen = totals.get(content.item_reference)
        amount = content.shipped_quantity.amount + (seen.amount if seen else 0)
        totals[content.item_reference] = api.ItemQuantity(amount, content.shipped_quantity.unit_of_measure)
    shipped_items = tuple(
        api.ShippedItem(
            item_sequence_number=reference,
            shipped_quantity=quantity,
            amazon_product_identifier=split_product_ids(ids[reference])[0],
            vendor_product_identifier=split_product_ids(ids[reference])[1],
            item_details=api.ItemDetails(purchase_order_number=po_of_item[reference]),
        )
        for reference, quantity in sorted(totals.items())
    )

    s_segments = shipment.segments
    parties: dict[str, N1Loop] = {}
    position = 0
    while position < len(s_segments):
        if s_segments[position].id == "N1":
            party, position = read_party(s_segments, position)
            parties.setdefault(party.entity, party)
        else:
            position += 1
    td1 = next((s for s in s_segments if s.id == "TD1"), None)
    td5 = next((s for s in s_segments if s.id == "TD5"), None)
    if td1 is None:
        raise shipment.segment.error("shipment HL has no TD1 (lading quantity and weight)")
    for entity in ("SF", "ST"):
        if entity not in parties:
            raise shipment.segment.error(f"shipment HL has no N1*{entity}")

    def ref(qualifier: str) -> str | None:
        return next((s.text(2) for s in s_segments if s.id == "REF" and s.text(1) == qualifier), None) or None

    shipped = next((s for s in header if s.id == "DTM" and s.text(1) == "011"), None)
    if shipped is None:
        raise bsn.error("856 has no DTM*011 (shipped date)")
    estimated = next((s for s in s_segments if s.id == "DTM" and s.text(1) == "017"), None)
    transport = None
    if td5 is not None or ref("BM") or ref("CN"):
        modes = {code: name for name, code in TRANSPORT_METHOD.items()}
        transport = api.TransportationDetails(
            carrier_scac=(td5.text(3) or None) if td5 else None,
            carrier_shipment_reference_number=ref("CN"),
            transportation_mode=modes.get(td5.text(4)) if td5 else None,
            bill_of_lading_number=ref("BM"),
        )
    purposes = {code: name for name, code in PURPOSE.items()}
    units = {code: name for name, code in WEIGHT_UNIT.items()}
    confirmation = api.ShipmentConfirmation(
        shipment_identifier=bsn.text(2, required=True),
        shipment_confirmation_type=purposes.get(bsn.text(1), "Original"),  # type: ignore[arg-type]
        shipment_confirmation_date=_at(bsn.date(3, required=True), bsn.time(4)),
        selling_party=api.Party(""),
        ship_from_party=parties["SF"].party,
        ship_to_party=parties["ST"].party,
        shipped_items=shipped_items,
        transportation_details=transport,
        amazon_reference_number=ref("AO"),
        shipped_date=_at(shipped.date(2, required=True), shipped.time(3)),
        estimated_delivery_date=_at(estimated.date(2, required=True), None) if estimated else None,
        shipment_measurements=api.ShipmentMeasurements(
            gross_shipment_weight=api.Weight(
                td1.decimal(7, required=True),  # type: ignore[arg-type]
                units.get(td1.text(8), td1.text(8)),
            ),
            carton_count=len(cartons),
            pallet_count=len(pallets),
        ),
        cartons=tuple(cartons),
        pallets=tuple(pallets),
    )
    return EdiShipNotice(
        confirmation=confirmation,
        product_ids=ids,
        ship_from=parties["SF"],
        ship_to=parties["ST"],
        packaging_code=td1.text(1),
        lading_quantity=td1.integer(2, required=True),  # type: ignore[arg-type]
        envelope=EnvelopeInfo.of(tx),
        warnings=tuple(warnings),
    )


def read_ship_notices(text: str) -> ReadResult[EdiShipNotice]:
    """Every good 856 in ``text``; bad sets (e.g. broken HL links) are skipped into ``.rejected``."""
    return read_transaction_sets(text, "856", parse_856, "856 ship notice")
