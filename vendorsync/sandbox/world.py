"""One story across both simulators: NetSuite knows what the vendor did in Amazon's seeded history.

``sandbox seed`` gives Amazon ~30 days of history in which older POs were acknowledged,
shipped (an ASN with SSCC cartons), received and invoiced, and partly paid in remittances. Were
NetSuite to know none of it, a remittance's invoice numbers would point at invoices NetSuite
does not have and the demo's cash application could match nothing. ``sync_history`` books that
history in NetSuite the way the vendor would have: for each historic PO a sales order, the item
fulfilment that shipped it, and the invoice billed from it.

Decisions (the tests in ``tests/sandbox/test_world.py`` hold them):

* **Numbering.** The sales order's ``externalId`` is ``AMZ-PO-<purchaseOrderNumber>`` (the
  convention the app uses for the orders it creates) and ``otherRefNum`` the PO number. The
  invoice's ``tranId`` is the number Amazon has (``INV-<PO>``), so remittance lines find it; the
  sales order and fulfilment take NetSuite's own ``tranId`` sequence. Each package's
  ``packageCartonNumber`` is the SSCC-18 of the ASN carton (without the ``00`` AI), with that
  carton's quantity in ``packageDescr``.
* **Quantities and money.** Sales order lines carry what the vendor accepted at the unit cost
  it invoiced; the fulfilment ships exactly the ASN's units; the invoice bills exactly them, so
  its lines and total equal Amazon's (checked, in Decimal cents, before anything is committed).
  Accepted units that never shipped (backorders) are closed on the sales order, as the app's
  PO-window close would, so the NetSuite warehouse never ships history a second time. What the
  FC received and any shortage claim stay on Amazon's side, where they happen.
* **Stock.** ``catalog`` stock is today's stock. Amazon's history acknowledged and shipped
  against it without drawing it down, so replaying fulfilments alone would drive it negative.
  Each historic fulfilment is therefore preceded by a replenishment of exactly the units it
  ships, booked straight to the stock ledger (the simulator has no inventory-adjustment record):
  history nets to zero and on-hand stays equal to the catalogue, never below zero.
* **Idempotency and determinism.** A PO whose sales order already exists (by external id) is
  left alone; each PO's sales order, replenishment, fulfilment, line closes and invoice are one
  store transaction, so a PO is entirely present or absent. POs are processed in the order
  Amazon confirmed their shipments and nothing here is random, so the same Amazon history always
  produces the same NetSuite records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from . import catalog, netsuite
from .amazon import AmazonSimulator, HistoryShipment
from .netsuite.app import open_records
from .netsuite.records import MAIN_LOCATION_ID, Records, lines_of

CARTON_TARE_LB = Decimal("0.5")


def sales_order_external_id(purchase_order_number: str) -> str:
    """The NetSuite external id of the sales order for an Amazon PO (shared with the app)."""
    return f"AMZ-PO-{purchase_order_number}"


class HistoryMismatch(ValueError):
    """Amazon's history cannot be booked in NetSuite as recorded (a simulator bug, never data)."""


@dataclass
class HistorySync:
    created: list[str] = field(default_factory=list)  # PO numbers booked in NetSuite by this run
    already_present: int = 0

    def as_json(self) -> dict[str, Any]:
        return {"sales_orders_created": len(self.created), "already_present": self.already_present}


def seed(
    *, days: int = 30, amazon: AmazonSimulator | None = None, netsuite_store: Path | str | None = None
) -> dict[str, Any]:
    """Seed NetSuite's master data and Amazon's history, then book that history in NetSuite.

    Every step is idempotent, so re-running it (or running it on an Amazon store seeded before
    this step existed) only adds what is missing. Returns Amazon's status plus what was booked.
    """
    netsuite.seed(netsuite_store)
    amazon = amazon or AmazonSimulator()
    status = amazon.seed(days=days)
    return status | {"netsuite_history": sync_history(amazon, netsuite_store).as_json()}


def sync_history(amazon: AmazonSimulator, netsuite_store: Path | str | None = None) -> HistorySync:
    """Give NetSuite a sales order, fulfilment and invoice for every historic Amazon shipment."""
    result = HistorySync()
    records = open_records(netsuite_store)
    try:
        for shipment in amazon.history_shipments():
            eid = sales_order_external_id(shipment.purchase_order)
            if records.store.id_for_eid("salesOrder", eid) is not None:
                result.already_present += 1
                continue
            with records.store.tx():
                _book(records, shipment, eid)
            result.created.append(shipment.purchase_order)
    finally:
        records.store.close()
    return result


