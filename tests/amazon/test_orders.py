"""Vendor Orders API: query parameters, paging, 7-day windows and the typed purchase orders."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest
import respx

from vendorsync.amazon import AmazonVendorClient, split_window
from vendorsync.amazon.values import DateTimeWindow, PurchaseOrder

from .conftest import BASE_URL, NOW, load_fixture

ORDERS_URL = f"{BASE_URL}/vendor/orders/v1/purchaseOrders"
STATUS_URL = f"{BASE_URL}/vendor/orders/v1/purchaseOrdersStatus"


def _query(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)


def test_it_sends_every_get_purchase_orders_parameter_in_amazons_wire_format(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    route = amazon.get(ORDERS_URL).respond(200, json={"payload": {"orders": []}})

    page = client.get_purchase_orders(
        limit=50,
        created_after=datetime(2025, 3, 1, 0, 0, tzinfo=UTC),
        created_before=datetime(2025, 3, 2, 1, 30, tzinfo=timezone(timedelta(hours=1))),
        sort_order="ASC",
        next_token="abc==",
        include_details=False,
        changed_after=datetime(2025, 2, 28, 12, 0, 0, 250000, tzinfo=UTC),
        changed_before=datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
        po_item_state="Cancelled",
        is_po_changed=True,
        purchase_order_state="Acknowledged",
        ordering_vendor_code="VSYNC",
    )

    assert page.orders == ()
    assert page.next_token is None
    assert _query(route.calls.last.request) == {
        "limit": "50",
        "createdAfter": "2025-03-01T00:00:00.000Z",
        "createdBefore": "2025-03-02T00:30:00.000Z",  # converted to UTC
        "sortOrder": "ASC",
        "nextToken": "abc==",
        "includeDetails": "false",
        "changedAfter": "2025-02-28T12:00:00.250Z",
        "changedBefore": "2025-03-01T12:00:00.000Z",
        "poItemState": "Cancelled",
        "isPOChanged": "true",
        "purchaseOrderState": "Acknowledged",
        "orderingVendorCode": "VSYNC",
    }
    request = route.calls.last.request
    assert request.headers["x-amz-access-token"] == "Atza|token-1"
    assert request.headers["x-amz-date"].endswith("Z")


def test_it_refuses_invalid_parameters_before_calling_amazon(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    route = amazon.get(ORDERS_URL).respond(200, json={"payload": {"orders": []}})
    with pytest.raises(ValueError, match="limit"):
        client.get_purchase_orders(limit=101)
    with pytest.raises(ValueError, match="sort_order"):
        client.get_purchase_orders(sort_order="asc")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="naive"):
        client.get_purchase_orders(created_after=datetime(2025, 3, 1))  # noqa: DTZ001
    assert route.call_count == 0


def test_it_follows_next_token_across_three_pages(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    route = amazon.get(ORDERS_URL).mock(
        side_effect=[
            httpx.Response(200, json=load_fixture("purchase_orders_page1.json")),
            httpx.Response(200, json=load_fixture("purchase_orders_page2.json")),
            httpx.Response(200, json=load_fixture("purchase_orders_page3.json")),
        ]
    )
    after = datetime(2025, 3, 3, tzinfo=UTC)
    before = datetime(2025, 3, 6, tzinfo=UTC)

    orders = list(
        client.iter_purchase_orders(created_after=after, created_before=before, limit=2, sort_order="ASC")
    )

    assert [o.purchase_order_number for o in orders] == ["6XK2P9QA", "6XK2PB7D", "6XK2PC1F", "6XK2PD4H"]
    assert route.call_count == 3
    queries = [_query(call.request) for call in route.calls]
    assert [q.get("nextToken") for q in queries] == [None, "cGFnZS0y", "cGFnZS0z"]
    for q in queries:  # the filters are re-sent with every page
        assert q["createdAfter"] == "2025-03-03T00:00:00.000Z"
        assert q["createdBefore"] == "2025-03-06T00:00:00.000Z"
        assert q["limit"] == "2"
        assert q["sortOrder"] == "ASC"


def test_it_splits_a_twenty_day_range_into_three_windows(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    route = amazon.get(ORDERS_URL).respond(200, json={"payload": {"orders": []}})
    after = datetime(2025, 1, 1, 6, 0, tzinfo=UTC)
    before = after + timedelta(days=20)

    assert list(client.iter_purchase_orders(created_after=after, created_before=before)) == []

    windows = [(_query(c.request)["createdAfter"], _query(c.request)["createdBefore"]) for c in route.calls]
    assert windows == [
        ("2025-01-01T06:00:00.000Z", "2025-01-08T06:00:00.000Z"),
        ("2025-01-08T06:00:00.000Z", "2025-01-15T06:00:00.000Z"),
        ("2025-01-15T06:00:00.000Z", "2025-01-21T06:00:00.000Z"),
    ]


def test_it_pages_inside_each_window_and_splits_changed_ranges_too(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    page_with_token = {"payload": {"pagination": {"nextToken": "next"}, "orders": []}}
    last_page = {"payload": {"orders": []}}
    route = amazon.get(ORDERS_URL).mock(
        side_effect=[httpx.Response(200, json=body) for body in (page_with_token, last_page, last_page)]
    )
    after = datetime(2025, 2, 1, tzinfo=UTC)

    list(client.iter_purchase_orders(changed_after=after, changed_before=after + timedelta(days=10)))

    queries = [_query(c.request) for c in route.calls]
    assert [(q["changedAfter"], q["changedBefore"], q.get("nextToken")) for q in queries] == [
        ("2025-02-01T00:00:00.000Z", "2025-02-08T00:00:00.000Z", None),
        ("2025-02-01T00:00:00.000Z", "2025-02-08T00:00:00.000Z", "next"),
        ("2025-02-08T00:00:00.000Z", "2025-02-11T00:00:00.000Z", None),
    ]
    assert all("createdAfter" not in q for q in queries)


def test_it_refuses_two_long_ranges_in_one_query(client: AmazonVendorClient) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="only one date range"):
        list(
            client.iter_purchase_orders(
                created_after=start,
                created_before=start + timedelta(days=8),
                changed_after=start,
                changed_before=start + timedelta(days=9),
            )
        )


def test_split_window_boundaries_are_exact_and_contiguous() -> None:
    after = datetime(2025, 1, 1, 6, 0, tzinfo=UTC)
    windows = split_window(after, after + timedelta(days=20))
    assert windows == [
        (after, after + timedelta(days=7)),
        (after + timedelta(days=7), after + timedelta(days=14)),
        (after + timedelta(days=14), after + timedelta(days=20)),
    ]
    assert split_window(after, after + timedelta(days=7)) == [(after, after + timedelta(days=7))]
    with pytest.raises(ValueError, match="empty"):
        split_window(after, after)


def test_it_parses_a_purchase_order_with_parties_items_and_money_as_decimal(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    route = amazon.get(f"{ORDERS_URL}/7QL3M2ZB").respond(200, json=load_fixture("purchase_order.json"))

    po = client.get_purchase_order("7QL3M2ZB")

    assert route.call_count == 1
    assert isinstance(po, PurchaseOrder)
    assert po.purchase_order_number == "7QL3M2ZB"
    assert po.purchase_order_state == "New"
    details = po.details
    assert details is not None
    assert details.purchase_order_date == datetime(2025, 3, 10, 9, 15, tzinfo=UTC)
    assert details.purchase_order_changed_date == datetime(2025, 3, 11, 13, 40, 0, 250000, tzinfo=UTC)
    assert details.deal_code == "SPRING25"
    assert details.import_details is not None
    assert details.import_details.international_commercial_terms == "FreeOnBoard"
    assert details.ship_window == DateTimeWindow(
        datetime(2025, 3, 12, 7, tzinfo=UTC), datetime(2025, 3, 18, 7, tzinfo=UTC)
    )
    assert details.delivery_window is not None and details.delivery_window.end == datetime(
        2025, 3, 20, 7, tzinfo=UTC
    )
    assert details.selling_party is not None
    assert details.selling_party.party_id == "VSYNC"
    assert details.selling_party.address is not None
    assert details.selling_party.address.postal_code == "94607"
    assert details.selling_party.tax_registrations[0].tax_registration_number == "US-EIN-94-1234567"
    assert details.ship_to_party is not None and details.ship_to_party.party_id == "BFI4"

    first, second, third = po.items
    assert first.amazon_product_identifier == "B0C7KQ2M4T"
    assert first.vendor_product_identifier == "061414100014"
    assert first.ordered_quantity.unit_of_measure == "Cases"
    assert first.ordered_quantity.eaches == 60
    assert first.net_cost is not None
    assert first.net_cost.amount == Decimal("12.85")
    assert isinstance(first.net_cost.amount, Decimal)
    assert first.net_cost.currency_code == "USD"
    assert second.is_back_order_allowed is False
    assert second.ordered_quantity.eaches == 48
    assert third.net_cost is not None
    assert third.net_cost.amount == Decimal("3.125")
    assert third.net_cost.unit_of_measure == "POUNDS"
    assert po.raw["purchaseOrderNumber"] == "7QL3M2ZB"


def test_it_escapes_the_purchase_order_number_in_the_path(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    route = amazon.get(url__regex=r".*/purchaseOrders/.*").respond(
        200, json=load_fixture("purchase_order.json")
    )
    client.get_purchase_order("../x y")
    assert route.calls.last.request.url.raw_path == b"/vendor/orders/v1/purchaseOrders/..%2Fx%20y"


def test_it_pages_purchase_order_status_and_exposes_received_quantities(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    route = amazon.get(STATUS_URL).mock(
        side_effect=[
            httpx.Response(200, json=load_fixture("purchase_orders_status.json")),
            httpx.Response(200, json={"payload": {"ordersStatus": []}}),
        ]
    )
    after = datetime(2025, 3, 1, tzinfo=UTC)

    statuses = list(
        client.iter_purchase_orders_status(
            updated_after=after,
            updated_before=after + timedelta(days=5),
            purchase_order_status="OPEN",
            limit=1,
        )
    )

    assert route.call_count == 2
    assert _query(route.calls[1].request)["nextToken"] == "c3RhdHVzLTI="
    assert _query(route.calls[1].request)["purchaseOrderStatus"] == "OPEN"
    assert _query(route.calls[1].request)["updatedAfter"] == "2025-03-01T00:00:00.000Z"
    (status,) = statuses
    assert status.purchase_order_number == "6XK2P9QA"
    assert status.purchase_order_status == "OPEN"
    assert status.ship_to_party.party_id == "ABE8"
    line = status.items[0]
    assert line.confirmation_status == "PARTIALLY_ACCEPTED"
    assert line.accepted_quantity is not None and line.accepted_quantity.amount == 18
    assert line.receive_status == "PARTIALLY_RECEIVED"
    assert line.received_quantity is not None and line.received_quantity.amount == 16
    assert line.last_receive_date == datetime(2025, 3, 12, 17, 20, 0, 500000, tzinfo=UTC)
    assert line.ordered_quantity_details[0].cancelled_quantity is not None
    assert line.ordered_quantity_details[0].cancelled_quantity.amount == 6
    assert line.net_cost is not None and line.net_cost.amount == Decimal("12.85")
    assert status.items[1].receive_status == "NOT_RECEIVED"


def test_a_repeated_next_token_stops_paging_with_a_retryable_error(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    from vendorsync.errors import RetryableError

    amazon.get(ORDERS_URL).respond(200, json={"payload": {"pagination": {"nextToken": "same"}, "orders": []}})
    with pytest.raises(RetryableError, match="repeated a nextToken"):
        list(client.iter_purchase_orders())


def test_a_since_last_sync_range_runs_to_now_in_exact_seven_day_windows(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    route = amazon.get(ORDERS_URL).respond(200, json={"payload": {"orders": []}})

    # Only the start, as the importer asks: "everything changed since the last sync".
    assert list(client.iter_purchase_orders(changed_after=NOW - timedelta(days=30))) == []

    windows = [(_query(c.request)["changedAfter"], _query(c.request)["changedBefore"]) for c in route.calls]
    assert windows == [  # NOW is 2025-03-31T12:00Z (conftest): 4 full weeks and 2 days
        ("2025-03-01T12:00:00.000Z", "2025-03-08T12:00:00.000Z"),
        ("2025-03-08T12:00:00.000Z", "2025-03-15T12:00:00.000Z"),
        ("2025-03-15T12:00:00.000Z", "2025-03-22T12:00:00.000Z"),
        ("2025-03-22T12:00:00.000Z", "2025-03-29T12:00:00.000Z"),
        ("2025-03-29T12:00:00.000Z", "2025-03-31T12:00:00.000Z"),
    ]


def test_a_short_one_sided_range_is_closed_at_now_and_an_end_only_range_spans_seven_days(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    route = amazon.get(STATUS_URL).respond(200, json={"payload": {"ordersStatus": []}})

    list(client.iter_purchase_orders_status(updated_after=NOW - timedelta(hours=6)))
    list(client.iter_purchase_orders_status(created_before=datetime(2025, 3, 20, tzinfo=UTC)))

    first, second = (_query(c.request) for c in route.calls)
    assert (first["updatedAfter"], first["updatedBefore"]) == (
        "2025-03-31T06:00:00.000Z",
        "2025-03-31T12:00:00.000Z",
    )
    assert (second["createdAfter"], second["createdBefore"]) == (
        "2025-03-13T00:00:00.000Z",
        "2025-03-20T00:00:00.000Z",
    )


def test_a_start_in_the_future_is_sent_as_given_rather_than_as_an_empty_range(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    # Our watermark can be ahead of this host's clock by a little; Amazon decides then.
    route = amazon.get(ORDERS_URL).respond(200, json={"payload": {"orders": []}})
    list(client.iter_purchase_orders(changed_after=NOW + timedelta(seconds=5)))
    assert _query(route.calls.last.request) == {"changedAfter": "2025-03-31T12:00:05.000Z"}


def test_a_long_one_sided_range_still_counts_as_the_one_range_that_may_be_split(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    route = amazon.get(ORDERS_URL).respond(200, json={"payload": {"orders": []}})
    with pytest.raises(ValueError, match="only one date range"):
        list(
            client.iter_purchase_orders(
                created_after=NOW - timedelta(days=10), changed_after=NOW - timedelta(days=9)
            )
        )
    with pytest.raises(ValueError, match="changed_after must be timezone-aware"):
        list(client.iter_purchase_orders(changed_after=datetime(2025, 3, 1)))  # noqa: DTZ001
    assert route.call_count == 0


def test_amounts_sent_as_json_numbers_keep_every_digit(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    text = json.dumps(load_fixture("purchase_order.json"))
    assert text.count('"amount": "12.85"') == 1
    # A JSON number that a float cannot hold: 17 significant digits before the point.
    text = text.replace('"amount": "12.85"', '"amount": 12345678901234567.89')
    amazon.get(f"{ORDERS_URL}/7QL3M2ZB").respond(
        200, content=text.encode(), headers={"content-type": "application/json"}
    )

    po = client.get_purchase_order("7QL3M2ZB")

    net_cost = po.items[0].net_cost
    assert net_cost is not None
    assert net_cost.amount == Decimal("12345678901234567.89")
    assert str(net_cost.amount) == "12345678901234567.89"


def test_the_codec_refuses_a_float_amount_instead_of_rounding_it() -> None:
    from vendorsync.amazon import codec
    from vendorsync.amazon.errors import AmazonResponseError

    assert codec.parse_money({"amount": Decimal("0.10"), "currencyCode": "USD"}).amount == Decimal("0.10")
    assert codec.parse_quantity({"amount": Decimal("10.0")}).amount == 10
    with pytest.raises(AmazonResponseError, match=r"netCost\.amount: got float"):
        codec.parse_money({"amount": 0.1}, "netCost")
