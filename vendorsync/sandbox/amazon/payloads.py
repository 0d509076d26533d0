"""Reading SP-API documents the way Amazon's validators do: dotted paths, required fields, enums.

Shared by the acknowledgement, shipment and invoice rules. Errors use SP-API's
``{"code", "message", "details"}`` shape so the client's error parsing meets the real thing.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .core import err


def units(quantity: dict[str, Any]) -> int:
    amount = int(quantity.get("amount") or 0)
    return amount * int(quantity.get("unitSize") or 1) if quantity.get("unitOfMeasure") == "Cases" else amount


def decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def get(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


def require(doc: dict, prefix: str, paths: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        err("InvalidInput", f"Missing required field '{prefix}.{path}'.")
        for path in paths
        if get(doc, path) in (None, "", [])
    ]


def enum(doc: dict, prefix: str, path: str, allowed: tuple[str, ...]) -> list[dict[str, str]]:
    value = get(doc, path)
    if value is None or value in allowed:
        return []
    return [
        err(
            "InvalidInput",
            f"Value '{value}' is not valid with respect to enumeration '[{', '.join(allowed)}]'. "
            f"It must be a value from the enumeration.",
            f"{prefix}.{path}",
        )
    ]


def find_line(details: dict, item: dict, *, by_sequence: bool) -> dict | None:
    """The PO line an acknowledged/shipped/invoiced item refers to (identifiers stripped)."""
    asin = (item.get("amazonProductIdentifier") or "").strip()
    vendor_id = (item.get("vendorProductIdentifier") or "").strip()
    for line in details["items"]:
        if by_sequence and item.get("itemSequenceNumber"):
            if str(line["itemSequenceNumber"]).lstrip("0") != str(item["itemSequenceNumber"]).lstrip("0"):
                continue
            if asin and asin != line["amazonProductIdentifier"]:
                return None
            if vendor_id and vendor_id != line["vendorProductIdentifier"]:
                return None
            return line
        if (asin and asin == line["amazonProductIdentifier"]) or (
            vendor_id and vendor_id == line["vendorProductIdentifier"]
        ):
            return line
    return None
