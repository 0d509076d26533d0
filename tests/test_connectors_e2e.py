"""Our real connector clients against the simulators, for every path the product uses.

``tests/sandbox/`` checks that the simulators are strict; this file checks the product side:
``AmazonVendorClient`` and ``NetSuiteClient`` as ``vendorsync.connections`` builds them in sandbox
mode (the in-process WSGI transport), for each Amazon operation (getPurchaseOrders with ≤7-day
windows, getPurchaseOrder, submitAcknowledgement, getTransaction, getPurchaseOrdersStatus,
submitShipmentConfirmations, submitInvoices) and each NetSuite record / SuiteQL path (items, GL
accounts, sales order upsert and lookup by external id, line close by PATCH, fulfilments with
their cartons, invoice transform, open receivables, credit memo, journal entry, customer payment).
Then the failures the outbox must survive, with the shared retry code and ``retry_writes``, and
last the production wiring (``VENDORSYNC_SANDBOX=0``) over a real socket to the served simulators.

Values are compared with what the simulators hold (their own stores, read separately), never
with constants copied from a response.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import httpx
import pytest
from django.core.management import call_command

from vendorsync import connections
from vendorsync.amazon import AmazonVendorClient, reset_caches
from vendorsync.amazon.errors import AmazonRetryableError
from vendorsync.amazon.values import (
    AcknowledgementItem,
    Carton,
    ContainerIdentification,
    ContainerItem,
    Invoice,
    InvoiceItem,
    ItemAcknowledgement,
    ItemDetails,
    ItemQuantity,
    Money,
    OrderAcknowledgement,
    Party,
    PaymentTerms,
    PurchaseOrder,
    ShipmentConfirmation,
    ShippedItem,
)
from vendorsync.errors import AmbiguousWriteError, AuthError, RejectedError, RetryableError
from vendorsync.netsuite import NetSuiteClient, NetSuiteConfig, to_decimal
from vendorsync.sandbox import catalog
from vendorsync.sandbox import netsuite as ns_simulator
from vendorsync.sandbox.amazon import AmazonSimulator
from vendorsync.sandbox.amazon import Faults as AmazonFaults
from vendorsync.sandbox.amazon import make_app as make_amazon_app
from vendorsync.sandbox.clock import SimClock

# Amazon's simulator finishes a submission this long after it was made (connections' default).
PROCESSING_SECONDS = 30


class CountingTransport(httpx.BaseTransport):
    """Passes every request to the simulator and remembers (method, path): how many writes left."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests: list[tuple[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path))
        return self.inner.handle_request(request)

    def count(self, method: str, path_part: str = "") -> int:
        return sum(1 for m, p in self.requests if m == method and path_part in p)


class Sleeps(list[float]):
    """The retries' sleeps, recorded; the fake monotonic clock is their sum (no real waiting)."""

    def clock(self) -> float:
        return 1000.0 + sum(self)


@pytest.fixture
def sandbox(settings, tmp_path) -> Iterator[Path]:
    settings.VAR_DIR = tmp_path
    settings.SANDBOX = True
    reset_caches()
    call_command("sandbox", "seed", "--days", "10", stdout=StringIO())
    yield tmp_path / "sandbox"
    reset_caches()


def _advance_a_day() -> None:
    call_command("sandbox", "advance", "--days", "1", stdout=StringIO())


def _wait_for_amazon() -> None:
    SimClock().advance(seconds=PROCESSING_SECONDS)


def _mapped_new_order(orders: list[PurchaseOrder], *, minimum_stock: int = 60) -> PurchaseOrder:
    """An unchanged New PO whose every line maps to a catalog item with stock to ship it."""
    for order in orders:
        details = order.details
        if order.purchase_order_state != "New" or details is None or details.purchase_order_changed_date:
            continue
        items = [catalog.item_by_asin(line.amazon_product_identifier or "") for line in order.items]
        if all(item is not None and item.stock >= minimum_stock for item in items):
            return order
    raise AssertionError("the seeded sandbox has no fully mapped New purchase order")


