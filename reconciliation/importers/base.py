"""The one normalised structure every importer produces, and the value parsers they share.

Amounts accept ``1,234.56``, ``(12.34)``, ``-12.34``, ``12.34-`` and a leading currency symbol or
code (``$``, ``€``, ``£``, ``USD``); dates ISO ``2026-11-30``, US ``11/30/2026``, ``30-Nov-2026``,
``Nov 30, 2026`` and ``20261130``. Anything else is a :class:`RowError` naming the row and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

CENT = Decimal("0.01")


@dataclass(frozen=True)
class RowError:
    row: int | None  # 1-based row in the file (header = 1) or segment number; None = whole file
    column: str
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def as_json(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


class ImportRefused(Exception):
    """The file (or payment) cannot be imported; nothing of it is written."""

    def __init__(self, errors: list[RowError], *, code: str = "invalid") -> None:
        self.errors = errors
        self.code = code
        super().__init__("; ".join(str(e) for e in errors[:20]) + (" …" if len(errors) > 20 else ""))


@dataclass(slots=True)  # slots: a large file holds 100,000 of these
class ParsedLine:
    row: int | None
    document_number: str
    amount_paid: Decimal
    document_date: date | None = None
    invoice_amount: Decimal | None = None
    discount: Decimal = Decimal("0.00")
    description: str = ""
    purchase_order: str = ""
    adjustment_code: str = ""


@dataclass
class ParsedPayment:
    payment_number: str
    payment_date: date
    amount: Decimal
    currency: str = "USD"
    lines: list[ParsedLine] = field(default_factory=list)
    unique_payment_id: str = ""
    payment_method: str = ""
    payee_code: str = ""
    row: int | None = None  # where the payment starts in the file

    @property
    def lines_total(self) -> Decimal:
        return sum((line.amount_paid for line in self.lines), Decimal("0.00"))


@dataclass
class ParsedFile:
    format: str
    payments: list[ParsedPayment]
    warnings: list[str] = field(default_factory=list)


_PLAIN = re.compile(r"-?\d+(?:\.\d{1,2})?")
_SYMBOLS = re.compile(r"^(?:[$€£¥]|US\$|USD|EUR|GBP|CAD|JPY)\s*|\s*(?:[$€£¥]|USD|EUR|GBP|CAD|JPY)$", re.I)


def parse_amount(raw: object) -> Decimal:
    """A money value as a cent-quantised Decimal; ``ValueError`` with a readable reason otherwise."""
    if isinstance(raw, Decimal):
        return raw.quantize(CENT)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return Decimal(raw).quantize(CENT)
    if isinstance(raw, float):  # openpyxl gives floats for numeric cells; their repr is the typed value
        return Decimal(repr(raw)).quantize(CENT)
    text = str(raw if raw is not None else "").strip()
    if _PLAIN.fullmatch(text):  # the common case, "-1234.56": no symbols, separators or brackets
        return Decimal(text).quantize(CENT)
    text = text.replace("\u00a0", "").replace(" ", "")
    if not text:
        raise ValueError("is empty")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.startswith("-"):
        negative, text = not negative, text[1:]
    elif text.endswith("-"):
        negative, text = not negative, text[:-1]
    text = _SYMBOLS.sub("", text)
    if text.startswith("-"):  # "$-12.34"
        negative, text = not negative, text[1:]
    text = text.replace(",", "")
    if not re.fullmatch(r"\d+(?:\.\d+)?|\.\d+", text):
        raise ValueError(f"{raw!s} is not an amount")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{raw!s} is not an amount") from None
    if value != value.quantize(CENT):
        raise ValueError(f"{raw!s} has more than two decimal places")
    return (-value if negative else value).quantize(CENT)


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%Y%m%d",
    "%d.%m.%Y",
)


def parse_date(raw: object) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    return _parse_date_text(str(raw if raw is not None else "").strip())


@lru_cache(maxsize=4096)
def _parse_date_text(text: str) -> date:
    # Cached: a remittance repeats a handful of dates on every row, and strptime is slow.
    if not text:
        raise ValueError("is empty")
    if "T" in text and len(text) > 10:  # ISO timestamp from an API
        text = text[:10]
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise ValueError(f"{text} is not a date (use YYYY-MM-DD or MM/DD/YYYY)")
