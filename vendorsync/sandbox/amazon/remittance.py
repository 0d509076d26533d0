"""Remittance files as Amazon delivers them: Vendor Central export (CSV, XLSX) and EDI 820 (4010).

These are what VendorSync's importers read, so they follow the reference: document-number
patterns of §10.2, the 820 layout of §9.6 (BPR02 = Σ RMR04) and the logical Vendor Central
columns of §10.1 (Amazon does not publish the export's exact headers, so ``CSV_COLUMNS`` is our
best rendering of them and the importer maps headers through a table anyway). Every amount is a
cent-quantised ``Decimal`` and the lines of a payment always sum to its amount exactly.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from vendorsync.sandbox import catalog
from vendorsync.sandbox.common import cents

from .generate import CURRENCY

CSV_COLUMNS: tuple[str, ...] = (
    "Payment Number",
    "Payment Date",
    "Payment Amount",
    "Payment Currency",
    "Invoice Number",
    "Invoice Date",
    "Transaction Description",
    "Invoice Currency",
    "Invoice Amount",
    "Terms Discount Taken",
    "Amount Paid",
    "Remaining Amount",
)
VC_DATE_FORMAT = "%m/%d/%Y"  # Vendor Central (US) shows and exports dates as MM/DD/YYYY
AMAZON_EDI_ID = "AMAZON"
AMAZON_PAYER_NAME = "AMAZON.COM SERVICES LLC"


@dataclass(frozen=True)
class RemittanceLine:
    document_number: str  # invoice number or deduction document (INV1001SC, 12345678VCBSINV, ...)
    document_date: date
    invoice_amount: Decimal  # negative for deductions
    discount: Decimal  # terms discount taken (invoice lines only)
    amount_paid: Decimal  # = invoice_amount - discount
    description: str
    purchase_order: str = ""
    adjustment_code: str = ""  # X12 426 reason code for deduction lines in the 820 (ADX02)


@dataclass(frozen=True)
class Remittance:
    payment_number: str
    payment_date: date
    lines: tuple[RemittanceLine, ...]
    currency: str = CURRENCY

    @property
    def amount(self) -> Decimal:
        return cents(sum((line.amount_paid for line in self.lines), Decimal("0")))


@dataclass(frozen=True)
class RemittanceFile:
    payment_number: str
    payment_date: date
    format: str  # "csv" | "xlsx" | "820"
    path: Path


def _amount(value: Decimal) -> str:
    return str(cents(value))


def _rows(remittance: Remittance) -> list[list[object]]:
    return [
        [
            remittance.payment_number,
            remittance.payment_date,
            remittance.amount,
            remittance.currency,
            line.document_number,
            line.document_date,
            line.description,
            remittance.currency,
            line.invoice_amount,
            line.discount,
            line.amount_paid,
            cents(line.invoice_amount - line.discount - line.amount_paid),
        ]
        for line in remittance.lines
    ]


def write_csv(remittance: Remittance, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for row in _rows(remittance):
            writer.writerow(
                [
                    value.strftime(VC_DATE_FORMAT)
                    if isinstance(value, date)
                    else _amount(value)
                    if isinstance(value, Decimal)
                    else value
                    for value in row
                ]
            )
    return path


def write_xlsx(remittance: Remittance, path: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Remittance"
    sheet.append(list(CSV_COLUMNS))
    for row in _rows(remittance):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(cell.value, datetime | date):
                cell.number_format = "mm/dd/yyyy"
    workbook.save(path)
    return path


def bare_deductions(payment_number: str) -> bool:
    """Whether this payment's 820 writes deductions as bare RMR lines (half of them do).

    Real 820s come both ways: some carry REF*PO, DTM*003 and ADX under every deduction line,
    many give only the RMR. The importer must classify from document numbers either way.
    """
    return int(payment_number) % 2 == 1 if payment_number.isdigit() else False


def edi_820(
    remittance: Remittance,
    *,
    control_number: int,
    created: datetime,
    test: bool = True,
    bare: bool | None = None,
) -> str:
    """One interchange with one 820 (4010), segments terminated by ``~`` and a newline.

    Layout per reference §9.6: BPR (BPR02 = payment amount, BPR16 = effective date), TRN02 =
    payment number, DTM*097, payer and payee N1, one ENT with an RMR per line (RMR04 paid,
    RMR05 invoice amount, RMR06 discount), then REF*PO, DTM*003 and an ADX for deductions —
    unless ``bare`` (default: ``bare_deductions(payment number)``), when a deduction line is
    its RMR alone.
    """
    if bare is None:
        bare = bare_deductions(remittance.payment_number)
    vendor = catalog.VENDOR_CODE
    pay_date = remittance.payment_date.strftime("%Y%m%d")
    body: list[str] = [
        f"ST*820*{1:04d}",
        "*".join(
            [
                "BPR*C",
                _amount(remittance.amount),
                "C*ACH*CTX*01*021000021*DA*7712340001*1811600000**01*026009593*DA*4455660002",
                pay_date,
            ]
        ),
        f"TRN*1*{remittance.payment_number}",
        f"DTM*097*{pay_date}",
        f"N1*PR*{AMAZON_PAYER_NAME}",
        f"N1*PE*{catalog.VENDOR_NAME.upper()}*92*{vendor}",
        "ENT*1",
    ]
    for line in remittance.lines:
        rmr = ["RMR", "IV", line.document_number, "", _amount(line.amount_paid), _amount(line.invoice_amount)]
        if line.discount:
            rmr.append(_amount(line.discount))
        body.append("*".join(rmr))
        if bare and line.amount_paid < 0:
            continue
        if line.purchase_order:
            body.append(f"REF*PO*{line.purchase_order}")
        body.append(f"DTM*003*{line.document_date:%Y%m%d}")
        if line.adjustment_code:
            body.append(f"ADX*{_amount(line.amount_paid)}*{line.adjustment_code}")
    body.append(f"SE*{len(body) + 1}*{1:04d}")
    usage = "T" if test else "P"
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{AMAZON_EDI_ID:<15}*ZZ*{vendor:<15}*{created:%y%m%d}*{created:%H%M}"
        f"*U*00401*{control_number:09d}*0*{usage}*>"
    )
    segments = [
        isa,
        f"GS*RA*{AMAZON_EDI_ID}*{vendor}*{created:%Y%m%d}*{created:%H%M}*{control_number}*X*004010",
        *body,
        f"GE*1*{control_number}",
        f"IEA*1*{control_number:09d}",
    ]
    return "".join(segment + "~\n" for segment in segments)


def write_820(remittance: Remittance, path: Path, *, control_number: int, created: datetime) -> Path:
    path.write_text(edi_820(remittance, control_number=control_number, created=created), encoding="ascii")
    return path