def _acknowledgement(order: PurchaseOrder, *, at) -> OrderAcknowledgement:  # noqa: ANN001
    assert order.details is not None and order.details.selling_party is not None
    return OrderAcknowledgement(
        purchase_order_number=order.purchase_order_number,
        selling_party=Party(party_id=order.details.selling_party.party_id),
        acknowledgement_date=at,
        items=tuple(
            AcknowledgementItem(
                item_sequence_number=line.item_sequence_number,
                amazon_product_identifier=line.amazon_product_identifier,
                vendor_product_identifier=line.vendor_product_identifier,
                ordered_quantity=line.ordered_quantity,
                net_cost=line.net_cost,
                item_acknowledgements=(
                    ItemAcknowledgement(
                        acknowledgement_code="Accepted", acknowledged_quantity=line.ordered_quantity
                    ),
                ),
            )
            for line in order.items
        ),
    )


# ================================================================================================
# Amazon
# ================================================================================================


def test_purchase_orders_list_in_windows_and_read_singly_exactly_as_amazon_holds_them(sandbox):
    now = SimClock().now()
    simulator = AmazonSimulator()
    with connections.amazon_client() as client:
        # Ten days: two windows of at most 7 days, each followed through nextToken.
        orders = list(
            client.iter_purchase_orders(
                created_after=now - timedelta(days=10), created_before=now, include_details=True
            )
        )
        numbers = [o.purchase_order_number for o in orders]
        assert len(numbers) == len(set(numbers)) > 10
        sample = orders[:: max(1, len(orders) // 5)]
        singles = {
            o.purchase_order_number: client.get_purchase_order(o.purchase_order_number) for o in sample
        }
    for order in sample:
        assert singles[order.purchase_order_number] == order  # the list and the single read agree
        held = simulator.get_purchase_order(order.purchase_order_number)
        assert order.purchase_order_state == held["purchaseOrderState"]
        lines = held["orderDetails"]["items"]
        assert [
            (
                i.item_sequence_number,
                i.amazon_product_identifier,
                i.ordered_quantity.amount,
                i.net_cost.amount,
            )
            for i in order.items
        ] == [
            (
                line["itemSequenceNumber"],
                line["amazonProductIdentifier"],
                line["orderedQuantity"]["amount"],
                Decimal(line["netCost"]["amount"]),
            )
            for line in lines
        ]


def test_an_order_is_acknowledged_shipped_received_and_invoiced_through_the_client(sandbox):
    now = SimClock().now()
    with connections.amazon_client() as client:
        orders = list(
            client.iter_purchase_orders(created_after=now - timedelta(days=7), include_details=True)
        )
        order = _mapped_new_order(orders)
        number = order.purchase_order_number
        assert order.details is not None and order.details.ship_to_party is not None

        ack = client.submit_acknowledgement(_acknowledgement(order, at=now))
        assert client.get_transaction(ack.transaction_id).status == "Processing"
        _wait_for_amazon()
        assert client.get_transaction(ack.transaction_id).status == "Success"
        assert client.get_purchase_order(number).purchase_order_state == "Acknowledged"
        (status,) = client.get_purchase_orders_status(purchase_order_number=number).orders
        assert {i.confirmation_status for i in status.items} == {"ACCEPTED"}

        shipped_at = SimClock().now()
        asn = ShipmentConfirmation(
            shipment_identifier=f"ASN-{number}",
            shipment_confirmation_type="Original",
            shipment_confirmation_date=shipped_at,
            shipped_date=shipped_at,
            selling_party=Party(catalog.VENDOR_CODE),
            ship_from_party=Party("VSYNC-WH1"),
            ship_to_party=Party(order.details.ship_to_party.party_id),
            shipped_items=tuple(
                ShippedItem(
                    item_sequence_number=f"{n:03d}",
                    amazon_product_identifier=line.amazon_product_identifier,
                    vendor_product_identifier=line.vendor_product_identifier,
                    shipped_quantity=ItemQuantity(line.ordered_quantity.eaches, "Eaches", 1),
                    item_details=ItemDetails(purchase_order_number=number),
                )
                for n, line in enumerate(order.items, start=1)
            ),
            cartons=tuple(
                Carton(
                    carton_sequence_number=f"{n:03d}",
                    carton_identifiers=(ContainerIdentification("SSCC", _sscc(n)),),
                    items=(
                        ContainerItem(f"{n:03d}", ItemQuantity(line.ordered_quantity.eaches, "Eaches", 1)),
                    ),
                )
                for n, line in enumerate(order.items, start=1)
            ),
        )
        shipment = client.submit_shipment_confirmations(asn)
        _wait_for_amazon()
        assert client.get_transaction(shipment.transaction_id).status == "Success"

        AmazonSimulator().receive(SimClock().now().date() + timedelta(days=2))
        (received,) = client.get_purchase_orders_status(purchase_order_number=number).orders
        # The receipts sync walks "updated since" windows and finds the same status.
        updated = list(client.iter_purchase_orders_status(updated_after=now - timedelta(days=1)))
        assert [s for s in updated if s.purchase_order_number == number] == [received]
        for line, item in zip(order.items, received.items, strict=True):
            assert item.receive_status in {"RECEIVED", "PARTIALLY_RECEIVED"}
            assert item.received_quantity is not None
            assert (
                line.ordered_quantity.eaches - 2
                <= item.received_quantity.amount
                <= line.ordered_quantity.eaches
            )

        total = sum((line.net_cost.amount * line.ordered_quantity.eaches for line in order.items), Decimal(0))
        invoice = Invoice(
            invoice_type="Invoice",
            id=f"INV-E2E-{number}",
            date=SimClock().now(),
            remit_to_party=Party(catalog.VENDOR_CODE),
            payment_terms=PaymentTerms("Basic", Decimal("2.00"), 60, 61),
            invoice_total=Money(total.quantize(Decimal("0.01")), "USD"),
            items=tuple(
                InvoiceItem(
                    item_sequence_number=n,
                    amazon_product_identifier=line.amazon_product_identifier,
                    invoiced_quantity=ItemQuantity(line.ordered_quantity.eaches, "Eaches"),
                    net_cost=line.net_cost,
                    purchase_order_number=number,
                )
                for n, line in enumerate(order.items, start=1)
            ),
        )
        first = client.submit_invoices(invoice)
        _wait_for_amazon()
        assert client.get_transaction(first.transaction_id).status == "Success"
        again = client.submit_invoices(invoice)
        _wait_for_amazon()
        duplicate = client.get_transaction(again.transaction_id)
    assert duplicate.status == "Failure"
    assert [e.code for e in duplicate.errors] == ["DUPLICATE_INVOICE"]


def _sscc(serial: int, *, valid: bool = True) -> str:
    from stdnum import ean

    body = f"0{catalog.GS1_COMPANY_PREFIX}{serial:09d}"
    digit = int(ean.calc_check_digit(body))
    return body + str(digit if valid else (digit + 1) % 10)


def test_a_created_since_range_runs_to_the_simulated_now_not_the_wall_clock(sandbox):
    wall_clock_now = datetime.now(UTC)
    call_command("sandbox", "advance", "--days", "4", stdout=StringIO())  # at least two weekdays
    with connections.amazon_client() as client:
        orders = list(
            client.iter_purchase_orders(
                created_after=wall_clock_now - timedelta(hours=1), include_details=True
            )
        )
    created = [o.details.purchase_order_date for o in orders if o.details is not None]
    # Amazon's simulated days lie after the real now: their orders are part of "since the last sync".
    assert any(when > wall_clock_now for when in created), created


def test_amazons_refusals_come_back_as_failed_transactions_and_typed_rejections(sandbox):
    now = SimClock().now()
    with connections.amazon_client() as client:
        order = _mapped_new_order(
            list(client.iter_purchase_orders(created_after=now - timedelta(days=7), include_details=True))
        )
        unknown = _acknowledgement(order, at=now)
        unknown = OrderAcknowledgement(
            purchase_order_number="ZZZZ9999",
            selling_party=unknown.selling_party,
            acknowledgement_date=now,
            items=unknown.items,
        )
        reference = client.submit_acknowledgement(unknown)
        _wait_for_amazon()
        failed = client.get_transaction(reference.transaction_id)
        assert failed.status == "Failure"
        assert [e.code for e in failed.errors] == ["INVALID_ORDER_ID"]

        with pytest.raises(RejectedError) as caught:
            client.get_purchase_order("NOSUCHPO")
    assert caught.value.status == 404


# -- Amazon failures ------------------------------------------------------------------------------


@pytest.fixture
def amazon_sim(sandbox) -> Iterator[tuple[AmazonVendorClient, CountingTransport, Sleeps, object]]:
    """The sandbox's Amazon simulator with switchable faults, behind our client with recorded sleeps."""
    with connections.amazon_client() as wired:
        config = wired.config  # the very config sandbox mode uses
    app = make_amazon_app(sandbox / "amazon.sqlite3")
    transport = CountingTransport(httpx.WSGITransport(app=app))
    sleeps = Sleeps()
    with AmazonVendorClient(config, transport=transport, sleep=sleeps.append, clock=sleeps.clock) as client:
        yield client, transport, sleeps, app


def test_an_amazon_throttling_burst_is_waited_out(amazon_sim):
    client, transport, sleeps, app = amazon_sim
    app.set_faults(AmazonFaults(burst_429=2))
    now = SimClock().now()
    page = client.get_purchase_orders(created_after=now - timedelta(days=2), created_before=now, limit=5)
    assert len(page.orders) == 5
    assert transport.count("GET", "/purchaseOrders") == 3
    assert len(sleeps) == 2


def test_amazon_5xx_reads_retry_within_the_attempt_limit_then_hand_back(amazon_sim):
    client, transport, sleeps, app = amazon_sim
    app.set_faults(AmazonFaults(error_rate=1.0, status_5xx=503))
    with pytest.raises(AmazonRetryableError) as caught:
        client.get_purchase_order("ANYPO")
    assert transport.count("GET", "/purchaseOrders/") == client.config.max_attempts
    assert caught.value.status == 503 and caught.value.retry_after is not None
    assert len(sleeps) == client.config.max_attempts - 1


def test_with_retry_writes_off_an_amazon_submission_is_sent_once(amazon_sim, sandbox):
    client, _, _, app = amazon_sim
    transport = CountingTransport(httpx.WSGITransport(app=app))
    now = SimClock().now()
    order = _mapped_new_order(
        list(client.iter_purchase_orders(created_after=now - timedelta(days=7), include_details=True))
    )
    app.set_faults(AmazonFaults(error_rate=1.0, status_5xx=500))
    sleeps = Sleeps()
    with AmazonVendorClient(
        client.config, transport=transport, sleep=sleeps.append, clock=sleeps.clock, retry_writes=False
    ) as single:
        with pytest.raises(AmazonRetryableError):
            single.submit_acknowledgement(_acknowledgement(order, at=now))
        assert transport.count("POST", "/acknowledgements") == 1
        assert sleeps == []
        # Reads still retry: the fault clears after the first failure is answered.
        app.set_faults(AmazonFaults(burst_429=1))
        assert (
            single.get_purchase_order(order.purchase_order_number).purchase_order_number
            == order.purchase_order_number
        )
        assert transport.count("GET", f"/purchaseOrders/{order.purchase_order_number}") == 2


# ================================================================================================
# NetSuite
# ================================================================================================


def test_items_and_gl_accounts_read_by_suiteql_match_netsuites_master_data(sandbox):
    with connections.netsuite_client() as client:
        items = list(
            client.suiteql(
                "SELECT id, itemid, upccode, custitem_asin, cost FROM item WHERE itemtype = 'InvtPart' ORDER BY id",
                page_size=70,  # three pages
            )
        )
        accounts = list(client.suiteql("SELECT id, acctnumber, acctname FROM account ORDER BY id"))
        customer = client.get("customer", catalog.AMAZON_CUSTOMER_ID)
    expected = sorted(catalog.items(), key=lambda i: int(i.netsuite_id))
    assert [
        (r["id"], r["itemid"], r["upccode"], r["custitem_asin"], to_decimal(r["cost"])) for r in items
    ] == [(i.netsuite_id, i.sku, i.upc, i.asin, i.cost) for i in expected]
    assert {(r["id"], r["acctnumber"], r["acctname"]) for r in accounts} >= {
        (a.netsuite_id, a.number, a.name) for a in catalog.GL_ACCOUNTS
    }
    assert customer["companyName"] == catalog.AMAZON_CUSTOMER_NAME


def _sales_order(po: str, lines: list[tuple[catalog.CatalogItem, int]]) -> dict:
    return {
        "entity": {"id": catalog.AMAZON_CUSTOMER_ID},
        "tranDate": SimClock().now().date().isoformat(),
        "otherRefNum": po,
        "item": {
            "items": [
                {"item": {"id": item.netsuite_id}, "quantity": qty, "rate": item.cost} for item, qty in lines
            ]
        },
    }


def _created_from(so_id: str, tran_type: str) -> str:
    """SuiteQL for the transactions of one type made from a sales order (fulfilments, invoices)."""
    return (
        "SELECT t.id FROM transaction t JOIN previoustransactionlink l ON l.nextdoc = t.id "  # noqa: S608 - int id
        f"WHERE l.previousdoc = {int(so_id)} AND t.type = '{tran_type}' ORDER BY t.id"
    )


def test_order_to_cash_records_through_the_netsuite_client(sandbox):
    a, b, c = [item for item in catalog.items() if item.stock >= 100][:3]
    external_id = "AMZ-PO-E2E-1"
    with connections.netsuite_client() as client:
        assert client.get_by_external_id("salesOrder", external_id) is None
        so_id = client.upsert_by_external_id(
            "salesOrder", external_id, _sales_order("E2E-1", [(a, 8), (b, 4), (c, 2)])
        )
        assert so_id is not None
        # The outbox's lookup: by external id, money back as Decimal.
        found = client.get_by_external_id("salesOrder", external_id, expand_sub_resources=True)
        assert found is not None and found["id"] == so_id
        assert [(line["item"]["id"], line["quantity"], line["rate"]) for line in found["item"]["items"]] == [
            (a.netsuite_id, 8, a.cost),
            (b.netsuite_id, 4, b.cost),
            (c.netsuite_id, 2, c.cost),
        ]
        assert all(isinstance(line["rate"], Decimal) for line in found["item"]["items"])

        # PO window closed for the third line before it shipped.
        client.patch("salesOrder", so_id, {"item": {"items": [{"line": 3, "isclosed": True}]}})

        _advance_a_day()  # the warehouse ships what is open
        fulfilments = list(client.suiteql(_created_from(so_id, "ItemShip")))
        assert fulfilments
        shipped: dict[str, Decimal] = {}
        cartons = []
        for row in fulfilments:
            record = client.get("itemFulfillment", row["id"], expand_sub_resources=True)
            for line in record["item"]["items"]:
                shipped[line["item"]["id"]] = shipped.get(line["item"]["id"], 0) + line["quantity"]
            cartons += [p["packageCartonNumber"] for p in record["package"]["items"]]
        assert shipped == {a.netsuite_id: 8, b.netsuite_id: 4}  # the closed line stayed behind
        # Label numbers as the warehouse printed them (the simulator sometimes injects duplicate
        # SSCCs on purpose: catching those is the ASN check's job, not the connector's).
        assert cartons and all(c.isdigit() and len(c) in (18, 20) for c in cartons)

        # The warehouse bills what it shipped: the open receivable for this order.
        (invoice_row,) = client.suiteql(_created_from(so_id, "CustInvc"))
        invoice_id = invoice_row["id"]
        expected_total = a.cost * 8 + b.cost * 4
        assert client.get("invoice", invoice_id)["total"] == expected_total
        open_ar = {
            row["id"]: to_decimal(row["foreignamountunpaid"])
            for row in client.suiteql(
                "SELECT id, foreignamountunpaid FROM transaction WHERE type = 'CustInvc' "  # noqa: S608 - int id
                f"AND entity = {int(catalog.AMAZON_CUSTOMER_ID)} AND foreignamountunpaid > 0 ORDER BY id"
            )
        }
        assert open_ar[invoice_id] == expected_total

        # Cash application: a deduction as a credit memo, a co-op charge as a journal line, then the payment.
        shortage = Decimal("5.00")
        memo_id = client.upsert_by_external_id(
            "creditMemo",
            "AMZDED-E2E-1",
            {
                "entity": {"id": catalog.AMAZON_CUSTOMER_ID},
                "item": {"items": [{"item": {"id": "9002"}, "quantity": 1, "rate": shortage}]},
            },
        )
        coop = Decimal("3.50")
        journal_id = client.upsert_by_external_id(
            "journalEntry",
            "AMZJE-E2E-1",
            {
                "line": {
                    "items": [
                        {"account": {"id": "454"}, "debit": coop},
                        {
                            "account": {"id": "120"},
                            "credit": coop,
                            "entity": {"id": catalog.AMAZON_CUSTOMER_ID},
                        },
                    ]
                }
            },
        )
        paid = expected_total - shortage - coop
        client.upsert_by_external_id(
            "customerPayment",
            "AMZPMT-E2E-1",
            {
                "customer": {"id": catalog.AMAZON_CUSTOMER_ID},
                "payment": paid,
                "apply": {"items": [{"doc": {"id": invoice_id}, "apply": True, "amount": expected_total}]},
                "credit": {
                    "items": [
                        {"doc": {"id": memo_id}, "apply": True, "amount": shortage},
                        {"doc": {"id": journal_id}, "apply": True, "amount": coop},
                    ]
                },
            },
        )
        assert client.get("invoice", invoice_id)["amountRemaining"] == 0
        assert client.get("creditMemo", memo_id)["status"]["refName"] == "Fully Applied"
        payment = client.get_by_external_id("customerPayment", "AMZPMT-E2E-1")
    assert payment is not None and payment["payment"] == paid


def test_a_sales_order_is_transformed_into_a_fulfilment_with_cartons_and_an_invoice(sandbox):
    item = next(i for i in catalog.items() if i.stock >= 50)
    sscc = "00" + _sscc(77)  # NetSuite stores what the vendor's labels say
    with connections.netsuite_client() as client:
        so_id = client.upsert_by_external_id("salesOrder", "AMZ-PO-TR-1", _sales_order("TR-1", [(item, 6)]))
        assert so_id is not None
        fulfilment_id = client.transform(
            "salesOrder",
            so_id,
            "itemFulfillment",
            {
                "shipStatus": {"id": "C"},
                "item": {"items": [{"orderLine": 1, "quantity": 6}]},
                "package": {"items": [{"packageWeight": Decimal("12.5"), "packageCartonNumber": sscc}]},
            },
        )
        fulfilment = client.get("itemFulfillment", fulfilment_id, expand_sub_resources=True)
        invoice_id = client.transform("salesOrder", so_id, "invoice")
        invoice = client.get("invoice", invoice_id)
    assert fulfilment["createdFrom"]["id"] == so_id
    assert [(p["packageCartonNumber"], p["packageWeight"]) for p in fulfilment["package"]["items"]] == [
        (sscc, Decimal("12.5"))
    ]
    assert (invoice["total"], invoice["amountRemaining"]) == (item.cost * 6, item.cost * 6)


def test_netsuite_refusals_are_typed_and_name_the_field(sandbox):
    with connections.netsuite_client() as client:
        with pytest.raises(RejectedError) as caught:
            client.upsert_by_external_id(
                "salesOrder",
                "AMZ-PO-BAD",
                _sales_order("BAD", [])
                | {"item": {"items": [{"item": {"id": "999999"}, "quantity": 1, "rate": Decimal("1.00")}]}},
            )
        assert caught.value.status == 400
        assert caught.value.details[0].field == "item.items[0].item"
        with pytest.raises(RejectedError) as unbalanced:
            client.upsert_by_external_id(
                "journalEntry",
                "AMZJE-BAD",
                {
                    "line": {
                        "items": [
                            {"account": {"id": "454"}, "debit": Decimal(10)},
                            {"account": {"id": "120"}, "credit": Decimal(9), "entity": {"id": "1001"}},
                        ]
                    }
                },
            )
        assert unbalanced.value.details[0].field == "line"
        assert client.get_by_external_id("journalEntry", "AMZJE-BAD") is None  # nothing half-written


# -- NetSuite failures ----------------------------------------------------------------------------


@pytest.fixture
def netsuite_sim(sandbox):
    with connections.netsuite_client() as wired:
        config = wired.config
    app = ns_simulator.make_app(sandbox / "netsuite.sqlite3")
    return config, app


def _client(
    config: NetSuiteConfig, app, sleeps: Sleeps, **kwargs
) -> tuple[NetSuiteClient, CountingTransport]:  # noqa: ANN001
    transport = CountingTransport(httpx.WSGITransport(app=app))
    return NetSuiteClient(
        config, transport=transport, sleep=sleeps.append, clock=sleeps.clock, **kwargs
    ), transport


def _stock_order(po: str) -> dict:
    item = next(i for i in catalog.items() if i.stock >= 50)
    return _sales_order(po, [(item, 1)])


def test_write_then_504_with_one_attempt_is_ambiguous_and_the_lookup_finds_the_record(netsuite_sim):
    config, app = netsuite_sim
    sleeps = Sleeps()
    client, transport = _client(config, app, sleeps, retry_writes=False)
    with client:
        app.faults.timeout = True  # NetSuite does the write, then the answer is lost (504)
        with pytest.raises(RetryableError):
            client.upsert_by_external_id("salesOrder", "AMZ-PO-504", _stock_order("504"))
        with pytest.raises(AmbiguousWriteError):
            client.create("salesOrder", _stock_order("505") | {"externalId": "AMZ-PO-505"})
        assert (transport.count("PUT"), transport.count("POST")) == (1, 1)
        assert sleeps == []
        app.faults.timeout = False
        # What the outbox does next: look the record up by external id before any retry.
        for external_id in ("AMZ-PO-504", "AMZ-PO-505"):
            found = client.get_by_external_id("salesOrder", external_id)
            assert found is not None and found["otherRefNum"] == external_id.removeprefix("AMZ-PO-")
        rows = list(client.suiteql("SELECT id FROM transaction WHERE externalid = 'AMZ-PO-504' ORDER BY id"))
    assert len(rows) == 1


def test_by_default_an_idempotent_upsert_is_retried_and_converges_on_one_record(netsuite_sim):
    config, app = netsuite_sim
    sleeps = Sleeps()
    client, transport = _client(config, app, sleeps)
    with client:
        app.faults.timeout = True
        with pytest.raises(RetryableError) as caught:
            client.upsert_by_external_id("salesOrder", "AMZ-PO-RETRY", _stock_order("RETRY"))
        assert transport.count("PUT") == caught.value.attempts > 1
        app.faults.timeout = False
        rows = list(
            client.suiteql("SELECT id FROM transaction WHERE externalid = 'AMZ-PO-RETRY' ORDER BY id")
        )
    assert len(rows) == 1  # every PUT hit the same record


def test_a_netsuite_5xx_writes_nothing_and_with_one_attempt_the_record_stays_absent(netsuite_sim):
    config, app = netsuite_sim
    sleeps = Sleeps()
    client, transport = _client(config, app, sleeps, retry_writes=False)
    with client:
        app.faults.error_rate, app.faults.status_5xx = 1.0, 502
        with pytest.raises(RetryableError):
            client.upsert_by_external_id("salesOrder", "AMZ-PO-502", _stock_order("502"))
        assert transport.count("PUT") == 1
        app.faults.error_rate = 0.0
        assert client.get_by_external_id("salesOrder", "AMZ-PO-502") is None


def test_a_netsuite_429_burst_is_retried_for_reads_and_handed_back_for_single_attempt_writes(netsuite_sim):
    config, app = netsuite_sim
    sleeps = Sleeps()
    client, transport = _client(config, app, sleeps, retry_writes=False)
    with client:
        app.faults.burst_429 = 2
        assert (
            client.get("customer", catalog.AMAZON_CUSTOMER_ID)["companyName"] == catalog.AMAZON_CUSTOMER_NAME
        )
        assert transport.count("GET") == 3 and len(sleeps) == 2
        app.faults.burst_429 = 1
        with pytest.raises(RetryableError) as caught:
            client.upsert_by_external_id("salesOrder", "AMZ-PO-429", _stock_order("429"))
        assert caught.value.status == 429 and transport.count("PUT") == 1
        # The refusal came before any work: the retry the outbox makes later succeeds.
        assert client.upsert_by_external_id("salesOrder", "AMZ-PO-429", _stock_order("429")) is not None


def test_wrong_netsuite_credentials_fail_at_once_as_an_auth_error(netsuite_sim):
    config, app = netsuite_sim
    import dataclasses

    wrong = dataclasses.replace(config, token_secret="not-the-secret")
    sleeps = Sleeps()
    client, transport = _client(wrong, app, sleeps)
    with client, pytest.raises(AuthError) as caught:
        client.upsert_by_external_id("salesOrder", "AMZ-PO-AUTH", _stock_order("AUTH"))
    assert caught.value.status == 401 and len(transport.requests) == 1 and sleeps == []


# ================================================================================================
# Served over HTTP: the production wiring (VENDORSYNC_SANDBOX=0) against `manage.py sandbox serve`
# ================================================================================================


@pytest.fixture
def served(settings, sandbox) -> Iterator[str]:
    """The app `sandbox serve` runs, on a real socket, with the settings its banner prints."""
    from wsgiref.simple_server import make_server

    from vendorsync.management.commands import sandbox as command

    app = command.build_app(
        make_amazon_app(sandbox / "amazon.sqlite3"), ns_simulator.make_app(sandbox / "netsuite.sqlite3")
    )
    server = make_server("127.0.0.1", 0, app, command.ThreadingWSGIServer, command.QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    for name, value in command.Command.connection_env(base).items():
        if name != "VENDORSYNC_SANDBOX":
            setattr(settings, name, value)
    settings.SANDBOX = False
    reset_caches()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_clients_work_over_http_against_the_served_simulators(served):
    now = SimClock().now()
    with connections.amazon_client() as amazon:
        assert amazon.config.base_url == f"{served}/amazon"
        order = _mapped_new_order(
            list(amazon.iter_purchase_orders(created_after=now - timedelta(days=7), include_details=True))
        )
        assert amazon.get_purchase_order(order.purchase_order_number) == order
    with connections.netsuite_client(retry_writes=False) as netsuite:
        assert netsuite.config.base_url == f"{served}/netsuite"
        so_id = netsuite.upsert_by_external_id("salesOrder", "AMZ-PO-HTTP-1", _stock_order("HTTP-1"))
        found = netsuite.get_by_external_id("salesOrder", "AMZ-PO-HTTP-1")
        rows = list(
            netsuite.suiteql("SELECT id FROM transaction WHERE externalid = 'AMZ-PO-HTTP-1' ORDER BY id")
        )
    assert found is not None and found["id"] == so_id
    assert rows == [{"id": so_id}]
