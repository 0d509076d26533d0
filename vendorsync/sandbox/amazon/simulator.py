"""Amazon's side of the 1P relationship, simulated: POs, acknowledgements, ASNs, receiving, payments.

This is a stand-in for Amazon, not VendorSync logic. It keeps the behaviours the app must cope
with: submissions are asynchronous (a transaction id now, Success or Failure later, with errors
in SP-API's shape), POs change and get cancelled after they were published, the FC receives a
day or two after the ASN and is sometimes short, and money arrives weeks later as a payment net
of terms discounts, shortage and price claims, chargebacks, co-op and provisions.

Time is the shared ``SimClock``: ``simulate_day`` moves Amazon's world one day (new POs, due PO
changes, receipts, payment runs) and is idempotent per day; the HTTP layer calls ``catch_up``
so a long-running demo keeps producing POs as simulated days pass.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import secrets
import sqlite3
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from vendorsync.sandbox import catalog
from vendorsync.sandbox.clock import SimClock, sandbox_dir

from . import remittance as files
from .generate import AMAZON_BILL_TO, GeneratedOrder, PlannedChange, cents, generate_day, iso, money
from .remittance import Remittance, RemittanceFile, RemittanceLine
from .store import Store, dumps, loads

MAX_WINDOW = timedelta(days=7)
PAYMENT_WEEKDAYS = (1, 4)  # Amazon pays on fixed weekdays; Tuesday and Friday here
HISTORY_SSCC_EXTENSION = 9  # the app allocates its own SSCCs; history uses another extension digit


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    refresh_token: str


DEMO_CLIENT_ID = "amzn1.application-oa2-client.vendorsync-sandbox"
DEMO_CLIENT_SECRET = "amzn1.oa2-cs.v1.vendorsync-sandbox-secret"
DEMO_REFRESH_TOKEN = "Atzr|vendorsync-sandbox"
DEMO_CREDENTIALS = Credentials(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN)


@dataclass(frozen=True)
class PaymentTerms:
    """The terms agreed with the buyer ("2% 60 Net 61"): Amazon pays at the discount date."""

    discount_percent: Decimal = Decimal("2.00")
    discount_due_days: int = 60
    net_due_days: int = 61

    def as_json(self) -> dict[str, Any]:
        return {
            "type": "Basic",
            "discountPercent": str(self.discount_percent),
            "discountDueDays": self.discount_due_days,
            "netDueDays": self.net_due_days,
        }

    @property
    def pay_after_days(self) -> int:
        return self.discount_due_days if self.discount_percent else self.net_due_days


AGREED_TERMS = PaymentTerms()

Claim = tuple[str, str, str, Decimal]  # (document number, kind, base invoice, amount)


class ApiError(Exception):
    """A synchronous SP-API error: HTTP status plus the ``errors`` list of the models."""

    def __init__(self, status: int, errors: list[dict[str, str]]) -> None:
        super().__init__(errors[0]["message"] if errors else str(status))
        self.status = status
        self.errors = errors


def err(code: str, message: str, details: str = "") -> dict[str, str]:
    return {"code": code, "message": message, "details": details}


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def gs1_check_digit(data: str) -> int:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(data)))
    return (10 - total % 10) % 10


def sscc_problem(value: str) -> str | None:
    """None if ``value`` is a valid SSCC-18 (optionally with the ``00`` AI, as the API wants)."""
    digits = value[2:] if len(value) == 20 and value.startswith("00") else value
    if len(digits) != 18 or not digits.isdigit():
        return f"SSCC {value} must be 18 digits, or 20 with the leading (00) application identifier."
    expected = gs1_check_digit(digits[:17])
    if int(digits[17]) != expected:
        return f"SSCC {value} has an invalid check digit {digits[17]} (expected {expected})."
    return None


def _units(quantity: dict[str, Any]) -> int:
    amount = int(quantity.get("amount") or 0)
    return amount * int(quantity.get("unitSize") or 1) if quantity.get("unitOfMeasure") == "Cases" else amount


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _get(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(part)
    return doc


def _require(doc: dict, prefix: str, paths: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        err("InvalidInput", f"Missing required field '{prefix}.{path}'.")
        for path in paths
        if _get(doc, path) in (None, "", [])
    ]


def _enum(doc: dict, prefix: str, path: str, allowed: tuple[str, ...]) -> list[dict[str, str]]:
    value = _get(doc, path)
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


def _find_line(details: dict, item: dict, *, by_sequence: bool) -> dict | None:
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


class AmazonSimulator:
    def __init__(
        self,
        store_path: Path | str | None = None,
        *,
        clock: SimClock | None = None,
        credentials: Credentials = DEMO_CREDENTIALS,
        token_ttl_seconds: float = 3600,
        transaction_delay_seconds: float = 20.0,
        remittance_dir: Path | None = None,
        terms: PaymentTerms = AGREED_TERMS,
    ) -> None:
        path = Path(store_path) if store_path else sandbox_dir() / "amazon.sqlite3"
        self.store = Store(path)
        self.clock = clock or SimClock(path.parent / "clock.json")
        self.token_ttl_seconds = token_ttl_seconds
        self.transaction_delay_seconds = transaction_delay_seconds
        self.remittance_dir = Path(remittance_dir) if remittance_dir else path.parent / "remittances"
        self.terms = terms
        self.add_credentials(credentials)

    def now(self) -> datetime:
        return self.clock.now()

    # ----------------------------------------------------------------- LWA
    def add_credentials(self, credentials: Credentials) -> None:
        with self.store.tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO credentials VALUES (?, ?, ?)",
                (credentials.client_id, credentials.client_secret, credentials.refresh_token),
            )

    def lwa_token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """LWA ``POST /auth/o2/token`` (refresh_token grant) with LWA's OAuth error shapes."""
        grant = form.get("grant_type", "")
        if grant != "refresh_token":
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": f"Unsupported grant: {grant}",
            }
        for name in ("refresh_token", "client_id", "client_secret"):
            if not form.get(name):
                return 400, {
                    "error": "invalid_request",
                    "error_description": f"The request is missing a required parameter : {name}",
                }
        with self.store.tx() as db:
            row = db.execute("SELECT * FROM credentials WHERE client_id = ?", (form["client_id"],)).fetchone()
            if row is None or not secrets.compare_digest(row["client_secret"], form["client_secret"]):
                return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
            if not secrets.compare_digest(row["refresh_token"], form["refresh_token"]):
                return 400, {
                    "error": "invalid_grant",
                    "error_description": "The request has an invalid grant parameter : refresh_token",
                }
            token = "Atza|" + secrets.token_urlsafe(48)
            expires = self.now() + timedelta(seconds=self.token_ttl_seconds)
            db.execute("INSERT INTO tokens VALUES (?, ?, ?)", (token, form["client_id"], iso(expires)))
        return 200, {
            "access_token": token,
            "refresh_token": form["refresh_token"],
            "token_type": "bearer",
            "expires_in": max(1, int(self.token_ttl_seconds)),
        }

    def token_problem(self, token: str | None) -> str | None:
        """None when ``token`` is a live access token, else why it is refused."""
        if not token:
            return "The request is missing the x-amz-access-token header."
        with self.store.tx() as db:
            row = db.execute("SELECT expires_at FROM tokens WHERE token = ?", (token,)).fetchone()
        if row is None:
            return "The access token you provided is revoked, malformed or invalid."
        if parse_time(row["expires_at"]) <= self.now():
            return "The access token you provided has expired."
        return None

    # ------------------------------------------------------------- orders
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
        with self.store.tx() as db:
            orders = [self._order(row) for row in self._visible_rows(db)]
        selected = []
        for order in orders:
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
            selected.append(order | {"_key": details["purchaseOrderDate"]})
        page, token = self._page(selected, "_key", sort_order, limit, next_token)
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

    # -------------------------------------------------------- submissions
    def submit(
        self, kind: str, body: Any, *, at: datetime | None = None, invoice_due_days: int | None = None
    ) -> str:
        """Accept a submission (202 + transactionId) or raise ``ApiError`` 400 for a malformed body.

        Semantic problems (unknown PO or item, bad SSCC, quantities beyond the order...) do not
        fail the request: they make the transaction end in Failure, as on Amazon. A transaction
        is all or nothing: either every document in it is applied or none is.
        """
        at = at or self.now()
        key = {
            "acknowledgement": "acknowledgements",
            "shipment": "shipmentConfirmations",
            "invoice": "invoices",
        }[kind]
        if not isinstance(body, dict):
            raise ApiError(400, [err("InvalidInput", "The request body must be a JSON object.")])
        problems = [
            err("InvalidInput", f"Invalid content was found starting with element '{name}'.")
            for name in body
            if name != key
        ]
        documents = body.get(key)
        if not isinstance(documents, list) or not documents:
            problems.append(err("InvalidInput", f"Missing required field '{key}'."))
            raise ApiError(400, problems)
        check = {
            "acknowledgement": self._check_ack,
            "shipment": self._check_asn,
            "invoice": self._check_invoice,
        }
        for index, document in enumerate(documents):
            if not isinstance(document, dict):
                problems.append(err("InvalidInput", f"'{key}[{index}]' must be an object."))
                continue
            problems += check[kind](document, f"{key}[{index}]")
        if problems:
            raise ApiError(400, problems)
        transaction_id = f"{at:%Y%m%d%H%M%S}-{uuid.uuid4()}"
        with self.store.tx() as db:
            db.execute("SAVEPOINT submission")
            errors: list[dict[str, str]] = []
            for document in documents:
                if kind == "acknowledgement":
                    errors += self._apply_ack(db, document, at)
                elif kind == "shipment":
                    errors += self._apply_asn(db, document, at)
                else:
                    errors += self._apply_invoice(db, document, at, invoice_due_days)
            if errors:
                db.execute("ROLLBACK TO submission")
            db.execute("RELEASE submission")
            ready = at + timedelta(seconds=self.transaction_delay_seconds)
            db.execute(
                "INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    transaction_id,
                    kind,
                    iso(at),
                    iso(ready),
                    "Failure" if errors else "Success",
                    dumps(errors),
                    dumps(body),
                ),
            )
        return transaction_id

    def get_transaction(self, transaction_id: str) -> dict[str, Any]:
        with self.store.tx() as db:
            row = db.execute("SELECT * FROM transactions WHERE id = ?", (transaction_id,)).fetchone()
        if row is None:
            raise ApiError(404, [err("NotFound", f"Transaction {transaction_id} was not found.")])
        status: dict[str, Any] = {"transactionId": row["id"], "status": "Processing"}
        if parse_time(row["ready_at"]) <= self.now():
            status["status"] = row["status"]
            if row["status"] == "Failure":
                status["errors"] = loads(row["errors"])
        return {"transactionStatus": status}

    # --- structural checks (400 InvalidInput, synchronous)
    def _check_ack(self, doc: dict, prefix: str) -> list[dict[str, str]]:
        problems = _require(
            doc, prefix, ("purchaseOrderNumber", "sellingParty.partyId", "acknowledgementDate", "items")
        )
        for i, item in enumerate(doc.get("items") or []):
            where = f"{prefix}.items[{i}]"
            problems += _require(item, where, ("orderedQuantity.amount", "itemAcknowledgements"))
            for j, ack in enumerate(item.get("itemAcknowledgements") or []):
                at = f"{where}.itemAcknowledgements[{j}]"
                problems += _require(ack, at, ("acknowledgementCode", "acknowledgedQuantity.amount"))
                problems += _enum(ack, at, "acknowledgementCode", ("Accepted", "Backordered", "Rejected"))
                problems += _enum(
                    ack,
                    at,
                    "rejectionReason",
                    ("TemporarilyUnavailable", "InvalidProductIdentifier", "ObsoleteProduct"),
                )
        return problems

    def _check_asn(self, doc: dict, prefix: str) -> list[dict[str, str]]:
        problems = _require(
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
        problems += _enum(doc, prefix, "shipmentConfirmationType", ("Original", "Replace"))
        for i, item in enumerate(doc.get("shippedItems") or []):
            where = f"{prefix}.shippedItems[{i}]"
            problems += _require(
                item, where, ("itemSequenceNumber", "shippedQuantity.amount", "shippedQuantity.unitOfMeasure")
            )
            problems += _enum(item, where, "shippedQuantity.unitOfMeasure", ("Cases", "Eaches"))
        return problems

    def _check_invoice(self, doc: dict, prefix: str) -> list[dict[str, str]]:
        problems = _require(
            doc,
            prefix,
            (
                "invoiceType",
                "id",
                "date",
                "remitToParty.partyId",
                "invoiceTotal.amount",
                "invoiceTotal.currencyCode",
            ),
        )
        problems += _enum(doc, prefix, "invoiceType", ("Invoice", "CreditNote"))
        for i, item in enumerate(doc.get("items") or []):
            where = f"{prefix}.items[{i}]"
            problems += _require(
                item,
                where,
                (
                    "itemSequenceNumber",
                    "invoicedQuantity.amount",
                    "invoicedQuantity.unitOfMeasure",
                    "netCost.amount",
                ),
            )
            if not isinstance(item.get("itemSequenceNumber", 0), int):
                problems.append(err("InvalidInput", f"'{where}.itemSequenceNumber' must be an integer."))
            if _decimal(_get(item, "netCost.amount")) is None:
                problems.append(err("InvalidInput", f"'{where}.netCost.amount' is not a decimal."))
        if _decimal(_get(doc, "invoiceTotal.amount")) is None:
            problems.append(err("InvalidInput", f"'{prefix}.invoiceTotal.amount' is not a decimal."))
        return problems

    # --- semantic validation + effects (transaction Failure errors)
    def _po(self, db: sqlite3.Connection, number: str, at: datetime) -> sqlite3.Row | None:
        return db.execute(
            "SELECT * FROM purchase_orders WHERE number = ? AND created_at <= ?", (number.strip(), iso(at))
        ).fetchone()

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
            line = _find_line(details, item, by_sequence=True)
            if line is None:
                errors.append(err("INVALID_ITEM_ID", f"Item items[{i}] is not on purchase order {number}."))
                continue
            seq, ordered = line["itemSequenceNumber"], _units(line["orderedQuantity"])
            cost = _decimal(_get(item, "netCost.amount"))
            if cost is None or cost <= 0:
                errors.append(
                    err("InvalidInput", f"items[{i}].netCost must be present and greater than zero.")
                )
            buckets = {"Accepted": 0, "Backordered": 0, "Rejected": 0}
            for ack in item["itemAcknowledgements"]:
                buckets[ack["acknowledgementCode"]] += _units(ack["acknowledgedQuantity"])
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
                    "rejected": _units(line["orderedQuantity"]) - accepted,
                }
            )
        any_accepted = any(lines[s]["acks"][-1]["accepted"] for s in lines)
        state = "Acknowledged" if any_accepted else "Closed"
        self._save_po(db, row, lines=lines, state=state, at=at)
        return []

    def _save_po(
        self,
        db: sqlite3.Connection,
        row: sqlite3.Row,
        *,
        at: datetime,
        lines: dict | None = None,
        details: dict | None = None,
        state: str | None = None,
        changed: bool = False,
    ) -> None:
        state = state or row["state"]
        db.execute(
            "UPDATE purchase_orders SET lines = ?, details = ?, state = ?, state_changed_at = ?, updated_at = ?,"
            " changed_at = ? WHERE number = ?",
            (
                dumps(lines if lines is not None else loads(row["lines"])),
                dumps(details if details is not None else loads(row["details"])),
                state,
                iso(at) if state != row["state"] else row["state_changed_at"],
                iso(at),
                iso(at) if changed else row["changed_at"],
                row["number"],
            ),
        )

    def _shipped_units(self, db: sqlite3.Connection, exclude: str) -> dict[tuple[str, str], int]:
        totals: dict[tuple[str, str], int] = {}
        for shipment in db.execute("SELECT id, body FROM shipments WHERE id != ?", (exclude,)):
            for entry in loads(shipment["body"])["_lines"]:
                key = (entry["po"], entry["seq"])
                totals[key] = totals.get(key, 0) + entry["units"]
        return totals

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
        for i, item in enumerate(doc["shippedItems"]):
            number = (_get(item, "itemDetails.purchaseOrderNumber") or "").strip()
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
            line = _find_line(loads(row["details"]), item, by_sequence=False)
            if line is None:
                errors.append(
                    err("INVALID_ITEM_ID", f"shippedItems[{i}] is not an item of purchase order {number}.")
                )
                continue
            seq, units = line["itemSequenceNumber"], _units(item["shippedQuantity"])
            acks = loads(row["lines"])[seq]["acks"]
            allowed = acks[-1]["accepted"] if acks else _units(line["orderedQuantity"])
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

    def _apply_invoice(
        self, db: sqlite3.Connection, doc: dict, at: datetime, due_days: int | None
    ) -> list[dict[str, str]]:
        number = doc["id"]
        if doc["invoiceType"] == "CreditNote":
            return [err("UNSUPPORTED_DOCUMENT", "Credit notes are not supported in this marketplace (US).")]
        if db.execute("SELECT 1 FROM invoices WHERE id = ?", (number,)).fetchone():
            return [err("DUPLICATE_INVOICE", f"Invoice number {number} was already submitted.")]
        if not doc.get("items"):
            return [err("InvalidInput", f"Invoice {number} has no items.")]
        errors, matched, total = [], [], Decimal("0")
        invoice_date = parse_time(doc["date"])
        if invoice_date > at + timedelta(days=1):
            errors.append(err("INVALID_INVOICE_DATE", f"Invoice {number} is dated in the future."))
        shipped = self._shipped_units(db, "")
        for i, item in enumerate(doc["items"]):
            po = (item.get("purchaseOrderNumber") or "").strip()
            row = self._po(db, po, at) if po else None
            if row is None:
                errors.append(
                    err("INVALID_ORDER_ID", "Invalid order ID.", f"items[{i}] purchaseOrderNumber {po!r}")
                )
                continue
            if parse_time(row["created_at"]) > invoice_date:
                errors.append(err("INVALID_INVOICE_DATE", f"Invoice {number} predates purchase order {po}."))
            line = _find_line(loads(row["details"]), item, by_sequence=False)
            if line is None:
                errors.append(err("INVALID_ITEM_ID", f"items[{i}] is not an item of purchase order {po}."))
                continue
            if not any(key[0] == po for key in shipped):
                errors.append(
                    err("INVALID_INVOICE", f"Purchase order {po} has no confirmed shipment to invoice.")
                )
            quantity, cost = item["invoicedQuantity"], Decimal(str(item["netCost"]["amount"]))
            if int(quantity["amount"]) <= 0 or cost <= 0:
                errors.append(
                    err("InvalidInput", f"items[{i}] quantity and netCost must be greater than zero.")
                )
            total += int(quantity["amount"]) * cost
            units = _units(quantity)
            matched.append(
                {
                    "po": po,
                    "seq": line["itemSequenceNumber"],
                    "units": units,
                    "unit_cost": str(int(quantity["amount"]) * cost / units),
                }
            )
        for charge in doc.get("chargeDetails") or []:
            total += Decimal(str(charge["chargeAmount"]["amount"]))
        for allowance in doc.get("allowanceDetails") or []:
            total -= Decimal(str(allowance["allowanceAmount"]["amount"]))
        for tax in doc.get("taxDetails") or []:
            total += Decimal(str(tax["taxAmount"]["amount"]))
        stated = Decimal(str(doc["invoiceTotal"]["amount"]))
        if cents(total) != cents(stated):
            errors.append(
                err(
                    "INVALID_INVOICE_TOTAL",
                    f"invoiceTotal {stated} does not equal the sum of the lines {cents(total)}.",
                )
            )
        if stated <= 0:
            errors.append(
                err("INVALID_INVOICE_TOTAL", "Invoices with a zero or negative total are not accepted.")
            )
        if errors:
            return errors
        due = invoice_date.date() + timedelta(
            days=self.terms.pay_after_days if due_days is None else due_days
        )
        db.execute(
            "INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, NULL)",
            (
                number,
                dumps(doc),
                invoice_date.date().isoformat(),
                str(cents(stated)),
                dumps(matched),
                due.isoformat(),
            ),
        )
        return []

    # ------------------------------------------------------ daily simulation
    def seeded(self) -> bool:
        return self.store.get_meta("seeded_at") is not None

    def seed(
        self, *, days: int = 30, credentials: Credentials | None = None, history_cutoff_days: int = 8
    ) -> dict:
        """Give the simulated vendor ~``days`` of history; a no-op once seeded.

        POs older than ``history_cutoff_days`` were already worked "before VendorSync": Amazon
        shows them acknowledged, shipped, received (sometimes short), invoiced as ``INV-<PO>``
        and, for many, paid early enough to appear in remittances of the seeded period.
        """
        if credentials:
            self.add_credentials(credentials)
        if self.seeded():
            return self.status()
        today = self.now().date()
        for offset in range(days, -1, -1):
            day = today - timedelta(days=offset)
            self.simulate_day(day)
            if offset >= history_cutoff_days:
                self._play_vendor(day)
        self.store.set_meta("seeded_at", iso(self.now()))
        return self.status()

    def catch_up(self) -> list[date]:
        """Simulate every day from the last simulated one up to the simulated today (if seeded)."""
        if not self.seeded():
            return []
        done = []
        with self.store.tx() as db:
            row = db.execute("SELECT max(day) AS day FROM sim_days").fetchone()
        day = date.fromisoformat(row["day"]) if row["day"] else self.now().date()
        while day < self.now().date():
            day += timedelta(days=1)
            self.simulate_day(day)
            done.append(day)
        self._apply_changes(self.now())
        return done

    def simulate_day(self, day: date) -> bool:
        """Amazon's day: publish the day's POs, apply due PO changes, receive, pay. Once per day."""
        with self.store.tx() as db:
            if db.execute("SELECT 1 FROM sim_days WHERE day = ?", (day.isoformat(),)).fetchone():
                return False
            db.execute("INSERT INTO sim_days VALUES (?)", (day.isoformat(),))
            for generated in generate_day(day):
                self._insert_po(db, generated)
            end_of_day = datetime.combine(day + timedelta(days=1), time(), UTC)
            self._apply_changes(min(end_of_day, max(self.now(), datetime.combine(day, time(), UTC))))
            self.receive(day)
            if day.weekday() in PAYMENT_WEEKDAYS:
                self.payment_run(day)
        return True

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

    def receive(self, day: date) -> int:
        """The FC receives shipments due by ``day``; ~5% of lines come in 1-2 units short."""
        count = 0
        with self.store.tx() as db:
            due = db.execute(
                "SELECT * FROM shipments WHERE received_at IS NULL AND receive_on <= ? ORDER BY receive_on, id",
                (day.isoformat(),),
            ).fetchall()
            for shipment in due:
                moment = min(
                    datetime.combine(date.fromisoformat(shipment["receive_on"]), time(14), UTC), self.now()
                )
                rng = random.Random(f"receipt-{shipment['id']}")
                for entry in loads(shipment["body"])["_lines"]:
                    short = min(entry["units"], rng.randint(1, 2)) if rng.random() < 0.05 else 0
                    received = entry["units"] - short
                    db.execute(
                        "INSERT INTO receipts VALUES (?, ?, ?, ?, ?, ?, NULL)",
                        (shipment["id"], entry["po"], entry["seq"], entry["units"], received, iso(moment)),
                    )
                    row = db.execute(
                        "SELECT * FROM purchase_orders WHERE number = ?", (entry["po"],)
                    ).fetchone()
                    lines = loads(row["lines"])
                    lines[entry["seq"]]["received"] += received
                    lines[entry["seq"]]["lastReceiveDate"] = iso(moment)
                    done = all(
                        (state["acks"][-1]["accepted"] if state["acks"] else 1) <= state["received"]
                        for state in lines.values()
                    )
                    self._save_po(db, row, at=moment, lines=lines, state="Closed" if done else None)
                db.execute("UPDATE shipments SET received_at = ? WHERE id = ?", (iso(moment), shipment["id"]))
                count += 1
        return count

    # --------------------------------------------------- seeded vendor history
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
            body = f"{HISTORY_SSCC_EXTENSION}{catalog.GS1_COMPANY_PREFIX}{self.store.next_serial('sscc_serial'):09d}"
            cartons.append(
                {
                    "cartonIdentifiers": [
                        {
                            "containerIdentificationType": "SSCC",
                            "containerIdentificationNumber": "00" + body + str(gs1_check_digit(body)),
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
            "shipmentIdentifier": f"H{row['number']}",
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
            "id": f"INV-{row['number']}",
            "date": iso(at),
            "remitToParty": {"partyId": catalog.VENDOR_CODE},
            "shipToParty": {"partyId": row["ship_to"]},
            "billToParty": {"partyId": "AMAZON", "address": AMAZON_BILL_TO["address"]},
            "paymentTerms": self.terms.as_json(),
            "invoiceTotal": money(total),
            "items": items,
        }

    # ------------------------------------------------------------ payments
    def payment_run(self, day: date, *, pay_all: bool = False) -> Remittance | None:
        """Pay the invoices due by ``day`` (or every unpaid one) net of deductions; write the files.

        Returns None when nothing is payable. The payment amount is the exact sum of its lines.
        """
        rng = random.Random(f"payment-{day.isoformat()}")
        with self.store.tx() as db:
            query = "SELECT * FROM invoices WHERE payment_number IS NULL"
            args: tuple = ()
            if not pay_all:
                query += " AND due_on <= ?"
                args = (day.isoformat(),)
            invoices = db.execute(query + " ORDER BY date, id", args).fetchall()
            if not invoices:
                return None
            payment_number = str(rng.randrange(10**8, 10**9))
            while db.execute(
                "SELECT 1 FROM remittances WHERE payment_number = ?", (payment_number,)
            ).fetchone():
                payment_number = str(rng.randrange(10**8, 10**9))
            lines, claims, gross = self._invoice_lines(db, invoices, day)
            misc, misc_claims, followed = self._other_lines(db, rng, day, gross)
            remittance = Remittance(payment_number, day, tuple(lines + misc))
            if remittance.amount > 0:
                claims += misc_claims
            else:  # never a negative payment: hold back the deductions not tied to these invoices
                remittance, followed = Remittance(payment_number, day, tuple(lines)), []
            db.executemany(
                "INSERT OR REPLACE INTO claims VALUES (?, ?, ?, ?, ?, 0)",
                [(doc, kind, base, str(amount), payment_number) for doc, kind, base, amount in claims],
            )
            db.executemany(
                "UPDATE claims SET followed_up = 1 WHERE document = ?", [(doc,) for doc in followed]
            )
            db.executemany(
                "UPDATE invoices SET payment_number = ? WHERE id = ?",
                [(payment_number, i["id"]) for i in invoices],
            )
            paths = self._write_files(remittance)
            db.execute(
                "INSERT INTO remittances VALUES (?, ?, ?, ?, ?)",
                (
                    payment_number,
                    day.isoformat(),
                    str(remittance.amount),
                    dumps(
                        [
                            asdict(line)
                            | {
                                "document_date": line.document_date.isoformat(),
                                "invoice_amount": str(line.invoice_amount),
                                "discount": str(line.discount),
                                "amount_paid": str(line.amount_paid),
                            }
                            for line in remittance.lines
                        ]
                    ),
                    dumps({fmt: str(path) for fmt, path in paths.items()}),
                ),
            )
        return remittance

    def _invoice_lines(
        self, db: sqlite3.Connection, invoices: list[sqlite3.Row], day: date
    ) -> tuple[list[RemittanceLine], list[Claim], Decimal]:
        """Each invoice paid (less the terms discount in time), with its shortage and price claims."""
        lines: list[RemittanceLine] = []
        claims: list[Claim] = []
        gross = Decimal("0")
        for invoice in invoices:
            number, total = invoice["id"], Decimal(invoice["total"])
            invoice_date = date.fromisoformat(invoice["date"])
            matched = loads(invoice["lines"])
            po = matched[0]["po"] if matched else ""
            terms = loads(invoice["body"]).get("paymentTerms") or self.terms.as_json()
            percent = Decimal(str(terms.get("discountPercent") or "0"))
            in_time = day <= invoice_date + timedelta(days=int(terms.get("discountDueDays") or 0))
            discount = cents(total * percent / 100) if percent and in_time else Decimal("0.00")
            gross += total
            lines.append(
                RemittanceLine(number, invoice_date, total, discount, total - discount, "Invoice payment", po)
            )
            shortage = price = Decimal("0")
            for entry in matched:
                unit_cost = Decimal(entry["unit_cost"])
                receipts = db.execute(
                    "SELECT rowid, shipped, received FROM receipts WHERE po = ? AND seq = ? AND claimed_by IS NULL"
                    " AND received < shipped",
                    (entry["po"], entry["seq"]),
                ).fetchall()
                for receipt in receipts:
                    shortage += (receipt["shipped"] - receipt["received"]) * unit_cost
                    db.execute(
                        "UPDATE receipts SET claimed_by = ? WHERE rowid = ?", (number, receipt["rowid"])
                    )
                po_row = db.execute(
                    "SELECT details FROM purchase_orders WHERE number = ?", (entry["po"],)
                ).fetchone()
                po_line = next(
                    i for i in loads(po_row["details"])["items"] if i["itemSequenceNumber"] == entry["seq"]
                )
                po_cost = Decimal(po_line["netCost"]["amount"])
                if unit_cost > po_cost:
                    price += (unit_cost - po_cost) * entry["units"]
            if shortage:
                amount = -cents(shortage)
                lines.append(
                    RemittanceLine(
                        f"{number}SC", day, amount, Decimal("0.00"), amount, "Shortage claim", po, "04"
                    )
                )
                claims.append((f"{number}SC", "SC", number, amount))
            if price:
                amount = -cents(price)
                lines.append(
                    RemittanceLine(
                        f"{number}PC", day, amount, Decimal("0.00"), amount, "Price claim", po, "01"
                    )
                )
                claims.append((f"{number}PC", "PC", number, amount))
        return lines, claims, gross

    def _other_lines(
        self, db: sqlite3.Connection, rng: random.Random, day: date, gross: Decimal
    ) -> tuple[list[RemittanceLine], list[Claim], list[str]]:
        """Deductions not tied to this payment's invoices: reversals, chargebacks, co-op, provisions.

        Returns the lines, the new claims to remember, and earlier claims now followed up.
        """
        zero = Decimal("0.00")
        lines: list[RemittanceLine] = []
        claims: list[Claim] = []
        followed: list[str] = []

        def add(
            doc: str, amount: Decimal, description: str, code: str = "ZZ", kind: str = "", base: str = ""
        ) -> None:
            amount = cents(amount)
            lines.append(
                RemittanceLine(doc, day, amount, zero, amount, description, "", code if amount < 0 else "")
            )
            if kind:
                claims.append((doc, kind, base, amount))

        earlier = db.execute("SELECT * FROM claims WHERE followed_up = 0 ORDER BY document").fetchall()
        for claim in earlier:
            amount, base = Decimal(claim["amount"]), claim["base_invoice"]
            if claim["kind"] == "SC" and rng.random() < 0.3:
                add(f"{base}SCR", -amount, "Shortage claim reversal", kind="SCR", base=base)
            elif claim["kind"] == "SCR" and rng.random() < 0.5:
                add(f"{base}SCRSC", -amount / 2, "Revised shortage claim", "04", kind="SCRSC", base=base)
            elif claim["kind"] == "PROV":
                add(f"{claim['document']}R", -amount, "Provision for receivables reversal", kind="PROVR")
            else:
                continue
            followed.append(claim["document"])
        if rng.random() < 0.5:
            reason = rng.choice(
                (
                    "ASN Accuracy",
                    "Carton Content Accuracy",
                    "PO On-Time Accuracy",
                    "Overage PO Units",
                    "Prep - Unlabeled",
                )
            )
            add(
                f"{rng.randrange(10**7, 10**8)}VCBSINV",
                -Decimal(rng.randrange(2500, 25000)) / 100,
                f"Chargeback: {reason}",
            )
        if rng.random() < 0.4:
            kind = rng.choice(("Marketing Development Funds", "Damage Allowance", "Freight Allowance"))
            add(
                f"{rng.randrange(1000, 10000)}-{rng.randrange(10**7, 10**8)}",
                -gross * Decimal("0.03"),
                f"Co-op: {kind}",
            )
        if rng.random() < 0.2:
            add(
                f"IPAPUS{rng.randrange(10**6, 10**7)}",
                -Decimal(rng.randrange(1000, 15000)) / 100,
                "Price protection",
            )
        if rng.random() < 0.3 and not any(c["kind"] == "PROV" for c in earlier):
            doc = f"{rng.randrange(10**8, 10**9)}-PROVISION FOR RECEIVABLES"
            add(doc, -gross * Decimal("0.02"), "Provision for receivables", kind="PROV")
        return lines, claims, followed

    def _write_files(self, remittance: Remittance) -> dict[str, Path]:
        self.remittance_dir.mkdir(parents=True, exist_ok=True)
        stem = (
            self.remittance_dir / f"remittance-{remittance.payment_date:%Y%m%d}-{remittance.payment_number}"
        )
        created = datetime.combine(remittance.payment_date, time(6), UTC)
        return {
            "csv": files.write_csv(remittance, stem.with_suffix(".csv")),
            "xlsx": files.write_xlsx(remittance, stem.with_suffix(".xlsx")),
            "820": files.write_820(
                remittance,
                stem.with_suffix(".820"),
                control_number=self.store.next_serial("edi_control"),
                created=created,
            ),
        }

    def remittance_files(self) -> list[RemittanceFile]:
        """Every remittance file written so far, oldest payment first (for the app's importers)."""
        with self.store.tx() as db:
            rows = db.execute("SELECT * FROM remittances ORDER BY payment_date, payment_number").fetchall()
        return [
            RemittanceFile(row["payment_number"], date.fromisoformat(row["payment_date"]), fmt, Path(path))
            for row in rows
            for fmt, path in loads(row["files"]).items()
        ]

    def remittances(self) -> list[Remittance]:
        with self.store.tx() as db:
            rows = db.execute("SELECT * FROM remittances ORDER BY payment_date, payment_number").fetchall()
        return [
            Remittance(
                row["payment_number"],
                date.fromisoformat(row["payment_date"]),
                tuple(
                    RemittanceLine(
                        **(
                            line
                            | {
                                "document_date": date.fromisoformat(line["document_date"]),
                                "invoice_amount": Decimal(line["invoice_amount"]),
                                "discount": Decimal(line["discount"]),
                                "amount_paid": Decimal(line["amount_paid"]),
                            }
                        )
                    )
                    for line in loads(row["lines"])
                ),
            )
            for row in rows
        ]

    # -------------------------------------------------------------- status
    def status(self) -> dict[str, Any]:
        with self.store.tx() as db:

            def count(sql: str) -> dict[str, int]:
                return {str(r[0]): r[1] for r in db.execute(sql)}

            last = db.execute("SELECT max(day) FROM sim_days").fetchone()[0]
            return {
                "simulated_now": iso(self.now()),
                "seeded": self.seeded(),
                "last_simulated_day": last,
                "purchase_orders": count("SELECT state, count(*) FROM purchase_orders GROUP BY state"),
                "transactions": count("SELECT kind || ':' || status, count(*) FROM transactions GROUP BY 1"),
                "shipments": count(
                    "SELECT CASE WHEN received_at IS NULL THEN 'in transit' ELSE 'received' END, count(*)"
                    " FROM shipments GROUP BY 1"
                ),
                "invoices": count(
                    "SELECT CASE WHEN payment_number IS NULL THEN 'open' ELSE 'paid' END, count(*) FROM invoices GROUP BY 1"
                ),
                "remittances": db.execute("SELECT count(*) FROM remittances").fetchone()[0],
                "remittance_dir": str(self.remittance_dir),
            }
