"""Amazon's buying side: the purchase orders Amazon would send the simulated vendor on a given day.

Generation is a pure function of the day (``random.Random`` seeded with the ISO date), so the
demo shows the same POs on every machine and a test can regenerate a day and compare. Each day
deliberately carries the problems VendorSync exists to catch: ASINs with no NetSuite item,
net costs that differ from the catalogue cost, quantities beyond stock, and POs that Amazon
changes or cancels a few days later (the change is planned here and applied by the simulator
when its day comes).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from stdnum import ean

from vendorsync.sandbox import catalog
from vendorsync.sandbox.common import cents
from vendorsync.sandbox.common import utc_timestamp as iso

CURRENCY = "USD"
EPOCH = date(2020, 1, 1)
AMAZON_BILL_TO: dict[str, Any] = {
    "partyId": "AMAZON",
    "address": {
        "name": "Amazon.com Services LLC",
        "addressLine1": "PO Box 80387",
        "city": "Seattle",
        "stateOrRegion": "WA",
        "postalCode": "98108",
        "countryCode": "US",
    },
}

ChangeKind = Literal["quantity", "cancel_line", "cancel_po"]


def money(amount: Decimal) -> dict[str, str]:
    return {"currencyCode": CURRENCY, "amount": str(cents(amount))}


@dataclass(frozen=True)
class PlannedChange:
    """An Amazon-side change to a PO, applied by the simulator on ``at``."""

    at: datetime
    kind: ChangeKind
    item_sequence: str | None = None
    new_amount: int | None = None


@dataclass(frozen=True)
class GeneratedOrder:
    created_at: datetime
    order: dict[str, Any]  # an SP-API ``Order`` as first published (state New, never changed)
    change: PlannedChange | None


def _base36(value: int, width: int) -> str:
    digits = string.digits + string.ascii_uppercase
    out = ""
    while value:
        value, rem = divmod(value, 36)
        out = digits[rem] + out
    return out.rjust(width, "0")[-width:]


def po_number(day: date, index: int, rng: random.Random) -> str:
    """8-character alphanumeric, unique per (day, index): 4 chars of day, 2 of index, 2 random."""
    tail = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(2))
    return _base36((day - EPOCH).days, 4) + _base36(index, 2) + tail


def _fake_upc(rng: random.Random) -> str:
    body = "8" + "".join(rng.choice(string.digits) for _ in range(10))
    return body + ean.calc_check_digit(body)


def _line(
    seq: int, rng: random.Random, item: catalog.CatalogItem | None, *, mismatch: bool, beyond_stock: bool
) -> dict:
    """One PO line in Eaches; ``item=None`` orders an ASIN the vendor's NetSuite does not know."""
    if item is None:
        asin, vendor_id = rng.choice(catalog.unmapped_asins()), _fake_upc(rng)
        pack, cost = 1, Decimal(rng.randrange(400, 6000)) / 100
        quantity = rng.randint(1, 24)
    else:
        asin, vendor_id, pack, cost = item.asin, item.upc, item.case_pack, item.cost
        if beyond_stock and item.stock < 60:  # thin or no stock: Amazon asks for more than there is
            quantity = item.stock + pack * rng.randint(1, 6)
        else:
            quantity = pack * rng.randint(1, max(1, 48 // pack))
        if mismatch:
            cost = cost * rng.choice((Decimal("0.90"), Decimal("0.95"), Decimal("0.97"), Decimal("1.04")))
    return {
        "itemSequenceNumber": str(seq),
        "amazonProductIdentifier": asin,
        "vendorProductIdentifier": vendor_id,
        "orderedQuantity": {"amount": quantity, "unitOfMeasure": "Eaches", "unitSize": 1},
        "isBackOrderAllowed": False,
        "netCost": money(cost),
    }


def _window(start: datetime, days: int) -> str:
    return f"{iso(start)}--{iso(start + timedelta(days=days))}"


def generate_day(day: date) -> list[GeneratedOrder]:
    """The POs Amazon creates on ``day``; at least one unmapped ASIN and one price mismatch a day."""
    rng = random.Random(f"vendorsync-amazon-pos-{day.isoformat()}")
    fcs = sorted(catalog.FULFILMENT_CENTRES)
    seconds = sorted(rng.randint(6 * 3600, 20 * 3600) for _ in range(rng.randint(3, 7)))
    result: list[GeneratedOrder] = []
    for index, second in enumerate(seconds):
        created = datetime.combine(day, time(), UTC) + timedelta(seconds=second)
        backorder = rng.random() < 0.6
        items = []
        picks = rng.sample(catalog.items(), min(15, 1 + int(rng.expovariate(1 / 4))))
        for seq, item in enumerate(picks, 1):
            line = _line(
                seq,
                rng,
                None if rng.random() < 0.06 else item,
                mismatch=rng.random() < 0.08,
                beyond_stock=rng.random() < 0.08,
            )
            line["isBackOrderAllowed"] = backorder
            items.append(line)
        morning = datetime.combine(day, time(7), UTC)
        details: dict[str, Any] = {
            "purchaseOrderType": rng.choices(
                ("RegularOrder", "RushOrder", "NewProductIntroduction"), weights=(92, 5, 3)
            )[0],
            "paymentMethod": "Invoice",
            "buyingParty": {"partyId": "AMAZON"},
            "sellingParty": {"partyId": catalog.VENDOR_CODE},
            "shipToParty": {"partyId": rng.choice(fcs)},
            "billToParty": AMAZON_BILL_TO,
            "shipWindow": _window(morning + timedelta(days=2), rng.choice((3, 5, 7))),
            "deliveryWindow": _window(morning + timedelta(days=5), rng.choice((5, 7, 10))),
            "items": items,
        }
        number = po_number(day, index, rng)
        order = {"purchaseOrderNumber": number, "purchaseOrderState": "New", "orderDetails": details}
        change = None
        roll = rng.random()
        change_at = created + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 6))
        if roll < 0.05:
            change = PlannedChange(change_at, "cancel_po")
        elif roll < 0.17:
            target = rng.choice(items)
            amount = target["orderedQuantity"]["amount"]
            if rng.random() < 0.4 or amount < 2:
                change = PlannedChange(change_at, "cancel_line", target["itemSequenceNumber"], 0)
            else:
                new = max(1, amount - rng.randint(1, amount - 1)) if rng.random() < 0.7 else amount * 2
                change = PlannedChange(change_at, "quantity", target["itemSequenceNumber"], new)
        result.append(GeneratedOrder(created, order, change))
    _ensure_daily_exceptions(result, rng)
    return result


def _ensure_daily_exceptions(orders: list[GeneratedOrder], rng: random.Random) -> None:
    """Every simulated day shows an SKU/ASIN gap and a price discrepancy (the demo relies on it)."""
    lines = [line for generated in orders for line in generated.order["orderDetails"]["items"]]
    unmapped = set(catalog.unmapped_asins())
    if not any(line["amazonProductIdentifier"] in unmapped for line in lines):
        first = orders[0].order["orderDetails"]["items"]
        replacement = _line(len(first), rng, None, mismatch=False, beyond_stock=False)
        replacement["isBackOrderAllowed"] = first[-1]["isBackOrderAllowed"]
        first[-1] = replacement
    lines = [line for generated in orders for line in generated.order["orderDetails"]["items"]]
    if not any(_is_price_mismatch(line) for line in lines):
        target = next(line for line in lines if line["amazonProductIdentifier"] not in unmapped)
        item = catalog.item_by_asin(target["amazonProductIdentifier"])
        assert item is not None
        target["netCost"] = money(item.cost * Decimal("0.95"))


def _is_price_mismatch(line: dict) -> bool:
    item = catalog.item_by_asin(line["amazonProductIdentifier"])
    return item is not None and Decimal(line["netCost"]["amount"]) != item.cost