def _item(asin: str, purchase_order: str) -> catalog.CatalogItem:
    item = catalog.item_by_asin(asin)
    if item is None:
        raise HistoryMismatch(f"PO {purchase_order} accepted ASIN {asin}, which has no NetSuite item.")
    return item


def _book(records: Records, shipment: HistoryShipment, eid: str) -> None:
    po = shipment.purchase_order
    items = {line.po_line: _item(line.asin, po) for line in shipment.lines}
    so_id = records.create(
        "salesOrder",
        {
            "externalId": eid,
            "entity": {"id": catalog.AMAZON_CUSTOMER_ID},
            "tranDate": shipment.ordered_on.isoformat(),
            "otherRefNum": po,
            "orderStatus": {"id": "B"},
            "location": {"id": str(MAIN_LOCATION_ID)},
            "memo": f"Amazon PO {po} to {shipment.ship_to}",
            "item": {
                "items": [
                    {
                        "item": {"id": items[line.po_line].netsuite_id},
                        "quantity": line.accepted,
                        "rate": line.invoiced_cost or items[line.po_line].cost,
                        "custcol_amz_asin": line.asin,
                        "custcol_amz_po_line": line.po_line,
                    }
                    for line in shipment.lines
                ]
            },
        },
    )
    order_line = {
        so_line["custcol_amz_po_line"]: so_line["line"]
        for so_line in lines_of(records.load("salesOrder", so_id), "item")
    }
    for line in shipment.lines:
        if line.shipped:  # the replenishment this historic shipment consumed (see "Stock" above)
            records.store.move_stock(int(items[line.po_line].netsuite_id), MAIN_LOCATION_ID, line.shipped)
    records.transform("salesOrder", so_id, "itemFulfillment", _fulfilment(shipment, items, order_line))
    unshipped = [line for line in shipment.lines if line.shipped < line.accepted]
    if unshipped:
        records.update(
            "salesOrder",
            so_id,
            {"item": {"items": [{"line": order_line[line.po_line], "isClosed": True} for line in unshipped]}},
        )
    if shipment.invoice_number is None or shipment.invoice_date is None:
        return
    invoice_id = records.transform(
        "salesOrder",
        so_id,
        "invoice",
        {
            "tranId": shipment.invoice_number,
            "tranDate": shipment.invoice_date.isoformat(),
            "item": {
                "items": [
                    {"orderLine": order_line[line.po_line], "quantity": line.shipped}
                    for line in shipment.lines
                    if line.shipped
                ]
            },
        },
    )
    total = Decimal(str(records.load("invoice", invoice_id)["total"]))
    if total != shipment.invoice_total:
        raise HistoryMismatch(
            f"Invoice {shipment.invoice_number}: NetSuite total {total} != Amazon total {shipment.invoice_total}."
        )


def _fulfilment(
    shipment: HistoryShipment, items: dict[str, catalog.CatalogItem], order_line: dict[str, int]
) -> dict[str, Any]:
    """The fulfilment payload: the ASN's units per line and one package per ASN carton."""
    packages = []
    for number, carton in enumerate(shipment.cartons, start=1):
        item = items[carton.po_line]
        weight = (item.weight_lb * carton.units + CARTON_TARE_LB).quantize(Decimal("0.1"))
        packages.append(
            {
                "packageCartonNumber": carton.sscc,
                "packageDescr": f"{item.sku} x {carton.units}; carton {number} of {len(shipment.cartons)}",
                "packageWeight": weight,
            }
        )
    lines = [
        {"orderLine": order_line[line.po_line], "quantity": line.shipped}
        if line.shipped
        else {"orderLine": order_line[line.po_line], "itemReceive": False}
        for line in shipment.lines
    ]
    shipped_on = shipment.shipped_on.isoformat()
    return {
        "tranDate": shipped_on,
        "shippedDate": shipped_on,
        "shipStatus": {"id": "C"},
        "memo": f"Amazon ASN {shipment.shipment_id}, BOL {shipment.bill_of_lading}",
        "item": {"items": lines},
        "package": {"items": packages},
    }
