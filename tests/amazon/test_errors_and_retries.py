"""Failure handling: 429 + Retry-After, 5xx, timeouts, 4xx with errors[], malformed bodies."""

from __future__ import annotations

import dataclasses
import random

import httpx
import pytest
import respx

from vendorsync.amazon import AmazonConfig, AmazonVendorClient, bucket_for
from vendorsync.amazon.errors import AmazonRejectedError, AmazonResponseError, AmazonRetryableError
from vendorsync.errors import RejectedError, RetryableError

from .builders import acknowledgement, invoice, shipment_confirmation
from .conftest import BASE_URL, FakeClock, FakeSleep, load_fixture

TX_URL = f"{BASE_URL}/vendor/transactions/v1/transactions/tx-9"
TX_BODY = {"payload": {"transactionStatus": {"transactionId": "tx-9", "status": "Success"}}}
ACK_URL = f"{BASE_URL}/vendor/orders/v1/acknowledgements"


def test_a_429_with_retry_after_is_waited_out_then_succeeds(
    client: AmazonVendorClient, amazon: respx.MockRouter, sleep: FakeSleep
) -> None:
    route = amazon.get(TX_URL).mock(
        side_effect=[
            httpx.Response(
                429,
                headers={"Retry-After": "2"},
                json={"errors": [{"code": "QuotaExceeded", "message": "x"}]},
            ),
            httpx.Response(200, json=TX_BODY),
        ]
    )

    status = client.get_transaction("tx-9")

    assert status.status == "Success"
    assert route.call_count == 2
    # the server's Retry-After plus under a second of jitter, not our own backoff
    assert [s for s in sleep.calls if s > 0.1] == [pytest.approx(2.5, abs=0.5)]


def test_a_429_drains_the_bucket_and_the_rate_limit_header_adjusts_it(
    client: AmazonVendorClient, amazon: respx.MockRouter, sleep: FakeSleep, config: AmazonConfig
) -> None:
    amazon.get(TX_URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(200, headers={"x-amzn-RateLimit-Limit": "0.5"}, json=TX_BODY),
        ]
    )
    client.get_transaction("tx-9")
    bucket = bucket_for(BASE_URL, "getTransaction", refresh_token=config.refresh_token)
    assert bucket.rate == 0.5
    assert bucket.burst == 20
    (waited,) = sleep.calls  # Retry-After 1 s plus jitter
    assert 1.0 <= waited < 2.0
    # Drained to 0 by the 429, refilled at 10/s while waiting, minus the retry's token.
    # (Without the drain it would be back at the burst of 20, minus one.)
    assert bucket.tokens() == pytest.approx(10 * waited - 1)


def test_5xx_is_retried_with_growing_backoff_then_raises_retryable(
    client: AmazonVendorClient, amazon: respx.MockRouter, sleep: FakeSleep, config: AmazonConfig
) -> None:
    route = amazon.get(TX_URL).respond(503, headers={"x-amzn-RequestId": "req-503"})

    with pytest.raises(RetryableError) as excinfo:
        client.get_transaction("tx-9")

    assert isinstance(excinfo.value, AmazonRetryableError)
    assert route.call_count == config.max_attempts == 4
    backoffs = [s for s in sleep.calls if s > 0]
    assert len(backoffs) == 3
    # exponential ceilings 0.5·2^(n-1), each jittered by ×0.5..×1.5 (vendorsync.http_retry)
    for n, slept in enumerate(backoffs, start=1):
        assert 0.5 * 0.5 * 2 ** (n - 1) <= slept <= 1.5 * 0.5 * 2 ** (n - 1)
    error = excinfo.value
    assert error.status == 503
    assert error.retry_after is not None and error.retry_after > 0
    assert error.request_id == "req-503"
    assert "getTransaction" in str(error)


def test_a_timeout_becomes_retryable_after_the_last_attempt(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    route = amazon.get(TX_URL).mock(side_effect=httpx.ReadTimeout("read timed out"))

    with pytest.raises(RetryableError, match="timed out") as excinfo:
        client.get_transaction("tx-9")

    assert route.call_count == 4
    assert excinfo.value.retry_after is not None


def test_a_connection_error_is_retried_and_can_recover(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    route = amazon.get(TX_URL).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=TX_BODY)]
    )
    assert client.get_transaction("tx-9").status == "Success"
    assert route.call_count == 2


def test_a_long_retry_after_is_not_slept_through(
    client: AmazonVendorClient, amazon: respx.MockRouter, sleep: FakeSleep
) -> None:
    route = amazon.get(TX_URL).respond(429, headers={"Retry-After": "300"})

    with pytest.raises(RetryableError) as excinfo:
        client.get_transaction("tx-9")

    assert route.call_count == 1
    assert excinfo.value.retry_after == 300.0
    assert 300.0 not in sleep.calls


