"""The Amazon simulator over HTTP: LWA, PO reads, throttling, faults and async submissions."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from vendorsync.sandbox.amazon import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_REFRESH_TOKEN,
    AmazonApp,
    Faults,
    gs1_check_digit,
    make_app,
)
from vendorsync.sandbox.clock import SimClock

BASE = "http://amazon.sandbox"


@pytest.fixture
def clock(tmp_path) -> SimClock:
    return SimClock(tmp_path / "clock.json")


def build(tmp_path, clock: SimClock, **options: Any) -> AmazonApp:
    options.setdefault("transaction_delay_seconds", 0)
    return make_app(tmp_path / "amazon.sqlite3", clock=clock, **options)


def client_for(app: AmazonApp) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=app), base_url=BASE)


def token(client: httpx.Client, **overrides: str) -> httpx.Response:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": DEMO_REFRESH_TOKEN,
        "client_id": DEMO_CLIENT_ID,
        "client_secret": DEMO_CLIENT_SECRET,
    } | overrides
    return client.post("/auth/o2/token", data=form)


def authed(app: AmazonApp) -> httpx.Client:
    client = client_for(app)
    client.headers["x-amz-access-token"] = token(client).json()["access_token"]
    return client


@pytest.fixture
def app(tmp_path, clock) -> AmazonApp:
    app = build(tmp_path, clock)
    today = clock.now().date()
    for offset in range(6, 0, -1):
        app.simulator.simulate_day(today - timedelta(days=offset))
    return app


def window(clock: SimClock, days: int = 6) -> dict[str, str]:
    start = datetime.combine(clock.now().date() - timedelta(days=days), time(), UTC)
    return {"createdAfter": start.isoformat(), "createdBefore": clock.now().isoformat()}


def a_po(client: httpx.Client, clock: SimClock) -> dict[str, Any]:
    orders = client.get("/vendor/orders/v1/purchaseOrders", params=window(clock)).json()["payload"]["orders"]
    # An unchanged New PO: every line still has its ordered quantity.
    return next(
        o
        for o in orders
        if o["purchaseOrderState"] == "New" and "purchaseOrderChangedDate" not in o["orderDetails"]
    )


def ack_body(order: dict[str, Any], **item_overrides: Any) -> dict[str, Any]:
    items = [
        {
            "itemSequenceNumber": line["itemSequenceNumber"],
            "amazonProductIdentifier": line["amazonProductIdentifier"],
            "vendorProductIdentifier": line["vendorProductIdentifier"],
            "orderedQuantity": line["orderedQuantity"],
            "netCost": line["netCost"],
            "itemAcknowledgements": [
                {"acknowledgementCode": "Accepted", "acknowledgedQuantity": line["orderedQuantity"]}
            ],
        }
        | item_overrides
        for line in order["orderDetails"]["items"]
    ]
    return {
        "acknowledgements": [
            {
                "purchaseOrderNumber": order["purchaseOrderNumber"],
                "sellingParty": order["orderDetails"]["sellingParty"],
                "acknowledgementDate": datetime.now(UTC).isoformat(),
                "items": items,
            }
        ]
    }


def sscc(serial: int, *, valid: bool = True) -> str:
    body = f"00614141{serial:09d}"
    digit = gs1_check_digit(body)
    return "00" + body + str(digit if valid else (digit + 1) % 10)


def asn_body(order: dict[str, Any], *, sscc_value: str, extra_units: int = 0) -> dict[str, Any]:
    line = order["orderDetails"]["items"][0]
    quantity = {
        "amount": line["orderedQuantity"]["amount"] + extra_units,
        "unitOfMeasure": "Eaches",
        "unitSize": 1,
    }
    now = datetime.now(UTC).isoformat()
    return {
        "shipmentConfirmations": [
            {
                "shipmentIdentifier": f"ASN-{order['purchaseOrderNumber']}-{sscc_value[-4:]}",
                "shipmentConfirmationType": "Original",
                "shipmentConfirmationDate": now,
                "shippedDate": now,
                "sellingParty": order["orderDetails"]["sellingParty"],
                "shipFromParty": {"partyId": "VSYNC-WH1"},
                "shipToParty": order["orderDetails"]["shipToParty"],
                "shippedItems": [
                    {
                        "itemSequenceNumber": "001",
                        "amazonProductIdentifier": line["amazonProductIdentifier"],
                        "vendorProductIdentifier": line["vendorProductIdentifier"],
                        "shippedQuantity": quantity,
                        "itemDetails": {"purchaseOrderNumber": order["purchaseOrderNumber"]},
                    }
                ],
                "cartons": [
                    {
                        "cartonIdentifiers": [
                            {
                                "containerIdentificationType": "SSCC",
                                "containerIdentificationNumber": sscc_value,
                            }
                        ],
                        "cartonSequenceNumber": "001",
                        "items": [{"itemReference": "001", "shippedQuantity": quantity}],
                    }
                ],
            }
        ]
    }


def transaction(client: httpx.Client, response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    transaction_id = response.json()["payload"]["transactionId"]
    status = client.get(f"/vendor/transactions/v1/transactions/{transaction_id}")
    assert status.status_code == 200
    return status.json()["payload"]["transactionStatus"]


# ------------------------------------------------------------------ LWA


def test_lwa_issues_a_bearer_token_that_opens_the_vendor_api(app, clock):
    client = client_for(app)
    response = token(client)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["access_token"].startswith("Atza|")
    orders = client.get(
        "/vendor/orders/v1/purchaseOrders",
        params=window(clock),
        headers={"x-amz-access-token": body["access_token"]},
    )
    assert orders.status_code == 200
    assert orders.headers["x-amzn-RateLimit-Limit"] == "10"
    assert orders.json()["payload"]["orders"]


def test_an_expired_or_unknown_access_token_is_refused_with_spapis_unauthorized(tmp_path, clock):
    app = build(tmp_path, clock, token_ttl_seconds=60)
    client = client_for(app)
    access = token(client).json()["access_token"]
    assert (
        client.get("/vendor/orders/v1/purchaseOrders", headers={"x-amz-access-token": access}).status_code
        == 200
    )

    clock.advance(seconds=61)
    expired = client.get("/vendor/orders/v1/purchaseOrders", headers={"x-amz-access-token": access})
    assert expired.status_code == 403
    assert expired.json()["errors"][0]["code"] == "Unauthorized"
    assert "expired" in expired.json()["errors"][0]["details"]

    unknown = client.get("/vendor/orders/v1/purchaseOrders", headers={"x-amz-access-token": "Atza|nope"})
    assert unknown.status_code == 403
    assert set(unknown.json()["errors"][0]) == {"code", "message", "details"}


def test_a_wrong_client_secret_is_invalid_client_and_a_wrong_refresh_token_invalid_grant(app):
    client = client_for(app)
    wrong_secret = token(client, client_secret="not-the-secret")
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"] == "invalid_client"
    wrong_grant = token(client, refresh_token="Atzr|stolen")
    assert wrong_grant.status_code == 400
    assert wrong_grant.json()["error"] == "invalid_grant"


# ------------------------------------------------------------------ orders


@pytest.mark.parametrize("sort_order", ["ASC", "DESC"])
def test_paging_with_next_token_returns_every_po_exactly_once(app, clock, sort_order):
    client = authed(app)
    expected = {
        o["purchaseOrderNumber"] for o in app.simulator.get_purchase_orders(**_window_args(clock))["orders"]
    }
    seen: list[str] = []
    params: dict[str, Any] = window(clock) | {"limit": 4, "sortOrder": sort_order}
    pages = 0
    while True:
        payload = client.get("/vendor/orders/v1/purchaseOrders", params=params).json()["payload"]
        seen += [o["purchaseOrderNumber"] for o in payload["orders"]]
        pages += 1
        if "pagination" not in payload:
            break
        params = {"nextToken": payload["pagination"]["nextToken"], "limit": 4, "sortOrder": sort_order}
        params |= window(clock)
    assert pages > 2
    assert len(seen) == len(set(seen)) == len(expected) >= 18
    assert set(seen) == expected


def _window_args(clock: SimClock) -> dict[str, datetime]:
    w = window(clock)
    return {"created_after": datetime.fromisoformat(w["createdAfter"]), "created_before": clock.now()}


def test_a_created_range_over_seven_days_is_refused(app, clock):
    client = authed(app)
    now = clock.now()
    response = client.get(
        "/vendor/orders/v1/purchaseOrders",
        params={"createdAfter": (now - timedelta(days=8)).isoformat(), "createdBefore": now.isoformat()},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"


def test_without_details_only_numbers_and_states_are_listed(app, clock):
    client = authed(app)
    orders = client.get(
        "/vendor/orders/v1/purchaseOrders", params=window(clock) | {"includeDetails": "false"}
    ).json()["payload"]["orders"]
    assert orders and all(set(o) == {"purchaseOrderNumber", "purchaseOrderState"} for o in orders)


def test_a_single_po_reads_with_money_as_strings_and_unknown_is_404(app, clock):
    client = authed(app)
    order = a_po(client, clock)
    one = client.get(f"/vendor/orders/v1/purchaseOrders/{order['purchaseOrderNumber']}").json()["payload"]
    assert one == order
    cost = one["orderDetails"]["items"][0]["netCost"]
    assert set(cost) == {"currencyCode", "amount"} and isinstance(cost["amount"], str)
    assert client.get("/vendor/orders/v1/purchaseOrders/NOPE1234").status_code == 404


def test_changed_and_cancelled_pos_can_be_filtered(tmp_path, clock):
    app = build(tmp_path, clock)
    today = clock.now().date()
    for offset in range(12, 0, -1):
        app.simulator.simulate_day(today - timedelta(days=offset))
    client = authed(app)
    now = clock.now()
    changed_window = {"changedAfter": (now - timedelta(days=7)).isoformat(), "changedBefore": now.isoformat()}
    changed = client.get(
        "/vendor/orders/v1/purchaseOrders", params=changed_window | {"isPOChanged": "true"}
    ).json()["payload"]["orders"]
    assert changed
    assert all(o["orderDetails"]["purchaseOrderChangedDate"] for o in changed)
    cancelled = client.get(
        "/vendor/orders/v1/purchaseOrders", params=changed_window | {"poItemState": "Cancelled"}
    ).json()["payload"]["orders"]
    assert all(
        any(i["orderedQuantity"]["amount"] == 0 for i in o["orderDetails"]["items"]) for o in cancelled
    )
    assert {o["purchaseOrderNumber"] for o in cancelled} <= {o["purchaseOrderNumber"] for o in changed}


# ------------------------------------------------------- throttling, faults


def test_the_bucket_throttles_with_429_and_the_rate_limit_header(tmp_path, clock):
    app = build(tmp_path, clock, rate_limits={"getPurchaseOrders": (0.001, 3)})
    client = authed(app)
    codes = [client.get("/vendor/orders/v1/purchaseOrders").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    throttled = client.get("/vendor/orders/v1/purchaseOrders")
    assert throttled.status_code == 429
    assert throttled.headers["x-amzn-RateLimit-Limit"] == "0.001"
    assert throttled.json()["errors"][0]["code"] == "QuotaExceeded"


def test_a_burst_of_429s_can_be_injected(tmp_path, clock):
    client = authed(build(tmp_path, clock, faults=Faults(burst_429=2)))
    codes = [client.get("/vendor/orders/v1/purchaseOrders").status_code for _ in range(3)]
    assert codes == [429, 429, 200]


def test_injected_5xx_errors_follow_the_configured_seeded_rate(tmp_path, clock):
    def run(path: str) -> list[int]:
        app = make_app(tmp_path / path, clock=clock, throttle=False, faults=Faults(error_rate=0.25, seed=42))
        client = authed(app)
        return [client.get("/vendor/orders/v1/purchaseOrders").status_code for _ in range(200)]

    first = run("a.sqlite3")
    assert set(first) == {200, 503}
    assert 30 <= first.count(503) <= 70
    assert run("b.sqlite3") == first  # same seed, same failures


def test_faults_read_from_the_environment():
    faults = Faults.from_env({"SANDBOX_AMAZON_ERROR_RATE": "0.1", "SANDBOX_AMAZON_BURST_429": "3"})
    assert faults == Faults(error_rate=0.1, burst_429=3)


def test_an_injected_timeout_reaches_httpx_as_a_timeout(tmp_path, clock):
    client = authed(build(tmp_path, clock, faults=Faults(timeout=1.0)))
    with pytest.raises(httpx.TimeoutException):
        client.get("/vendor/orders/v1/purchaseOrders")


# ------------------------------------------------------------ submissions


def test_an_acknowledgement_becomes_a_successful_transaction_later(tmp_path, clock):
    app = build(tmp_path, clock, transaction_delay_seconds=30)
    app.simulator.simulate_day(clock.now().date() - timedelta(days=1))
    client = authed(app)
    order = a_po(client, clock)
    response = client.post("/vendor/orders/v1/acknowledgements", json=ack_body(order))
    assert transaction(client, response)["status"] == "Processing"

    clock.advance(seconds=31)
    client.headers["x-amz-access-token"] = token(client).json()["access_token"]
    transaction_id = response.json()["payload"]["transactionId"]
    status = client.get(f"/vendor/transactions/v1/transactions/{transaction_id}").json()["payload"]
    assert status == {"transactionStatus": {"transactionId": transaction_id, "status": "Success"}}
    again = client.get(f"/vendor/orders/v1/purchaseOrders/{order['purchaseOrderNumber']}").json()["payload"]
    assert again["purchaseOrderState"] == "Acknowledged"
    po_status = client.get(
        "/vendor/orders/v1/purchaseOrdersStatus", params={"purchaseOrderNumber": order["purchaseOrderNumber"]}
    ).json()["payload"]["ordersStatus"][0]
    assert {i["acknowledgementStatus"]["confirmationStatus"] for i in po_status["itemStatus"]} == {"ACCEPTED"}


def test_an_acknowledgement_of_an_unknown_po_or_item_fails_with_errors(app, clock):
    client = authed(app)
    order = a_po(client, clock)
    unknown_po = ack_body(order)
    unknown_po["acknowledgements"][0]["purchaseOrderNumber"] = "ZZZZ9999"
    failed = transaction(client, client.post("/vendor/orders/v1/acknowledgements", json=unknown_po))
    assert failed["status"] == "Failure"
    assert failed["errors"][0]["code"] == "INVALID_ORDER_ID"

    unknown_item = ack_body(order, itemSequenceNumber="99", amazonProductIdentifier="B0NOTONPO1")
    failed = transaction(client, client.post("/vendor/orders/v1/acknowledgements", json=unknown_item))
    assert failed["status"] == "Failure"
    assert {e["code"] for e in failed["errors"]} == {"INVALID_ITEM_ID"}
    assert app.simulator.get_purchase_order(order["purchaseOrderNumber"])["purchaseOrderState"] == "New"


def test_a_malformed_acknowledgement_is_refused_synchronously(app, clock):
    client = authed(app)
    body = ack_body(a_po(client, clock))
    body["acknowledgements"][0]["sellingParty"] = {}
    response = client.post("/vendor/orders/v1/acknowledgements", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"
    injected = ack_body(a_po(client, clock)) | {"marketplaceIds": ["ATVPDKIKX0DER"]}
    response = client.post("/vendor/orders/v1/acknowledgements", json=injected)
    assert response.status_code == 400
    assert "marketplaceIds" in response.json()["errors"][0]["message"]


def test_shipment_confirmations_check_ssccs_and_quantities_then_the_fc_receives(app, clock):
    client = authed(app)
    order = a_po(client, clock)
    assert (
        transaction(client, client.post("/vendor/orders/v1/acknowledgements", json=ack_body(order)))["status"]
        == "Success"
    )

    bad_digit = transaction(
        client,
        client.post(
            "/vendor/shipping/v1/shipmentConfirmations", json=asn_body(order, sscc_value=sscc(1, valid=False))
        ),
    )
    assert bad_digit["status"] == "Failure"
    assert bad_digit["errors"][0]["code"] == "INVALID_SSCC"

    too_many = transaction(
        client,
        client.post(
            "/vendor/shipping/v1/shipmentConfirmations",
            json=asn_body(order, sscc_value=sscc(2), extra_units=5),
        ),
    )
    assert too_many["status"] == "Failure"
    assert too_many["errors"][0]["code"] == "INVALID_QUANTITY"

    good = transaction(
        client,
        client.post("/vendor/shipping/v1/shipmentConfirmations", json=asn_body(order, sscc_value=sscc(3))),
    )
    assert good["status"] == "Success"

    app.simulator.receive(clock.now().date() + timedelta(days=2))
    status = client.get(
        "/vendor/orders/v1/purchaseOrdersStatus", params={"purchaseOrderNumber": order["purchaseOrderNumber"]}
    ).json()["payload"]["ordersStatus"][0]
    first = status["itemStatus"][0]
    shipped = order["orderDetails"]["items"][0]["orderedQuantity"]["amount"]
    assert shipped - 2 <= first["receivingStatus"]["receivedQuantity"]["amount"] <= shipped
    assert first["receivingStatus"]["receiveStatus"] in {"RECEIVED", "PARTIALLY_RECEIVED"}


def test_an_invoice_is_accepted_after_shipment_and_paid_net_of_the_terms_discount(app, clock):
    client = authed(app)
    order = a_po(client, clock)
    transaction(client, client.post("/vendor/orders/v1/acknowledgements", json=ack_body(order)))
    transaction(
        client,
        client.post("/vendor/shipping/v1/shipmentConfirmations", json=asn_body(order, sscc_value=sscc(4))),
    )
    line = order["orderDetails"]["items"][0]
    total = str(
        (line["orderedQuantity"]["amount"] * Decimal(line["netCost"]["amount"])).quantize(Decimal("0.01"))
    )
    invoice = {
        "invoiceType": "Invoice",
        "id": "INV1001",
        "date": clock.now().isoformat(),
        "remitToParty": {"partyId": "VSYNC"},
        "paymentTerms": {"type": "Basic", "discountPercent": "2.00", "discountDueDays": 60, "netDueDays": 61},
        "invoiceTotal": {"currencyCode": "USD", "amount": total},
        "items": [
            {
                "itemSequenceNumber": 1,
                "amazonProductIdentifier": line["amazonProductIdentifier"],
                "invoicedQuantity": {"amount": line["orderedQuantity"]["amount"], "unitOfMeasure": "Eaches"},
                "netCost": line["netCost"],
                "purchaseOrderNumber": order["purchaseOrderNumber"],
            }
        ],
    }
    assert (
        transaction(client, client.post("/vendor/payments/v1/invoices", json={"invoices": [invoice]}))[
            "status"
        ]
        == "Success"
    )
    duplicate = transaction(client, client.post("/vendor/payments/v1/invoices", json={"invoices": [invoice]}))
    assert duplicate["errors"][0]["code"] == "DUPLICATE_INVOICE"

    remittance = app.simulator.payment_run(clock.now().date(), pay_all=True)
    assert remittance is not None
    paid = next(x for x in remittance.lines if x.document_number == "INV1001")
    assert str(paid.invoice_amount) == total
    assert paid.discount == (paid.invoice_amount * 2 / 100).quantize(paid.discount)
    assert paid.amount_paid == paid.invoice_amount - paid.discount
