"""Replay Amazon's own sandbox cases from the published models through the client.

Every static sandbox response (``x-amzn-api-sandbox``, and the older
``x-amazon-spds-sandbox-behaviors`` the transaction-status and shipment models still use) of each
operation this client covers is served by respx and must come back as typed values (2xx) or as a
RejectedError carrying Amazon's codes (4xx). The sandbox request bodies of the three POSTs are
rebuilt from typed values and must serialise to exactly Amazon's JSON.

The models live in ../shared; without it these tests skip (``amazon_models_dir`` fixture).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import respx

from vendorsync.amazon import AmazonVendorClient, codec
from vendorsync.amazon.values import (
    AcknowledgementItem,
    Invoice,
    ItemAcknowledgement,
    ItemDetails,
    ItemQuantity,
    Money,
    OrderAcknowledgement,
    OrderStatusPage,
    Party,
    PurchaseOrder,
    PurchaseOrderPage,
    ShipmentConfirmation,
    ShippedItem,
    TransactionReference,
    TransactionStatus,
    Weight,
)
from vendorsync.errors import RejectedError

from .builders import acknowledgement, invoice, shipment_confirmation

SANDBOX_KEYS = ("x-amzn-api-sandbox", "x-amazon-spds-sandbox-behaviors")


def _param(request: dict[str, Any], name: str, default: str) -> str:
    value = request.get("parameters", {}).get(name, {}).get("value")
    return str(value) if value else default


# operationId → (model file, path template, how to call the client, expected 2xx type)
OPERATIONS: dict[str, tuple[str, str, Callable[[AmazonVendorClient, dict[str, Any]], Any], type]] = {
    "getPurchaseOrders": (
        "vendorOrders.json",
        "/vendor/orders/v1/purchaseOrders",
        lambda c, req: c.get_purchase_orders(),
        PurchaseOrderPage,
    ),
    "getPurchaseOrder": (
        "vendorOrders.json",
        "/vendor/orders/v1/purchaseOrders/{purchaseOrderNumber}",
        lambda c, req: c.get_purchase_order(_param(req, "purchaseOrderNumber", "mock-purchaseOrderNumber")),
        PurchaseOrder,
    ),
    "submitAcknowledgement": (
        "vendorOrders.json",
        "/vendor/orders/v1/acknowledgements",
        lambda c, req: c.submit_acknowledgement(acknowledgement()),
        TransactionReference,
    ),
    "getPurchaseOrdersStatus": (
        "vendorOrders.json",
        "/vendor/orders/v1/purchaseOrdersStatus",
        lambda c, req: c.get_purchase_orders_status(),
        OrderStatusPage,
    ),
    "SubmitShipmentConfirmations": (
        "vendorShipments.json",
        "/vendor/shipping/v1/shipmentConfirmations",
        lambda c, req: c.submit_shipment_confirmations(shipment_confirmation()),
        TransactionReference,
    ),
    "submitInvoices": (
        "vendorInvoices.json",
        "/vendor/payments/v1/invoices",
        lambda c, req: c.submit_invoices(invoice()),
        TransactionReference,
    ),
    "getTransaction": (
        "vendorTransactionStatus.json",
        "/vendor/transactions/v1/transactions/{transactionId}",
        lambda c, req: c.get_transaction(_param(req, "transactionId", "mock-transaction")),
        TransactionStatus,
    ),
}


def sandbox_cases(models_dir: Path, operation_id: str) -> list[tuple[int, dict[str, Any], Any]]:
    """(HTTP status, request, response) for every static sandbox case of one operation."""
    model_file, path, _, _ = OPERATIONS[operation_id]
    model = json.loads((models_dir / model_file).read_text())
    (operation,) = [
        op
        for ops in model["paths"].values()
        for op in ops.values()
        if isinstance(op, dict) and op.get("operationId") == operation_id
    ]
    cases = []
    for status, response in operation["responses"].items():
        for key in SANDBOX_KEYS:
            block = response.get(key)
            entries = block.get("static", []) if isinstance(block, dict) else (block or [])
            cases.extend((int(status), entry.get("request", {}), entry["response"]) for entry in entries)
    return cases


def _replay(
    client: AmazonVendorClient,
    route: respx.Route,
    operation_id: str,
    status: int,
    request: dict,
    response: Any,
) -> Any:
    """Serve one sandbox response for the next SP-API request and make the client call."""
    _, path, call, _ = OPERATIONS[operation_id]
    calls_before = route.call_count
    route.respond(status, json=response)
    try:
        return call(client, request)
    finally:
        assert route.call_count == calls_before + 1
        assert route.calls.last.request.url.path.startswith(path.split("{")[0].rstrip("/"))


def _amount(raw: dict[str, Any] | None) -> Decimal | None:
    return None if raw is None else Decimal(str(raw["amount"]))


def _quantity(raw: dict[str, Any] | None) -> int | None:
    return None if raw is None else int(raw["amount"])


def _order_facts(raw: dict[str, Any]) -> tuple:
    details = raw.get("orderDetails") or {}
    return (
        raw["purchaseOrderNumber"],
        raw.get("purchaseOrderState"),
        (details.get("sellingParty") or {}).get("partyId"),
        (details.get("shipToParty") or {}).get("partyId"),
        [
            (
                item["itemSequenceNumber"],
                item.get("amazonProductIdentifier"),
                item.get("vendorProductIdentifier"),
                _quantity(item.get("orderedQuantity")),
                _amount(item.get("netCost")),
                (item.get("netCost") or {}).get("currencyCode"),
            )
            for item in details.get("items", [])
        ],
    )


def _parsed_order_facts(order: PurchaseOrder) -> tuple:
    details = order.details
    return (
        order.purchase_order_number,
        order.purchase_order_state,
        details.selling_party.party_id if details and details.selling_party else None,
        details.ship_to_party.party_id if details and details.ship_to_party else None,
        [
            (
                item.item_sequence_number,
                item.amazon_product_identifier,
                item.vendor_product_identifier,
                item.ordered_quantity.amount,
                item.net_cost.amount if item.net_cost else None,
                item.net_cost.currency_code if item.net_cost else None,
            )
            for item in order.items
        ],
    )


def _status_facts(raw: dict[str, Any]) -> tuple:
    return (
        raw["purchaseOrderNumber"],
        raw["purchaseOrderStatus"],
        raw["sellingParty"]["partyId"],
        raw["shipToParty"]["partyId"],
        [
            (
                item["itemSequenceNumber"],
                item.get("buyerProductIdentifier"),
                _amount(item.get("netCost")),
                _quantity((item.get("orderedQuantity") or {}).get("orderedQuantity")),
                (item.get("acknowledgementStatus") or {}).get("confirmationStatus"),
                _quantity((item.get("acknowledgementStatus") or {}).get("acceptedQuantity")),
                (item.get("receivingStatus") or {}).get("receiveStatus"),
                _quantity((item.get("receivingStatus") or {}).get("receivedQuantity")),
            )
            for item in raw["itemStatus"]
        ],
    )


def _parsed_status_facts(order: Any) -> tuple:
    return (
        order.purchase_order_number,
        order.purchase_order_status,
        order.selling_party.party_id,
        order.ship_to_party.party_id,
        [
            (
                item.item_sequence_number,
                item.buyer_product_identifier,
                item.net_cost.amount if item.net_cost else None,
                _qty(item.ordered_quantity),
                item.confirmation_status,
                _qty(item.accepted_quantity),
                item.receive_status,
                _qty(item.received_quantity),
            )
            for item in order.items
        ],
    )


def _qty(quantity: ItemQuantity | None) -> int | None:
    return None if quantity is None else quantity.amount


# What the model's JSON says, and what our parsed value says, in the same shape per operation.
FACTS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "getPurchaseOrders": (
        lambda body: (
            [_order_facts(o) for o in body["payload"].get("orders", [])],
            (body["payload"].get("pagination") or {}).get("nextToken"),
        ),
        lambda page: ([_parsed_order_facts(o) for o in page.orders], page.next_token),
    ),
    "getPurchaseOrder": (lambda body: _order_facts(body["payload"]), _parsed_order_facts),
    "getPurchaseOrdersStatus": (
        lambda body: (
            [_status_facts(o) for o in body["payload"].get("ordersStatus", [])],
            (body["payload"].get("pagination") or {}).get("nextToken"),
        ),
        lambda page: ([_parsed_status_facts(o) for o in page.orders], page.next_token),
    ),
    "getTransaction": (
        lambda body: (
            body["payload"]["transactionStatus"]["transactionId"],
            body["payload"]["transactionStatus"]["status"],
            [(e["code"], e["message"]) for e in body["payload"]["transactionStatus"].get("errors", [])],
        ),
        lambda status: (status.transaction_id, status.status, [(e.code, e.message) for e in status.errors]),
    ),
    "submitAcknowledgement": (lambda body: body["payload"]["transactionId"], lambda ref: ref.transaction_id),
    "SubmitShipmentConfirmations": (
        lambda body: body["payload"]["transactionId"],
        lambda ref: ref.transaction_id,
    ),
    "submitInvoices": (lambda body: body["payload"]["transactionId"], lambda ref: ref.transaction_id),
}


def _describes_a_schema(value: Any) -> bool:
    """Some of Amazon's ``examples`` (vendorShipments) hold ``{"type", "description"}`` schema text, not a value."""
    if isinstance(value, dict):
        return {"type", "description"} <= value.keys() or any(_describes_a_schema(v) for v in value.values())
    return isinstance(value, list) and any(_describes_a_schema(v) for v in value)


