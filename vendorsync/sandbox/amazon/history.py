"""The vendor's life before VendorSync, replayed while seeding so every screen has data.

For days older than the history cutoff the simulated vendor acknowledges yesterday's POs from
catalogue stock, and ships (one ASN ``H<PO>``, one carton per line with an SSCC-18 using
extension digit 9, so the app's own SSCCs never collide) and invoices (``INV-<PO>``, at its
NetSuite cost) the POs acknowledged three days earlier. Everything goes through the same
``submit`` path and rules as the app's submissions. ``vendorsync.sandbox.world`` reads these
shipments back (``history_shipments``) to give NetSuite the same history.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from vendorsync.sandbox import catalog
from vendorsync.sandbox.common import sscc18
from vendorsync.sandbox.common import utc_timestamp as iso

from .core import parse_time
from .generate import AMAZON_BILL_TO, money
from .store import loads
from .submissions import Submissions

HISTORY_SSCC_EXTENSION = 9  # the app allocates its own SSCCs; history uses another extension digit


def history_shipment_id(po_number: str) -> str:
    """The shipment identifier of the one historic ASN for a PO."""
    return f"H{po_number}"


def history_invoice_id(po_number: str) -> str:
    """The invoice number the vendor gave its one historic invoice for a PO."""
    return f"INV-{po_number}"


@dataclass(frozen=True)
class HistoryLine:
    """A PO line the vendor accepted units of, and how many of them the historic ASN shipped."""

    po_line: str  # the PO's itemSequenceNumber
    asin: str
    vendor_product_id: str
    accepted: int
    shipped: int
    invoiced_cost: Decimal | None  # unit net cost on the invoice (None when not invoiced)


@dataclass(frozen=True)
class HistoryCarton:
    sscc: str  # SSCC-18 without the (00) application identifier
    po_line: str
    units: int


@dataclass(frozen=True)
class HistoryShipment:
    """One historic PO as Amazon recorded it: accepted lines, the ASN's cartons and the invoice."""

    purchase_order: str
    ordered_on: date
    ship_to: str
    shipment_id: str
    shipped_on: date
    bill_of_lading: str
    lines: tuple[HistoryLine, ...]
    cartons: tuple[HistoryCarton, ...]
    invoice_number: str | None
    invoice_date: date | None
    invoice_total: Decimal | None


