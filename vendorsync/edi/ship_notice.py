"""856 Ship Notice/Manifest (vendor → Amazon, X12 5010): writer and reader.

Hierarchy (HL03): S shipment → O order (PRF01 = PO number) → T tare/pallet → P pack/carton →
I item. Pallets and cartons carry ``MAN*GM*<00 + SSCC-18>`` (20 characters, the value on the
label). Cartons may also sit directly under the order (SOPI) and items directly under a pallet
(SOTI) or the order (SOI). HL01 numbers run depth-first, HL02 points at the parent, and CTT01
is the number of HL segments.

Shipment level: ``TD1`` (packaging code, lading quantity, gross weight), ``TD5`` (SCAC, transport
method), ``REF*BM`` bill of lading, ``REF*CN`` PRO number, ``REF*AO`` Amazon reference (ARN),
``DTM*017`` estimated delivery, ``N1*SF`` ship-from (with N3/N4) and ``N1*ST`` ship-to FC. The
header carries ``BSN`` and ``DTM*011`` (shipped). Items: ``LIN``, ``SN1``, ``REF*LT`` lot and
``DTM*036`` expiry.

SSCCs and GTINs are checked strictly when writing (a bad check digit raises ``ValueError``
naming the pallet/carton) and leniently when reading (warnings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from vendorsync.edi._common import (
    count_check,
    party_segments,
    product_id_elements,
    read_party,
    read_product_ids,
    read_transaction_sets,
)
from vendorsync.edi.errors import X12Warning
from vendorsync.edi.gs1 import sscc_for_asn, sscc_problem
from vendorsync.edi.values import EnvelopeInfo, Party, ProductId, ReadResult
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


@dataclass(frozen=True)
class ShippedItem:
    product_ids: tuple[ProductId, ...]  # LIN pairs, e.g. (EN, …), (BP, ASIN)
    quantity: int  # SN102
    unit_of_measure: str = "EA"  # SN103
    item_sequence_number: str = ""  # LIN01 (the PO line), optional
    lot_number: str = ""  # REF*LT
    expiry_date: date | None = None  # DTM*036


@dataclass(frozen=True)
class Carton:
    sscc: str  # 18 digits, or 20 with the 00 prefix; written as 20
    items: tuple[ShippedItem, ...]


@dataclass(frozen=True)
class Pallet:
    sscc: str
    cartons: tuple[Carton, ...] = ()
    items: tuple[ShippedItem, ...] = ()  # items directly on the pallet (SOTI)


@dataclass(frozen=True)
class ShipmentOrder:
    purchase_order_number: str  # PRF01
    pallets: tuple[Pallet, ...] = ()
    cartons: tuple[Carton, ...] = ()  # cartons not on a pallet (SOPI)
    items: tuple[ShippedItem, ...] = ()  # loose items (SOI)


@dataclass(frozen=True)
class ShipNotice:
    shipment_identifier: str  # BSN02 (ASN number)
    shipment_date: date  # BSN03
    shipment_time: time  # BSN04
    shipped_date: date  # DTM*011
    ship_from: Party  # N1*SF
    ship_to: Party  # N1*ST (FC)
    orders: tuple[ShipmentOrder, ...]
    lading_quantity: int  # TD102: number of pallets/cartons
    gross_weight: Decimal  # TD107
    weight_unit: str = "LB"  # TD108: LB or KG
    packaging_code: str = "CTN25"  # TD101: CTN25 cartons, PLT94 pallets
    shipped_time: time | None = None  # DTM*011 DTM03
    carrier_scac: str = ""  # TD503
    transport_method: str = "M"  # TD504: M motor, U parcel, …
    bill_of_lading_number: str = ""  # REF*BM
    carrier_reference_number: str = ""  # REF*CN (PRO)
    amazon_reference_number: str = ""  # REF*AO (ARN, collect)
    estimated_delivery_date: date | None = None  # DTM*017
    purpose_code: str = "00"  # BSN01
    structure_code: str = ""  # BSN05, when the trading partner asks for it
    envelope: EnvelopeInfo | None = field(default=None, compare=False)
    warnings: tuple[X12Warning, ...] = field(default=(), compare=False)


class _Numberer:
    def __init__(self) -> None:
        self.count = 0

    def next(self, parent: int | None, level: str) -> tuple[int, SegmentData]:
        self.count += 1
        return self.count, ("HL", self.count, parent, level)


def _item_segments(item: ShippedItem, what: str) -> list[SegmentData]:
    if item.quantity <= 0:
        raise ValueError(f"{what}: shipped quantity {item.quantity} must be positive")
    out: list[SegmentData] = [
        ("LIN", item.item_sequence_number, *product_id_elements(item.product_ids, what)),
        ("SN1", None, item.quantity, item.unit_of_measure),
    ]
    if item.lot_number:
        out.append(("REF", "LT", item.lot_number))
    if item.expiry_date:
        out.append(("DTM", "036", x12_date(item.expiry_date)))
    return out


def build_856_body(notice: ShipNotice) -> list[SegmentData]:
    """The 856 segments between ST and SE, with HL numbering and parent links."""
    asn = notice.shipment_identifier
    if not asn.strip():
        raise ValueError("856: shipment identifier (BSN02) is empty")
    if not notice.orders:
        raise ValueError(f"856 {asn}: no orders")
    if notice.gross_weight <= 0:
        raise ValueError(f"856 {asn}: gross weight {notice.gross_weight} must be positive")
    if notice.lading_quantity <= 0:
        raise ValueError(f"856 {asn}: lading quantity {notice.lading_quantity} must be positive")
    seen_sscc: dict[str, str] = {}

    def man(sscc: str, what: str) -> SegmentData:
        value = sscc_for_asn(sscc, f"856 {asn} {what}")
        if value in seen_sscc:
            raise ValueError(f"856 {asn} {what}: SSCC {value} is already used by {seen_sscc[value]}")
        seen_sscc[value] = what
        return ("MAN", "GM", value)

    body: list[SegmentData] = [
        (
            "BSN",
            notice.purpose_code,
            asn,
            x12_date(notice.shipment_date),
            x12_time(notice.shipment_time),
            notice.structure_code,
        ),
        (
            "DTM",
            "011",
            x12_date(notice.shipped_date),
            x12_time(notice.shipped_time) if notice.shipped_time else None,
        ),
    ]
    hl = _Numberer()
    shipment_id, segment = hl.next(None, "S")
    body.append(segment)
    body.append(
        (
            "TD1",
            notice.packaging_code,
            notice.lading_quantity,
            None,
            None,
            None,
            "G",
            notice.gross_weight,
            notice.weight_unit,
        )
    )
    if notice.carrier_scac:
        body.append(("TD5", None, "2", notice.carrier_scac, notice.transport_method))
    for qualifier, value in (
        ("BM", notice.bill_of_lading_number),
        ("CN", notice.carrier_reference_number),
        ("AO", notice.amazon_reference_number),
    ):
        if value:
            body.append(("REF", qualifier, value))
    if notice.estimated_delivery_date:
        body.append(("DTM", "017", x12_date(notice.estimated_delivery_date)))
    if notice.ship_from.entity != "SF" or notice.ship_to.entity != "ST":
        raise ValueError(f"856 {asn}: ship_from must be an SF party and ship_to an ST party")
    body.extend(party_segments(notice.ship_from))
    body.extend(party_segments(notice.ship_to))

    def cartons(parent: int, boxes: tuple[Carton, ...], where: str) -> None:
        for number, carton in enumerate(boxes, start=1):
            what = f"{where} carton {number}"
            carton_id, segment = hl.next(parent, "P")
            body.extend((segment, man(carton.sscc, what)))
            if not carton.items:
                raise ValueError(f"856 {asn} {what}: carton {carton.sscc} has no items")
            items(carton_id, carton.items, what)

    def items(parent: int, lines: tuple[ShippedItem, ...], where: str) -> None:
        for number, item in enumerate(lines, start=1):
            _, segment = hl.next(parent, "I")
            body.append(segment)
            body.extend(_item_segments(item, f"856 {asn} {where} item {number}"))

    for order in notice.orders:
        where = f"PO {order.purchase_order_number}"
        if not (order.pallets or order.cartons or order.items):
            raise ValueError(f"856 {asn} {where}: nothing shipped")
        order_id, segment = hl.next(shipment_id, "O")
        body.extend((segment, ("PRF", order.purchase_order_number)))
        for number, pallet in enumerate(order.pallets, start=1):
            pallet_where = f"{where} pallet {number}"
            pallet_id, segment = hl.next(order_id, "T")
            body.extend((segment, man(pallet.sscc, pallet_where)))
            if not (pallet.cartons or pallet.items):
                raise ValueError(f"856 {asn} {pallet_where}: pallet {pallet.sscc} is empty")
            cartons(pallet_id, pallet.cartons, pallet_where)
            items(pallet_id, pallet.items, pallet_where)
        cartons(order_id, order.cartons, where)
        items(order_id, order.items, where)
    body.append(("CTT", hl.count))
    return body


def write_856(
    notice: ShipNotice,
    *,
    envelope: OutboundEnvelope,
    control_numbers: ControlNumberSource,
    at: datetime,
) -> str:
    """A complete 5010 interchange (GS01 SH, ISA11 repetition separator) holding one 856."""
    return render_interchange(
        [("856", build_856_body(notice))],
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


def _read_item(node: _Node, warnings: list[X12Warning]) -> ShippedItem:
    lin = next((s for s in node.segments if s.id == "LIN"), None)
    sn1 = next((s for s in node.segments if s.id == "SN1"), None)
    if lin is None or sn1 is None:
        raise node.segment.error("item HL needs LIN and SN1")
    lot = next((s.text(2) for s in node.segments if s.id == "REF" and s.text(1) == "LT"), "")
    expiry = next((s.date(2) for s in node.segments if s.id == "DTM" and s.text(1) == "036"), None)
    return ShippedItem(
        product_ids=read_product_ids(lin, 2, warnings),
        quantity=sn1.integer(2, required=True),  # type: ignore[arg-type]
        unit_of_measure=sn1.text(3),
        item_sequence_number=lin.text(1),
        lot_number=lot,
        expiry_date=expiry,
    )


def _read_sscc(node: _Node, warnings: list[X12Warning]) -> str:
    man = next((s for s in node.segments if s.id == "MAN" and s.text(1) == "GM"), None)
    if man is None:
        raise node.segment.error(f"{node.level} HL has no MAN*GM (SSCC)")
    value = man.text(2, required=True)
    problem = sscc_problem(value)
    if problem:
        warnings.append(X12Warning(problem, man.index, "MAN", "MAN02"))
    return value


def parse_856(tx: TransactionSet) -> ShipNotice:
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

    def carton(node: _Node) -> Carton:
        unexpected(node, "I")
        return Carton(_read_sscc(node, warnings), tuple(_read_item(i, warnings) for i in kids(node, "I")))

    orders: list[ShipmentOrder] = []
    unexpected(shipment, "O")
    for order in kids(shipment, "O"):
        unexpected(order, "TPI")
        prf = next((s for s in order.segments if s.id == "PRF"), None)
        if prf is None:
            raise order.segment.error("order HL has no PRF (PO number)")
        pallets = []
        for tare in kids(order, "T"):
            unexpected(tare, "PI")
            pallets.append(
                Pallet(
                    _read_sscc(tare, warnings),
                    tuple(carton(p) for p in kids(tare, "P")),
                    tuple(_read_item(i, warnings) for i in kids(tare, "I")),
                )
            )
        orders.append(
            ShipmentOrder(
                purchase_order_number=prf.text(1, required=True),
                pallets=tuple(pallets),
                cartons=tuple(carton(p) for p in kids(order, "P")),
                items=tuple(_read_item(i, warnings) for i in kids(order, "I")),
            )
        )

    s_segments = shipment.segments
    parties: dict[str, Party] = {}
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

    def ref(qualifier: str) -> str:
        return next((s.text(2) for s in s_segments if s.id == "REF" and s.text(1) == qualifier), "")

    shipped = next((s for s in header if s.id == "DTM" and s.text(1) == "011"), None)
    if shipped is None:
        raise bsn.error("856 has no DTM*011 (shipped date)")
    estimated = next((s for s in s_segments if s.id == "DTM" and s.text(1) == "017"), None)
    return ShipNotice(
        shipment_identifier=bsn.text(2, required=True),
        shipment_date=bsn.date(3, required=True),  # type: ignore[arg-type]
        shipment_time=bsn.time(4),  # type: ignore[arg-type]
        shipped_date=shipped.date(2, required=True),  # type: ignore[arg-type]
        shipped_time=shipped.time(3),
        ship_from=parties["SF"],
        ship_to=parties["ST"],
        orders=tuple(orders),
        lading_quantity=td1.integer(2, required=True),  # type: ignore[arg-type]
        gross_weight=td1.decimal(7, required=True),  # type: ignore[arg-type]
        weight_unit=td1.text(8),
        packaging_code=td1.text(1),
        carrier_scac=td5.text(3) if td5 else "",
        transport_method=td5.text(4) if td5 else "",
        bill_of_lading_number=ref("BM"),
        carrier_reference_number=ref("CN"),
        amazon_reference_number=ref("AO"),
        estimated_delivery_date=estimated.date(2) if estimated else None,
        purpose_code=bsn.text(1),
        structure_code=bsn.text(5),
        envelope=EnvelopeInfo.of(tx),
        warnings=tuple(warnings),
    )


def read_ship_notices(text: str) -> ReadResult[ShipNotice]:
    """Every good 856 in ``text``; bad sets (e.g. broken HL links) are skipped into ``.rejected``."""
    return read_transaction_sets(text, "856", parse_856, "856 ship notice")