def success_examples(models_dir: Path, operation_id: str) -> list[tuple[int, dict[str, Any], Any]]:
    """Every 2xx body the model gives for an operation: its ``examples`` and its sandbox cases."""
    model_file, _, _, _ = OPERATIONS[operation_id]
    model = json.loads((models_dir / model_file).read_text())
    (operation,) = [
        op
        for ops in model["paths"].values()
        for op in ops.values()
        if isinstance(op, dict) and op.get("operationId") == operation_id
    ]
    # The ``examples`` of getPurchaseOrders show the payload alone; the wire body wraps it.
    examples = [
        (int(status), {}, example if "payload" in example else {"payload": example})
        for status, response in operation["responses"].items()
        if 200 <= int(status) < 300
        for example in (response.get("examples") or {}).values()
        if not _describes_a_schema(example)
    ]
    return examples + [case for case in sandbox_cases(models_dir, operation_id) if 200 <= case[0] < 300]


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_the_models_examples_come_back_through_the_client_with_the_models_values(
    amazon_models_dir: Path, client: AmazonVendorClient, amazon: respx.MockRouter, operation_id: str
) -> None:
    """Not just "it parses": every order number, state, party, line, quantity and amount the
    model's JSON holds is what the typed value returned by the real client holds."""
    cases = success_examples(amazon_models_dir, operation_id)
    assert cases, f"{operation_id} has no 2xx example in the model"
    expected_of, parsed_of = FACTS[operation_id]
    route = amazon.route(host="sellingpartnerapi-na.amazon.com")
    for status, request, body in cases:
        result = _replay(client, route, operation_id, status, request, body)
        expected = expected_of(body)
        assert expected, f"{operation_id}: the example has nothing to compare"
        assert parsed_of(result) == expected


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_every_sandbox_response_replays_through_the_client(
    amazon_models_dir: Path, client: AmazonVendorClient, amazon: respx.MockRouter, operation_id: str
) -> None:
    cases = sandbox_cases(amazon_models_dir, operation_id)
    assert cases, f"{operation_id} has no sandbox cases in the model"
    expected_type = OPERATIONS[operation_id][3]
    route = amazon.route(host="sellingpartnerapi-na.amazon.com")
    for status, request, response in cases:
        if 200 <= status < 300:
            result = _replay(client, route, operation_id, status, request, response)
            assert isinstance(result, expected_type)
        else:
            with pytest.raises(RejectedError) as excinfo:
                _replay(client, route, operation_id, status, request, response)
            assert excinfo.value.status == status
            assert [d.code for d in excinfo.value.details] == [e["code"] for e in response["errors"]]
            assert excinfo.value.details[0].message.startswith(response["errors"][0]["message"])