class SeededHistory(Submissions):
    def history_shipments(self) -> list[HistoryShipment]:
        """Every historic ASN with its PO and invoice, oldest shipment first."""
        result = []
        with self.store.tx() as db:
            shipments = db.execute("SELECT * FROM shipments ORDER BY confirmed_at, id").fetchall()
            for shipment in shipments:
                body = loads(shipment["body"])
                numbers = {entry["po"] for entry in body["_lines"]}
                if len(numbers) != 1 or shipment["id"] != history_shipment_id(po := numbers.pop()):
                    continue  # submitted through the API (by the app), not seeded history
                row = db.execute("SELECT * FROM purchase_orders WHERE number = ?", (po,)).fetchone()
                invoice = db.execute(
                    "SELECT * FROM invoices WHERE id = ?", (history_invoice_id(po),)
                ).fetchone()
                result.append(self._history_record(row, shipment, body, invoice))
        return result

    @staticmethod
    def _history_record(
        row: sqlite3.Row, shipment: sqlite3.Row, body: dict[str, Any], invoice: sqlite3.Row | None
    ) -> HistoryShipment:
        by_reference = {  # ASN item sequence ("001") -> PO line sequence
            item["itemSequenceNumber"]: entry["seq"]
            for item, entry in zip(body["shippedItems"], body["_lines"], strict=True)
        }
        shipped: dict[str, int] = {}
        for entry in body["_lines"]:
            shipped[entry["seq"]] = shipped.get(entry["seq"], 0) + entry["units"]
        costs: dict[str, Decimal] = {}
        if invoice is not None:
            invoiced = zip(loads(invoice["lines"]), loads(invoice["body"])["items"], strict=True)
            costs = {matched["seq"]: Decimal(item["netCost"]["amount"]) for matched, item in invoiced}
        states = loads(row["lines"])
        lines = tuple(
            HistoryLine(
                po_line=line["itemSequenceNumber"],
                asin=line["amazonProductIdentifier"],
                vendor_product_id=line["vendorProductIdentifier"],
                accepted=states[line["itemSequenceNumber"]]["acks"][-1]["accepted"],
                shipped=shipped.get(line["itemSequenceNumber"], 0),
                invoiced_cost=costs.get(line["itemSequenceNumber"]),
            )
            for line in loads(row["details"])["items"]
            if states[line["itemSequenceNumber"]]["acks"]
            and states[line["itemSequenceNumber"]]["acks"][-1]["accepted"]
        )
        cartons = tuple(
            HistoryCarton(
                sscc=ident["containerIdentificationNumber"][-18:],
                po_line=by_reference[content["itemReference"]],
                units=int(content["shippedQuantity"]["amount"]),
            )
            for carton in body.get("cartons") or []
            for ident in carton["cartonIdentifiers"]
            if ident["containerIdentificationType"] == "SSCC"
            for content in carton["items"]
        )
        return HistoryShipment(
            purchase_order=row["number"],
            ordered_on=parse_time(row["created_at"]).date(),
            ship_to=row["ship_to"],
            shipment_id=shipment["id"],
            shipped_on=parse_time(body.get("shippedDate") or body["shipmentConfirmationDate"]).date(),
            bill_of_lading=body["transportationDetails"]["billOfLadingNumber"],
            lines=lines,
            cartons=cartons,
            invoice_number=invoice["id"] if invoice is not None else None,
            invoice_date=date.fromisoformat(invoice["date"]) if invoice is not None else None,
            invoice_total=Decimal(invoice["total"]) if invoice is not None else None,
        )

    def _play_vendor(self, day: date) -> None:
        """What the vendor did before VendorSync: ack yesterday's POs, ship and invoice older ones."""
        morning = datetime.combine(day, time(10), UTC)
        with self.store.tx() as db:
            rows = db.execute("SELECT * FROM purchase_orders ORDER BY created_at").fetchall()
            shipped = {entry[0] for entry in self._shipped_units(db, "")}
        for row in rows:
            created = parse_time(row["created_at"]).date()
            if created == day - timedelta(days=1) and row["state"] == "New":
                ack = self._history_ack(row, morning)
                if ack["items"]:
                    self.submit("acknowledgement", {"acknowledgements": [ack]}, at=morning)
            elif (
                created == day - timedelta(days=3)
                and row["state"] == "Acknowledged"
                and row["number"] not in shipped
            ):
                asn = self._history_asn(row, morning + timedelta(hours=5))
                if asn is None:
                    continue
                self.submit("shipment", {"shipmentConfirmations": [asn]}, at=morning + timedelta(hours=5))
                invoice = self._history_invoice(row, asn, morning + timedelta(hours=6))
                due = random.Random(f"due-{row['number']}").randint(6, 16)
                self.submit(
                    "invoice", {"invoices": [invoice]}, at=morning + timedelta(hours=6), invoice_due_days=due
                )

    def _history_ack(self, row: sqlite3.Row, at: datetime) -> dict[str, Any]:
        items = []
        for line in loads(row["details"])["items"]:
            ordered = line["orderedQuantity"]["amount"]
            if not ordered:
                continue
            item = catalog.item_by_asin(line["amazonProductIdentifier"])
            buckets: list[dict[str, Any]] = []
            if item is None:
                buckets.append(
                    {
                        "acknowledgementCode": "Rejected",
                        "amount": ordered,
                        "rejectionReason": "InvalidProductIdentifier",
                    }
                )
            else:
                accept = min(ordered, item.stock)
                if accept:
                    buckets.append({"acknowledgementCode": "Accepted", "amount": accept})
                if ordered - accept:
                    code = "Backordered" if line["isBackOrderAllowed"] and item.stock else "Rejected"
                    extra = {} if code == "Backordered" else {"rejectionReason": "TemporarilyUnavailable"}
                    buckets.append({"acknowledgementCode": code, "amount": ordered - accept} | extra)
            cost = item.cost if item else Decimal(line["netCost"]["amount"])
            items.append(
                {
                    "itemSequenceNumber": line["itemSequenceNumber"],
                    "amazonProductIdentifier": line["amazonProductIdentifier"],
                    "vendorProductIdentifier": line["vendorProductIdentifier"],
                    "orderedQuantity": line["orderedQuantity"],
                    "netCost": money(cost),
                    "itemAcknowledgements": [
                        {
                            "acknowledgementCode": b.pop("acknowledgementCode"),
                            "acknowledgedQuantity": {
                                "amount": b.pop("amount"),
                                "unitOfMeasure": "Eaches",
                                "unitSize": 1,
                            },
                        }
                        | b
                        for b in buckets
                    ],
                }
            )
        return {
            "purchaseOrderNumber": row["number"],
            "sellingParty": {"partyId": row["vendor_code"]},
            "acknowledgementDate": iso(at),
            "items": items,
        }

    def _history_asn(self, row: sqlite3.Row, at: datetime) -> dict[str, Any] | None:
        lines = loads(row["lines"])
        shipped, cartons = [], []
        for line in loads(row["details"])["items"]:
            acks = lines[line["itemSequenceNumber"]]["acks"]
            item = catalog.item_by_asin(line["amazonProductIdentifier"])
            units = min(acks[-1]["accepted"], item.stock if item else 0) if acks else 0
            if not units:
                continue
            seq = f"{len(shipped) + 1:03d}"
            quantity = {"amount": units, "unitOfMeasure": "Eaches", "unitSize": 1}
            shipped.append(
                {
                    "itemSequenceNumber": seq,
                    "amazonProductIdentifier": line["amazonProductIdentifier"],
                    "vendorProductIdentifier": line["vendorProductIdentifier"],
                    "shippedQuantity": quantity,
                    "itemDetails": {"purchaseOrderNumber": row["number"]},
                }
            )
            sscc = sscc18(self.store.next_serial("sscc_serial"), HISTORY_SSCC_EXTENSION)
            cartons.append(
                {
                    "cartonIdentifiers": [
                        {
                            "containerIdentificationType": "SSCC",
                            "containerIdentificationNumber": "00" + sscc,
                        }
                    ],
                    "cartonSequenceNumber": seq,
                    "items": [{"itemReference": seq, "shippedQuantity": quantity}],
                }
            )
        if not shipped:
            return None
        bol = self.store.next_serial("bol_serial")
        return {
            "shipmentIdentifier": history_shipment_id(row["number"]),
            "shipmentConfirmationType": "Original",
            "shipmentType": "LessThanTruckLoad",
            "shipmentStructure": "LooseAssortmentCase",
            "transportationDetails": {
                "carrierScac": "ODFL",
                "carrierShipmentReferenceNumber": f"PRO{bol:08d}",
                "transportationMode": "Road",
                "billOfLadingNumber": f"{catalog.VENDOR_CODE}{bol:08d}",
            },
            "shipmentConfirmationDate": iso(at),
            "shippedDate": iso(at),
            "estimatedDeliveryDate": iso(at + timedelta(days=2)),
            "sellingParty": {"partyId": catalog.VENDOR_CODE},
            "shipFromParty": {"partyId": f"{catalog.VENDOR_CODE}-WH1"},
            "shipToParty": {"partyId": row["ship_to"]},
            "shipmentMeasurements": {"cartonCount": len(cartons), "palletCount": 0},
            "shippedItems": shipped,
            "cartons": cartons,
        }

    def _history_invoice(self, row: sqlite3.Row, asn: dict, at: datetime) -> dict[str, Any]:
        items, total = [], Decimal("0")
        for index, shipped in enumerate(asn["shippedItems"], 1):
            item = catalog.item_by_asin(shipped["amazonProductIdentifier"])
            assert item is not None
            total += shipped["shippedQuantity"]["amount"] * item.cost
            items.append(
                {
                    "itemSequenceNumber": index,
                    "amazonProductIdentifier": item.asin,
                    "vendorProductIdentifier": item.upc,
                    "invoicedQuantity": {
                        "amount": shipped["shippedQuantity"]["amount"],
                        "unitOfMeasure": "Eaches",
                    },
                    "netCost": money(item.cost),  # the vendor bills its NetSuite cost: price claims follow
                    "purchaseOrderNumber": row["number"],
                }
            )
        return {
            "invoiceType": "Invoice",
            "id": history_invoice_id(row["number"]),
            "date": iso(at),
            "remitToParty": {"partyId": catalog.VENDOR_CODE},
            "shipToParty": {"partyId": row["ship_to"]},
            "billToParty": {"partyId": "AMAZON", "address": AMAZON_BILL_TO["address"]},
            "paymentTerms": self.terms.as_json(),
            "invoiceTotal": money(total),
            "items": items,
        }
