"""Login with Amazon: the refresh-token grant, token caching, expiry and the refresh-once rule."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pytest
import respx

from vendorsync.amazon import AmazonConfig, AmazonVendorClient
from vendorsync.amazon.errors import AmazonAuthError
from vendorsync.errors import AuthError

from .conftest import BASE_URL, FakeClock, load_fixture

TX_URL = f"{BASE_URL}/vendor/transactions/v1/transactions/tx-1"
TX_BODY = {"payload": {"transactionStatus": {"transactionId": "tx-1", "status": "Processing"}}}


def _token(n: int, expires_in: int = 3600) -> httpx.Response:
    return httpx.Response(
        200, json={"access_token": f"Atza|token-{n}", "token_type": "bearer", "expires_in": expires_in}
    )


def test_it_posts_the_refresh_token_grant_and_caches_the_access_token(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    sp = amazon.get(TX_URL).respond(200, json=TX_BODY)

    client.get_transaction("tx-1")
    client.get_transaction("tx-1")

    lwa = amazon.routes["lwa"]
    assert lwa.call_count == 1
    request = lwa.calls.last.request
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["Atzr|test-refresh-token"],
        "client_id": ["amzn1.application-oa2-client.test"],
        "client_secret": ["test-secret"],
    }
    assert [c.request.headers["x-amz-access-token"] for c in sp.calls] == ["Atza|token-1", "Atza|token-1"]


def test_it_refreshes_sixty_seconds_before_the_token_expires(
    client: AmazonVendorClient, amazon: respx.MockRouter, clock: FakeClock
) -> None:
    amazon.routes["lwa"].mock(side_effect=[_token(1), _token(2)])
    sp = amazon.get(TX_URL).respond(200, json=TX_BODY)

    client.get_transaction("tx-1")
    clock.advance(3600 - 60 - 1)  # still inside the safe lifetime
    client.get_transaction("tx-1")
    clock.advance(1)  # now within 60 s of Amazon's expiry
    client.get_transaction("tx-1")

    assert amazon.routes["lwa"].call_count == 2
    assert [c.request.headers["x-amz-access-token"] for c in sp.calls] == [
        "Atza|token-1",
        "Atza|token-1",
        "Atza|token-2",
    ]


def test_it_shares_the_cached_token_between_clients_of_one_process(
    config: AmazonConfig, amazon: respx.MockRouter, clock: FakeClock
) -> None:
    amazon.get(TX_URL).respond(200, json=TX_BODY)
    with AmazonVendorClient(config, clock=clock) as first, AmazonVendorClient(config, clock=clock) as second:
        first.get_transaction("tx-1")
        second.get_transaction("tx-1")
    assert amazon.routes["lwa"].call_count == 1


def test_it_refreshes_once_on_401_and_retries_the_call(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    amazon.routes["lwa"].mock(side_effect=[_token(1), _token(2)])
    sp = amazon.get(TX_URL).mock(
        side_effect=[
            httpx.Response(
                401, json={"errors": [{"code": "Unauthorized", "message": "Access token expired"}]}
            ),
            httpx.Response(200, json=TX_BODY),
        ]
    )

    status = client.get_transaction("tx-1")

    assert status.status == "Processing"
    assert amazon.routes["lwa"].call_count == 2
    assert [c.request.headers["x-amz-access-token"] for c in sp.calls] == ["Atza|token-1", "Atza|token-2"]


def test_a_second_401_after_refreshing_is_an_auth_error_not_a_loop(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    amazon.routes["lwa"].mock(side_effect=[_token(1), _token(2), _token(3)])
    sp = amazon.get(TX_URL).respond(
        403, json={"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied."}]}
    )

    with pytest.raises(AuthError) as excinfo:
        client.get_transaction("tx-1")

    assert sp.call_count == 2
    assert amazon.routes["lwa"].call_count == 2
    assert excinfo.value.status == 403
    assert excinfo.value.details[0].code == "Unauthorized"


def test_lwa_invalid_grant_is_an_auth_error_and_amazon_is_never_called(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    amazon.routes["lwa"].respond(
        400,
        json={"error": "invalid_grant", "error_description": "The request has an invalid grant parameter"},
    )
    sp = amazon.get(TX_URL).respond(200, json=TX_BODY)

    with pytest.raises(AmazonAuthError) as excinfo:
        client.get_transaction("tx-1")

    assert isinstance(excinfo.value, AuthError)
    assert excinfo.value.status == 400
    assert excinfo.value.details[0].code == "invalid_grant"
    assert excinfo.value.details[0].message == "The request has an invalid grant parameter"
    assert "test-secret" not in str(excinfo.value)
    assert amazon.routes["lwa"].call_count == 1  # a refused grant is not retried
    assert sp.call_count == 0


def test_an_lwa_outage_is_retried_like_any_transient_failure(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    amazon.routes["lwa"].mock(side_effect=[httpx.Response(503), _token(1)])
    amazon.get(TX_URL).respond(200, json=TX_BODY)

    assert client.get_transaction("tx-1").transaction_id == "tx-1"
    assert amazon.routes["lwa"].call_count == 2


def test_every_request_goes_through_the_injected_transport(config: AmazonConfig) -> None:
    """The simulator contract: LWA and SP-API calls both reach the transport given to the client."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.host}{request.url.path}")
        if request.url.path == "/auth/o2/token":
            return httpx.Response(200, json={"access_token": "Atza|sim", "expires_in": 3600})
        assert request.headers["x-amz-access-token"] == "Atza|sim"
        return httpx.Response(200, json=load_fixture("purchase_order.json"))

    sim_config = AmazonConfig(
        client_id=config.client_id,
        client_secret=config.client_secret,
        refresh_token=config.refresh_token,
        endpoint="http://amazon.sim/",
        lwa_token_url="http://amazon.sim/auth/o2/token",
    )
    with AmazonVendorClient(sim_config, transport=httpx.MockTransport(handler)) as client:
        po = client.get_purchase_order("7QL3M2ZB")

    assert po.purchase_order_number == "7QL3M2ZB"
    assert seen == [
        "POST amazon.sim/auth/o2/token",
        "GET amazon.sim/vendor/orders/v1/purchaseOrders/7QL3M2ZB",
    ]