def _response(models_dir: Path, operation_id: str, predicate: Callable[[dict], bool]) -> Any:
    for status, request, response in sandbox_cases(models_dir, operation_id):
        if 200 <= status < 300 and predicate(request.get("parameters", {})):
            return response
    raise AssertionError(f"no matching sandbox case for {operation_id}")


def test_sandbox_purchase_orders_parse_to_concrete_values(amazon_models_dir: Path) -> None:
    body = _response(amazon_models_dir, "getPurchaseOrders", lambda p: p.get("limit", {}).get("value") == 2)
    page = codec.parse_get_purchase_orders_response(body)

    assert page.next_token == "MDAwMDAwMDAwMQ=="
    regular, imported = page.orders
    assert regular.purchase_order_number == "2JK3S9VC"
    assert regular.details is not None
    assert regular.details.selling_party is not None and regular.details.selling_party.party_id == "999US"
    assert regular.details.ship_window is not None
    assert regular.details.ship_window.start == datetime(2019, 8, 21, 7, tzinfo=UTC)
    assert [(i.amazon_product_identifier, i.ordered_quantity.amount, i.net_cost) for i in regular.items] == [
        ("B07DFVDRAB", 1, Money(Decimal("346.27"), "USD")),
        ("B07DFYF5AB", 2, Money(Decimal("229.47"), "USD")),
        ("B07MC84QAB", 13, Money(Decimal("412.71"), "USD")),
    ]
    (line,) = imported.items
    assert line.ordered_quantity == ItemQuantity(5, "Cases", 10)  # "CASES" normalised
    assert line.ordered_quantity.eaches == 50
    assert line.net_cost == Money(Decimal("94.97"), "USD", "POUNDS")
    assert imported.details is not None and imported.details.import_details is not None
    assert imported.details.import_details.port_of_delivery == "INDIA"

    mock = codec.parse_get_purchase_orders_response(
        _response(amazon_models_dir, "getPurchaseOrders", lambda p: not p)
    )
    assert mock.orders[0].purchase_order_state is None  # the mock omits a "required" field
    assert mock.orders[0].items[0].item_sequence_number == "00001"


