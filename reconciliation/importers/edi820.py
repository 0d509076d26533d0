"""EDI 820 remittance advice into the normalised structure (the X12 reading is vendorsync.edi's).

A set the reader rejects, or a truncated interchange, refuses the whole file: one bad payment in
an 820 file is not silently dropped while the others import.
"""

from __future__ import annotations

from decimal import Decimal

from reconciliation.importers.base import CENT, ImportRefused, ParsedFile, ParsedLine, ParsedPayment, RowError
from vendorsync.edi.errors import X12Error
from vendorsync.edi.remittance import read_remittances


def read(data: bytes, name: str = "") -> ParsedFile:
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise ImportRefused(
            [RowError(None, "", f"an 820 must be ASCII text (byte {exc.start} is not)")], code="encoding"
        ) from None
    try:
        result = read_remittances(text)
    except X12Error as exc:
        raise ImportRefused(
            [RowError(getattr(exc, "segment_index", None), getattr(exc, "element", "") or "", str(exc))],
            code="bad_edi",
        ) from None
    if result.rejected:
        raise ImportRefused(
            [
                RowError(
                    error.segment_index,
                    error.element or error.segment_id or "",
                    f"820 rejected: {error.detail}",
                )
                for rejection in result.rejected
                for error in rejection.errors
            ],
            code="bad_edi",
        )
    payments = []
    for remittance in result.documents:
        if remittance.payment_date is None:
            date = next((d.date for d in remittance.dates if d.qualifier == "097"), None)
        else:
            date = remittance.payment_date
        if date is None:
            raise ImportRefused(
                [RowError(None, "BPR16", f"payment {remittance.payment_number} has no date")], code="bad_edi"
            )
        lines = []
        for number, line in enumerate(remittance.lines, start=1):
            if line.amount_paid is None:
                raise ImportRefused(
                    [RowError(number, "RMR04", f"line {line.document_number} has no amount paid")],
                    code="bad_edi",
                )
            po = next((r.value for r in line.references if r.qualifier == "PO"), "")
            lines.append(
                ParsedLine(
                    row=number,
                    document_number=line.document_number,
                    amount_paid=line.amount_paid.quantize(CENT),
                    document_date=line.invoice_date,
                    invoice_amount=line.invoice_amount.quantize(CENT)
                    if line.invoice_amount is not None
                    else None,
                    discount=(line.discount_amount or Decimal("0")).quantize(CENT),
                    purchase_order=po,
                    adjustment_code=line.adjustments[0].reason_code if line.adjustments else "",
                )
            )
        amount = remittance.payment_amount.quantize(CENT)
        if remittance.credit_debit == "D":
            amount = -amount
        payments.append(
            ParsedPayment(
                payment_number=remittance.payment_number,
                payment_date=date,
                amount=amount,
                currency=remittance.currency_code or "USD",
                lines=lines,
                payment_method=remittance.payment_method,
                payee_code=remittance.payee.id if remittance.payee else "",
            )
        )
    warnings = [f"{r.payment_number}: {w}" for r in result.documents for w in r.warnings]
    return ParsedFile(format="edi820", payments=payments, warnings=warnings)
