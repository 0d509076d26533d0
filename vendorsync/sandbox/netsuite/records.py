"""Record rules: what NetSuite validates, computes and links when a record is written.

Each record type has a builder that takes the whole (merged) document, validates it the way
NetSuite answers bad input (400 with ``o:errorPath``: missing required field ``USER_ERROR``, bad
number/date/enum ``INVALID_VALUE``, unknown reference ``INVALID_KEY_OR_REF``) and fills in what
NetSuite computes (line amounts, totals, statuses, amount remaining). Writes that move other
records (a fulfilment decrements stock and marks SO lines fulfilled; a payment reduces invoice
balances) happen in the same sqlite transaction, so a rejected request changes nothing.

Bookkeeping NetSuite keeps but does not show is stored under ``_``-prefixed keys and never
rendered (e.g. ``_applications``: which payments/credits consumed an invoice or credit).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ..clock import SimClock
from ..common import CENT, cents, utc_timestamp
from .errors import not_found, user_error
from .store import Store

MAIN_LOCATION_ID = 1
BANK_ACCOUNT_ID = "110"
RECEIVABLE_ACCOUNT_ID = "120"

# REST record type -> (SuiteQL transaction.type, tranid prefix, label used in refName)
TRANSACTION_TYPES: dict[str, tuple[str, str, str]] = {
    "salesOrder": ("SalesOrd", "SO", "Sales Order"),
    "itemFulfillment": ("ItemShip", "IF", "Item Fulfillment"),
    "invoice": ("CustInvc", "INV", "Invoice"),
    "customerPayment": ("CustPymt", "PYMT", "Payment"),
    "creditMemo": ("CustCred", "CM", "Credit Memo"),
    "journalEntry": ("Journal", "JE", "Journal"),
}
ITEM_TYPES = ("inventoryItem", "otherChargeItem")
FAMILY: dict[str, str] = {
    **dict.fromkeys(TRANSACTION_TYPES, "transaction"),
    **dict.fromkeys(ITEM_TYPES, "item"),
    "customer": "entity",
    "account": "account",
    "location": "location",
    "subsidiary": "subsidiary",
}
RECORD_TYPES = tuple(FAMILY)
ID_START = {
    "transaction": 100,
    "item": 9500,
    "entity": 2000,
    "account": 1000,
    "location": 10,
    "subsidiary": 10,
}
SUBLISTS: dict[str, tuple[str, ...]] = {
    "salesOrder": ("item",),
    "itemFulfillment": ("item", "package"),
    "invoice": ("item",),
    "customerPayment": ("apply", "credit"),
    "creditMemo": ("item", "apply"),
    "journalEntry": ("line",),
}
# Keyed sublists: a PATCH line whose key matches an existing line updates it; others are appended.
SUBLIST_KEYS = {"item": "line", "line": "line", "apply": "doc", "credit": "doc"}
STATUS_NAMES: dict[str, dict[str, str]] = {
    "SalesOrd": {
        "A": "Pending Approval",
        "B": "Pending Fulfillment",
        "C": "Cancelled",
        "D": "Partially Fulfilled",
        "E": "Pending Billing/Partially Fulfilled",
        "F": "Pending Billing",
        "G": "Billed",
        "H": "Closed",
    },
    "ItemShip": {"A": "Picked", "B": "Packed", "C": "Shipped"},
    "CustInvc": {"A": "Open", "B": "Paid In Full"},
    "CustPymt": {"B": "Not Deposited", "C": "Deposited"},
    "CustCred": {"A": "Open", "B": "Fully Applied"},
    "Journal": {"A": "Pending Approval", "B": "Approved for Posting"},
}
# Transactions that post to A/R and so need an open posting period (an A/R lock stops them too).
PERIOD_CHECKED = ("invoice", "creditMemo", "customerPayment", "journalEntry")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
TERMS: dict[str, tuple[str, int]] = {"2": ("Net 30", 30), "3": ("Net 60", 60), "7": ("2% 30 Net 60", 60)}
CURRENCIES = {"1": "USA"}
REF_TARGETS = {
    "entity": "customer",
    "customer": "customer",
    "item": "item",
    "location": "location",
    "subsidiary": "subsidiary",
    "account": "account",
    "arAcct": "account",
    "incomeAccount": "account",
    "doc": "transaction",
    "createdFrom": "transaction",
    "currency": "currency",
    "terms": "terms",
    "postingPeriod": "accountingPeriod",
}
_FIELDS = """entity customer item items quantity rate amount externalId tranDate tranId otherRefNum orderStatus
location shipDate memo isClosed line orderLine itemReceive shipStatus package packageWeight packageTrackingNumber
packageDescr packageCartonNumber apply doc payment account debit credit subsidiary currency companyName entityId
isPerson terms email itemId upcCode displayName description cost basePrice acctNumber acctName acctType createdFrom
dueDate total amountRemaining amountPaid status checkNumber autoApply approved shipMethod shipCarrier
quantityFulfilled quantityBilled applied unapplied arAcct isInactive weight name incomeAccount shippedDate
custitem_asin custitem_case_pack custcol_amz_asin custcol_amz_po_line
subtotal createdDate lastModifiedDate quantityBackOrdered quantityCommitted quantityRemaining weightUnit
shippingAddress billingAddress pickedDate packedDate customForm exchangeRate shippingCost handlingCost
lineUniqueKey itemName itemUpc inventoryDetail packageDetails links id refName
postingPeriod department class toBeEmailed undepFunds reversalDate reversalDefer refNum type applyDate
creditDate appliedTo due isReversal exchangeRate""".split()
CANONICAL = {name.lower(): name for name in _FIELDS}

# The posting records' own fields, per body ("") and sublist (REST API Browser 2026.1, reference
# §13.2-13.3 and R6). Under ``X-NetSuite-PropertyNameValidation: Error`` NetSuite refuses a field the
# record does not have, even when another record type has one of that name (``debit`` on a credit
# memo, ``disc`` on a payment's apply line). Read-only fields NetSuite computes are listed too:
# sending one back is not a name error.
_TRANSACTION_BODY = """externalId tranId tranDate postingPeriod memo currency exchangeRate subsidiary department
class location customForm status total createdDate lastModifiedDate links id refName""".split()
_APPLY_LINE = "doc apply amount line due total refNum type applyDate createdFrom currency links".split()
RECORD_FIELDS: dict[str, dict[str, frozenset[str]]] = {
    "creditMemo": {
        "": frozenset(
            _TRANSACTION_BODY
            + """entity otherRefNum createdFrom item apply autoApply account
            subtotal applied unapplied amountRemaining amountPaid toBeEmailed""".split()
        ),
        "item": frozenset(
            """item quantity rate amount description line location department class
            custcol_amz_asin custcol_amz_po_line links""".split()
        ),
        "apply": frozenset(_APPLY_LINE),
    },
    "customerPayment": {
        "": frozenset(
            _TRANSACTION_BODY
            + """customer payment account arAcct undepFunds checkNumber autoApply
            apply credit applied unapplied toBeEmailed""".split()
        ),
        "apply": frozenset(_APPLY_LINE),
        "credit": frozenset(_APPLY_LINE + ["creditDate", "appliedTo"]),
    },
    "journalEntry": {
        "": frozenset(
            _TRANSACTION_BODY + "approved line reversalDate reversalDefer isReversal amountRemaining".split()
        ),
        "line": frozenset("account debit credit entity memo department class location line links".split()),
    },
}


def canonical(value: Any) -> Any:
    """NetSuite matches field names case-insensitively; store them in the REST browser's camelCase."""
    if isinstance(value, dict):
        return {CANONICAL.get(str(k).lower(), k): canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def money(value: Any, path: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise user_error(f"Invalid number (must be a number): {value!r}.", path, "INVALID_VALUE")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise user_error(f"Invalid number (must be a number): {value!r}.", path, "INVALID_VALUE") from None
    if not result.is_finite():
        raise user_error(f"Invalid number (must be a number): {value!r}.", path, "INVALID_VALUE")
    return cents(result)


def quantity(value: Any, path: str, *, minimum: int = 1) -> int:
    number = money(value, path)
    if number != number.to_integral_value() or number < minimum:
        raise user_error(
            f"Invalid quantity {value!r}: must be a whole number >= {minimum}.", path, "INVALID_VALUE"
        )
    return int(number)


def iso_date(value: Any, path: str) -> str:
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        raise user_error(f"Unparseable date: {value!r}. Use YYYY-MM-DD.", path, "INVALID_VALUE") from None


def enum_id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return None if value is None else str(value)


def flag(value: Any) -> bool:
    return value is True or str(value).upper() in ("T", "TRUE")


def lines_of(body: dict[str, Any], sublist: str) -> list[dict[str, Any]]:
    value = body.get(sublist) or {}
    items = value.get("items") if isinstance(value, dict) else None
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(line, dict) for line in items):
        raise user_error(f"Sublist {sublist} must be {{'items': [...]}}.", sublist, "INVALID_VALUE")
    return items


def merge(existing: dict[str, Any], payload: dict[str, Any], rtype: str, replace: set[str]) -> dict[str, Any]:
    """PATCH semantics: body fields overwrite; keyed sublist lines update by key, others append."""
    merged = dict(existing)
    for key, value in payload.items():
        if key in SUBLISTS.get(rtype, ()) and key not in replace and isinstance(value, dict):
            lines = [dict(line) for line in lines_of(existing, key)]
            key_field = SUBLIST_KEYS.get(key)
            for new in lines_of(payload, key):
                match = None
                if key_field and new.get(key_field) is not None:
                    wanted = enum_id(new[key_field])
                    match = next((line for line in lines if enum_id(line.get(key_field)) == wanted), None)
                if match is not None:
                    match.update(new)
                else:
                    lines.append(dict(new))
            merged[key] = {"items": lines}
        else:
            merged[key] = value
    return merged


class Records:
    def __init__(self, store: Store, clock: SimClock) -> None:
        self.store = store
        self.clock = clock
        # Refuse postings into closed / A/R-locked periods. On for requests through the REST API
        # (``NetSuiteApp``); off for the simulator's own history and warehouse, which play the
        # account's users, who may override period restrictions.
        self.enforce_periods = False

    # -- lookups ---------------------------------------------------------------------------------
    def today(self) -> date:
        return self.clock.now().date()

    def now_iso(self) -> str:
        return utc_timestamp(self.clock.now())

    def resolve_id(self, rtype: str, key: str) -> int:
        if key.startswith("eid:"):
            rid = self.store.id_for_eid(rtype, key[4:])
        else:
            rid = int(key) if key.isdigit() else None
            if rid is not None and self.store.get(rtype, rid) is None:
                rid = None
        if rid is None:
            raise not_found()
        return rid

    def load(self, rtype: str, rid: int) -> dict[str, Any]:
        body = self.store.get(rtype, rid)
        if body is None:
            raise not_found()
        return body

    def target_type(self, target: str, rid: int) -> str | None:
        if target == "item":
            return self.store.find_type(rid, ITEM_TYPES)
        if target == "transaction":
            return self.store.find_type(rid, tuple(TRANSACTION_TYPES))
        if target in FAMILY:
            return target if self.store.get(target, rid) is not None else None
        return None

    def ref(
        self,
        body: dict[str, Any],
        field: str,
        path: str,
        target: str,
        *,
        required: bool = True,
        types: tuple[str, ...] | None = None,
    ) -> int | None:
        """Validate a reference field and normalise it to ``{"id": "<internal id>"}``."""
        value = body.get(field)
        if value in (None, "", {}):
            if required:
                raise user_error(f"Please enter value(s) for: {field}.", path)
            return None
        raw = value.get("id", value.get("externalId")) if isinstance(value, dict) else value
        rid: int | None = None
        if isinstance(value, dict) and "id" not in value and "externalId" in value:
            defaults = {"item": ITEM_TYPES, "transaction": tuple(TRANSACTION_TYPES)}.get(target, (target,))
            for rtype in types or defaults:
                rid = rid or (self.store.id_for_eid(rtype, str(raw)) if rtype in FAMILY else None)
        elif str(raw).isdigit():
            rid = int(str(raw))
        if target in ("currency", "terms"):
            table = CURRENCIES if target == "currency" else TERMS
            if str(raw) not in table:
                raise user_error(f"Invalid {field} reference key {raw}.", path, "INVALID_KEY_OR_REF")
            body[field] = {"id": str(raw)}
            return int(str(raw))
        found = self.target_type(target, rid) if rid is not None else None
        if found is None or (types and found not in types):
            raise user_error(f"Invalid {field} reference key {raw}.", path, "INVALID_KEY_OR_REF")
        body[field] = {"id": str(rid)}
        return rid

    # -- accounting periods ----------------------------------------------------------------------
    def period_for(self, day: date) -> dict[str, Any]:
        """The posting (month) period ``day`` falls in; a month beyond the seeded ones is added, open."""
        query = (
            "SELECT * FROM accountingperiod WHERE startdate <= ? AND enddate >= ? AND isposting = 'T'"
            " AND isquarter = 'F' AND isyear = 'F' AND isadjust = 'F' ORDER BY id LIMIT 1"
        )
        with self.store.tx() as c:
            row = c.execute(query, (day.isoformat(), day.isoformat())).fetchone()
            if row is None:
                start = day.replace(day=1)
                end = date(start.year + start.month // 12, start.month % 12 + 1, 1) - timedelta(days=1)
                c.execute(
                    "INSERT INTO accountingperiod (id, periodname, startdate, enddate) VALUES "
                    "((SELECT COALESCE(MAX(id), 0) + 1 FROM accountingperiod), ?, ?, ?)",
                    (f"{_MONTHS[start.month - 1]} {start.year}", start.isoformat(), end.isoformat()),
                )
                row = c.execute(query, (day.isoformat(), day.isoformat())).fetchone()
        return dict(row)

    def period(self, period_id: int) -> dict[str, Any] | None:
        with self.store.lock:
            row = self.store.conn.execute(
                "SELECT * FROM accountingperiod WHERE id = ?", (period_id,)
            ).fetchone()
        return dict(row) if row else None

    def set_period(
        self,
        day: date,
        *,
        closed: bool | None = None,
        ar_locked: bool | None = None,
        all_locked: bool | None = None,
    ) -> dict[str, Any]:
        """Close, lock or reopen the month of ``day`` (NetSuite's Manage Accounting Periods page)."""
        row = self.period_for(day)
        changes = {"closed": closed, "arlocked": ar_locked, "alllocked": all_locked}
        with self.store.tx() as c:
            for column, value in changes.items():
                if value is not None:
                    c.execute(
                        f"UPDATE accountingperiod SET {column} = ? WHERE id = ?",  # noqa: S608 - fixed names
                        ("T" if value else "F", row["id"]),
                    )
        return self.period(row["id"]) or row

    def check_period(self, rtype: str, body: dict[str, Any]) -> None:
        """Refuse a posting into a closed or A/R-locked period, as NetSuite does; fill ``postingPeriod``.

        The period is the one named by ``postingPeriod``, else the one ``tranDate`` falls in.
        NetSuite's own wording varies by page; the simulator says which period and why, at
        ``o:errorPath`` ``postingPeriod`` or ``tranDate`` (whichever chose the period).
        """
        if rtype not in PERIOD_CHECKED:
            return
        value = body.get("postingPeriod")
        if value not in (None, "", {}):
            raw = enum_id(value) or ""
            row = self.period(int(raw)) if raw.isdigit() else None
            if row is None or row["isposting"] != "T":
                raise user_error(
                    f"Invalid postingPeriod reference key {raw}.", "postingPeriod", "INVALID_KEY_OR_REF"
                )
            path = "postingPeriod"
        else:
            tran_date = iso_date(body.get("tranDate") or self.today(), "tranDate")
            row = self.period_for(date.fromisoformat(tran_date))
            path = "tranDate"
        name = row["periodname"]
        body["postingPeriod"] = {"id": str(row["id"])}
        if not self.enforce_periods:
            return
        if row["closed"] == "T":
            raise user_error(
                f"The accounting period {name} is closed. You cannot post a transaction to a closed period.",
                path,
            )
        if row["arlocked"] == "T" or row["alllocked"] == "T":
            raise user_error(
                f"The accounting period {name} is locked for Accounts Receivable. "
                "A user without the Override Period Restrictions permission cannot post to it.",
                path,
            )

    # -- create / update -------------------------------------------------------------------------
    def create(self, rtype: str, payload: dict[str, Any], *, via_transform: bool = False) -> int:
        if rtype == "itemFulfillment" and not via_transform:
            raise user_error(
                "An item fulfillment must be created by transforming a sales order "
                "(POST salesOrder/{id}/!transform/itemFulfillment).",
                code="INVALID_PARAMETER",
            )
        body = canonical(payload)
        eid = body.get("externalId")
        with self.store.tx():
            if eid is not None:
                eid = str(eid)
                if not re.fullmatch(r"[A-Za-z0-9_-]+", eid):
                    raise user_error(f"Invalid external ID {eid!r}.", "externalId", "INVALID_VALUE")
                if self.store.id_for_eid(rtype, eid) is not None:
                    raise user_error(f"A {rtype} record with external ID {eid} already exists.", "externalId")
                body["externalId"] = eid
            self.check_period(rtype, body)
            rid = self.store.next_value(f"id:{FAMILY[rtype]}", ID_START[FAMILY[rtype]])
            if rtype in TRANSACTION_TYPES:
                prefix = TRANSACTION_TYPES[rtype][1]
                body.setdefault("tranId", f"{prefix}{self.store.next_value(f'tranid:{rtype}', 1001)}")
                body["createdDate"] = self.now_iso()
            self.save(rtype, rid, body, None)
        return rid

    def update(self, rtype: str, rid: int, payload: dict[str, Any], replace: set[str] = frozenset()) -> None:
        with self.store.tx():
            existing = self.load(rtype, rid)
            body = merge(existing, canonical(payload), rtype, replace)
            if rtype in PERIOD_CHECKED and existing.get("postingPeriod"):
                # Changing a transaction that sits in a closed or locked period is refused too.
                self.check_period(rtype, {"postingPeriod": existing["postingPeriod"]})
            self.check_period(rtype, body)
            if body.get("externalId") is None:
                body.pop("externalId", None)
            elif body["externalId"] != existing.get("externalId"):
                other = self.store.id_for_eid(rtype, str(body["externalId"]))
                if other not in (None, rid):
                    raise user_error(f"External ID {body['externalId']} is already in use.", "externalId")
            self.save(rtype, rid, body, existing)

    def upsert(self, rtype: str, eid: str, payload: dict[str, Any]) -> int:
        """``PUT /{type}/eid:X``: same external id, same record. Sent sublists replace the old ones."""
        with self.store.tx():
            rid = self.store.id_for_eid(rtype, eid)
            body = dict(canonical(payload), externalId=eid)
            if rid is None:
                return self.create(rtype, body)
            self.update(rtype, rid, body, replace=set(SUBLISTS.get(rtype, ())))
            return rid

    def delete(self, rtype: str, rid: int) -> None:
        with self.store.tx():
            body = self.load(rtype, rid)
            if body.get("_applications"):
                raise user_error("This record cannot be deleted because it has dependent records.")
            if rtype in ("customerPayment", "creditMemo"):
                self._apply_to_targets(rid, body, [])
            self.store.delete(rtype, rid)
            if rtype in TRANSACTION_TYPES:
                for table, key in (("transaction", "id"), ("transactionline", "transaction")):
                    self.store.replace_rows(table, key, rid, [])

    def save(self, rtype: str, rid: int, body: dict[str, Any], existing: dict[str, Any] | None) -> None:
        getattr(self, f"_build_{rtype}")(body, existing, rid)
        if rtype in TRANSACTION_TYPES:
            body["lastModifiedDate"] = self.now_iso()
        self.store.put(rtype, rid, body)
        self.project(rtype, rid, body)

    # -- builders --------------------------------------------------------------------------------
    def _item_lines(self, body: dict[str, Any], existing: dict[str, Any] | None, *, order: bool) -> Decimal:
        lines = lines_of(body, "item")
        if not lines:
            raise user_error("You must enter at least one line item for this transaction.", "item")
        old = {line.get("line"): line for line in lines_of(existing or {}, "item")}
        next_line = max([int(n) for n in old if n is not None] + [0]) + 1
        total = Decimal(0)
        for index, line in enumerate(lines):
            path = f"item.items[{index}]"
            item_id = self.ref(line, "item", f"{path}.item", "item")
            line["quantity"] = quantity(line.get("quantity", 1), f"{path}.quantity")
            if line.get("rate") is None:  # NetSuite defaults the rate from the item's price
                item_body = self.store.get(self.target_type("item", item_id) or "", item_id or 0) or {}
                line["rate"] = item_body.get("basePrice") or item_body.get("cost") or 0
            line["rate"] = money(line["rate"], f"{path}.rate")
            line["amount"] = cents(line["rate"] * line["quantity"])
            if line.get("line") is None:
                line["line"] = next_line
                next_line += 1
            if line.get("location") is not None:
                self.ref(line, "location", f"{path}.location", "location")
            if order:
                previous = old.get(line["line"], {})
                line.setdefault("quantityFulfilled", previous.get("quantityFulfilled", 0))
                line.setdefault("quantityBilled", previous.get("quantityBilled", 0))
                line["isClosed"] = flag(line.get("isClosed", False))
                if line["quantity"] < line["quantityFulfilled"]:
                    raise user_error(
                        "You cannot reduce the quantity below the quantity fulfilled.",
                        f"{path}.quantity",
                        "INVALID_VALUE",
                    )
                line["quantityBackOrdered"] = (
                    0 if line["isClosed"] else line["quantity"] - line["quantityFulfilled"]
                )
            total += line["amount"]
        if order:
            fulfilled = {line["line"] for line in lines}
            lost = [n for n, line in old.items() if n not in fulfilled and line.get("quantityFulfilled")]
            if lost:
                raise user_error(f"Line {lost[0]} has been fulfilled and cannot be removed.", "item")
        return total

    def _header(self, body: dict[str, Any], entity_field: str = "entity") -> None:
        self.ref(body, entity_field, entity_field, "customer")
        body["tranDate"] = iso_date(body.get("tranDate") or self.today(), "tranDate")
        body.setdefault("currency", {"id": "1"})
        self.ref(body, "currency", "currency", "currency")
        body.setdefault("subsidiary", {"id": "1"})
        self.ref(body, "subsidiary", "subsidiary", "subsidiary")

    def _status(self, body: dict[str, Any], rtype: str, code: str) -> None:
        tran_type = TRANSACTION_TYPES[rtype][0]
        body["status"] = {"id": code, "refName": STATUS_NAMES[tran_type][code]}

    def _build_salesOrder(self, body: dict[str, Any], existing: dict[str, Any] | None, rid: int) -> None:  # noqa: N802
        self._header(body)
        if body.get("shipDate"):
            body["shipDate"] = iso_date(body["shipDate"], "shipDate")
        body.setdefault("location", {"id": str(MAIN_LOCATION_ID)})
        self.ref(body, "location", "location", "location")
        approval = enum_id(body.get("orderStatus")) or "B"
        if approval not in ("A", "B"):
            raise user_error(f"Invalid orderStatus {approval!r}: use A or B.", "orderStatus", "INVALID_VALUE")
        body["orderStatus"] = {"id": approval, "refName": STATUS_NAMES["SalesOrd"][approval]}
        body["total"] = body["subtotal"] = self._item_lines(body, existing, order=True)
        lines = lines_of(body, "item")
        ordered_open = [ln for ln in lines if not ln["isClosed"] and ln["quantityFulfilled"] < ln["quantity"]]
        fulfilled = sum(ln["quantityFulfilled"] for ln in lines)
        billed = sum(ln["quantityBilled"] for ln in lines)
        if ordered_open:
            code = (
                ("A" if approval == "A" else "B") if not fulfilled else ("E" if billed < fulfilled else "D")
            )
        elif fulfilled:
            code = "F" if billed < fulfilled else "G"
        else:
            code = "H"
        self._status(body, "salesOrder", code)

    def _build_itemFulfillment(self, body: dict[str, Any], existing: dict[str, Any] | None, rid: int) -> None:  # noqa: N802
        self._header(body)
        ship_status = enum_id(body.get("shipStatus")) or "C"
        if ship_status not in STATUS_NAMES["ItemShip"]:
            raise user_error(
                f"Invalid shipStatus {ship_status!r}: use A, B or C.", "shipStatus", "INVALID_VALUE"
            )
        body["shipStatus"] = {"id": ship_status, "refName": STATUS_NAMES["ItemShip"][ship_status]}
        self._status(body, "itemFulfillment", ship_status)
        if existing is not None:  # lines and stock were settled by the transform; only header/packages change
            body["item"] = existing["item"]
        for index, package in enumerate(lines_of(body, "package")):
            path = f"package.items[{index}]"
            if package.get("packageWeight") is not None:
                weight = money(package["packageWeight"], f"{path}.packageWeight")
                if weight < 0:
                    raise user_error(
                        "Package weight cannot be negative.", f"{path}.packageWeight", "INVALID_VALUE"
                    )
                package["packageWeight"] = weight
            for key in ("packageTrackingNumber", "packageDescr", "packageCartonNumber"):
                if package.get(key) is not None:
                    package[key] = str(package[key])

    def _build_invoice(self, body: dict[str, Any], existing: dict[str, Any] | None, rid: int) -> None:
        self._header(body)
        customer = self.store.get("customer", int(body["entity"]["id"])) or {}
        body.setdefault("terms", customer.get("terms") or {"id": "3"})
        self.ref(body, "terms", "terms", "terms")
        days = TERMS[body["terms"]["id"]][1]
        body["dueDate"] = iso_date(
            body.get("dueDate") or date.fromisoformat(body["tranDate"]) + timedelta(days=days), "dueDate"
        )
        if body.get("createdFrom"):
            self.ref(body, "createdFrom", "createdFrom", "transaction", types=("salesOrder",))
        body["total"] = body["subtotal"] = self._item_lines(body, existing, order=False)
        self._remaining(body, body["total"], "invoice", ("A", "B"))

    def _remaining(self, body: dict[str, Any], total: Decimal, rtype: str, codes: tuple[str, str]) -> None:
        used = sum((Decimal(str(v)) for v in body.get("_applications", {}).values()), Decimal(0))
        if rtype == "creditMemo":
            used += sum(
                (ln["amount"] for ln in lines_of(body, "apply") if ln.get("apply") is True), Decimal(0)
            )
        if used > total:
            raise user_error("The amount applied exceeds the total of this transaction.", "total")
        body["amountPaid"] = used
        body["amountRemaining"] = total - used
        self._status(body, rtype, codes[0] if body["amountRemaining"] > 0 else codes[1])

    def _apply_lines(
        self, body: dict[str, Any], sublist: str, customer: int, types: tuple[str, ...], rid: int
    ) -> list[tuple[str, int, Decimal]]:
        result = []
        for index, line in enumerate(lines_of(body, sublist)):
            path = f"{sublist}.items[{index}]"
            if not flag(line.get("apply", True)):
                continue
            doc = self.ref(line, "doc", f"{path}.doc", "transaction", types=types)
            assert doc is not None
            doc_type = self.target_type("transaction", doc) or ""
            target = self.load(doc_type, doc)
            owner = target.get("entity") or {}
            owners = {owner.get("id")} | {
                (ln.get("entity") or {}).get("id") for ln in lines_of(target, "line") if ln.get("credit")
            }
            if str(customer) not in owners:
                raise user_error(
                    f"Transaction {doc} is not open for this customer.", f"{path}.doc", "INVALID_KEY_OR_REF"
                )
            available = Decimal(str(target.get("amountRemaining", 0))) + Decimal(
                str(target.get("_applications", {}).get(str(rid), 0))
            )
            amount = money(line.get("amount", available), f"{path}.amount")
            if amount <= 0 or amount > available:
                raise user_error(
                    f"Amount {amount} must be positive and at most the {available} still open on transaction {doc}.",
                    f"{path}.amount",
                    "INVALID_VALUE",
                )
            line.update(apply=True, amount=amount, total=target.get("total"), due=available)
            result.append((doc_type, doc, amount))
        return result

    def _apply_to_targets(
        self, rid: int, body: dict[str, Any], applied: list[tuple[str, int, Decimal]]
    ) -> None:
        """Record on each target how much this payment/credit consumed (first undoing the last save)."""
        touched: dict[tuple[str, int], Decimal] = {}
        for doc_type, doc, amount in applied:
            touched[(doc_type, doc)] = touched.get((doc_type, doc), Decimal(0)) + amount
        for sub in ("apply", "credit"):
            for line in lines_of(body.get("_previous", {}), sub):
                doc = int(line["doc"]["id"])
                doc_type = self.target_type("transaction", doc)
                if doc_type:
                    touched.setdefault((doc_type, doc), Decimal(0))
        for (doc_type, doc), amount in touched.items():
            target = self.load(doc_type, doc)
            apps = dict(target.get("_applications", {}))
            apps.pop(str(rid), None)
            if amount:
                apps[str(rid)] = amount
            target["_applications"] = apps
            self.save(doc_type, doc, target, target)

    def _build_customerPayment(self, body: dict[str, Any], existing: dict[str, Any] | None, rid: int) -> None:  # noqa: N802
        self._header(body, "customer")
        customer = int(body["customer"]["id"])
        body.setdefault("account", {"id": BANK_ACCOUNT_ID})
        self.ref(body, "account", "account", "account")
        applied = self._apply_lines(body, "apply", customer, ("invoice",), rid)
        credits = self._apply_lines(body, "credit", customer, ("creditMemo", "journalEntry"), rid)
        applied_total = sum((a for _, _, a in applied), Decimal(0))
        credit_total = sum((a for _, _, a in credits), Decimal(0))
        if body.get("payment") is None:
            body["payment"] = applied_total - credit_total
        body["payment"] = money(body["payment"], "payment")
        if body["payment"] < 0:
            raise user_error("Payment amount cannot be negative.", "payment", "INVALID_VALUE")
        body["applied"] = applied_total
        body["unapplied"] = body["payment"] + credit_total - applied_total
        if body["unapplied"] < 0:
            raise user_error(
                f"The total applied ({applied_total}) exceeds the payment plus credits "
                f"({body['payment'] + credit_total}).",
                "apply",
            )
        body["total"] = body["payment"]
        self._status(body, "customerPayment", "C")
        body["_previous"] = {k: existing[k] for k in ("apply", "credit") if existing and k in existing}
        self._apply_to_targets(rid, body, applied + credits)
        body["_previous"] = {}

    def _build_creditMemo(self, body: dict[str, Any], existing: dict[str, Any] | None, rid: int) -> None:  # noqa: N802
        self._header(body)
        if body.get("createdFrom"):
            self.ref(body, "createdFrom", "createdFrom", "transaction", types=("invoice",))
        body["total"] = body["subtotal"] = self._item_lines(body, existing, order=False)
        applied = self._apply_lines(body, "apply", int(body["entity"]["id"]), ("invoice",), rid)
        self._remaining(body, body["total"], "creditMemo", ("A", "B"))
        body["_previous"] = {"apply": existing["apply"]} if existing and "apply" in existing else {}
        self._apply_to_targets(rid, body, applied)
        body["_previous"] = {}

    def _build_journalEntry(self, body: dict[str, Any], existing: dict[str, Any] | None, rid: int) -> None:  # noqa: N802
        body["tranDate"] = iso_date(body.get("tranDate") or self.today(), "tranDate")
        for field, target in (("subsidiary", "subsidiary"), ("currency", "currency")):
            body.setdefault(field, {"id": "1"})
            self.ref(body, field, field, target)
        lines = lines_of(body, "line")
        if len(lines) < 2:
            raise user_error("A journal entry needs at least two lines.", "line")
        debits = credits = ar_credit = Decimal(0)
        for index, line in enumerate(lines, start=1):
            path = f"line.items[{index - 1}]"
            self.ref(line, "account", f"{path}.account", "account")
            if line.get("entity") not in (None, {}):
                self.ref(line, "entity", f"{path}.entity", "customer")
            debit = money(line["debit"], f"{path}.debit") if line.get("debit") is not None else Decimal(0)
            credit = money(line["credit"], f"{path}.credit") if line.get("credit") is not None else Decimal(0)
            if debit < 0 or credit < 0 or (debit > 0) == (credit > 0):
                raise user_error(
                    "Each line needs either a positive debit or a positive credit.", path, "INVALID_VALUE"
                )
            account = self.store.get("account", int(line["account"]["id"])) or {}
            if enum_id(account.get("acctType")) == "AcctRec" and line.get("entity") in (None, {}):
                raise user_error(
                    "Please enter a customer in the Name column of every Accounts Receivable line.",
                    f"{path}.entity",
                )
            line.update(line=index, debit=debit or None, credit=credit or None)
            debits, credits = debits + debit, credits + credit
            if line["account"]["id"] == RECEIVABLE_ACCOUNT_ID and line.get("entity"):
                ar_credit += credit
        if debits != credits:
            raise user_error(
                f"The transaction is not in balance: debits {debits} != credits {credits}.", "line"
            )
        body["approved"] = flag(body.get("approved", True))
        body["total"] = debits
        self._status(body, "journalEntry", "B" if body["approved"] else "A")
        used = sum((Decimal(str(v)) for v in body.get("_applications", {}).values()), Decimal(0))
        body["amountRemaining"] = ar_credit - used

    def _build_customer(self, body: dict[str, Any], existing: dict[str, Any] | None, rid: int) -> None:
        if not body.get("companyName") and not body.get("entityId"):
            raise user_error("Please enter value(s) for: companyName.", "companyName")
        body.setdefault("companyName", body.get("entityId"))
        body.setdefault("entityId", body["companyName"])
        body["isPerson"] = flag(body.get("isPerson", False))
        body.setdefault("subsidiary", {"id": "1"})
        self.ref(body, "subsidiary", "subsidiary", "subsidiary")
        if body.get("terms"):
            self.ref(body, "terms", "terms", "terms")

    def _build_item(self, body: dict[str, Any]) -> None:
        if not body.get("itemId"):
            raise user_error("Please enter value(s) for: itemId.", "itemId")
        for field in ("cost", "basePrice"):
            if body.get(field) is not None:
                body[field] = money(body[field], field)
        if body.get("incomeAccount"):
            self.ref(body, "incomeAccount", "incomeAccount", "account")

    def _build_inventoryItem(self, body: dict[str, Any], existing: dict[str, Any] | None, rid: int) -> None:  # noqa: N802
        self._build_item(body)

    def _build_otherChargeItem(self, body: dict[str, Any], existing: dict[str, Any] | None, rid: int) -> None:  # noqa: N802
        self._build_item(body)

    def _build_account(self, body: dict[str, Any], existing: dict[str, Any] | None, rid: int) -> None:
        for field in ("acctNumber", "acctName"):
            if not body.get(field):
                raise user_error(f"Please enter value(s) for: {field}.", field)
        body.setdefault("acctType", {"id": "Expense"})

    def _build_location(self, body: dict[str, Any], existing: dict[str, Any] | None, rid: int) -> None:
        if not body.get("name"):
            raise user_error("Please enter value(s) for: name.", "name")

    _build_subsidiary = _build_location

    # -- transforms ------------------------------------------------------------------------------
    def transform(self, from_type: str, rid: int, to_type: str, payload: dict[str, Any]) -> int:
        handler = getattr(self, f"_transform_{from_type}_{to_type}", None)
        if handler is None:
            raise user_error(
                f"Transformation from {from_type} to {to_type} is not supported.", code="INVALID_PARAMETER"
            )
        with self.store.tx():
            return handler(rid, self.load(from_type, rid), canonical(payload))

    def _order_lines(
        self, payload: dict[str, Any], so: dict[str, Any]
    ) -> list[tuple[dict[str, Any], Any, str]]:
        """Pair each SO line with the request line that names it (by ``orderLine``), if any."""
        by_line = {ln["line"]: ln for ln in lines_of(so, "item")}
        requested: dict[int, tuple[dict[str, Any], str]] = {}
        for index, line in enumerate(lines_of(payload, "item")):
            path = f"item.items[{index}]"
            order_line = line.get("orderLine")
            if order_line is None or not str(order_line).isdigit() or int(str(order_line)) not in by_line:
                raise user_error(
                    f"Invalid orderLine {order_line!r}.", f"{path}.orderLine", "INVALID_KEY_OR_REF"
                )
            requested[int(str(order_line))] = (line, path)
        return [(so_line, *requested.get(n, (None, ""))) for n, so_line in by_line.items()]

    def _transform_salesOrder_itemFulfillment(
        self, rid: int, so: dict[str, Any], payload: dict[str, Any]
    ) -> int:  # noqa: N802
        if so["status"]["id"] == "A":
            raise user_error("The sales order must be approved before it can be fulfilled.")
        lines = []
        for so_line, req, path in self._order_lines(payload, so):
            remaining = 0 if so_line["isClosed"] else so_line["quantity"] - so_line["quantityFulfilled"]
            item_id = int(so_line["item"]["id"])
            location = int((so_line.get("location") or so["location"])["id"])
            stock = (
                self.store.available(item_id, location)
                if self.target_type("item", item_id) == "inventoryItem"
                else remaining
            )
            if req is not None and not flag(req.get("itemReceive", True)):
                continue
            if req is not None and req.get("quantity") is not None:
                qty = quantity(req["quantity"], f"{path}.quantity", minimum=0)
                if qty > remaining:
                    raise user_error(
                        f"You cannot fulfill {qty}: only {remaining} remain on order line {so_line['line']}.",
                        f"{path}.quantity",
                        "INVALID_VALUE",
                    )
                if qty > stock:
                    raise user_error(
                        f"Insufficient stock for item {item_id}: {stock} available, {qty} requested.",
                        f"{path}.quantity",
                    )
            else:
                qty = min(remaining, stock)
            if qty > 0:
                lines.append((so_line, qty, item_id, location))
        if not lines:
            raise user_error(f"There are no lines to fulfill on sales order {so['tranId']}.")
        body = {k: v for k, v in payload.items() if k != "item"}
        body.update(
            entity=so["entity"],
            createdFrom={"id": str(rid)},
            item={
                "items": [
                    {
                        "line": n,
                        "orderLine": so_line["line"],
                        "item": so_line["item"],
                        "quantity": qty,
                        "location": {"id": str(location)},
                        "itemReceive": True,
                        **{k: v for k, v in so_line.items() if k.startswith("custcol")},
                    }
                    for n, (so_line, qty, _, location) in enumerate(lines, start=1)
                ]
            },
        )
        body.setdefault("tranDate", self.today())
        new_id = self.create("itemFulfillment", body, via_transform=True)
        for so_line, qty, item_id, location in lines:
            so_line["quantityFulfilled"] += qty
            if self.target_type("item", item_id) == "inventoryItem":
                self.store.move_stock(item_id, location, -qty)
        self.save("salesOrder", rid, so, so)
        return new_id

    def _transform_salesOrder_invoice(self, rid: int, so: dict[str, Any], payload: dict[str, Any]) -> int:  # noqa: N802
        lines = []
        for so_line, req, path in self._order_lines(payload, so):
            unbilled = so_line["quantityFulfilled"] - so_line["quantityBilled"]
            qty = unbilled
            if req is not None and req.get("quantity") is not None:
                qty = quantity(req["quantity"], f"{path}.quantity", minimum=0)
                if qty > unbilled:
                    raise user_error(
                        f"You cannot bill {qty}: only {unbilled} fulfilled and unbilled on line {so_line['line']}.",
                        f"{path}.quantity",
                        "INVALID_VALUE",
                    )
            if qty > 0:
                lines.append((so_line, qty))
        if not lines:
            raise user_error(f"There is nothing fulfilled and unbilled on sales order {so['tranId']}.")
        body = {k: v for k, v in payload.items() if k != "item"}
        body.update(entity=so["entity"], createdFrom={"id": str(rid)}, location=so.get("location"))
        body.setdefault("otherRefNum", so.get("otherRefNum"))
        body["item"] = {
            "items": [
                {
                    "orderLine": so_line["line"],
                    "item": so_line["item"],
                    "quantity": qty,
                    "rate": so_line["rate"],
                    **{k: v for k, v in so_line.items() if k.startswith("custcol")},
                }
                for so_line, qty in lines
            ]
        }
        new_id = self.create("invoice", body)
        for so_line, qty in lines:
            so_line["quantityBilled"] += qty
        self.save("salesOrder", rid, so, so)
        return new_id

    def _transform_invoice_customerPayment(
        self, rid: int, inv: dict[str, Any], payload: dict[str, Any]
    ) -> int:  # noqa: N802
        if Decimal(str(inv["amountRemaining"])) <= 0:
            raise user_error(f"Invoice {inv['tranId']} is already paid in full.")
        body = {
            "customer": inv["entity"],
            "apply": {"items": [{"doc": {"id": str(rid)}, "apply": True, "amount": inv["amountRemaining"]}]},
            **payload,
        }
        return self.create("customerPayment", body)

    def _transform_invoice_creditMemo(self, rid: int, inv: dict[str, Any], payload: dict[str, Any]) -> int:  # noqa: N802
        body: dict[str, Any] = {
            "entity": inv["entity"],
            "createdFrom": {"id": str(rid)},
            "otherRefNum": inv.get("otherRefNum"),
            "item": {
                "items": [{k: ln[k] for k in ("item", "quantity", "rate")} for ln in lines_of(inv, "item")]
            },
            **payload,
        }
        if "apply" not in payload:
            total = sum(
                (Decimal(str(ln["rate"])) * int(ln["quantity"]) for ln in lines_of(body, "item")), Decimal(0)
            )
            amount = min(total.quantize(CENT), Decimal(str(inv["amountRemaining"])))
            if amount > 0:
                body["apply"] = {"items": [{"doc": {"id": str(rid)}, "apply": True, "amount": amount}]}
        return self.create("creditMemo", body)

    # -- SuiteQL projections ---------------------------------------------------------------------
    def project(self, rtype: str, rid: int, body: dict[str, Any]) -> None:
        store = self.store
        eid = body.get("externalId")
        ref = lambda value: int(value["id"]) if isinstance(value, dict) and value.get("id") else None  # noqa: E731
        inactive = flag(body.get("isInactive", False))
        if rtype in ITEM_TYPES:
            row = {
                "id": rid, "itemid": body["itemId"], "displayname": body.get("displayName"),
                "description": body.get("description"), "upccode": body.get("upcCode"),
                "itemtype": "InvtPart" if rtype == "inventoryItem" else "OthCharge", "cost": body.get("cost"),
                "baseprice": body.get("basePrice"), "weight": body.get("weight"),
                "custitem_asin": body.get("custitem_asin"), "custitem_case_pack": body.get("custitem_case_pack"),
                "incomeaccount": ref(body.get("incomeAccount")), "externalid": eid, "isinactive": inactive,
            }  # fmt: skip
            store.replace_rows("item", "id", rid, [row])
        elif rtype == "customer":
            row = {
                "id": rid, "entityid": body["entityId"], "companyname": body["companyName"], "externalid": eid,
                "terms": ref(body.get("terms")), "subsidiary": ref(body.get("subsidiary")), "email": body.get("email"),
                "isperson": body["isPerson"], "isinactive": inactive,
            }  # fmt: skip
            store.replace_rows("customer", "id", rid, [row])
        elif rtype == "account":
            acct_type = enum_id(body.get("acctType"))
            row = {
                "id": rid, "acctnumber": body["acctNumber"], "acctname": body["acctName"],
                "fullname": body["acctName"], "accttype": acct_type, "externalid": eid, "isinactive": inactive,
            }  # fmt: skip
            store.replace_rows("account", "id", rid, [row])
        elif rtype in ("location", "subsidiary"):
            row = {"id": rid, "name": body["name"], "externalid": eid, "isinactive": inactive}
            if rtype == "location":
                row["subsidiary"] = ref(body.get("subsidiary"))
            store.replace_rows(rtype, "id", rid, [row])
        elif rtype in TRANSACTION_TYPES:
            self._project_transaction(rtype, rid, body, ref)

    def _project_transaction(self, rtype: str, rid: int, body: dict[str, Any], ref: Any) -> None:
        tran_type = TRANSACTION_TYPES[rtype][0]
        entity = ref(body.get("entity") or body.get("customer"))
        created_from = ref(body.get("createdFrom"))
        total = body.get("total")
        unpaid = body.get("amountRemaining") if rtype in ("invoice", "creditMemo") else None
        self.store.replace_rows(
            "transaction", "id", rid,
            [{
                "id": rid, "tranid": body.get("tranId"), "type": tran_type, "status": body["status"]["id"],
                "externalid": body.get("externalId"), "entity": entity, "trandate": body.get("tranDate"),
                "duedate": body.get("dueDate"), "shipdate": body.get("shipDate"), "foreigntotal": total,
                "foreignamountunpaid": unpaid, "foreignamountpaid": body.get("amountPaid"),
                "otherrefnum": body.get("otherRefNum"), "memo": body.get("memo"), "currency": ref(body.get("currency")),
                "createddate": body.get("createdDate"), "lastmodifieddate": body.get("lastModifiedDate"),
            }],
        )  # fmt: skip
        rows = [
            {"transaction": rid, "id": 0, "linesequencenumber": 0, "mainline": True, "taxline": False,
             "foreignamount": total, "entity": entity, "createdfrom": created_from, "memo": body.get("memo"),
             "location": ref(body.get("location"))}
        ]  # fmt: skip
        sign = -1 if rtype == "itemFulfillment" else 1  # fulfilment quantities are negative in SuiteQL
        for seq, line in enumerate(lines_of(body, "item" if rtype != "journalEntry" else "line"), start=1):
            rows.append({
                "transaction": rid, "id": int(line.get("line") or seq), "linesequencenumber": seq,
                "mainline": False, "taxline": False, "item": ref(line.get("item")),
                "quantity": sign * line["quantity"] if line.get("quantity") is not None else None,
                "rate": line.get("rate"), "foreignamount": line.get("amount") or line.get("debit") or line.get("credit"),
                "quantityshiprecv": line.get("quantityFulfilled"), "quantitybilled": line.get("quantityBilled"),
                "isclosed": flag(line.get("isClosed", False)), "location": ref(line.get("location")),
                "createdfrom": created_from, "entity": ref(line.get("entity")) or entity,
                "account": ref(line.get("account")), "debitforeignamount": line.get("debit"),
                "creditforeignamount": line.get("credit"), "memo": line.get("memo") or line.get("description"),
                "custcol_amz_asin": line.get("custcol_amz_asin"), "custcol_amz_po_line": line.get("custcol_amz_po_line"),
            })  # fmt: skip
        self.store.replace_rows("transactionline", "transaction", rid, rows)
        if rtype == "itemFulfillment":
            packages = [
                {"itemfulfillment": rid, "id": n, "packageweight": p.get("packageWeight"),
                 "packagetrackingnumber": p.get("packageTrackingNumber"), "packagedescr": p.get("packageDescr"),
                 "packagecartonnumber": p.get("packageCartonNumber")}
                for n, p in enumerate(lines_of(body, "package"), start=1)
            ]  # fmt: skip
            self.store.replace_rows("itemfulfillmentpackage", "itemfulfillment", rid, packages)
        links = []
        if created_from is not None:
            link = {"itemFulfillment": "ShipRcpt", "invoice": "OrdBill", "creditMemo": "SaleRet"}.get(
                rtype, ""
            )
            links.append(
                {"previousdoc": created_from, "nextdoc": rid, "linktype": link, "foreignamount": total}
            )
        for sub in ("apply", "credit"):
            for line in lines_of(body, sub):
                links.append({"previousdoc": int(line["doc"]["id"]), "nextdoc": rid, "linktype": "Payment",
                              "foreignamount": line.get("amount")})  # fmt: skip
        self.store.replace_rows("previoustransactionlink", "nextdoc", rid, links)

    # -- rendering -------------------------------------------------------------------------------
    def href(self, base: str, rtype: str, rid: Any, *rest: str) -> str:
        return "/".join([f"{base}/services/rest/record/v1/{rtype}/{rid}", *rest])

    def ref_name(self, field: str, value: dict[str, Any], base: str) -> dict[str, Any]:
        target = REF_TARGETS.get(field)
        rid = str(value.get("id", ""))
        out = dict(value)
        if target == "accountingPeriod":
            period = self.period(int(rid)) if rid.isdigit() else None
            out["refName"] = period["periodname"] if period else rid
        elif target == "currency":
            out["refName"] = CURRENCIES.get(rid, rid)
        elif target == "terms":
            out["refName"] = TERMS.get(rid, (rid, 0))[0]
        elif target and rid.isdigit():
            rtype = self.target_type(target, int(rid))
            body = self.store.get(rtype, int(rid)) if rtype else None
            if rtype and body is not None:
                label = TRANSACTION_TYPES.get(rtype, ("", "", ""))[2]
                name = (
                    f"{label} #{body.get('tranId')}" if label
                    else body.get("companyName") or body.get("itemId") or body.get("name")
                    or f"{body.get('acctNumber')} {body.get('acctName')}"
                )  # fmt: skip
                out.update(links=[{"rel": "self", "href": self.href(base, rtype, rid)}], refName=name)
        return out

    def render_value(self, field: str, value: Any, base: str) -> Any:
        if isinstance(value, dict) and "id" in value and field in REF_TARGETS:
            return self.ref_name(field, value, base)
        return value

    def render_sublist(
        self, rtype: str, rid: int, body: dict[str, Any], sublist: str, base: str
    ) -> dict[str, Any]:
        items = [
            {
                **{k: self.render_value(k, v, base) for k, v in line.items() if not k.startswith("_")},
                "links": [],
            }
            for line in lines_of(body, sublist)
        ]
        return {
            "links": [{"rel": "self", "href": self.href(base, rtype, rid, sublist)}],
            "count": len(items), "hasMore": False, "items": items, "offset": 0, "totalResults": len(items),
        }  # fmt: skip

    def render(self, rtype: str, rid: int, base: str, *, expand: bool) -> dict[str, Any]:
        body = self.load(rtype, rid)
        out: dict[str, Any] = {"links": [{"rel": "self", "href": self.href(base, rtype, rid)}]}
        sublists = SUBLISTS.get(rtype, ())
        for key, value in body.items():
            if key.startswith("_"):
                continue
            if key in sublists:
                out[key] = (
                    self.render_sublist(rtype, rid, body, key, base) if expand
                    else {"links": [{"rel": "self", "href": self.href(base, rtype, rid, key)}]}
                )  # fmt: skip
            else:
                out[key] = self.render_value(key, value, base)
        out["id"] = str(rid)
        if rtype == "inventoryItem":
            with self.store.lock:
                rows = self.store.conn.execute(
                    "SELECT location, quantityonhand, quantityavailable FROM inventoryitemlocations WHERE item = ?",
                    (rid,),
                ).fetchall()
            out["locations"] = {
                "items": [
                    {"location": self.ref_name("location", {"id": str(r["location"])}, base),
                     "quantityOnHand": r["quantityonhand"], "quantityAvailable": r["quantityavailable"]}
                    for r in rows
                ]
            } if expand else {"links": [{"rel": "self", "href": self.href(base, rtype, rid, "locations")}]}  # fmt: skip
        return out
