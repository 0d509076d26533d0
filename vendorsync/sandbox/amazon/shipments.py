"""Shipment confirmations (ASNs): Amazon's checks on ship dates, quantities, FCs and SSCC labels.

A confirmed shipment may not ship more than was accepted, must go to the PO's FC, and its
carton/pallet SSCCs must be valid SSCC-18s (GS1 check digit) never used by another shipment.
``Replace`` updates a shipment until the FC has received it. Each accepted shipment gets its
receiving date (one or two days later, seeded by the shipment id) for ``receiving``.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import datetime, timedelta

from stdnum import ean

from vendorsync.sandbox import catalog
from vendorsync.sandbox.common import utc_timestamp as iso

from . import payloads, shipment_model
from .core import SimulatorCore, err, parse_time
from .store import dumps, loads


def sscc_problem(value: str) -> str | None:
    """None if ``value`` is a valid SSCC-18 (optionally with the ``00`` AI, as the API wants)."""
    digits = value[2:] if len(value) == 20 and value.startswith("00") else value
    if len(digits) != 18 or not digits.isdigit():
        return f"SSCC {value} must be 18 digits, or 20 with the leading (00) application identifier."
    expected = ean.calc_check_digit(digits[:17])
    if digits[17] != expected:
        return f"SSCC {value} has an invalid check digit {digits[17]} (expected {expected})."
    return None


class Shipments(SimulatorCore):
    def _check_asn(self, doc: dict, prefix: str) -> list[dict[str, str]]:
        # Nested fields are checked against the model (an unknown field inside a carton is refused).
        problems = shipment_model.check(doc, "ShipmentConfirmation", prefix)
        problems += payloads.require(
            doc,
            prefix,
            (
                "shipmentIdentifier",
                "shipmentConfirmationType",
                "shipmentConfirmationDate",
                "sellingParty.partyId",
                "shipFromParty.partyId",
                "shipToParty.partyId",
                "shippedItems",
            ),
        )
        problems += payloads.enum(doc, prefix, "shipmentConfirmationType", ("Original", "Replace"))
        for i, item in enumerate(doc.get("shippedItems") or []):
            where = f"{prefix}.shippedItems[{i}]"
            problems += payloads.require(
                item, where, ("itemSequenceNumber", "shippedQuantity.amount", "shippedQuantity.unitOfMeasure")
            )
            problems += payloads.enum(item, where, "shippedQuantity.unitOfMeasure", ("Cases", "Eaches"))
        return problems

    def _apply_asn(self, db: sqlite3.Connection, doc: dict, at: datetime) -> list[dict[str, str]]:
        shipment_id = doc["shipmentIdentifier"]
        existing = db.execute("SELECT * FROM shipments WHERE id = ?", (shipment_id,)).fetchone()
        replace = doc["shipmentConfirmationType"] == "Replace"
        if existing and not replace:
            return [
                err("DUPLICATE_SHIPMENT_ID", f"Shipment {shipment_id} was already confirmed; send a Replace.")
            ]
        if replace and not existing:
            return [err("INVALID_SHIPMENT_ID", f"Replace refers to unknown shipment {shipment_id}.")]
        if existing and existing["received_at"]:
            return [err("INVALID_SHIPMENT_STATE", f"Shipment {shipment_id} was already received by the FC.")]
        if doc["sellingParty"]["partyId"] != catalog.VENDOR_CODE:
            return [err("InvalidInput", "sellingParty.partyId is not a vendor code of this vendor group.")]
        errors: list[dict[str, str]] = []
        shipped_at = parse_time(doc.get("shippedDate") or doc["shipmentConfirmationDate"])
        if not (at - timedelta(days=7) <= shipped_at <= at + timedelta(days=2)):
            errors.append(
                err("INVALID_SHIP_DATE", "shippedDate must be within the past 7 days or the next 2 days.")
            )
        already, resolved, references = self._shipped_units(db, shipment_id), [], set()
        container_po = self._container_purchase_orders(doc)
        for i, item in enumerate(doc["shippedItems"]):
            number = (
                payloads.get(item, "itemDetails.purchaseOrderNumber") or ""
            ).strip() or container_po.get(str(item["itemSequenceNumber"]), "")
            references.add(str(item["itemSequenceNumber"]))
            row = self._po(db, number, at) if number else None
            if row is None:
                errors.append(
                    err(
                        "INVALID_ORDER_ID",
                        "Invalid order ID.",
                        f"shippedItems[{i}] purchaseOrderNumber {number!r}",
                    )
                )
                continue
            if row["ship_to"] != doc["shipToParty"]["partyId"]:
                errors.append(
                    err(
                        "InvalidInput",
                        f"shipToParty does not match the ship-to FC of purchase order {number}.",
                    )
                )
            line = payloads.find_line(loads(row["details"]), item, by_sequence=False)
            if line is None:
                errors.append(
                    err("INVALID_ITEM_ID", f"shippedItems[{i}] is not an item of purchase order {number}.")
                )
                continue
            seq, units = line["itemSequenceNumber"], payloads.units(item["shippedQuantity"])
            acks = loads(row["lines"])[seq]["acks"]
            allowed = acks[-1]["accepted"] if acks else payloads.units(line["orderedQuantity"])
            total = (
                already.get((number, seq), 0)
                + units
                + sum(u for p, s, u in resolved if (p, s) == (number, seq))
            )
            if total > allowed:
                errors.append(
                    err(
                        "INVALID_QUANTITY",
                        f"Shipped quantity {total} exceeds the {allowed} units of {number} item {seq}.",
                    )
                )
            resolved.append((number, seq, units))
        ssccs = []
        for container in (doc.get("cartons") or []) + (doc.get("pallets") or []):
            for ident in container.get("cartonIdentifiers") or container.get("palletIdentifiers") or []:
                if ident.get("containerIdentificationType") == "SSCC":
                    value = str(ident.get("containerIdentificationNumber", ""))
                    problem = sscc_problem(value)
                    if problem:
                        errors.append(err("INVALID_SSCC", problem))
                    ssccs.append(value[-18:])
            for content in container.get("items") or []:
                if str(content.get("itemReference")) not in references:
                    errors.append(
                        err(
                            "InvalidInput",
                            f"Carton item reference {content.get('itemReference')} is unknown.",
                        )
                    )
        duplicates = {s for s in ssccs if ssccs.count(s) > 1}
        duplicates |= {
            r["sscc"]
            for r in db.execute(
                f"SELECT sscc FROM ssccs WHERE shipment_id != ? AND sscc IN ({','.join('?' * len(ssccs))})",  # noqa: S608
                (shipment_id, *ssccs),
            )
        }
        errors += [
            err("DUPLICATE_SSCC", f"SSCC {s} is already used by another container.")
            for s in sorted(duplicates)
        ]
        if errors:
            return errors
        rng = random.Random(f"receive-{shipment_id}")
        receive_on = shipped_at.date() + timedelta(days=rng.randint(1, 2))
        stored = doc | {"_lines": [{"po": p, "seq": s, "units": u} for p, s, u in resolved]}
        db.execute("DELETE FROM ssccs WHERE shipment_id = ?", (shipment_id,))
        db.executemany("INSERT INTO ssccs VALUES (?, ?)", [(s, shipment_id) for s in set(ssccs)])
        db.execute(
            "INSERT OR REPLACE INTO shipments VALUES (?, ?, ?, ?, NULL)",
            (shipment_id, dumps(stored), iso(at), receive_on.isoformat()),
        )
        return []

    @staticmethod
    def _container_purchase_orders(doc: dict) -> dict[str, str]:
        """The PO may be given on a carton's or pallet's item (``items[].itemDetails``) instead of on
        the shipped item, as the model allows: item reference → PO number."""
        found: dict[str, str] = {}
        for container in (doc.get("cartons") or []) + (doc.get("pallets") or []):
            for content in container.get("items") or []:
                number = (payloads.get(content, "itemDetails.purchaseOrderNumber") or "").strip()
                if number:
                    found.setdefault(str(content.get("itemReference")), number)
        return found
