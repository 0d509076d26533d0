"""810 Invoice (vendor → Amazon, X12 4010): writer and reader.

Heading: ``BIG*<invoice date>*<invoice no>*<PO date>*<PO no>``, ``CUR*SE*<currency>``, ``REF``s,
N1 loops (BT bill-to, RI remit-to, ST ship-to, with N3/N4), ``ITD`` terms. Detail: ``IT1`` per
line (line no, quantity, unit, unit price, basis, product ids). Summary: ``TDS`` (total in
cents, N2), ``CAD`` (carrier: transport method, SCAC, bill of lading), ``SAC`` per allowance (A)
or charge (C) with its code (``D240`` freight…) and amount in cents, and ``CTT*<lines>``.

The total is computed, never taken from the caller: Σ quantity × unit price + charges −
allowances. A total that is not a whole number of cents is refused (Amazon checks the
arithmetic to the cent).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
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
from vendorsync.edi.values import EnvelopeInfo, Party, ProductId, ReadResult, Reference
from vendorsync.edi.x12 import (
    X12_4010,
    ControlNumberSource,
    OutboundEnvelope,
    SegmentData,
    TransactionSet,
    format_cents,
    render_interchange,
    x12_date,
)

PAYMENT_TERMS_TYPES = {
    "01": "Basic",
    "02": "EndOfMonth",
    "03": "FixedDate",
    "09": "Proximo",
    "23": "PaymentDueUponReceiptOfInvoice",
    "41": "LetterofCredit",
}


@dataclass(frozen=True)
class PaymentTerms:
    """ITD: type code (ITD01), basis date code (ITD02, 3 = invoice date), discount and net days."""

    type_code: str = "01"
    basis_date_code: str = "3"
    discount_percent: Decimal | None = None  # ITD03
    discount_days: int | None = None  # ITD05
    net_days: int | None = None  # ITD07


@dataclass(frozen=True)
class CarrierDetail:
    """CAD: transport method (CAD01), SCAC (CAD04) and an optional bill of lading (CAD07/08)."""

    transport_method: str
    scac: str
    bill_of_lading_number: str = ""


@dataclass(frozen=True)
class AllowanceCharge:
    """SAC: indicator A (allowance) or C (charge), code (SAC02, e.g. D240 freight), amount ≥ 0."""

    indicator: str
    code: str
    amount: Decimal
    description: str = ""  # SAC15


@dataclass(frozen=True)
class InvoiceItem:
    item_sequence_number: str  # IT101
    quantity: int  # IT102
    unit_of_measure: str  # IT103: EA, CA
    unit_price: Decimal  # IT104
    product_ids: tuple[ProductId, ...]  # IT106.. pairs
    price_basis: str = ""  # IT105 (Amazon's sample leaves it blank)

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class Invoice:
    invoice_number: str  # BIG02
    invoice_date: date  # BIG01
    purchase_order_number: str  # BIG04
    currency_code: str  # CUR02
    items: tuple[InvoiceItem, ...]
    purchase_order_date: date | None = None  # BIG03
    references: tuple[Reference, ...] = ()  # e.g. REF*IA vendor number
    parties: tuple[Party, ...] = ()  # N1 BT / RI / ST …
    payment_terms: PaymentTerms | None = None
    carrier: CarrierDetail | None = None
    allowances_charges: tuple[AllowanceCharge, ...] = ()
    envelope: EnvelopeInfo | None = field(default=None, compare=False)
    warnings: tuple[X12Warning, ...] = field(default=(), compare=False)

    @property
    def total_amount(self) -> Decimal:
        """TDS01: Σ line amounts + charges − allowances."""
        total = sum((item.amount for item in self.items), Decimal(0))
        for entry in self.allowances_charges:
            total += entry.amount if entry.indicator == "C" else -entry.amount
        return total


def build_810_body(invoice: Invoice) -> list[SegmentData]:
    number = invoice.invoice_number
    if not number.strip():
        raise ValueError("810: invoice number is empty")
    if not invoice.purchase_order_number.strip():
        raise ValueError(f"810 {number}: purchase order number is empty")
    if not invoice.items:
        raise ValueError(f"810 {number}: no lines")
    body: list[SegmentData] = [
        (
            "BIG",
            x12_date(invoice.invoice_date),
            number,
            x12_date(invoice.purchase_order_date) if invoice.purchase_order_date else None,
            invoice.purchase_order_number,
        ),
        ("CUR", "SE", invoice.currency_code),
    ]
    body.extend(("REF", ref.qualifier, ref.value, ref.description or None) for ref in invoice.references)
    for party in invoice.parties:
        body.extend(party_segments(party))
    if invoice.payment_terms is not None:
        terms = invoice.payment_terms
        if terms.type_code not in PAYMENT_TERMS_TYPES:
            raise ValueError(
                f"810 {number}: ITD01 {terms.type_code!r} is not one of {sorted(PAYMENT_TERMS_TYPES)}"
            )
        body.append(
            (
                "ITD",
                terms.type_code,
                terms.basis_date_code,
                terms.discount_percent,
                None,
                terms.discount_days,
                None,
                terms.net_days,
            )
        )
    for item in invoice.items:
        what = f"810 {number} line {item.item_sequence_number}"
        if item.quantity <= 0:
            raise ValueError(f"{what}: quantity {item.quantity} must be positive")
        if item.unit_price <= 0:
            raise ValueError(f"{what}: unit price {item.unit_price} must be positive")
        body.append(
            (
                "IT1",
                item.item_sequence_number,
                item.quantity,
                item.unit_of_measure,
                item.unit_price,
                item.price_basis or None,
                *product_id_elements(item.product_ids, what),
            )
        )
    body.append(("TDS", format_cents(invoice.total_amount, f"810 {number} total")))
    if invoice.carrier is not None:
        carrier = invoice.carrier
        bol = carrier.bill_of_lading_number
        body.append(
            (
                "CAD",
                carrier.transport_method,
                None,
                None,
                carrier.scac,
                None,
                None,
                "BM" if bol else None,
                bol or None,
            )
        )
    for entry in invoice.allowances_charges:
        what = f"810 {number} SAC {entry.indicator}*{entry.code}"
        if entry.indicator not in ("A", "C"):
            raise ValueError(f"{what}: indicator must be A (allowance) or C (charge)")
        if entry.amount < 0:
            raise ValueError(
                f"{what}: amount {entry.amount} must not be negative (the indicator gives the sign)"
            )
        body.append(
            (
                "SAC",
                entry.indicator,
                entry.code,
                None,
                None,
                format_cents(entry.amount, what),
                *([None] * 9 + [entry.description] if entry.description else []),
            )
        )
    body.append(("CTT", len(invoice.items)))
    return body


def write_810(
    invoice: Invoice,
    *,
    envelope: OutboundEnvelope,
    control_numbers: ControlNumberSource,
    at: datetime,
) -> str:
    """A complete 4010 interchange (GS01 IN) holding one 810."""
    return render_interchange(
        [("810", build_810_body(invoice))],
        functional_id="IN",
        version=X12_4010,
        envelope=envelope,
        control_numbers=control_numbers,
        at=at,
    )


def parse_810(tx: TransactionSet, *, default_currency: str = "USD") -> Invoice:
    if tx.id != "810":
        raise tx.segments[0].error(f"expected an 810, got {tx.id}", 1)
    body = tx.body
    warnings: list[X12Warning] = []
    big = next((s for s in body if s.id == "BIG"), None)
    if big is None:
        raise tx.segments[0].error("810 has no BIG segment")
    currency = next((s.text(2) for s in body if s.id == "CUR" and s.text(2)), default_currency)
    references: list[Reference] = []
    parties: list[Party] = []
    items: list[InvoiceItem] = []
    charges: list[AllowanceCharge] = []
    terms: PaymentTerms | None = None
    carrier: CarrierDetail | None = None
    tds = ctt = None
    position = 0
    while position < len(body):
        segment = body[position]
        if segment.id == "N1":
            party, position = read_party(body, position)
            parties.append(party)
            continue
        if segment.id == "REF":
            references.append(Reference(segment.text(1), segment.text(2), segment.text(3)))
        elif segment.id == "ITD":
            terms = PaymentTerms(
                type_code=segment.text(1),
                basis_date_code=segment.text(2),
                discount_percent=segment.decimal(3),
                discount_days=segment.integer(5),
                net_days=segment.integer(7),
            )
        elif segment.id == "IT1":
            items.append(
                InvoiceItem(
                    item_sequence_number=segment.text(1, required=True),
                    quantity=segment.integer(2, required=True),  # type: ignore[arg-type]
                    unit_of_measure=segment.text(3, required=True),
                    unit_price=segment.decimal(4, required=True),  # type: ignore[arg-type]
                    product_ids=read_product_ids(segment, 6, warnings),
                    price_basis=segment.text(5),
                )
            )
        elif segment.id == "TDS":
            tds = segment
        elif segment.id == "CAD":
            carrier = CarrierDetail(
                transport_method=segment.text(1),
                scac=segment.text(4),
                bill_of_lading_number=segment.text(8) if segment.text(7) == "BM" else "",
            )
        elif segment.id == "SAC":
            charges.append(
                AllowanceCharge(
                    indicator=segment.text(1, required=True),
                    code=segment.text(2),
                    amount=segment.implied_cents(5, required=True),  # type: ignore[arg-type]
                    description=segment.text(15),
                )
            )
        elif segment.id == "CTT":
            ctt = segment
        position += 1
    if tds is None:
        raise tx.segments[-1].error("810 has no TDS (total)")
    invoice = Invoice(
        invoice_number=big.text(2, required=True),
        invoice_date=big.date(1, required=True),  # type: ignore[arg-type]
        purchase_order_number=big.text(4, required=True),
        currency_code=currency,
        items=tuple(items),
        purchase_order_date=big.date(3),
        references=tuple(references),
        parties=tuple(parties),
        payment_terms=terms,
        carrier=carrier,
        allowances_charges=tuple(charges),
        envelope=EnvelopeInfo.of(tx),
    )
    stated = tds.implied_cents(1, required=True)
    if stated != invoice.total_amount:
        warnings.append(
            X12Warning(
                f"TDS01 says {stated}, lines and SAC add up to {invoice.total_amount}",
                tds.index,
                "TDS",
                "TDS01",
            )
        )
    if ctt is not None and (w := count_check(ctt.integer(1) or 0, len(items), ctt, 1, "line items")):
        warnings.append(w)
    return replace(invoice, warnings=tuple(warnings))


def read_invoices(text: str) -> ReadResult[Invoice]:
    """Every good 810 in ``text``; bad sets are skipped into ``.rejected``."""
    return read_transaction_sets(text, "810", parse_810, "810 invoice")
