"""Master data seeding and the simulated warehouse that ships open sales orders each day.

``simulate_day`` plays the vendor's warehouse: every open sales order dated on or before the
day is picked from stock, packed into cartons and shipped (an item fulfilment, status Shipped),
then invoiced (one invoice per fulfilment). Cartons carry the SSCC-18 in ``packageCartonNumber``
and their weight in ``packageWeight`` (lb), so VendorSync can build the ASN from NetSuite alone.

On purpose, a share of cartons is wrong the way real warehouses get it wrong: a missing weight
(default 5%) or an SSCC copied from another carton (default 2%). Those are exactly the defects
VendorSync must catch before an ASN goes to Amazon. Everything is drawn from a RNG seeded by
the day, so the same store and the same day always produce the same shipments.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from .. import catalog
from ..common import sscc18
from .app import open_records
from .errors import NSError
from .records import MAIN_LOCATION_ID, Records, lines_of
from .store import Store

MAX_CARTON_LB = Decimal(50)
MAX_CASES_PER_CARTON = 4
_ACCOUNT_TYPES = {"bank": "Bank", "receivable": "AcctRec", "income": "Income", "deduction": "Expense",
                  "expense": "Expense"}  # fmt: skip
DEDUCTION_ITEM_BASE = 9001  # one other-charge item per deduction account, for credit memo lines


def seed(store_path: Path | str | None = None) -> None:
    """Create the simulated vendor's master data; records that already exist are left alone."""
    records = open_records(store_path)
    try:
        _seed(records)
    finally:
        records.store.close()


def _seed(records: Records) -> None:
    store = records.store

    def ensure(rtype: str, rid: int, body: dict[str, object]) -> bool:
        if store.get(rtype, rid) is not None:
            return False
        records.save(rtype, rid, body, None)
        return True

    with store.tx():
        ensure("subsidiary", int(catalog.SUBSIDIARY_ID), {"name": catalog.VENDOR_NAME})
        ensure(
            "location",
            MAIN_LOCATION_ID,
            {"name": "Main Warehouse", "subsidiary": {"id": catalog.SUBSIDIARY_ID}},
        )
        for account in catalog.GL_ACCOUNTS:
            ensure(
                "account",
                int(account.netsuite_id),
                {
                    "acctNumber": account.number,
                    "acctName": account.name,
                    "acctType": {"id": _ACCOUNT_TYPES[account.kind]},
                },
            )
        deduction_accounts = [a for a in catalog.GL_ACCOUNTS if a.kind == "deduction"]
        for offset, account in enumerate(deduction_accounts):
            ensure(
                "otherChargeItem",
                DEDUCTION_ITEM_BASE + offset,
                {"itemId": f"AMZ-DED-{account.number}", "displayName": f"Amazon deduction: {account.name}",
                 "incomeAccount": {"id": account.netsuite_id}},
            )  # fmt: skip
        ensure(
            "customer",
            int(catalog.AMAZON_CUSTOMER_ID),
            {"entityId": "Amazon Vendor Central", "companyName": catalog.AMAZON_CUSTOMER_NAME,
             "externalId": f"AMZ-VC-{catalog.VENDOR_CODE}", "terms": {"id": "7"}, "isPerson": False,
             "email": "ap-vendor@amazon.example"},
        )  # fmt: skip
        for item in catalog.items():
            created = ensure(
                "inventoryItem",
                int(item.netsuite_id),
                {"itemId": item.sku, "displayName": item.description, "description": item.description,
                 "upcCode": item.upc, "cost": item.cost, "basePrice": item.cost, "weight": item.weight_lb,
                 "weightUnit": "lb", "custitem_asin": item.asin, "custitem_case_pack": item.case_pack},
            )  # fmt: skip
            if created:
                store.set_stock(int(item.netsuite_id), MAIN_LOCATION_ID, item.stock)
        _seed_periods(store, records.today())


PERIOD_MONTHS_BEFORE = 12  # 24 monthly periods: the 12 months before the clock's month, it and 11 after
PERIOD_MONTHS = 24
CLOSED_AFTER_DAYS = 60  # a month that ended longer ago than this is closed (and all locked)


