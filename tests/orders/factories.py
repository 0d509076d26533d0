"""Builders for order tests: items as the items flow would store them, POs as Amazon sends them."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from orders import flows, services
from orders.models import Item
from vendorsync.amazon.codec import parse_purchase_order

VENDOR = "VSYNC"


def make_item(sku: str, *, upc: str = "", asin: str = "", cost: str = "10.00", available: int = 100) -> Item:
    services.items_upsert(
        rows=[
            services.ItemRow(
                netsuite_id=str(abs(hash(sku)) % 10**8),
                sku=sku,
                upc=upc,
                asin=asin,
                description=f"Item {sku}",
                cost=Decimal(cost),
                case_pack=1,
                available=available,
                stock_by_location={"1": available},
                inactive=False,
            )
        ]
    )
    return Item.objects.get(sku=sku)


def line(seq: str, asin: str, vendor_id: str, amount: int, cost: str, **extra: Any) -> dict[str, Any]:
    quantity = {
        "amount": amount,
        "unitOfMeasure": extra.pop("uom", "Eaches"),
        "unitSize": extra.pop("unit_size", 1),
    }
    return {
        "itemSequenceNumber": seq,
        "amazonProductIdentifier": asin,
        "vendorProductIdentifier": vendor_id,
        "orderedQuantity": quantity,
        "isBackOrderAllowed": extra.pop("backorder", False),
        "netCost": {"amount": cost, "currencyCode": "USD"},
        **extra,
    }


def po_payload(
    number: str,
    items: list[dict[str, Any]],
    *,
    ordered: str = "2026-11-20T10:00:00Z",
    ship_window: str = "2026-11-22T07:00:00Z--2026-11-27T07:00:00Z",
    state: str = "New",
    changed: str | None = None,
) -> dict[str, Any]:
    details: dict[str, Any] = {
        "purchaseOrderDate": ordered,
        "purchaseOrderStateChangedDate": ordered,
        "purchaseOrderType": "RegularOrder",
        "paymentMethod": "Invoice",
        "buyingParty": {"partyId": "AMAZON"},
        "sellingParty": {"partyId": VENDOR},
        "shipToParty": {"partyId": "ABE8"},
        "billToParty": {"partyId": "AMAZON"},
        "shipWindow": ship_window,
        "items": copy.deepcopy(items),
    }
    if changed:
        details["purchaseOrderChangedDate"] = changed
    return {"purchaseOrderNumber": number, "purchaseOrderState": state, "orderDetails": details}


def import_po(payload: dict[str, Any]) -> services.UpsertResult:
    return flows.import_order(parse_purchase_order(payload), source="api", raw=payload)
