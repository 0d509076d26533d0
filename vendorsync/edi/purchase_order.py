"""850 Purchase Order (Amazon → vendor, X12 4010) into a value shaped like the Orders API.

The fields follow ``getPurchaseOrder`` (snake_case, ``orderDetails`` flattened) so downstream
code treats an EDI PO and an API PO the same: ``purchase_order_number`` (BEG03),
``order_date`` (BEG05), ``purchase_order_type`` (BEG02 NE/CN/NP/RO → RegularOrder/…),
``delivery_window`` (DTM 064 do-not-deliver-before / 063 do-not-deliver-after),
``ship_window`` (DTM 037 ship-not-before / 038 ship-no-later), parties from N1 and REF*CR,
``items`` from PO1: ``item_sequence_number``, ``amazon_product_identifier`` (BP, else IN),
``vendor_product_identifier`` (first of the other qualifiers, which the 855 must echo),
``ordered_quantity`` and ``net_cost``.

Whether a Collect PO's 064/063 window is really a ship window depends on freight terms (FOB01),
which is a business decision: both windows and ``fob_payment_code`` are reported as sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from vendorsync.edi._common import count_check, read_party, read_product_ids
from vendorsync.edi.errors import X12Error, X12Warning
from vendorsync.edi.values import EnvelopeInfo, Money, Party, ProductId, Reference
from vendorsync.edi.x12 import Segment, TransactionSet, transactions_of

PO_TYPES = {"NE": "RegularOrder", "CN": "ConsignedOrder", "NP": "NewProductIntroduction", "RO": "RushOrder"}
UOM_NAMES = {"EA": "Eaches", "CA": "Cases"}
API_UOM_TO_X12 = {name: code for code, name in UOM_NAMES.items()}
ASIN_QUALIFIERS = ("BP", "IN")  # BP buyer's part number = ASIN (reference §9.2); IN as a fallback
LIST_PRICE_IDS = {"LPR", "SLP", "MSR", "RES"}


@dataclass(frozen=True)
class DateWindow:
    start: date | None
    end: date | None


@dataclass(frozen=True)
class ItemQuantity:
    amount: int
    unit_of_measure: str  # "Eaches" / "Cases" (API names); an unknown X12 code is kept as sent
    unit_size: int | None = None  # PO401 pack when sent; 1 for Eaches otherwise


@dataclass(frozen=True)
class PurchaseOrderItem:
    item_sequence_number: str  # PO101 as sent ("1", "001"…)
    amazon_product_identifier: str | None
    vendor_product_identifier: str | None
    vendor_product_qualifier: str | None  # EN/UP/VN/IB… — echo it in the 855
    product_ids: tuple[ProductId, ...]  # every PO106.. pair, in order
    ordered_quantity: ItemQuantity
    net_cost: Money | None  # PO104
    price_basis: str = ""  # PO105: PE per each, RE retail per each
    list_price: Money | None = None  # CTP
    description: str = ""  # PID05


@dataclass(frozen=True)
class PurchaseOrder:
    purchase_order_number: str
    order_date: date
    purchase_order_type: str | None  # API enum name; None when BEG02 is unknown
    purchase_order_type_code: str  # BEG02 as sent
    purpose_code: str  # BEG01: 00 original
    selling_party_id: str | None  # REF*CR (vendor code)
    buying_party_id: str | None  # N1*BY
    ship_to_party_id: str | None  # N1*ST N104 (FC code)
    bill_to_party_id: str | None  # N1*BT
    ship_window: DateWindow | None
    delivery_window: DateWindow | None
    currency_code: str
    is_back_order_allowed: bool | None  # CSH01 Y/N
    deal_code: str | None  # REF*PD
    fob_payment_code: str | None  # FOB01 (CC collect, PP prepaid…)
    items: tuple[PurchaseOrderItem, ...]
    parties: tuple[Party, ...] = ()
    references: tuple[Reference, ...] = ()
    line_count: int | None = None  # CTT01
    quantity_hash_total: int | None = None  # CTT02
    envelope: EnvelopeInfo | None = field(default=None, compare=False)
    warnings: tuple[X12Warning, ...] = field(default=(), compare=False)


def parse_850(tx: TransactionSet, *, default_currency: str = "USD") -> PurchaseOrder:
    """One 850 transaction set → ``PurchaseOrder``. Raises ``X12Error`` for a missing BEG or PO1."""
    if tx.id != "850":
        raise tx.segments[0].error(f"expected an 850, got {tx.id}", 1)
    warnings: list[X12Warning] = []
    body = tx.body
    beg = next((s for s in body if s.id == "BEG"), None)
    if beg is None:
        raise tx.segments[0].error("850 has no BEG segment")
    type_code = beg.text(2)
    po_type = PO_TYPES.get(type_code)
    if po_type is None:
        warnings.append(X12Warning(f"unknown PO type {type_code!r}", beg.index, "BEG", "BEG02"))
    # CUR02 applies to every price in the set; read it first.
    currency = next((s.text(2) for s in body if s.id == "CUR" and s.text(2)), default_currency)
    references: list[Reference] = []
    parties: list[Party] = []
    dates: dict[str, date] = {}
    back_order: bool | None = None
    fob: str | None = None
    items: list[PurchaseOrderItem] = []
    ctt = None
    current: dict | None = None

    def finish_item() -> None:
        if current is not None:
            items.append(PurchaseOrderItem(**current))

    position = 0
    while position < len(body):
        segment = body[position]
        seg_id = segment.id
        if seg_id == "N1":
            party, position = read_party(body, position)
            parties.append(party)
            continue
        if seg_id == "REF":
            references.append(Reference(segment.text(1), segment.text(2), segment.text(3)))
        elif seg_id == "CSH":
            flag = segment.text(1)
            back_order = {"Y": True, "N": False}.get(flag)
            if back_order is None:
                warnings.append(X12Warning(f"unknown CSH01 {flag!r}", segment.index, "CSH", "CSH01"))
        elif seg_id == "FOB":
            fob = segment.text(1) or None
        elif seg_id == "DTM" and current is None:
            qualifier = segment.text(1, required=True)
            dates[qualifier] = segment.date(2, required=True)  # type: ignore[assignment]
        elif seg_id == "PO1":
            finish_item()
            current = _read_po1(segment, currency, warnings)
        elif seg_id == "PO4" and current is not None:
            pack = segment.integer(1)
            if pack:
                current["ordered_quantity"] = ItemQuantity(
                    current["ordered_quantity"].amount, current["ordered_quantity"].unit_of_measure, pack
                )
        elif seg_id == "CTP" and current is not None:
            price = segment.decimal(3)
            if price is not None and segment.text(2) in LIST_PRICE_IDS:
                current["list_price"] = Money(price, currency)
        elif seg_id == "PID" and current is not None:
            current["description"] = segment.text(5)
        elif seg_id == "CTT":
            finish_item()
            current = None
            ctt = segment
        position += 1
    finish_item()

    if not items:
        raise tx.segments[-1].error(f"850 {beg.text(3)!r} has no PO1 line items")
    line_count = quantity_hash = None
    if ctt is not None:
        line_count = ctt.integer(1)
        quantity_hash = ctt.integer(2)
        if line_count is not None and (w := count_check(line_count, len(items), ctt, 1, "line items")):
            warnings.append(w)
        total = sum(item.ordered_quantity.amount for item in items)
        if quantity_hash is not None and (w := count_check(quantity_hash, total, ctt, 2, "units")):
            warnings.append(w)

    def window(start_code: str, end_code: str) -> DateWindow | None:
        if start_code in dates or end_code in dates:
            return DateWindow(dates.get(start_code), dates.get(end_code))
        return None

    def party_id(entity: str) -> str | None:
        return next((p.id for p in parties if p.entity == entity and p.id), None)

    def reference(qualifier: str) -> str | None:
        return next((r.value for r in references if r.qualifier == qualifier and r.value), None)

    return PurchaseOrder(
        purchase_order_number=beg.text(3, required=True),
        order_date=beg.date(5, required=True),  # type: ignore[arg-type]
        purchase_order_type=po_type,
        purchase_order_type_code=type_code,
        purpose_code=beg.text(1),
        selling_party_id=reference("CR"),
        buying_party_id=party_id("BY"),
        ship_to_party_id=party_id("ST"),
        bill_to_party_id=party_id("BT"),
        ship_window=window("037", "038"),
        delivery_window=window("064", "063"),
        currency_code=currency,
        is_back_order_allowed=back_order,
        deal_code=reference("PD"),
        fob_payment_code=fob,
        items=tuple(items),
        parties=tuple(parties),
        references=tuple(references),
        line_count=line_count,
        quantity_hash_total=quantity_hash,
        envelope=EnvelopeInfo.of(tx),
        warnings=tuple(warnings),
    )


def _read_po1(segment: Segment, currency: str, warnings: list[X12Warning]) -> dict:
    sequence = segment.text(1, required=True)
    amount = segment.integer(2, required=True)
    unit_code = segment.text(3, required=True)
    unit = UOM_NAMES.get(unit_code)
    if unit is None:
        warnings.append(X12Warning(f"unknown unit of measure {unit_code!r}", segment.index, "PO1", "PO103"))
        unit = unit_code
    price = segment.decimal(4)
    ids = read_product_ids(segment, 6, warnings)
    if not ids:
        raise segment.error(f"PO1 line {sequence!r} has no product id (PO106/PO107)", 6)
    asin = next((p.value for q in ASIN_QUALIFIERS for p in ids if p.qualifier == q), None)
    vendor = next((p for p in ids if p.qualifier not in ASIN_QUALIFIERS), None)
    return {
        "item_sequence_number": sequence,
        "amazon_product_identifier": asin,
        "vendor_product_identifier": vendor.value if vendor else None,
        "vendor_product_qualifier": vendor.qualifier if vendor else None,
        "product_ids": ids,
        "ordered_quantity": ItemQuantity(amount, unit, 1 if unit == "Eaches" else None),  # type: ignore[arg-type]
        "net_cost": Money(price, currency) if price is not None else None,
        "price_basis": segment.text(5),
    }


def read_purchase_orders(text: str, *, default_currency: str = "USD") -> list[PurchaseOrder]:
    """Every 850 in ``text`` (other transaction sets are ignored). Raises ``X12Error``."""
    orders = [
        parse_850(tx, default_currency=default_currency) for tx in transactions_of(text) if tx.id == "850"
    ]
    if not orders:
        raise X12Error("no 850 purchase order in the file")
    return orders
