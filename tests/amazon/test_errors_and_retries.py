"""Failure handling: 429 + Retry-After, 5xx, timeouts, 4xx with errors[], malformed bodies."""

from __future__ import annotations

import httpx
import pytest
import respx

from vendorsync.amazon import AmazonConfig, AmazonVendorClient, bucket_for
from vendorsync.amazon.errors import AmazonRejectedError, AmazonResponseError, AmazonRetryableError
from vendorsync.errors import RejectedError, RetryableError

from .builders import acknowledgement
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
    assert 2.0 in sleep.calls  # the server's Retry-After, not our own backoff


def test_a_429_drains_the_bucket_and_the_rate_limit_header_adjusts_it(
    client: AmazonVendorClient, amazon: respx.MockRouter, clock: FakeClock
) -> None:
    amazon.get(TX_URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(200, headers={"x-amzn-RateLimit-Limit": "0.5"}, json=TX_BODY),
        ]
    )
    client.get_transaction("tx-9")
    bucket = bucket_for(BASE_URL, "getTransaction")
    assert bucket.rate == 0.5
    assert bucket.burst == 20
    # Drained to 0 by the 429, refilled by 1 s × 10/s while waiting, minus the retry's token.
    # (Without the drain it would be back at the burst of 20, minus one.)
    assert bucket.tokens() == pytest.approx(9.0)


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
    # exponential: 0.5·2^(n-1) plus at most 0.5 of jitter
    for n, slept in enumerate(backoffs, start=1):
        assert 0.5 * 2 ** (n - 1) <= slept <= 0.5 * 2 ** (n - 1) + 0.5
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
