"""The XLSX evidence pack for one or many shortage claims: what an Amazon dispute asks for.

Three sheets, each row naming its claim so the pack can be filtered in a spreadsheet:

* ``Claims``  — one row per claim: payment, claim document and date, claimed amount and units,
  invoice, PO, FC, ASN id and status, ship date, carrier SCAC, BOL, PRO, cartons, shipped vs
  received, disputable units and amount, verdict and its reason;
* ``Cartons`` — one row per carton/pallet content: SSCC-18, kind, parent SSCC, weight, PO line,
  ASIN, units (the proof Amazon's receiving team checks against);
* ``Lines``   — one row per PO line of the invoice: invoiced, shipped (ASN), received, short,
  provable, unit cost.

Written in openpyxl's write-only mode through ``vendorsync.exports.safe_cell_value`` (numbers stay
numbers, text can never become a formula).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from io import BytesIO
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from reconciliation.shortage.evidence import Evidence
from reconciliation.shortage_models import ShortageVerdict
from vendorsync.exports import XLSX_CONTENT_TYPE, safe_cell_value

CLAIM_HEADERS = (
    "Payment",
    "Claim",
    "Claim date",
    "Claimed amount",
    "Claimed units",
    "Invoice",
    "PO",
    "FC",
    "ASN",
    "ASN status",
    "Amazon transaction",
    "Ship date",
    "Carrier SCAC",
    "BOL",
    "PRO",
    "Cartons",
    "Invoiced units",
    "Shipped units (ASN)",
    "Received units (Amazon)",
    "Disputable units",
    "Disputable amount",
    "Verdict",
    "Reason",
)
CARTON_HEADERS = (
    "Claim",
    "Invoice",
    "PO",
    "ASN",
    "Container",
    "Kind",
    "SSCC",
    "Parent SSCC",
    "Weight",
    "Weight unit",
    "PO line",
    "ASIN",
    "Units",
    "SSCC problem",
)
LINE_HEADERS = (
    "Claim",
    "Invoice",
    "PO",
    "PO line",
    "ASIN",
    "Invoiced units",
    "Shipped units (ASN)",
    "Received units (Amazon)",
    "Short per Amazon",
    "Provable by our cartons",
    "Unit cost",
)


def _sheet(workbook: Workbook, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    sheet = workbook.create_sheet(title=title)
    header = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([safe_cell_value(value) for value in row])


def claim_row(e: Evidence) -> list[Any]:
    s = e.shipment or {}
    verdict = ShortageVerdict(e.verdict).label
    return [
        e.payment_number,
        e.document_number,
        e.claim_date,
        e.claimed_amount,
        e.claimed_units,
        e.invoice_number,
        e.purchase_order_number,
        e.fc,
        s.get("shipment_identifier", ""),
        s.get("status", ""),
        s.get("transaction_id") or s.get("edi_group_control_number", ""),
        s.get("shipped_at"),
        s.get("carrier_scac", ""),
        s.get("bill_of_lading", ""),
        s.get("pro_number", ""),
        len(e.containers) if s else None,
        e.invoiced_units,
        e.shipped_units,
        e.received_units,
        e.disputable_units,
        e.amount_at_risk,
        verdict,
        e.reason,
    ]


def build_pack(evidence: Sequence[Evidence]) -> bytes:
    workbook = Workbook(write_only=True)
    _sheet(workbook, "Claims", CLAIM_HEADERS, (claim_row(e) for e in evidence))
    asn = {e.line_id: (e.shipment or {}).get("shipment_identifier", "") for e in evidence}
    _sheet(
        workbook,
        "Cartons",
        CARTON_HEADERS,
        (
            [
                e.document_number,
                e.invoice_number,
                e.purchase_order_number,
                asn[e.line_id],
                c.label,
                c.kind,
                c.sscc,
                c.parent_sscc,
                c.weight,
                c.weight_unit,
                seq,
                asin,
                units,
                c.problem,
            ]  # fmt: skip
            for e in evidence
            for c in e.containers
            for seq, asin, units in (c.items or [("", "", None)])
        ),
    )
    _sheet(
        workbook,
        "Lines",
        LINE_HEADERS,
        (
            [
                e.document_number,
                e.invoice_number,
                e.purchase_order_number,
                ln.sequence,
                ln.asin,
                ln.invoiced,
                ln.shipped,
                ln.received,
                ln.shortfall,
                ln.provable,
                ln.cost_each,
            ]  # fmt: skip
            for e in evidence
            for ln in e.lines
        ),
    )
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def pack_response(evidence: Sequence[Evidence]) -> HttpResponse:
    name = (
        f"shortage-evidence-{evidence[0].document_number}"
        if len(evidence) == 1
        else f"shortage-evidence-{len(evidence)}-claims-{timezone.localdate():%Y%m%d}"
    )
    response = HttpResponse(build_pack(evidence), content_type=XLSX_CONTENT_TYPE)
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name)
    response["Content-Disposition"] = f'attachment; filename="{safe}.xlsx"'
    return response
