"""``sandbox seed`` tells one story: NetSuite holds the orders, shipments and invoices of Amazon's history.

Amazon's side is read from its own store (the raw ASN and invoice documents it accepted and the
remittances it wrote); NetSuite's through SuiteQL with our real, TBA-signed client, so these
tests see exactly what the app will see.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.management import call_command

from vendorsync.netsuite import NetSuiteClient, NetSuiteConfig
from vendorsync.sandbox import catalog
from vendorsync.sandbox import netsuite as netsuite_sim
from vendorsync.sandbox.amazon import AmazonSimulator
from vendorsync.sandbox.amazon.store import loads
from vendorsync.sandbox.clock import SimClock


@pytest.fixture
def sandbox(settings, tmp_path) -> Path:
    settings.VAR_DIR = tmp_path
    call_command("sandbox", "seed", "--days", "30", stdout=StringIO())
    return tmp_path / "sandbox"


def suiteql(sandbox: Path, query: str) -> list[dict[str, Any]]:
    config = NetSuiteConfig(
        account_id=netsuite_sim.ACCOUNT_ID,
        consumer_key=netsuite_sim.CONSUMER_KEY,
        consumer_secret=netsuite_sim.CONSUMER_SECRET,
        token_id=netsuite_sim.TOKEN_ID,
        token_secret=netsuite_sim.TOKEN_SECRET,
        base_url="https://netsuite.world.invalid",
    )
    app = netsuite_sim.make_app(sandbox / "netsuite.sqlite3")
    try:
        with NetSuiteClient(config, transport=httpx.WSGITransport(app=app)) as client:
            rows = list(client.suiteql(query, unordered_ok=True))
    finally:
        app.close()
    assert len(rows) < 1000  # one page, so an unordered query cannot skip or repeat rows
    return rows


def amazon_rows(sandbox: Path, sql: str) -> list[Any]:
    simulator = AmazonSimulator(sandbox / "amazon.sqlite3", clock=SimClock(sandbox / "clock.json"))
    with simulator.store.tx() as db:
        return db.execute(sql).fetchall()


def test_every_remittance_invoice_line_is_a_netsuite_invoice_with_the_same_amount_and_lines(sandbox):
    remittances = AmazonSimulator(sandbox / "amazon.sqlite3").remittances()
    paid = [line for r in remittances for line in r.lines if line.description == "Invoice payment"]
    assert len(remittances) >= 3 and len(paid) >= 20  # 30 days of history pay a good share of invoices
    invoices = {
        row["tranid"]: row
        for row in suiteql(
            sandbox,
            "SELECT inv.id, inv.tranid, inv.foreigntotal, inv.entity, inv.otherrefnum, so.externalid AS so_eid "
            "FROM transaction inv JOIN previoustransactionlink l ON l.nextdoc = inv.id "
            "JOIN transaction so ON so.id = l.previousdoc "
            "WHERE inv.type = 'CustInvc' AND so.type = 'SalesOrd' ORDER BY inv.id",
        )
    }
    for line in paid:
        invoice = invoices[line.document_number]
        assert Decimal(invoice["foreigntotal"]) == line.invoice_amount
        assert invoice["so_eid"] == f"AMZ-PO-{line.purchase_order}"  # created from the PO's sales order
        assert invoice["otherrefnum"] == line.purchase_order
        assert invoice["entity"] == catalog.AMAZON_CUSTOMER_ID

    netsuite_lines = Counter(
        (row["tranid"], row["custcol_amz_asin"], int(row["quantity"]), Decimal(row["rate"]))
        for row in suiteql(
            sandbox,
            "SELECT t.tranid, l.custcol_amz_asin, l.quantity, l.rate FROM transactionline l "
            "JOIN transaction t ON t.id = l.transaction WHERE t.type = 'CustInvc' AND l.mainline = 'F'",
        )
    )
    amazon_lines: Counter = Counter()
    for row in amazon_rows(sandbox, "SELECT id, body FROM invoices"):
        for item in loads(row["body"])["items"]:
            amazon_lines[
                (
                    row["id"],
                    item["amazonProductIdentifier"],
                    item["invoicedQuantity"]["amount"],
                    Decimal(item["netCost"]["amount"]),
                )
            ] += 1
    assert len(amazon_lines) > 100
    assert netsuite_lines == amazon_lines


def test_every_historic_asn_carton_is_a_package_on_the_matching_fulfilment(sandbox):
    amazon_cartons, amazon_units = set(), Counter()
    for row in amazon_rows(sandbox, "SELECT body FROM shipments"):
        asn = loads(row["body"])
        po = asn["shippedItems"][0]["itemDetails"]["purchaseOrderNumber"]
        for carton in asn["cartons"]:
            (sscc,) = carton["cartonIdentifiers"]
            units = sum(content["shippedQuantity"]["amount"] for content in carton["items"])
            amazon_cartons.add((f"AMZ-PO-{po}", sscc["containerIdentificationNumber"][-18:], units))
        for item in asn["shippedItems"]:
            amazon_units[(f"AMZ-PO-{po}", item["amazonProductIdentifier"])] += item["shippedQuantity"][
                "amount"
            ]

    packages = suiteql(
        sandbox,
        "SELECT so.externalid, p.packagecartonnumber, p.packagedescr, p.packageweight "
        "FROM itemfulfillmentpackage p JOIN transaction f ON f.id = p.itemfulfillment "
        "JOIN previoustransactionlink l ON l.nextdoc = f.id JOIN transaction so ON so.id = l.previousdoc "
        "WHERE f.type = 'ItemShip' AND so.type = 'SalesOrd'",
    )
    netsuite_cartons = {
        (p["externalid"], p["packagecartonnumber"], int(p["packagedescr"].split(";")[0].split(" x ")[1]))
        for p in packages
    }
    assert len(amazon_cartons) > 100
    assert netsuite_cartons == amazon_cartons  # same SSCCs, same quantities, on the same PO's fulfilment
    assert all(Decimal(p["packageweight"]) > 0 for p in packages)

    shipped = Counter()
    for row in suiteql(
        sandbox,
        "SELECT so.externalid, l.custcol_amz_asin, l.quantity FROM transactionline l "
        "JOIN transaction f ON f.id = l.transaction JOIN transaction so ON so.id = l.createdfrom "
        "WHERE f.type = 'ItemShip' AND l.mainline = 'F'",
    ):
        shipped[(row["externalid"], row["custcol_amz_asin"])] -= int(row["quantity"])  # negative in SuiteQL
    assert shipped == amazon_units


def test_history_leaves_stock_at_the_catalogue_and_nothing_for_the_warehouse_to_ship(sandbox):
    stock = {
        row["item"]: int(row["quantityavailable"])
        for row in suiteql(sandbox, "SELECT item, quantityavailable FROM inventoryitemlocations")
    }
    assert stock == {item.netsuite_id: item.stock for item in catalog.items()}
    open_orders = suiteql(
        sandbox, "SELECT id FROM transaction WHERE type = 'SalesOrd' AND status IN ('B', 'D', 'E')"
    )
    assert open_orders == []  # backorders were closed, so the warehouse never ships history twice
    day = SimClock(sandbox / "clock.json").now().date()
    assert netsuite_sim.simulate_day(day, sandbox / "netsuite.sqlite3").fulfillments == []


def test_a_second_seed_changes_nothing(sandbox):
    def snapshot() -> tuple[list[dict[str, Any]], ...]:
        return (
            suiteql(
                sandbox,
                "SELECT id, tranid, type, status, externalid, foreigntotal, lastmodifieddate "
                "FROM transaction ORDER BY id",
            ),
            suiteql(sandbox, "SELECT * FROM itemfulfillmentpackage ORDER BY itemfulfillment, id"),
            suiteql(sandbox, "SELECT item, quantityonhand FROM inventoryitemlocations ORDER BY item"),
        )

    before = snapshot()
    out = StringIO()
    call_command("sandbox", "seed", "--days", "30", stdout=out)
    assert '"sales_orders_created": 0' in out.getvalue()
    assert snapshot() == before
    assert len(before[0]) == 3 * len(amazon_rows(sandbox, "SELECT id FROM invoices"))  # SO + IF + invoice
