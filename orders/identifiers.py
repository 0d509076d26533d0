"""Product identifiers: GTIN normalisation (python-stdnum) and what kind of id a vendor product id is.

The 12-digit UPC-A, the 13-digit EAN and the 14-digit GTIN of one product are the same GTIN
once left-padded with zeros to 14 digits; that 14-digit form is what we store and compare.
"""

from __future__ import annotations

import re

from stdnum import ean
from stdnum.exceptions import ValidationError

from orders.models import IdentifierKind

_ASIN = re.compile(r"^B0[0-9A-Z]{8}$")


def gtin14(value: str | None) -> str | None:
    """The 14-digit form of a valid GTIN-8/12/13/14, or None when ``value`` is not one."""
    if not value:
        return None
    digits = ean.compact(value.strip())
    if not digits.isdigit() or len(digits) not in (8, 12, 13, 14):
        return None
    try:
        ean.validate(digits)
    except ValidationError:
        return None
    return digits.rjust(14, "0")


def is_asin(value: str | None) -> bool:
    return bool(value) and bool(_ASIN.match(value.strip().upper()))


def classify(value: str) -> tuple[str, str]:
    """(kind, normalised value) for an identifier typed by a person or sent by Amazon."""
    text = value.strip()
    gtin = gtin14(text)
    if gtin is not None:
        return IdentifierKind.GTIN, gtin
    if is_asin(text):
        return IdentifierKind.ASIN, text.upper()
    return IdentifierKind.VENDOR_SKU, text


def normalise(kind: str, value: str) -> str:
    """The stored form of ``value`` for ``kind``; raises ValueError naming what is wrong."""
    text = value.strip()
    if not text:
        raise ValueError("The identifier is empty.")
    if kind == IdentifierKind.GTIN:
        gtin = gtin14(text)
        if gtin is None:
            raise ValueError(f"{text!r} is not a valid EAN/UPC/GTIN (length or check digit).")
        return gtin
    if kind == IdentifierKind.ASIN:
        if not is_asin(text) and not re.fullmatch(r"[0-9X]{10}", text.upper()):
            raise ValueError(f"{text!r} is not an ASIN (10 characters, e.g. B07DFVDRAB).")
        return text.upper()
    if kind == IdentifierKind.VENDOR_SKU:
        return text
    raise ValueError(f"Unknown identifier kind {kind!r}.")
