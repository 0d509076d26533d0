"""Client-side token buckets: burst, refill rate, reservations across threads, the registry."""

from __future__ import annotations

import dataclasses
import threading

import pytest
import respx

from vendorsync.amazon import USAGE_PLANS, AmazonConfig, AmazonVendorClient, TokenBucket, bucket_for

from .conftest import BASE_URL, FakeClock, FakeSleep, load_fixture


def test_the_bucket_allows_the_burst_then_paces_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=10, clock=clock)

    assert [bucket.reserve() for _ in range(10)] == [0.0] * 10
    assert bucket.reserve() == pytest.approx(0.1)  # 11th: one token's worth of refill
    assert bucket.reserve() == pytest.approx(0.2)  # queued behind the 11th

    clock.advance(0.2)  # both reservations are now honoured, nothing left over
    assert bucket.tokens() == pytest.approx(0.0)
    clock.advance(5)
    assert bucket.tokens() == pytest.approx(10.0)  # refill never exceeds the burst


def test_drain_and_set_rate_follow_what_amazon_reports() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=20, clock=clock)
    bucket.drain()
    assert bucket.tokens() == 0.0
    bucket.set_rate(2)
    assert bucket.reserve() == pytest.approx(0.5)
    bucket.set_rate(0)  # nonsense from a header is ignored
    assert bucket.rate == 2


def test_concurrent_threads_each_get_a_distinct_slot() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        wait = bucket.reserve()
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # 5 immediate, then one every 0.1 s: no two threads were promised the same moment.
    assert sorted(round(w, 6) for w in waits) == [0.0] * 5 + [round(0.1 * n, 6) for n in range(1, 21)]


TOKEN = "Atzr|vendor-group-a"


def test_the_registry_shares_one_bucket_per_endpoint_account_and_operation() -> None:
    orders = bucket_for(BASE_URL, "getPurchaseOrders", refresh_token=TOKEN)
    assert bucket_for(BASE_URL + "/", "getPurchaseOrders", refresh_token=TOKEN) is orders
    assert bucket_for(BASE_URL, "getPurchaseOrder", refresh_token=TOKEN) is not orders
    assert (
        bucket_for("https://sellingpartnerapi-eu.amazon.com", "getPurchaseOrders", refresh_token=TOKEN)
        is not orders
    )
    # Another vendor group's authorisation on the same endpoint has its own usage plan.
    assert bucket_for(BASE_URL, "getPurchaseOrders", refresh_token="Atzr|vendor-group-b") is not orders
    transaction = bucket_for(BASE_URL, "getTransaction", refresh_token=TOKEN)
    assert (transaction.rate, transaction.burst) == (10, 20)
    assert set(USAGE_PLANS) == {
        "getPurchaseOrders",
        "getPurchaseOrder",
        "submitAcknowledgement",
        "getPurchaseOrdersStatus",
        "submitShipmentConfirmations",
        "submitInvoices",
        "getTransaction",
    }


def test_the_client_waits_for_its_bucket_before_exceeding_the_burst(
    client: AmazonVendorClient, amazon: respx.MockRouter, sleep: FakeSleep
) -> None:
    route = amazon.get(f"{BASE_URL}/vendor/orders/v1/purchaseOrders/7QL3M2ZB").respond(
        200, json=load_fixture("purchase_order.json")
    )

    for _ in range(11):
        client.get_purchase_order("7QL3M2ZB")

    assert route.call_count == 11
    assert sleep.calls == [pytest.approx(0.1)]  # the 11th call waited for one token


def test_two_vendor_accounts_on_one_endpoint_do_not_share_a_usage_plan(
    config: AmazonConfig, amazon: respx.MockRouter, clock: FakeClock, sleep: FakeSleep
) -> None:
    route = amazon.get(f"{BASE_URL}/vendor/orders/v1/purchaseOrders/7QL3M2ZB").respond(
        200, json=load_fixture("purchase_order.json")
    )
    other_account = dataclasses.replace(config, refresh_token="Atzr|another-vendor-group")

    with (
        AmazonVendorClient(config, clock=clock, sleep=sleep) as first,
        AmazonVendorClient(other_account, clock=clock, sleep=sleep) as second,
    ):
        for _ in range(10):  # the first account spends its whole burst
            first.get_purchase_order("7QL3M2ZB")
        for _ in range(10):  # the second still has its own full burst
            second.get_purchase_order("7QL3M2ZB")
        assert sleep.calls == []
        first.get_purchase_order("7QL3M2ZB")  # but the first account must now wait

    assert route.call_count == 21
    assert sleep.calls == [pytest.approx(0.1)]
    # The registry holds a hash of the refresh token, never the token itself.
    from vendorsync.amazon import ratelimit

    assert all(config.refresh_token not in key for key in ratelimit._registry)
