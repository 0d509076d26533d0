"""Purchase orders on Amazon's side: publishing them, changing/cancelling them, and the read APIs.

``getPurchaseOrders`` / ``getPurchaseOrder`` / ``getPurchaseOrdersStatus`` with SP-API's rules
(7-day created/changed windows, keyset ``nextToken`` paging, state filters), plus what Amazon
does to a PO after publishing it: the changes and cancellations planned by ``generate`` are
applied when their time comes, unless the PO is closed or already shipped.
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from vendorsync.sandbox.common import utc_timestamp as iso

from .core import ApiError, SimulatorCore, err, parse_time
from .generate import GeneratedOrder, PlannedChange
from .store import dumps, loads

MAX_WINDOW = timedelta(days=7)


class PurchaseOrders(SimulatorCore):
    # ------------------------------------------------------------------ reads
    def _order(self, row: sqlite3.Row) -> dict[str, Any]:
        details = {"purchaseOrderDate": row["created_at"]}
        if row["changed_at"]:
            details["purchaseOrderChangedDate"] = row["changed_at"]
        details["purchaseOrderStateChangedDate"] = row["state_changed_at"]
        details |= loads(row["details"])
        return {
            "purchaseOrderNumber": row["number"],
            "purchaseOrderState": row["state"],
            "orderDetails": details,
        }

    def _visible_rows(self, db: sqlite3.Connection) -> list[sqlite3.Row]:
        return db.execute(
            "SELECT * FROM purchase_orders WHERE created_at <= ? ORDER BY created_at, number",
            (iso(self.now()),),
        ).fetchall()

    def _window(
        self, after: datetime | None, before: datetime | None, names: tuple[str, str]
    ) -> tuple[datetime | None, datetime | None]:
        if after is None and before is None:
            return None, None
        if after is not None and before is None:
            before = self.now()
        if after is None and before is not None:
            after = before - MAX_WINDOW
        assert after is not None and before is not None
        if before < after:
            raise ApiError(400, [err("InvalidInput", f"{names[1]} must be later than {names[0]}.")])
        if before - after > MAX_WINDOW:
            raise ApiError(
                400,
                [
                    err(
                        "InvalidInput",
                        f"The date range between {names[0]} and {names[1]} must not exceed 7 days.",
                    )
                ],
            )
        return after, before

    @staticmethod
    def _cursor(next_token: str | None) -> tuple[str, str] | None:
        """The (creation date, PO number) a ``nextToken`` continues after; 400 when unreadable."""
        if not next_token:
            return None
        try:
            date, number = json.loads(base64.urlsafe_b64decode(next_token.encode()))
        except (ValueError, binascii.Error, TypeError) as exc:
            raise ApiError(400, [err("InvalidInput", "Invalid nextToken.")]) from exc
        if not isinstance(date, str) or not isinstance(number, str):
            raise ApiError(400, [err("InvalidInput", "Invalid nextToken.")])
        return date, number

    @staticmethod
    def _page(
        rows: list[dict[str, Any]], key: str, sort_order: str, limit: int, next_token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Keyset paging on (creation date, PO number): each PO appears exactly once across pages."""
        rows = sorted(rows, key=lambda r: (r[key], r["purchaseOrderNumber"]), reverse=sort_order == "DESC")
        if next_token:
            try:
                cursor = tuple(json.loads(base64.urlsafe_b64decode(next_token.encode())))
            except (ValueError, binascii.Error, TypeError) as exc:
                raise ApiError(400, [err("InvalidInput", "Invalid nextToken.")]) from exc
            after = (
                (lambda r: (r[key], r["purchaseOrderNumber"]) < cursor)
                if sort_order == "DESC"
                else (lambda r: (r[key], r["purchaseOrderNumber"]) > cursor)
            )
            rows = [r for r in rows if after(r)]
        page, more = rows[:limit], len(rows) > limit
        token = None
        if more:
            last = page[-1]
            token = base64.urlsafe_b64encode(
                json.dumps([last[key], last["purchaseOrderNumber"]]).encode()
            ).decode()
        return page, token

    def get_purchase_orders(
        self,
        *,
        limit: int = 100,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        changed_after: datetime | None = None,
        changed_before: datetime | None = None,
        sort_order: str = "ASC",
        next_token: str | None = None,
        include_details: bool = True,
        po_item_state: str | None = None,
        is_po_changed: bool = False,
        purchase_order_state: str | None = None,
        ordering_vendor_code: str | None = None,
    ) -> dict[str, Any]:
        created = self._window(created_after, created_before, ("createdAfter", "createdBefore"))
        changed = self._window(changed_after, changed_before, ("changedAfter", "changedBefore"))
        if created == (None, None) and changed == (None, None):
            created = (self.now() - MAX_WINDOW, self.now())
        cursor = self._cursor(next_token)
        descending = sort_order == "DESC"
        # Keyset paging in SQL on (creation date, PO number), the order ``_page`` sorts in, with the
        # date windows as a coarse SQL filter (timestamps are second-precision ``Z`` strings, so they
        # sort as they compare) and the exact checks below: a page decodes about ``limit`` rows,
        # not every PO Amazon holds, so walking N POs costs O(N) and a page's memory is bounded.
        where, params = ["created_at <= ?"], [iso(self.now())]
        for column, (after, before) in (("created_at", created), ("changed_at", changed)):
            if after is not None and before is not None:
                where.append(f"{column} >= ? AND {column} <= ?")
                params += [iso(after), iso(before)]
        if cursor is not None:
            where.append(f"(created_at, number) {'<' if descending else '>'} (?, ?)")
            params += list(cursor)
        direction = "DESC" if descending else "ASC"
        page: list[dict[str, Any]] = []
        more = False
        with self.store.tx() as db:
            rows = db.execute(
                f"SELECT * FROM purchase_orders WHERE {' AND '.join(where)} "  # noqa: S608 - our columns
                f"ORDER BY created_at {direction}, number {direction}",
                params,
            )
            for row in rows:
                order = self._order(row)
                details = order["orderDetails"]
                made = parse_time(details["purchaseOrderDate"])
                change = details.get("purchaseOrderChangedDate")
                if created[0] and not (created[0] <= made <= created[1]):
                    continue
                if changed[0] and not (change and changed[0] <= parse_time(change) <= changed[1]):
                    continue
                if is_po_changed and not change:
                    continue
                if purchase_order_state and order["purchaseOrderState"] != purchase_order_state:
                    continue
                if ordering_vendor_code and details["sellingParty"]["partyId"] != ordering_vendor_code:
                    continue
                if po_item_state == "Cancelled" and not any(
                    line["orderedQuantity"]["amount"] == 0 for line in details["items"]
                ):
                    continue
                if len(page) == limit:
                    more = True
                    break
                page.append(order | {"_key": details["purchaseOrderDate"]})
        token = None
        if more:
            last = page[-1]
            token = base64.urlsafe_b64encode(
                json.dumps([last["_key"], last["purchaseOrderNumber"]]).encode()
            ).decode()
        out = []
        for order in page:
            order.pop("_key")
            out.append(
                order
                if include_details
                else {k: order[k] for k in ("purchaseOrderNumber", "purchaseOrderState")}
            )
        payload: dict[str, Any] = {}
        if token:
            payload["pagination"] = {"nextToken": token}
        payload["orders"] = out
        return payload

    def get_purchase_order(self, number: str) -> dict[str, Any]:
        with self.store.tx() as db:
            row = db.execute(
                "SELECT * FROM purchase_orders WHERE number = ? AND created_at <= ?",
                (number, iso(self.now())),
            ).fetchone()
        if row is None:
            raise ApiError(404, [err("NotFound", f"Purchase order {number} was not found.")])
        return self._order(row)

    def _order_status(self, row: sqlite3.Row) -> dict[str, Any]:
        order, lines = self._order(row), loads(row["lines"])
        items = []
        for item in order["orderDetails"]["items"]:
            state = lines[item["itemSequenceNumber"]]
            ordered = item["orderedQuantity"]["amount"]

            def qty(amount: int, item: dict = item) -> dict[str, Any]:
                return {
                    "amount": amount,
                    "unitOfMeasure": item["orderedQuantity"]["unitOfMeasure"],
                    "unitSize": 1,
                }

            status: dict[str, Any] = {
                "itemSequenceNumber": item["itemSequenceNumber"],
                "buyerProductIdentifier": item["amazonProductIdentifier"],
                "vendorProductIdentifier": item["vendorProductIdentifier"],
                "netCost": item["netCost"],
                "orderedQuantity": {
                    "orderedQuantity": qty(ordered),
                    "orderedQuantityDetails": [
                        {"updatedDate": h["updatedDate"], h["kind"]: qty(h["amount"])}
                        for h in reversed(state["history"])
                    ],
                },
            }
            acks = state["acks"]
            if acks:
                accepted, rejected = acks[-1]["accepted"], acks[-1]["rejected"]
                confirmation = (
                    "ACCEPTED" if rejected == 0 else "REJECTED" if accepted == 0 else "PARTIALLY_ACCEPTED"
                )
                status["acknowledgementStatus"] = {
                    "confirmationStatus": confirmation,
                    "acceptedQuantity": qty(accepted),
                    "rejectedQuantity": qty(rejected),
                    "acknowledgementStatusDetails": [
                        {
                            "acknowledgementDate": a["date"],
                            "acceptedQuantity": qty(a["accepted"]),
                            "rejectedQuantity": qty(a["rejected"]),
                        }
                        for a in reversed(acks)
                    ],
                }
            else:
                status["acknowledgementStatus"] = {"confirmationStatus": "UNCONFIRMED"}
            received = state["received"]
            target = acks[-1]["accepted"] if acks else ordered
            receiving: dict[str, Any] = {
                "receiveStatus": "NOT_RECEIVED"
                if received == 0
                else "RECEIVED"
                if received >= target
                else "PARTIALLY_RECEIVED",
                "receivedQuantity": qty(received),
            }
            if state.get("lastReceiveDate"):
                receiving["lastReceiveDate"] = state["lastReceiveDate"]
            status["receivingStatus"] = receiving
            items.append(status)
        open_lines = any(
            i["receivingStatus"]["receiveStatus"] != "RECEIVED"
            and (
                i["acknowledgementStatus"].get("acceptedQuantity") or i["orderedQuantity"]["orderedQuantity"]
            )["amount"]
            > 0
            for i in items
        )
        closed = row["state"] == "Closed" or not open_lines
        return {
            "purchaseOrderNumber": row["number"],
            "purchaseOrderStatus": "CLOSED" if closed else "OPEN",
            "purchaseOrderDate": row["created_at"],
            "lastUpdatedDate": row["updated_at"],
            "sellingParty": {"partyId": row["vendor_code"]},
            "shipToParty": {"partyId": row["ship_to"]},
            "itemStatus": items,
        }

    def get_purchase_orders_status(
        self,
        *,
        limit: int = 100,
        sort_order: str = "ASC",
        next_token: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        purchase_order_number: str | None = None,
        purchase_order_status: str | None = None,
        item_confirmation_status: str | None = None,
        item_receive_status: str | None = None,
        ordering_vendor_code: str | None = None,
        ship_to_party_id: str | None = None,
    ) -> dict[str, Any]:
        created = self._window(created_after, created_before, ("createdAfter", "createdBefore"))
        updated = self._window(updated_after, updated_before, ("updatedAfter", "updatedBefore"))
        if created == (None, None) and updated == (None, None) and not purchase_order_number:
            created = (self.now() - MAX_WINDOW, self.now())
        with self.store.tx() as db:
            statuses = [self._order_status(row) for row in self._visible_rows(db)]
        selected = []
        for status in statuses:
            made, touched = parse_time(status["purchaseOrderDate"]), parse_time(status["lastUpdatedDate"])
            items = status["itemStatus"]
            if created[0] and not (created[0] <= made <= created[1]):
                continue
            if updated[0] and not (updated[0] <= touched <= updated[1]):
                continue
            if purchase_order_number and status["purchaseOrderNumber"] != purchase_order_number:
                continue
            if purchase_order_status and status["purchaseOrderStatus"] != purchase_order_status:
                continue
            if item_confirmation_status and not any(
                i["acknowledgementStatus"]["confirmationStatus"] == item_confirmation_status for i in items
            ):
                continue
            if item_receive_status and not any(
                i["receivingStatus"]["receiveStatus"] == item_receive_status for i in items
            ):
                continue
            if ordering_vendor_code and status["sellingParty"]["partyId"] != ordering_vendor_code:
                continue
            if ship_to_party_id and status["shipToParty"]["partyId"] != ship_to_party_id:
                continue
            selected.append(status)
        page, token = self._page(selected, "purchaseOrderDate", sort_order, limit, next_token)
        payload: dict[str, Any] = {}
        if token:
            payload["pagination"] = {"nextToken": token}
        payload["ordersStatus"] = page
        return payload

    # -------------------------------------------------- Amazon-side lifecycle
    def _insert_po(self, db: sqlite3.Connection, generated: GeneratedOrder) -> None:
        order, created = generated.order, iso(generated.created_at)
        details = order["orderDetails"]
        lines = {
            item["itemSequenceNumber"]: {
                "history": [
                    {
                        "updatedDate": created,
                        "kind": "orderedQuantity",
                        "amount": item["orderedQuantity"]["amount"],
                    }
                ],
                "acks": [],
                "received": 0,
            }
            for item in details["items"]
        }
        db.execute(
            "INSERT OR IGNORE INTO purchase_orders VALUES (?, ?, ?, ?, NULL, ?, ?, 'New', ?, ?, ?)",
            (
                order["purchaseOrderNumber"],
                details["sellingParty"]["partyId"],
                details["shipToParty"]["partyId"],
                created,
                created,
                created,
                dumps(details),
                dumps(lines),
                dumps(asdict(generated.change) | {"at": iso(generated.change.at)})
                if generated.change
                else None,
            ),
        )

    def _apply_changes(self, until: datetime) -> None:
        """Amazon changes or cancels POs after publishing them (sometimes after the ack)."""
        with self.store.tx() as db:
            for row in db.execute(
                "SELECT * FROM purchase_orders WHERE planned_change IS NOT NULL AND json_extract(planned_change, '$.at') <= ?",
                (iso(until),),
            ).fetchall():
                raw = loads(row["planned_change"])
                change = PlannedChange(
                    parse_time(raw["at"]), raw["kind"], raw["item_sequence"], raw["new_amount"]
                )
                db.execute(
                    "UPDATE purchase_orders SET planned_change = NULL WHERE number = ?", (row["number"],)
                )
                if row["state"] == "Closed" or any(
                    entry["po"] == row["number"]
                    for shipment in db.execute("SELECT body FROM shipments")
                    for entry in loads(shipment["body"])["_lines"]
                ):
                    continue  # Amazon does not change what is closed or already on its way
                details, lines = loads(row["details"]), loads(row["lines"])
                targets = [
                    item
                    for item in details["items"]
                    if change.kind == "cancel_po" or item["itemSequenceNumber"] == change.item_sequence
                ]
                for item in targets:
                    old = item["orderedQuantity"]["amount"]
                    new = 0 if change.kind != "quantity" else int(change.new_amount or 0)
                    if new == old:
                        continue
                    item["orderedQuantity"]["amount"] = new
                    kind, amount = (
                        ("cancelledQuantity", old - new) if new < old else ("orderedQuantity", new - old)
                    )
                    lines[item["itemSequenceNumber"]]["history"].append(
                        {"updatedDate": iso(change.at), "kind": kind, "amount": amount}
                    )
                everything_cancelled = all(
                    item["orderedQuantity"]["amount"] == 0 for item in details["items"]
                )
                state = "Closed" if change.kind == "cancel_po" or everything_cancelled else None
                self._save_po(db, row, at=change.at, lines=lines, details=details, state=state, changed=True)