def test_a_400_with_errors_is_rejected_with_amazons_codes_and_not_retried(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    route = amazon.post(ACK_URL).respond(
        400, json=load_fixture("error_400.json"), headers={"x-amzn-RequestId": "req-400"}
    )
    with pytest.raises(RejectedError) as excinfo:
        client.submit_acknowledgement(acknowledgement())

    assert route.call_count == 1
    error = excinfo.value
    assert isinstance(error, AmazonRejectedError)
    assert error.status == 400
    assert [d.code for d in error.details] == ["InvalidInput", "InvalidInput"]
    assert error.details[0].message == (
        "The content of element 'sellingParty' is not complete. One of '{partyId, address, taxInfo}' is expected."
    )
    assert error.details[1].message.endswith(": items[0].itemAcknowledgements[0].acknowledgementCode")
    assert error.request_id == "req-400"
    assert "submitAcknowledgement" in str(error)


def test_a_404_without_a_json_body_is_still_a_clear_rejection(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    amazon.get(TX_URL).respond(404, text="Not Found")
    with pytest.raises(RejectedError) as excinfo:
        client.get_transaction("tx-9")
    assert excinfo.value.status == 404
    assert excinfo.value.details[0].code == "HTTP404"


def test_a_success_without_json_is_a_response_error(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    amazon.get(TX_URL).respond(200, text="<html>gateway</html>")
    with pytest.raises(AmazonResponseError, match="without a JSON body"):
        client.get_transaction("tx-9")


def test_a_body_that_breaks_the_model_names_the_field(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    body = load_fixture("purchase_order.json")
    body["payload"]["orderDetails"]["items"][1]["netCost"]["amount"] = "7,40"
    amazon.get(f"{BASE_URL}/vendor/orders/v1/purchaseOrders/7QL3M2ZB").respond(200, json=body)

    with pytest.raises(RejectedError, match=r"payload\.orderDetails\.items\[1\]\.netCost\.amount"):
        client.get_purchase_order("7QL3M2ZB")


def _client(
    config: AmazonConfig, clock: FakeClock, sleep: FakeSleep, **overrides: object
) -> AmazonVendorClient:
    return AmazonVendorClient(
        dataclasses.replace(config, **overrides), clock=clock, sleep=sleep, rng=random.Random(3)
    )


def test_a_retry_after_above_the_sleep_cap_fails_at_once_for_the_outbox_to_reschedule(
    client: AmazonVendorClient, amazon: respx.MockRouter, sleep: FakeSleep
) -> None:
    # 25 s used to be slept through (the old cap was 60 s: 4 attempts could block 3 minutes).
    route = amazon.get(TX_URL).respond(429, headers={"Retry-After": "25"})

    with pytest.raises(AmazonRetryableError) as excinfo:
        client.get_transaction("tx-9")

    assert route.call_count == 1
    assert excinfo.value.retry_after == 25.0
    assert sleep.calls == []


def test_retries_stop_when_the_next_wait_and_attempt_would_overrun_the_call_budget(
    config: AmazonConfig, amazon: respx.MockRouter, clock: FakeClock, sleep: FakeSleep
) -> None:
    route = amazon.get(TX_URL).respond(429, headers={"Retry-After": "19"})
    started = clock()

    with _client(config, clock, sleep, max_attempts=50) as client, pytest.raises(RetryableError) as excinfo:
        client.get_transaction("tx-9")

    # Each wait is 19 s + <1 s jitter, capped at 20. A retry needs its wait plus one more
    # attempt (timeout 5 s) to fit the 90 s budget: after four waits (~78 s) a fifth doesn't.
    waits = sleep.calls
    assert len(waits) == 4
    assert all(19.0 <= w <= 20.0 for w in waits)
    assert len({round(w, 6) for w in waits}) == 4  # jittered: threads don't retry in lockstep
    assert route.call_count == 5
    assert clock() - started == pytest.approx(sum(waits))
    assert clock() - started + config.timeout <= config.call_budget
    error = excinfo.value
    assert error.retry_after is not None and 19.0 <= error.retry_after <= 20.0  # the refused wait
    assert "gave up after 5 attempts" in str(error)


def test_backoff_sleeps_are_capped_at_max_sleep(
    config: AmazonConfig, amazon: respx.MockRouter, clock: FakeClock, sleep: FakeSleep
) -> None:
    amazon.get(TX_URL).respond(503)

    with (
        _client(config, clock, sleep, backoff_initial=8.0, backoff_max=60.0, max_attempts=5) as client,
        pytest.raises(RetryableError),
    ):
        client.get_transaction("tx-9")

    # ceilings 8, 16, 32, 64 s, each ×0.5..×1.5, then capped at max_sleep
    first, second, third, fourth = sleep.calls
    assert 4.0 <= first <= 12.0
    assert 8.0 <= second <= 20.0
    assert 16.0 <= third <= 20.0
    assert fourth == config.max_sleep == 20.0  # at least 32 s of backoff, capped


def test_a_short_budget_means_no_retry_at_all(
    config: AmazonConfig, amazon: respx.MockRouter, clock: FakeClock, sleep: FakeSleep
) -> None:
    route = amazon.get(TX_URL).respond(503)

    with _client(config, clock, sleep, call_budget=5.0) as client, pytest.raises(RetryableError) as excinfo:
        client.get_transaction("tx-9")

    assert route.call_count == 1
    assert sleep.calls == []
    assert excinfo.value.retry_after is not None and excinfo.value.retry_after > 0


def test_the_budget_settings_are_validated(config: AmazonConfig) -> None:
    with pytest.raises(ValueError, match="call_budget"):
        dataclasses.replace(config, call_budget=0)
    with pytest.raises(ValueError, match="max_sleep"):
        dataclasses.replace(config, max_sleep=-1)
    assert (config.call_budget, config.max_sleep) == (90.0, 20.0)


# -- retry_writes=False: the outbox owns the retries of a write ----------------------------------

INVOICE_URL = f"{BASE_URL}/vendor/payments/v1/invoices"
SHIPMENT_URL = f"{BASE_URL}/vendor/shipping/v1/shipmentConfirmations"


def _single_write_client(config: AmazonConfig, clock: FakeClock, sleep: FakeSleep) -> AmazonVendorClient:
    return AmazonVendorClient(config, clock=clock, sleep=sleep, rng=random.Random(3), retry_writes=False)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectError("refused"),
    ],
    ids=["503", "429", "timeout", "connect"],
)
def test_without_write_retries_a_post_makes_one_attempt_and_raises_its_typed_error(
    config: AmazonConfig, amazon: respx.MockRouter, clock: FakeClock, sleep: FakeSleep, failure: object
) -> None:
    kwargs = {"side_effect": failure} if isinstance(failure, Exception) else {"return_value": failure}
    routes = [
        amazon.post(ACK_URL).mock(**kwargs),
        amazon.post(INVOICE_URL).mock(**kwargs),
        amazon.post(SHIPMENT_URL).mock(**kwargs),
    ]

    with _single_write_client(config, clock, sleep) as client:
        for submit in (
            lambda: client.submit_acknowledgement(acknowledgement()),
            lambda: client.submit_invoices(invoice()),
            lambda: client.submit_shipment_confirmations(shipment_confirmation()),
        ):
            with pytest.raises(AmazonRetryableError) as excinfo:
                submit()
            assert "gave up after 1 attempt)" in str(excinfo.value)
            assert excinfo.value.retry_after is not None  # the outbox still gets a hint
    assert [r.call_count for r in routes] == [1, 1, 1]
    assert sleep.calls == []


def test_without_write_retries_reads_still_retry(
    config: AmazonConfig, amazon: respx.MockRouter, clock: FakeClock, sleep: FakeSleep
) -> None:
    route = amazon.get(TX_URL).mock(side_effect=[httpx.Response(503), httpx.Response(200, json=TX_BODY)])
    with _single_write_client(config, clock, sleep) as client:
        assert client.get_transaction("tx-9").status == "Success"
    assert route.call_count == 2


def test_without_write_retries_a_rejected_token_is_still_refreshed_once(
    config: AmazonConfig, amazon: respx.MockRouter, clock: FakeClock, sleep: FakeSleep
) -> None:
    # Amazon refused the first request before processing it, so re-sending it with a fresh
    # token is not a second write: the single attempt includes the refresh-once rule.
    amazon.routes["lwa"].mock(
        side_effect=[
            httpx.Response(200, json={"access_token": f"Atza|t{n}", "expires_in": 3600}) for n in (1, 2)
        ]
    )
    route = amazon.post(ACK_URL).mock(
        side_effect=[httpx.Response(401), httpx.Response(202, json={"payload": {"transactionId": "tx-1"}})]
    )
    with _single_write_client(config, clock, sleep) as client:
        assert client.submit_acknowledgement(acknowledgement()).transaction_id == "tx-1"
    assert [c.request.headers["x-amz-access-token"] for c in route.calls] == ["Atza|t1", "Atza|t2"]