def _month_start(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _seed_periods(store: Store, today: date) -> None:
    """NetSuite's accounting periods around the simulated clock: years, quarters and months (as
    ``accountingperiod`` has them), months older than two months closed. Seeded once."""
    if store.scalar("SELECT COUNT(*) FROM accountingperiod"):
        return
    first = _month_start(today, -PERIOD_MONTHS_BEFORE)
    months = [_month_start(first, n) for n in range(PERIOD_MONTHS)]
    rows: list[dict[str, object]] = []
    next_id = 1

    def add(name: str, start: date, end: date, **flags: object) -> int:
        nonlocal next_id
        closed = (today - end).days > CLOSED_AFTER_DAYS
        row = {"id": next_id, "periodname": name, "startdate": start.isoformat(), "enddate": end.isoformat(),
               "isquarter": "F", "isyear": "F", "isposting": "T", "closed": "T" if closed else "F",
               "aplocked": "T" if closed else "F", "arlocked": "T" if closed else "F",
               "alllocked": "T" if closed else "F", **flags}  # fmt: skip
        rows.append(row)
        next_id += 1
        return row["id"]  # type: ignore[return-value]

    for year in sorted({m.year for m in months}):
        year_id = add(f"FY {year}", date(year, 1, 1), date(year, 12, 31), isyear="T", isposting="F")
        for quarter in range(4):
            q_start = date(year, quarter * 3 + 1, 1)
            q_end = _month_start(q_start, 3) - timedelta(days=1)
            q_months = [m for m in months if q_start <= m <= q_end]
            if not q_months:
                continue
            q_id = add(f"Q{quarter + 1} {year}", q_start, q_end, isquarter="T", isposting="F", parent=year_id)
            for month in q_months:
                add(month.strftime("%b %Y"), month, _month_start(month, 1) - timedelta(days=1), parent=q_id)
    for row in rows:
        store.replace_rows("accountingperiod", "id", int(row["id"]), [row])  # type: ignore[call-overload]


@dataclass
class DayResult:
    day: date
    fulfillments: list[str] = field(default_factory=list)
    invoices: list[str] = field(default_factory=list)
    cartons: int = 0
    missing_weights: int = 0
    duplicate_ssccs: int = 0


def simulate_day(
    day: date,
    store_path: Path | str | None = None,
    *,
    missing_weight_share: float = 0.05,
    duplicate_sscc_share: float = 0.02,
    invoice: bool = True,
) -> DayResult:
    """Ship and invoice every open sales order dated on or before ``day``; deterministic per day.

    ``invoice=False`` leaves invoicing to VendorSync (it transforms the sales order itself).
    """
    records = open_records(store_path)
    try:
        return _simulate(records, day, missing_weight_share, duplicate_sscc_share, invoice)
    finally:
        records.store.close()


def _simulate(
    records: Records, day: date, missing_share: float, duplicate_share: float, invoice_too: bool = True
) -> DayResult:
    store = records.store
    rng = random.Random(f"netsuite-warehouse-{day.isoformat()}")
    result = DayResult(day)
    with store.lock:
        order_ids = [
            row[0]
            for row in store.conn.execute(
                "SELECT id FROM \"transaction\" WHERE type = 'SalesOrd' AND status IN ('B', 'D', 'E')"
                " AND trandate <= ? ORDER BY id",
                (day.isoformat(),),
            )
        ]
    shipped_ssccs: list[str] = []
    for so_id in order_ids:
        so = records.load("salesOrder", so_id)
        lines, packages = [], []
        for so_line in lines_of(so, "item"):
            remaining = 0 if so_line["isClosed"] else so_line["quantity"] - so_line["quantityFulfilled"]
            item_id = int(so_line["item"]["id"])
            item = store.get("inventoryItem", item_id)
            location = int((so_line.get("location") or so["location"])["id"])
            qty = min(remaining, store.available(item_id, location)) if item else 0
            lines.append({"orderLine": so_line["line"], "quantity": qty} if qty else
                         {"orderLine": so_line["line"], "itemReceive": False})  # fmt: skip
            if qty and item:
                packages.extend(
                    _cartons(item, qty, rng, store, shipped_ssccs, missing_share, duplicate_share, result)
                )
        if not any(line.get("quantity") for line in lines):
            continue
        for number, package in enumerate(packages, start=1):
            package["packageDescr"] += f"; carton {number} of {len(packages)}"
        payload = {"tranDate": day.isoformat(), "shipStatus": {"id": "C"}, "shippedDate": day.isoformat(),
                   "memo": f"Shipped by the simulated warehouse for {so.get('otherRefNum') or so['tranId']}",
                   "item": {"items": lines}, "package": {"items": packages}}  # fmt: skip
        try:
            with store.tx():
                fulfillment = records.transform("salesOrder", so_id, "itemFulfillment", payload)
                billed = [{"orderLine": ln["orderLine"], "quantity": ln.get("quantity", 0)} for ln in lines]
                invoice = (
                    records.transform(
                        "salesOrder",
                        so_id,
                        "invoice",
                        {"tranDate": day.isoformat(), "item": {"items": billed}},
                    )
                    if invoice_too
                    else None
                )
        except NSError:
            continue  # e.g. the order changed under us; tomorrow's run picks it up again
        result.fulfillments.append(str(fulfillment))
        if invoice is not None:
            result.invoices.append(str(invoice))
        result.cartons += len(packages)
    return result


def _cartons(
    item: dict[str, object],
    qty: int,
    rng: random.Random,
    store: Store,
    shipped: list[str],
    missing_share: float,
    duplicate_share: float,
    result: DayResult,
) -> list[dict[str, object]]:
    """One SKU per carton: whole cases up to ~50 lb; the last carton takes the remainder."""
    case_pack = int(item.get("custitem_case_pack") or 1)  # type: ignore[call-overload]
    unit_lb = Decimal(str(item.get("weight") or "1"))
    cases = max(1, min(MAX_CASES_PER_CARTON, int(MAX_CARTON_LB // (unit_lb * case_pack))))
    per_carton = case_pack * cases
    cartons = []
    left = qty
    while left > 0:
        units = min(per_carton, left)
        left -= units
        if shipped and rng.random() < duplicate_share:
            sscc = rng.choice(shipped)
            result.duplicate_ssccs += 1
        else:
            sscc = sscc18(store.next_value("sscc-serial", 1))
        shipped.append(sscc)
        package: dict[str, object] = {
            "packageCartonNumber": sscc,
            "packageTrackingNumber": "1Z"
            + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16)),
            "packageDescr": f"{item['itemId']} x {units}",
        }
        if rng.random() < missing_share:
            result.missing_weights += 1
        else:
            tare = Decimal(rng.randrange(3, 13)) / 10
            package["packageWeight"] = (unit_lb * units + tare).quantize(
                Decimal("0.1"), rounding=ROUND_HALF_UP
            )
        cartons.append(package)
    return cartons