def test_sandbox_single_order_status_and_transaction_parse_to_concrete_values(
    amazon_models_dir: Path,
) -> None:
    po = codec.parse_get_purchase_order_response(
        _response(amazon_models_dir, "getPurchaseOrder", lambda p: bool(p))
    )
    assert (po.purchase_order_number, po.purchase_order_state) == ("4Z32PABC", "Closed")
    assert [i.net_cost.amount for i in po.items if i.net_cost] == [
        Decimal("140"),
        Decimal("15.62"),
        Decimal("110.00"),
    ]

    status = codec.parse_get_purchase_orders_status_response(
        _response(
            amazon_models_dir, "getPurchaseOrdersStatus", lambda p: p.get("limit", {}).get("value") == 1
        )
    )
    first = status.orders[0]
    assert first.purchase_order_number == "2JK3S9VB"
    partial = first.items[1]
    assert partial.receive_status == "PARTIALLY_RECEIVED"
    assert partial.received_quantity == ItemQuantity(10, "Eaches", 1)
    assert partial.rejected_quantity == ItemQuantity(5, "Eaches", 1)
    assert partial.ordered_quantity_details[0].updated_date == datetime(2020, 8, 17, 20, 35, tzinfo=UTC)

    cancelled = codec.parse_get_purchase_orders_status_response(
        _response(amazon_models_dir, "getPurchaseOrdersStatus", lambda p: "itemConfirmationStatus" in p)
    )
    history = cancelled.orders[1].items[0].ordered_quantity_details
    assert history[0].cancelled_quantity == ItemQuantity(50, "Eaches", 1)
    assert history[1].ordered_quantity == ItemQuantity(150, "Eaches", 1)

    failure = codec.parse_get_transaction_response(
        _response(
            amazon_models_dir,
            "getTransaction",
            lambda p: p.get("transactionId", {}).get("value", "").startswith("20190918"),
        )
    )
    assert failure.status == "Failure"
    assert [(e.code, e.message) for e in failure.errors] == [("INVALID_ORDER_ID", "Invalid order ID.")]


def _sandbox_body(models_dir: Path, operation_id: str) -> dict[str, Any]:
    for status, request, _ in sandbox_cases(models_dir, operation_id):
        value = request.get("parameters", {}).get("body", {}).get("value")
        if 200 <= status < 300 and value:
            return value
    raise AssertionError(f"no sandbox request body for {operation_id}")


def test_typed_documents_serialise_to_amazons_own_sandbox_request_bodies(amazon_models_dir: Path) -> None:
    ack = OrderAcknowledgement(
        purchase_order_number="TestOrder202",
        selling_party=Party("API01"),
        acknowledgement_date=datetime(2021, 3, 12, 17, 35, 26, 308000, tzinfo=UTC),
        items=(
            AcknowledgementItem(
                vendor_product_identifier="028877454078",
                ordered_quantity=ItemQuantity(10),
                net_cost=Money(Decimal("10.2")),
                item_acknowledgements=(ItemAcknowledgement("Accepted", ItemQuantity(10)),),
            ),
        ),
    )
    assert codec.submit_acknowledgement_body([ack]) == _sandbox_body(
        amazon_models_dir, "submitAcknowledgement"
    )

    asn = ShipmentConfirmation(
        shipment_identifier="TestShipmentConfirmation202",
        shipment_confirmation_date=datetime(2021, 3, 11, 12, 38, 23, 388000, tzinfo=UTC),
        selling_party=Party("ABCD1"),
        ship_from_party=Party("EFGH1"),
        ship_to_party=Party("JKL1"),
        shipment_confirmation_type="Original",
        shipped_items=(
            ShippedItem("001", ItemQuantity(100, "Eaches"), item_details=ItemDetails("TestOrder202")),
            ShippedItem(
                "002",
                ItemQuantity(100, "Cases", total_weight=Weight(Decimal("332.8"), "POUNDS")),
                item_details=ItemDetails("TestOrder202"),
            ),
        ),
    )
    assert codec.submit_shipment_confirmations_body([asn]) == _sandbox_body(
        amazon_models_dir, "SubmitShipmentConfirmations"
    )

    sandbox_invoice = Invoice(
        invoice_type="Invoice",
        id="TestInvoice202",
        date=datetime(2020, 6, 8, 12, tzinfo=UTC),
        bill_to_party=Party("TES1"),
        remit_to_party=Party("ABCDE"),
        invoice_total=Money(Decimal("112.05"), "USD"),
    )
    assert codec.submit_invoices_body([sandbox_invoice]) == _sandbox_body(amazon_models_dir, "submitInvoices")
