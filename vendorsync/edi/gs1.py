"""GS1 check digits for what we send and receive: SSCC-18 (cartons, pallets) and GTIN/UPC/EAN.

Strict on output (``require_*`` raise ``ValueError`` naming the container or line), lenient on
input (``*_problem`` return a message for a warning). Check digits come from ``python-stdnum``.
"""

from __future__ import annotations

from stdnum import ean, isbn
from stdnum.exceptions import ValidationError

# Product-id qualifiers whose value is a GS1 number with a mod-10 check digit.
GS1_QUALIFIERS = {"EN": (13,), "UP": (12,), "UK": (14,), "UA": (12, 13, 14)}


def sscc_problem(value: str) -> str | None:
    """Why ``value`` is not an SSCC (18 digits, or 20 with the AI ``00``), or None if valid."""
    digits = value[2:] if len(value) == 20 and value.startswith("00") else value
    if len(digits) != 18 or not digits.isdigit():
        return f"SSCC {value!r} must be 18 digits (or 20 with the AI prefix 00)"
    expected = ean.calc_check_digit(digits[:17])
    if digits[17] != expected:
        return f"SSCC {value!r} has check digit {digits[17]}, expected {expected}"
    return None


def sscc_for_asn(value: str, what: str) -> str:
    """The 20-character ``00`` + SSCC-18 form sent in ``MAN*GM``; raises ValueError naming ``what``."""
    problem = sscc_problem(value)
    if problem:
        raise ValueError(f"{what}: {problem}")
    return value if len(value) == 20 else "00" + value


def product_id_problem(qualifier: str, value: str) -> str | None:
    """Why a product id with a GS1/ISBN qualifier is invalid, or None (other qualifiers: no check)."""
    if qualifier in GS1_QUALIFIERS:
        lengths = GS1_QUALIFIERS[qualifier]
        if not value.isdigit() or len(value) not in lengths:
            allowed = " or ".join(str(n) for n in lengths)
            return f"{qualifier} {value!r} must be {allowed} digits"
        if not ean.is_valid(value):
            return f"{qualifier} {value!r} has check digit {value[-1]}, expected {ean.calc_check_digit(value[:-1])}"
    elif qualifier == "IB":
        try:
            isbn.validate(value)
        except ValidationError as exc:
            return f"IB {value!r} is not a valid ISBN ({exc})"
    return None


def require_valid_product_id(qualifier: str, value: str, what: str) -> None:
    if not value:
        raise ValueError(f"{what}: {qualifier} product id is empty")
    problem = product_id_problem(qualifier, value)
    if problem:
        raise ValueError(f"{what}: {problem}")
