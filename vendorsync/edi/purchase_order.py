"""850 Purchase Order (Amazon → vendor, X12 4010) into the Orders API's own ``PurchaseOrder``.

``parse_850`` builds ``vendorsync.amazon.values.PurchaseOrder`` — the value the SP-API client
returns — so downstream code handles an EDI PO and an API PO the same way through
``EdiPurchaseOrder.order``. What the API has no field for (envelope, warnings, every product-id
qualifier, the qualifier to echo in the 855, N1 names, REFs, CTT totals) stays on the
``EdiPurchaseOrder`` wrapper.

Mapping (reference §9.2 and §9.9):

- ``purchase_order_number`` BEG03; ``purchase_order_state`` None: an 850 does not say whether
  the PO is New, Acknowledged or Closed, and guessing "New" would be wrong for a re-sent PO.
- ``purchase_order_date`` BEG05; ``purchase_order_type`` BEG02 ``NE``/``CN``/``NP``/``RO`` →
  ``RegularOrder``/``ConsignedOrder``/``NewProductIntroduction``/``RushOrder`` (unknown: None and
  a warning; the code as sent is ``EdiPurchaseOrder.purchase_order_type_code``).
- ``selling_party`` REF*CR (vendor code), ``buying_party``/``ship_to_party``/``bill_to_party``
  N1*BY/ST/BT N104, each as ``Party(party_id=...)`` only: NA POs carry no addresses in the API
  either (reference §3.2); the full N1 loops are in ``EdiPurchaseOrder.parties``.
- ``deal_code`` REF*PD. ``import_details`` and ``payment_method`` are left None: FOB01 is sent on
  domestic POs too (freight terms), so it is reported as ``fob_payment_code`` instead.
- ``delivery_window`` DTM 064 (do not deliver before) / 063 (do not deliver after),
  ``ship_window`` DTM 037 (ship not before) / 038 (ship no later). Whether a Collect PO's 064/063
  window is really a ship window depends on freight terms (FOB01) — a business decision, so both
  windows are reported as sent. A window with only one of its two dates is left None with a
  warning (``DateTimeWindow`` needs both); the raw DTMs are in ``EdiPurchaseOrder.dates``.
- Items from PO1: ``item_sequence_number`` PO101 verbatim; ``ordered_quantity`` PO102/PO103
  (``EA`` → Eaches with unit size 1, ``CA`` → Cases with unit size PO401 when sent);
  ``net_cost`` PO104 in CUR02's currency; ``list_price`` CTP ``LPR``/``SLP``/``MSR``/``RES``;
  ``amazon_product_identifier`` the ``BP`` id (else ``IN``); ``vendor_product_identifier`` the
  first other id (its qualifier, which the 855 must echo, is ``EdiOrderLine.vendor_product_qualifier``);
  ``is_back_order_allowed`` from the header CSH01 (``Y``/``N``) copied to every item, because the
  API models it per item while the 850 sends it once; False when CSH is absent (the API codec's
  safe default too).

Timestamps: X12 dates carry no time zone and Amazon's guides name none, so every date is read
as a UTC calendar day. ``purchase_order_date`` and window starts are 00:00:00 UTC of their day;
window ends are 23:59:59 UTC of theirs, so the last day named by DTM 063/038 is inside the
window. (The API sandbox sends Pacific midnights such as ``07:00:00Z``; an 850 cannot tell us
that, so no local zone is assumed.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal

from vendorsync.amazon import values as api
from vendorsync.edi._common import count_check, read_party, read_product_ids, read_transaction_sets
from vendorsync.edi.errors import X12Warning
from vendorsync.edi.values import DateReference, EnvelopeInfo, N1Loop, ProductId, ReadResult, Reference
from vendorsync.edi.x12 import Segment, TransactionSet

PO_TYPES = {"NE": "RegularOrder", "CN": "ConsignedOrder", "NP": "NewProductIntroduction", "RO": "RushOrder"}
UOM_NAMES = {"EA": "Eaches", "CA": "Cases"}
API_UOM_TO_X12 = {name: code for code, name in UOM_NAMES.items()}
ASIN_QUALIFIERS = ("BP", "IN")  # BP buyer's part number = ASIN (reference §9.2); IN as a fallback
LIST_PRICE_IDS = {"LPR", "SLP", "MSR", "RES"}
BACK_ORDER_FLAGS = {"Y": True, "N": False}
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class EdiOrderLine:
    """What the 850 says about one PO line beyond the API's ``PurchaseOrderItem``."""

    item_sequence_number: str  # = PurchaseOrderItem.item_sequence_number (PO101)
    product_ids: tuple[ProductId, ...]  # every PO106.. pair in order, marked ``echoed``
    vendor_product_qualifier: str | None  # EN/UP/VN/IB… of vendor_product_identifier: echo it
    unit_of_measure_code: str  # PO103 as sent (EA, CA…)
    price_basis: str = ""  # PO105: PE per each, RE retail per each
    description: str = ""  # PID05


