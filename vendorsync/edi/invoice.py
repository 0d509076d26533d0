"""810 Invoice (vendor → Amazon, X12 4010), written from and read back into the Vendor Invoices
API's ``Invoice`` — one invoice type for both channels.

Heading: ``BIG*<invoice date>*<invoice id>**<PO no>`` (the PO of the items: an 810 invoices one
PO), ``CUR*SE*<currency>``, N1 loops (BT bill-to, RI remit-to, ST ship-to, SF ship-from: N102 the
party's address name, N104 its id, N3/N4 its address), ``ITD`` terms (``paymentTerms``, ITD01 codes
1:1 with the API's types, reference §9.5). Detail: ``IT1`` per item (``itemSequenceNumber``,
quantity, Eaches EA / Cases CA, net cost, product ids from the item unless the caller passes the
850's own). Summary: ``TDS`` (total in cents, N2), ``SAC`` per header charge (C) or allowance (A) —
Freight D240, Discount C310; other types have no agreed code here and are refused — and
``CTT*<lines>``.

The total is computed — Σ quantity × net cost + charges − allowances — and must equal
``invoiceTotal`` to the cent (Amazon checks the arithmetic), so an invoice carrying taxes, which
the 810 here does not write, is refused rather than sent short. Credit notes are refused too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from decimal import Decimal

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
from vendorsync.edi.values import EnvelopeInfo, N1Loop, ProductId, ReadResult, Reference
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
PAYMENT_TERMS_CODES = {name: code for code, name in PAYMENT_TERMS_TYPES.items()}
SAC_CODES = {"Freight": "D240", "Discount": "C310"}
UNIT = {"Eaches": "EA", "Cases": "CA"}
PARTIES = (
    ("BT", "bill_to_party"),
    ("RI", "remit_to_party"),
    ("ST", "ship_to_party"),
    ("SF", "ship_from_party"),
)
# The invoice date is a day in X12; read back it is noon UTC, the same day in every time zone.
NOON = time(12, 0)


@dataclass(frozen=True)
class EdiInvoice:
    """An 810 read back: ``invoice`` is the API value; the rest is what only X12 carries."""

    invoice: api.Invoice
    purchase_order_number: str  # BIG04 (also on every item)
    product_ids: Mapping[int, tuple[ProductId, ...]]  # IT1 pairs by item sequence number
    purchase_order_date: datetime | None = None  # BIG03
    references: tuple[Reference, ...] = ()
    parties: tuple[N1Loop, ...] = ()
    envelope: EnvelopeInfo | None = field(default=None, compare=False)
    warnings: tuple[X12Warning, ...] = field(default=(), compare=False)


def _money(value: api.Money, currency: str, what: str) -> Decimal:
    if value.currency_code not in (None, currency):
        raise ValueError(f"{what}: currency {value.currency_code} is not the invoice's {currency}")
    return value.amount


def build_810_body(
    invoice: api.Invoice, *, product_ids: Mapping[int, Sequence[ProductId]] | None = None
) -> list[SegmentData]:
    number = invoice.id
    if not number.strip():
        raise ValueError("810: invoice id is empty")
    if invoice.invoice_type != "Invoice":
        raise ValueError(f"810 {number}: only invoices are sent by 810, not {invoice.invoice_type}")
    if not invoice.items:
        raise ValueError(f"810 {number}: no items")
    pos = {item.purchase_order_number for item in invoice.items}
    if len(pos) != 1 or None in pos or "" in pos:
        named = ", ".join(sorted(str(p) for p in pos))
        raise ValueError(f"810 {number}: every item must name the same purchase order (BIG04), got {named}")
    po = str(pos.pop())
    currency = invoice.invoice_total.currency_code
    if not currency:
        raise ValueError(f"810 {number}: invoice total has no currency (CUR02)")
    body: list[SegmentData] = [
        ("BIG", x12_date(invoice.date.date()), number, None, po),
        ("CUR", "SE", currency),
    ]
    for entity, attribute in PARTIES:
        body.extend(party_segments(entity, getattr(invoice, attribute)))
    terms = invoice.payment_terms
    if terms is not None:
        code = PAYMENT_TERMS_CODES.get(terms.type or "Basic")
        if code is None:
            raise ValueError(f"810 {number}: payment terms type {terms.type!r} has no ITD01 code")
        body.append(
            (
                "ITD",
                code,
                "3",
                terms.discount_percent,
                None,
                terms.discount_due_days,
                None,
                terms.net_due_days,
            )
        )
    total = Decimal(0)
    for item in invoice.items:
        what = f"810 {number} line {item.item_sequence_number}"
        quantity = item.invoiced_quantity
        if quantity.amount <= 0:
            raise ValueError(f"{what}: quantity {quantity.amount} must be positive")
        unit = UNIT.get(quantity.unit_of_measure or "")
        if unit is None:
            raise ValueError(f"{what}: unit {quantity.unit_of_measure!r} is not Eaches or Cases")
        price = _money(item.net_cost, currency, what)
        if price <= 0:
            raise ValueError(f"{what}: net cost {price} must be positive")
        total += quantity.amount * price
        ids = (product_ids or {}).get(item.item_sequence_number) or product_ids_for(
            item.amazon_product_identifier, item.vendor_product_identifier
        )
        body.append(
            (
                "IT1",
                item.item_sequence_number,
                quantity.amount,
                unit,
                price,
                None,
                *product_id_elements(ids, what),
            )
        )
    charges: list[SegmentData] = []
    entries = [("C", c.type, c.charge_amount, c.description) for c in invoice.charge_details]
    entries += [("A", a.type, a.allowance_amount, a.description) for a in invoice.allowance_details]
    for indicator, kind, money, description in entries:
        what = f"810 {number} SAC {indicator} {kind}"
        code = SAC_CODES.get(kind)
        if code is None:
            raise ValueError(f"{what}: no SAC02 code for {kind!r} (known: {', '.join(SAC_CODES)})")
        amount = _money(money, currency, what)
        if amount < 0:
            raise ValueError(f"{what}: amount {amount} must not be negative (the indicator gives the sign)")
        total += amount if indicator == "C" else -amount
        charges.append(
            (
                "SAC",
                indicator,
                code,
                None,
                None,
                format_cents(amount, what),
                *([None] * 9 + [description] if description else []),
            )
        )
    stated = _money(invoice.invoice_total, currency, f"810 {number} total")
    format_cents(total, f"810 {number} total")
    if total != stated:
        raise ValueError(f"810 {number}: items and charges add up to {total}, invoice total says {stated}")
    body.append(("TDS", format_cents(total, f"810 {number} total")))
    body.extend(charges)
    body.append(("CTT", len(invoice.items)))
    return body


def write_810(
    invoice: api.Invoice,
    *,
    envelope: OutboundEnvelope,
    control_numbers: ControlNumberSource,
    at: datetime,
    product_ids: Mapping[int, Sequence[ProductId]] | None = None,
) -> str:
    """A complete 4010 interchange (GS01 IN) holding one 810."""
    return render_interchange(
        [("810", build_810_body(invoice, product_ids=product_ids))],
        functional_id="IN",
        version=X12_4010,
        envelope=envelope,
        control_numbers=control_numbers,
        at=at,
    )


def parse_810(tx: TransactionSet, *, default_currency: str = "USD") -> EdiInvoice:
    if tx.id != "810":
        raise tx.segments[0].error(f"expected an 810, got {tx.id}", 1)
    body = tx.body
    warnings: list[X12Warning] = []
    big = next((s for s in body if s.id == "BIG"), None)
    if big is None:
        raise tx.segments[0].error("810 has no BIG segment")
    currency = next((s.text(2) for s in body if s.id == "CUR" and s.text(2)), default_currency)
    po = big.text(4, required=True)
    references: list[Reference] = []
    parties: list[N1Loop] = []
    items: list[api.InvoiceItem] = []
    ids: dict[int, tuple[ProductId, ...]] = {}
    charges: list[api.ChargeDetail] = []
    allowances: list[api.AllowanceDetail] = []
    terms: api.PaymentTerms | None = None
    tds = ctt = None
    kinds = {code: kind for kind, code in SAC_CODES.items()}
    units = {code: name for name, code in UNIT.items()}
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
            terms = api.PaymentTerms(
                type=PAYMENT_TERMS_TYPES.get(segment.text(1)),
                discount_percent=segment.decimal(3),
                discount_due_days=segment.integer(5),
                net_due_days=segment.integer(7),
            )
        elif segment.id == "IT1":
            sequence = segment.integer(1, required=True)
            ids[sequence] = read_product_ids(segment, 6, warnings)  # type: ignore[index]
            asin, vendor = split_product_ids(ids[sequence])  # type: ignore[index]
            items.append(
                api.InvoiceItem(
                    item_sequence_number=sequence,  # type: ignore[arg-type]
                    invoiced_quantity=api.ItemQuantity(
                        segment.integer(2, required=True),  # type: ignore[arg-type]
                        units.get(segment.text(3), segment.text(3)),
                    ),
                    net_cost=api.Money(segment.decimal(4, required=True), currency),  # type: ignore[arg-type]
                    amazon_product_identifier=asin,
                    vendor_product_identifier=vendor,
                    purchase_order_number=po,
                )
            )
        elif segment.id == "TDS":
            tds = segment
        elif segment.id == "SAC":
            amount = api.Money(segment.implied_cents(5, required=True), currency)  # type: ignore[arg-type]
            kind = kinds.get(segment.text(2), segment.text(2))
            description = segment.text(15) or None
            if segment.text(1) == "C":
                charges.append(api.ChargeDetail(kind, amount, description))
            else:
                allowances.append(api.AllowanceDetail(kind, amount, description))
        elif segment.id == "CTT":
            ctt = segment
        position += 1
    if tds is None:
        raise tx.segments[-1].error("810 has no TDS (total)")
    stated = tds.implied_cents(1, required=True)
    by_entity = {party.entity: party.party for party in parties}
    remit_to = by_entity.get("RI")
    if remit_to is None:
        raise big.error("810 has no N1*RI (remit-to)")
    day = big.date(1, required=True)
    invoice = api.Invoice(
        invoice_type="Invoice",
        id=big.text(2, required=True),
        date=datetime.combine(day, NOON, UTC),  # type: ignore[arg-type]
        remit_to_party=remit_to,
        invoice_total=api.Money(stated, currency),  # type: ignore[arg-type]
        ship_to_party=by_entity.get("ST"),
        ship_from_party=by_entity.get("SF"),
        bill_to_party=by_entity.get("BT"),
        payment_terms=terms,
        charge_details=tuple(charges),
        allowance_details=tuple(allowances),
        items=tuple(items),
    )
    computed = sum((i.invoiced_quantity.amount * i.net_cost.amount for i in items), Decimal(0))
    computed += sum((c.charge_amount.amount for c in charges), Decimal(0))
    computed -= sum((a.allowance_amount.amount for a in allowances), Decimal(0))
    if stated != computed:
        warnings.append(
            X12Warning(f"TDS01 says {stated}, lines and SAC add up to {computed}", tds.index, "TDS", "TDS01")
        )
    if ctt is not None and (w := count_check(ctt.integer(1) or 0, len(items), ctt, 1, "line items")):
        warnings.append(w)
    po_date = big.date(3)
    return EdiInvoice(
        invoice=invoice,
        purchase_order_number=po,
        product_ids=ids,
        purchase_order_date=datetime.combine(po_date, NOON, UTC) if po_date else None,
        references=tuple(references),
        parties=tuple(parties),
        envelope=EnvelopeInfo.of(tx),
        warnings=tuple(warnings),
    )


def read_invoices(text: str) -> ReadResult[EdiInvoice]:
    """Every good 810 in ``text``; bad sets are skipped into ``.rejected``."""
    return read_transaction_sets(text, "810", parse_810, "810 invoice")
