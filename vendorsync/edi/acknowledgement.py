"""855 Purchase Order Acknowledgment (vendor → Amazon, X12 4010): writer and reader.

Layout: ``BAK*00*<AC|AD>*<PO>*<date>``, then per PO line ``PO1`` (echoing the PO's line number,
quantity, unit, cost and product ids) followed by one ``ACK`` per status bucket
(``ACK*<status>*<qty>*<unit>[*068|067*<date>]``), then ``CTT*<lines>*<sum of PO102>``.

Statuses (ACK01): IA accepted, IB backordered, IR rejected, IQ/IP/IC accepted with quantity/price/
other changes, DR date rescheduled, IS substitution, R2 invalid item, R3 invalid unit. The API
codes map as ``API_ACK_CODES``; which status a line gets is decided by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from vendorsync.edi._common import count_check, product_id_elements, read_product_ids, read_transaction_sets
from vendorsync.edi.errors import X12Warning
from vendorsync.edi.values import EnvelopeInfo, ProductId, ReadResult
from vendorsync.edi.x12 import (
    X12_4010,
    ControlNumberSource,
    OutboundEnvelope,
    SegmentData,
    TransactionSet,
    render_interchange,
    x12_date,
)

ACK_STATUS_CODES = {
    "IA": "Item accepted",
    "IB": "Item backordered",
    "IR": "Item rejected",
    "IQ": "Item accepted - quantity changed",
    "IP": "Item accepted - price changed",
    "IC": "Item accepted - changes made",
    "DR": "Item accepted - date rescheduled",
    "IS": "Item accepted - substitution made",
    "R2": "Item rejected - invalid item product number",
    "R3": "Item rejected - invalid unit of issue",
}
API_ACK_CODES = {"Accepted": "IA", "Backordered": "IB", "Rejected": "IR"}
ACK_TYPES = {"AC", "AD"}  # BAK02: with detail and change / with detail, no change
DATE_QUALIFIERS = {"067", "068"}  # current schedule delivery / current schedule ship


@dataclass(frozen=True)
class ItemStatus:
    """One ACK: a status bucket for part of a line."""

    code: str  # ACK01, see ACK_STATUS_CODES
    quantity: int
    unit_of_measure: str = "EA"
    date_qualifier: str | None = None  # 068 ship / 067 delivery
    date: date | None = None


@dataclass(frozen=True)
class AcknowledgementItem:
    item_sequence_number: str  # echo PO101 exactly
    ordered_quantity: int
    unit_of_measure: str  # X12 code: EA, CA
    product_ids: tuple[ProductId, ...]  # echo the PO's qualifiers
    statuses: tuple[ItemStatus, ...]
    unit_price: Decimal | None = None
    price_basis: str = "PE"


@dataclass(frozen=True)
class PurchaseOrderAcknowledgement:
    purchase_order_number: str
    acknowledgement_date: date
    items: tuple[AcknowledgementItem, ...]
    acknowledgement_type: str = "AC"  # BAK02
    purpose_code: str = "00"  # BAK01
    envelope: EnvelopeInfo | None = field(default=None, compare=False)
    warnings: tuple[X12Warning, ...] = field(default=(), compare=False)


def build_855_body(ack: PurchaseOrderAcknowledgement) -> list[SegmentData]:
    """The 855 segments between ST and SE; raises ValueError naming the PO line that is wrong."""
    if not ack.purchase_order_number.strip():
        raise ValueError("855: purchase order number is empty")
    if ack.acknowledgement_type not in ACK_TYPES:
        raise ValueError(
            f"855 {ack.purchase_order_number}: BAK02 {ack.acknowledgement_type!r} is not AC or AD"
        )
    if not ack.items:
        raise ValueError(f"855 {ack.purchase_order_number}: no lines (every PO line must be acknowledged)")
    body: list[SegmentData] = [
        (
            "BAK",
            ack.purpose_code,
            ack.acknowledgement_type,
            ack.purchase_order_number,
            x12_date(ack.acknowledgement_date),
        )
    ]
    for item in ack.items:
        what = f"855 {ack.purchase_order_number} line {item.item_sequence_number}"
        if item.ordered_quantity < 0:
            raise ValueError(f"{what}: ordered quantity {item.ordered_quantity} is negative")
        if item.unit_price is not None and item.unit_price <= 0:
            raise ValueError(f"{what}: unit price {item.unit_price} must be positive")
        if not item.statuses:
            raise ValueError(f"{what}: needs at least one ACK status")
        body.append(
            (
                "PO1",
                item.item_sequence_number,
                item.ordered_quantity,
                item.unit_of_measure,
                item.unit_price,
                item.price_basis if item.unit_price is not None else None,
                *product_id_elements(item.product_ids, what),
            )
        )
        for status in item.statuses:
            if status.code not in ACK_STATUS_CODES:
                raise ValueError(f"{what}: unknown ACK status {status.code!r}")
            if status.quantity < 0:
                raise ValueError(f"{what}: ACK quantity {status.quantity} is negative")
            if (status.date is None) != (status.date_qualifier is None):
                raise ValueError(f"{what}: ACK date and date qualifier go together")
            if status.date_qualifier is not None and status.date_qualifier not in DATE_QUALIFIERS:
                raise ValueError(f"{what}: ACK04 {status.date_qualifier!r} is not 067 or 068")
            body.append(
                (
                    "ACK",
                    status.code,
                    status.quantity,
                    status.unit_of_measure,
                    status.date_qualifier,
                    x12_date(status.date) if status.date else None,
                )
            )
    body.append(("CTT", len(ack.items), sum(item.ordered_quantity for item in ack.items)))
    return body


def write_855(
    ack: PurchaseOrderAcknowledgement,
    *,
    envelope: OutboundEnvelope,
    control_numbers: ControlNumberSource,
    at: datetime,
) -> str:
    """A complete 4010 interchange (GS01 PR) holding one 855."""
    return render_interchange(
        [("855", build_855_body(ack))],
        functional_id="PR",
        version=X12_4010,
        envelope=envelope,
        control_numbers=control_numbers,
        at=at,
    )


def parse_855(tx: TransactionSet) -> PurchaseOrderAcknowledgement:
    if tx.id != "855":
        raise tx.segments[0].error(f"expected an 855, got {tx.id}", 1)
    warnings: list[X12Warning] = []
    bak = next((s for s in tx.body if s.id == "BAK"), None)
    if bak is None:
        raise tx.segments[0].error("855 has no BAK segment")
    items: list[AcknowledgementItem] = []
    current: dict | None = None
    statuses: list[ItemStatus] = []

    def finish() -> None:
        if current is not None:
            items.append(AcknowledgementItem(**current, statuses=tuple(statuses)))

    for segment in tx.body:
        if segment.id == "PO1":
            finish()
            statuses = []
            price = segment.decimal(4)
            current = {
                "item_sequence_number": segment.text(1, required=True),
                "ordered_quantity": segment.integer(2, required=True),
                "unit_of_measure": segment.text(3, required=True),
                "unit_price": price,
                "price_basis": segment.text(5) if price is not None else "PE",
                "product_ids": read_product_ids(segment, 6, warnings),
            }
        elif segment.id == "ACK":
            if current is None:
                raise segment.error("ACK before any PO1")
            code = segment.text(1, required=True)
            if code not in ACK_STATUS_CODES:
                warnings.append(X12Warning(f"unknown ACK status {code!r}", segment.index, "ACK", "ACK01"))
            statuses.append(
                ItemStatus(
                    code=code,
                    quantity=segment.integer(2, required=True),  # type: ignore[arg-type]
                    unit_of_measure=segment.text(3),
                    date_qualifier=segment.text(4) or None,
                    date=segment.date(5),
                )
            )
        elif segment.id == "CTT":
            finish()
            current = None
            if w := count_check(segment.integer(1) or 0, len(items), segment, 1, "line items"):
                warnings.append(w)
    finish()
    return PurchaseOrderAcknowledgement(
        purchase_order_number=bak.text(3, required=True),
        acknowledgement_date=bak.date(4, required=True),  # type: ignore[arg-type]
        items=tuple(items),
        acknowledgement_type=bak.text(2),
        purpose_code=bak.text(1),
        envelope=EnvelopeInfo.of(tx),
        warnings=tuple(warnings),
    )


def read_acknowledgements(text: str) -> ReadResult[PurchaseOrderAcknowledgement]:
    """Every good 855 in ``text``; bad sets are skipped into ``.rejected``."""
    return read_transaction_sets(text, "855", parse_855, "855 acknowledgement")