@dataclass(frozen=True)
class EdiPurchaseOrder:
    """An 850: ``order`` is the Orders API value; the rest is what only EDI carries."""

    order: api.PurchaseOrder
    lines: tuple[EdiOrderLine, ...]  # one per item, same order
    purchase_order_type_code: str  # BEG02 as sent
    purpose_code: str  # BEG01: 00 original
    currency_code: str  # CUR02, else the reader's default
    fob_payment_code: str | None = None  # FOB01 (CC collect, PP prepaid…)
    parties: tuple[N1Loop, ...] = ()  # every N1 loop with its entity, qualifier, name and address
    references: tuple[Reference, ...] = ()  # every header REF
    dates: tuple[DateReference, ...] = ()  # every header DTM as sent
    line_count: int | None = None  # CTT01
    quantity_hash_total: int | None = None  # CTT02
    envelope: EnvelopeInfo | None = field(default=None, compare=False)
    warnings: tuple[X12Warning, ...] = field(default=(), compare=False)

    @property
    def purchase_order_number(self) -> str:
        return self.order.purchase_order_number

    @property
    def product_ids_by_line(self) -> dict[str, tuple[ProductId, ...]]:
        """PO101 → every product id of that line, ready to echo in the 855/856/810."""
        return {line.item_sequence_number: line.product_ids for line in self.lines}

    def line(self, item_sequence_number: str) -> EdiOrderLine:
        for line in self.lines:
            if line.item_sequence_number == item_sequence_number:
                return line
        raise KeyError(f"PO {self.purchase_order_number} has no line {item_sequence_number!r}")


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), UTC)


def _end_of(day: date) -> datetime:
    return datetime.combine(day, END_OF_DAY, UTC)


def parse_850(tx: TransactionSet, *, default_currency: str = "USD") -> EdiPurchaseOrder:
    """One 850 transaction set → ``EdiPurchaseOrder``. Raises ``X12Error`` for a missing BEG or PO1."""
    if tx.id != "850":
        raise tx.segments[0].error(f"expected an 850, got {tx.id}", 1)
    warnings: list[X12Warning] = []
    body = tx.body
    beg = next((s for s in body if s.id == "BEG"), None)
    if beg is None:
        raise tx.segments[0].error("850 has no BEG segment")
    po_number = beg.text(3, required=True)
    order_date: date = beg.date(5, required=True)  # type: ignore[assignment]
    type_code = beg.text(2)
    po_type = PO_TYPES.get(type_code)
    if po_type is None:
        warnings.append(X12Warning(f"unknown PO type {type_code!r}", beg.index, "BEG", "BEG02"))
    # CUR02 applies to every price in the set; read it first.
    currency = next((s.text(2) for s in body if s.id == "CUR" and s.text(2)), default_currency)
    references: list[Reference] = []
    parties: list[N1Loop] = []
    dates: list[DateReference] = []
    date_segments: dict[str, Segment] = {}
    back_order = False
    fob: str | None = None
    lines: list[_Line] = []
    ctt = None

    position = 0
    while position < len(body):
        segment = body[position]
        seg_id = segment.id
        current = lines[-1] if lines else None
        if seg_id == "N1":
            party, position = read_party(body, position)
            parties.append(party)
            continue
        if seg_id == "REF":
            references.append(Reference(segment.text(1), segment.text(2), segment.text(3)))
        elif seg_id == "CSH":
            flag = segment.text(1)
            if flag in BACK_ORDER_FLAGS:
                back_order = BACK_ORDER_FLAGS[flag]
            else:
                warnings.append(
                    X12Warning(
                        f"unknown CSH01 {flag!r}, back orders not allowed", segment.index, "CSH", "CSH01"
                    )
                )
        elif seg_id == "FOB":
            fob = segment.text(1) or None
        elif seg_id == "DTM" and current is None:
            qualifier = segment.text(1, required=True)
            day: date = segment.date(2, required=True)  # type: ignore[assignment]
            dates.append(DateReference(qualifier, day))
            date_segments[qualifier] = segment
        elif seg_id == "PO1":
            lines.append(_read_po1(segment, warnings))
        elif seg_id == "PO4" and current is not None:
            current.pack = segment.integer(1)
        elif seg_id == "CTP" and current is not None:
            price = segment.decimal(3)
            if price is not None and segment.text(2) in LIST_PRICE_IDS:
                current.list_price = price
        elif seg_id == "PID" and current is not None:
            current.description = segment.text(5)
        elif seg_id == "CTT":
            ctt = segment
        position += 1

    if not lines:
        raise tx.segments[-1].error(f"850 {po_number!r} has no PO1 line items")
    items = tuple(line.item(currency, back_order) for line in lines)
    line_count = quantity_hash = None
    if ctt is not None:
        line_count = ctt.integer(1)
        quantity_hash = ctt.integer(2)
        if line_count is not None and (w := count_check(line_count, len(items), ctt, 1, "line items")):
            warnings.append(w)
        total = sum(item.ordered_quantity.amount for item in items)
        if quantity_hash is not None and (w := count_check(quantity_hash, total, ctt, 2, "units")):
            warnings.append(w)

    day_of = {d.qualifier: d.date for d in dates}

    def window(start_code: str, end_code: str) -> api.DateTimeWindow | None:
        start, end = day_of.get(start_code), day_of.get(end_code)
        if start is not None and end is not None:
            return api.DateTimeWindow(_start_of(start), _end_of(end))
        if start is not None or end is not None:
            present, missing = (start_code, end_code) if start is not None else (end_code, start_code)
            segment = date_segments[present]
            warnings.append(
                X12Warning(
                    f"DTM {present} without DTM {missing}: window left empty", segment.index, "DTM", "DTM01"
                )
            )
        return None

    def party(entity: str) -> api.Party | None:
        party_id = next((p.id for p in parties if p.entity == entity and p.id), None)
        return api.Party(party_id=party_id) if party_id else None

    def reference(qualifier: str) -> str | None:
        return next((r.value for r in references if r.qualifier == qualifier and r.value), None)

    vendor_code = reference("CR")
    order = api.PurchaseOrder(
        purchase_order_number=po_number,
        purchase_order_state=None,
        details=api.PurchaseOrderDetails(
            purchase_order_date=_start_of(order_date),
            items=items,
            purchase_order_type=po_type,
            deal_code=reference("PD"),
            buying_party=party("BY"),
            selling_party=api.Party(party_id=vendor_code) if vendor_code else None,
            ship_to_party=party("ST"),
            bill_to_party=party("BT"),
            ship_window=window("037", "038"),
            delivery_window=window("064", "063"),
        ),
    )
    return EdiPurchaseOrder(
        order=order,
        lines=tuple(line.extras() for line in lines),
        purchase_order_type_code=type_code,
        purpose_code=beg.text(1),
        currency_code=currency,
        fob_payment_code=fob,
        parties=tuple(parties),
        references=tuple(references),
        dates=tuple(dates),
        line_count=line_count,
        quantity_hash_total=quantity_hash,
        envelope=EnvelopeInfo.of(tx),
        warnings=tuple(warnings),
    )


