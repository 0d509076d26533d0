"""820 Payment Order/Remittance Advice (Amazon → vendor, X12 4010) into a ``Remittance`` value.

BPR gives the payment (BPR01 handling code, BPR02 amount, BPR03 C/D, BPR04 method, BPR16 date),
TRN02 the payment number, N1*PR/PE the payer and payee; each RMR (under ENT) is one line: RMR01
qualifier (IV), RMR02 document number (``INV1001``, ``INV1001SC``, ``…VCBSINV``), RMR04 amount
paid, RMR05 invoice amount, RMR06 discount taken, followed by its REF, DTM (003 = invoice date)
and ADX adjustments. ADX before the first RMR of an ENT belongs to the entity, not a line.

No classification of lines here: that is reconciliation's rule. The reader only warns when the
lines do not add up to BPR02.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from vendorsync.edi._common import read_party, read_transaction_sets
from vendorsync.edi.errors import X12Warning
from vendorsync.edi.values import DateReference, EnvelopeInfo, N1Loop, ReadResult, Reference
from vendorsync.edi.x12 import Segment, TransactionSet


@dataclass(frozen=True)
class Adjustment:
    """ADX: amount (negative = deduction) and reason code (ADX02)."""

    amount: Decimal
    reason_code: str
    reference_qualifier: str = ""
    reference_id: str = ""


@dataclass(frozen=True)
class RemittanceLine:
    entity_number: int | None  # ENT01 this line sits under
    reference_qualifier: str  # RMR01, normally IV
    document_number: str  # RMR02
    amount_paid: Decimal | None  # RMR04
    invoice_amount: Decimal | None  # RMR05
    discount_amount: Decimal | None  # RMR06
    adjustments: tuple[Adjustment, ...] = ()
    references: tuple[Reference, ...] = ()
    dates: tuple[DateReference, ...] = ()

    @property
    def invoice_date(self) -> date | None:
        return next((d.date for d in self.dates if d.qualifier == "003"), None)


@dataclass(frozen=True)
class Remittance:
    payment_number: str  # TRN02
    trace_type: str  # TRN01
    transaction_handling_code: str  # BPR01: C payment + advice, I advice only…
    payment_amount: Decimal  # BPR02
    credit_debit: str  # BPR03: C credit, D debit
    payment_method: str  # BPR04: ACH, CHK, FWT…
    payment_format: str  # BPR05: CTX, CCP…
    payment_date: date | None  # BPR16
    currency_code: str  # CUR02, else the default
    payer: N1Loop | None  # N1*PR
    payee: N1Loop | None  # N1*PE
    lines: tuple[RemittanceLine, ...]
    dates: tuple[DateReference, ...] = ()
    references: tuple[Reference, ...] = ()
    parties: tuple[N1Loop, ...] = ()
    entity_adjustments: tuple[Adjustment, ...] = ()
    envelope: EnvelopeInfo | None = field(default=None, compare=False)
    warnings: tuple[X12Warning, ...] = field(default=(), compare=False)


def _adjustment(segment: Segment) -> Adjustment:
    return Adjustment(
        amount=segment.decimal(1, required=True),  # type: ignore[arg-type]
        reason_code=segment.text(2, required=True),
        reference_qualifier=segment.text(3),
        reference_id=segment.text(4),
    )


def parse_820(tx: TransactionSet, *, default_currency: str = "USD") -> Remittance:
    if tx.id != "820":
        raise tx.segments[0].error(f"expected an 820, got {tx.id}", 1)
    body = tx.body
    bpr = next((s for s in body if s.id == "BPR"), None)
    trn = next((s for s in body if s.id == "TRN"), None)
    if bpr is None:
        raise tx.segments[0].error("820 has no BPR segment")
    if trn is None:
        raise tx.segments[0].error("820 has no TRN segment (payment number)")
    currency = next((s.text(2) for s in body if s.id == "CUR" and s.text(2)), default_currency)
    warnings: list[X12Warning] = []
    parties: list[N1Loop] = []
    header_dates: list[DateReference] = []
    header_refs: list[Reference] = []
    entity_adjustments: list[Adjustment] = []
    lines: list[RemittanceLine] = []
    entity: int | None = None
    seen_entity = False
    line: dict | None = None

    def finish_line() -> None:
        if line is not None:
            lines.append(
                RemittanceLine(
                    **{
                        **line,
                        "adjustments": tuple(line["adjustments"]),
                        "references": tuple(line["references"]),
                        "dates": tuple(line["dates"]),
                    }
                )
            )

    position = 0
    while position < len(body):
        segment = body[position]
        seg_id = segment.id
        if seg_id == "N1" and not seen_entity:
            party, position = read_party(body, position)
            parties.append(party)
            continue
        if seg_id == "ENT":
            finish_line()
            line = None
            seen_entity = True
            entity = segment.integer(1)
        elif seg_id == "RMR":
            finish_line()
            line = {
                "entity_number": entity,
                "reference_qualifier": segment.text(1),
                "document_number": segment.text(2, required=True),
                "amount_paid": segment.decimal(4),
                "invoice_amount": segment.decimal(5),
                "discount_amount": segment.decimal(6),
                "adjustments": [],
                "references": [],
                "dates": [],
            }
        elif seg_id == "ADX":
            (line["adjustments"] if line is not None else entity_adjustments).append(_adjustment(segment))
        elif seg_id == "REF":
            reference = Reference(segment.text(1), segment.text(2), segment.text(3))
            (line["references"] if line is not None else header_refs).append(reference)
        elif seg_id == "DTM":
            when = DateReference(segment.text(1, required=True), segment.date(2, required=True))  # type: ignore[arg-type]
            (line["dates"] if line is not None else header_dates).append(when)
        position += 1
    finish_line()

    amount = bpr.decimal(2, required=True)
    assert amount is not None
    # Line-level ADX is already inside RMR04; entity-level ADX is not.
    paid = [entry.amount_paid for entry in lines if entry.amount_paid is not None]
    total = sum(paid, Decimal(0)) + sum((a.amount for a in entity_adjustments), Decimal(0))
    if paid and total != amount:
        warnings.append(
            X12Warning(
                f"RMR04 and entity ADX amounts add up to {total}, BPR02 says {amount}",
                bpr.index,
                "BPR",
                "BPR02",
            )
        )

    def party(entity_code: str) -> N1Loop | None:
        return next((p for p in parties if p.entity == entity_code), None)

    return Remittance(
        payment_number=trn.text(2, required=True),
        trace_type=trn.text(1),
        transaction_handling_code=bpr.text(1, required=True),
        payment_amount=amount,
        credit_debit=bpr.text(3),
        payment_method=bpr.text(4),
        payment_format=bpr.text(5),
        payment_date=bpr.date(16),
        currency_code=currency,
        payer=party("PR"),
        payee=party("PE"),
        lines=tuple(lines),
        dates=tuple(header_dates),
        references=tuple(header_refs),
        parties=tuple(parties),
        entity_adjustments=tuple(entity_adjustments),
        envelope=EnvelopeInfo.of(tx),
        warnings=tuple(warnings),
    )


def read_remittances(text: str, *, default_currency: str = "USD") -> ReadResult[Remittance]:
    """Every good 820 in ``text``; bad sets are skipped into ``.rejected``.

    Raises ``X12Error`` for an unreadable interchange or a file without any 820.
    """
    return read_transaction_sets(
        text, "820", lambda tx: parse_820(tx, default_currency=default_currency), "820 remittance advice"
    )
