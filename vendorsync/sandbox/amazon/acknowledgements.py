"""Acknowledgements (``submitAcknowledgement``): what Amazon checks and records when a vendor confirms a PO.

Structural problems are a synchronous 400; semantic ones (unknown PO or item, more than ordered,
accepting a line that was already rejected, a closed PO) make the transaction end in Failure.
An accepted acknowledgement stores accepted/rejected units per line and moves the PO to
Acknowledged, or Closed when nothing was accepted.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from vendorsync.sandbox.common import utc_timestamp as iso

from . import payloads
from .core import SimulatorCore, err
from .store import loads


class Acknowledgements(SimulatorCore):
    def _check_ack(self, doc: dict, prefix: str) -> list[dict[str, str]]:
        problems = payloads.require(
            doc, prefix, ("purchaseOrderNumber", "sellingParty.partyId", "acknowledgementDate", "items")
        )
        for i, item in enumerate(doc.get("items") or []):
            where = f"{prefix}.items[{i}]"
            problems += payloads.require(item, where, ("orderedQuantity.amount", "itemAcknowledgements"))
            for j, ack in enumerate(item.get("itemAcknowledgements") or []):
                at = f"{where}.itemAcknowledgements[{j}]"
                problems += payloads.require(ack, at, ("acknowledgementCode", "acknowledgedQuantity.amount"))
                problems += payloads.enum(
                    ack, at, "acknowledgementCode", ("Accepted", "Backordered", "Rejected")
                )
                problems += payloads.enum(
                    ack,
                    at,
                    "rejectionReason",
                    ("TemporarilyUnavailable", "InvalidProductIdentifier", "ObsoleteProduct"),
                )
        return problems

    def _apply_ack(self, db: sqlite3.Connection, doc: dict, at: datetime) -> list[dict[str, str]]:
        number = doc["purchaseOrderNumber"].strip()
        row = self._po(db, number, at)
        if row is None:
            return [err("INVALID_ORDER_ID", "Invalid order ID.", f"purchaseOrderNumber {number}")]
        if doc["sellingParty"]["partyId"] != row["vendor_code"]:
            return [err("InvalidInput", f"sellingParty.partyId does not match purchase order {number}.")]
        if row["state"] == "Closed":
            return [
                err("INVALID_ORDER_STATE", f"Purchase order {number} is closed and cannot be acknowledged.")
            ]
        details, lines = loads(row["details"]), loads(row["lines"])
        errors, decisions = [], {}
        for i, item in enumerate(doc["items"]):
            line = payloads.find_line(details, item, by_sequence=True)
            if line is None:
                errors.append(err("INVALID_ITEM_ID", f"Item items[{i}] is not on purchase order {number}."))
                continue
            seq, ordered = line["itemSequenceNumber"], payloads.units(line["orderedQuantity"])
            cost = payloads.decimal(payloads.get(item, "netCost.amount"))
            if cost is None or cost <= 0:
                errors.append(
                    err("InvalidInput", f"items[{i}].netCost must be present and greater than zero.")
                )
            buckets = {"Accepted": 0, "Backordered": 0, "Rejected": 0}
            for ack in item["itemAcknowledgements"]:
                buckets[ack["acknowledgementCode"]] += payloads.units(ack["acknowledgedQuantity"])
            if sum(buckets.values()) > ordered:
                errors.append(
                    err(
                        "INVALID_QUANTITY",
                        f"Acknowledged quantity exceeds ordered quantity {ordered} for item {seq}.",
                    )
                )
            previous = lines[seq]["acks"]
            if previous and previous[0]["accepted"] == 0 and buckets["Accepted"] + buckets["Backordered"]:
                errors.append(
                    err("INVALID_ACKNOWLEDGEMENT", f"Item {seq} was rejected and cannot be accepted now.")
                )
            decisions[seq] = buckets
        if errors:
            return errors
        for line in details["items"]:
            seq = line["itemSequenceNumber"]
            buckets = decisions.get(seq, {"Accepted": 0, "Backordered": 0, "Rejected": 0})
            accepted = buckets["Accepted"] + buckets["Backordered"]
            lines[seq]["acks"].append(
                {
                    "date": iso(at),
                    "accepted": accepted,
                    "rejected": payloads.units(line["orderedQuantity"]) - accepted,
                }
            )
        any_accepted = any(lines[s]["acks"][-1]["accepted"] for s in lines)
        state = "Acknowledged" if any_accepted else "Closed"
        self._save_po(db, row, lines=lines, state=state, at=at)
        return []