@dataclass
class _Line:
    """A PO1 loop while it is being read (PO4, CTP and PID follow the PO1)."""

    sequence: str
    amount: int
    unit_code: str
    unit: str
    price: Decimal | None
    price_basis: str
    ids: tuple[ProductId, ...]
    pack: int | None = None
    list_price: Decimal | None = None
    description: str = ""

    def _vendor_id(self) -> ProductId | None:
        return next((p for p in self.ids if p.qualifier not in ASIN_QUALIFIERS), None)

    def item(self, currency: str, back_order: bool) -> api.PurchaseOrderItem:
        unit_size = self.pack or (1 if self.unit == "Eaches" else None)
        vendor = self._vendor_id()
        return api.PurchaseOrderItem(
            item_sequence_number=self.sequence,
            ordered_quantity=api.ItemQuantity(self.amount, self.unit, unit_size),
            is_back_order_allowed=back_order,
            amazon_product_identifier=next(
                (p.value for q in ASIN_QUALIFIERS for p in self.ids if p.qualifier == q), None
            ),
            vendor_product_identifier=vendor.value if vendor else None,
            net_cost=api.Money(self.price, currency) if self.price is not None else None,
            list_price=api.Money(self.list_price, currency) if self.list_price is not None else None,
        )

    def extras(self) -> EdiOrderLine:
        vendor = self._vendor_id()
        return EdiOrderLine(
            item_sequence_number=self.sequence,
            product_ids=self.ids,
            vendor_product_qualifier=vendor.qualifier if vendor else None,
            unit_of_measure_code=self.unit_code,
            price_basis=self.price_basis,
            description=self.description,
        )


def _read_po1(segment: Segment, warnings: list[X12Warning]) -> _Line:
    sequence = segment.text(1, required=True)
    amount: int = segment.integer(2, required=True)  # type: ignore[assignment]
    unit_code = segment.text(3, required=True)
    unit = UOM_NAMES.get(unit_code)
    if unit is None:
        warnings.append(X12Warning(f"unknown unit of measure {unit_code!r}", segment.index, "PO1", "PO103"))
        unit = unit_code
    price = segment.decimal(4)
    ids = read_product_ids(segment, 6, warnings, echoed=True)
    if not ids:
        raise segment.error(f"PO1 line {sequence!r} has no product id (PO106/PO107)", 6)
    return _Line(sequence, amount, unit_code, unit, price, segment.text(5), ids)


def read_purchase_orders(text: str, *, default_currency: str = "USD") -> ReadResult[EdiPurchaseOrder]:
    """Every good 850 in ``text``; bad sets are skipped into ``.rejected`` (other sets ignored).

    Raises ``X12Error`` for an unreadable interchange or a file without any 850.
    """
    return read_transaction_sets(
        text, "850", lambda tx: parse_850(tx, default_currency=default_currency), "850 purchase order"
    )
