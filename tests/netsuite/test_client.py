"""NetSuiteClient against respx standing in for NetSuite: URLs, ids, errors and retries."""

from __future__ import annotations

import dataclasses
import json
import random
from decimal import Decimal
from urllib.parse import unquote

import httpx
import pytest

from tests.netsuite.conftest import RECORD, SUITEQL
from tests.netsuite.oauth_reference import header_params, signature
from vendorsync.errors import AmbiguousWriteError, AuthError, RejectedError, RemoteErrorDetail, RetryableError
from vendorsync.netsuite import (
    NetSuiteAmbiguousWriteError,
    NetSuiteClient,
    NetSuiteConcurrencyError,
    NetSuiteRejectedError,
    verify_authorization,
)


def error_body(status: int, code: str, detail: str, path: str | None = None) -> dict:
    entry = {"detail": detail, "o:errorCode": code}
    if path:
        entry["o:errorPath"] = path
    return {"title": "Error", "status": status, "o:errorDetails": [entry]}


# -- records ---------------------------------------------------------------------------------


def test_create_returns_the_internal_id_from_the_location_header(client, netsuite):
    route = netsuite.post(f"{RECORD}/salesOrder").mock(
        return_value=httpx.Response(204, headers={"Location": f"{RECORD}/salesOrder/647"})
    )

    new_id = client.create(
        "salesOrder",
        {"externalId": "AMZPO-1AB2C3D4", "entity": {"id": "812"},
         "item": {"items": [{"item": {"id": "98"}, "quantity": 24, "rate": Decimal("12.50")}]}},
    )  # fmt: skip

    assert new_id == "647"
    request = route.calls.last.request
    # Money leaves as an exact JSON number written from the Decimal, never via float.
    assert b'"rate":12.50' in request.content
    assert json.loads(request.content)["externalId"] == "AMZPO-1AB2C3D4"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-NetSuite-PropertyNameValidation"] == "Error"


def test_the_client_signs_the_url_it_sends_and_leaves_the_json_body_out(client, config, netsuite):
    route = netsuite.post(f"{RECORD}/salesOrder").mock(
        return_value=httpx.Response(204, headers={"Location": f"{RECORD}/salesOrder/1"})
    )
    client.create("salesOrder", {"memo": "a body that must not change the signature"})

    request = route.calls.last.request
    sent = header_params(request.headers["Authorization"])
    oauth = {k: v for k, v in sent.items() if k not in ("realm", "oauth_signature")}
    expected = signature("POST", str(request.url), oauth, config.consumer_secret, config.token_secret)
    assert unquote(sent["oauth_signature"]) == expected


def test_upsert_puts_to_the_eid_url_and_returns_the_id(client, netsuite):
    route = netsuite.put(f"{RECORD}/salesOrder/eid:PO-123").mock(
        return_value=httpx.Response(204, headers={"Location": f"{RECORD}/salesOrder/901"})
    )

    assert client.upsert_by_external_id("salesOrder", "PO-123", {"memo": "x"}) == "901"
    assert route.call_count == 1
    assert route.calls.last.request.url.path == "/services/rest/record/v1/salesOrder/eid:PO-123"


def test_upsert_without_location_returns_none(client, netsuite):
    netsuite.put(f"{RECORD}/customer/eid:AMZ-VC").mock(return_value=httpx.Response(204))
    assert client.upsert_by_external_id("customer", "AMZ-VC", {"companyName": "Amazon"}) is None


def test_external_ids_that_would_break_the_url_are_refused_before_any_request(client, netsuite):
    for bad in ("PO|123", "PO/123", "PO 123", ""):
        with pytest.raises(ValueError):
            client.upsert_by_external_id("salesOrder", bad, {})
    assert len(netsuite.calls) == 0


def test_transform_posts_to_the_transform_url_and_returns_the_new_id(client, netsuite):
    route = netsuite.post(f"{RECORD}/salesOrder/647/!transform/invoice").mock(
        return_value=httpx.Response(204, headers={"Location": f"{RECORD}/invoice/5521"})
    )

    new_id = client.transform(
        "salesOrder", "647", "invoice", {"item": {"items": [{"orderLine": 1, "quantity": 2}]}}
    )

    assert new_id == "5521"
    assert route.calls.last.request.url.path == "/services/rest/record/v1/salesOrder/647/!transform/invoice"
    assert json.loads(route.calls.last.request.content) == {
        "item": {"items": [{"orderLine": 1, "quantity": 2}]}
    }


def test_get_expands_sub_resources_and_reads_money_as_decimal(client, netsuite):
    route = netsuite.get(f"{RECORD}/salesOrder/647").mock(
        return_value=httpx.Response(
            200,
            text='{"id": "647", "total": 1234.10, "item": {"items": [{"line": 1, "rate": 12.5, "quantity": 24}]}}',
        )
    )

    record = client.get("salesOrder", 647, expand_sub_resources=True, fields=["total", "item"])

    params = route.calls.last.request.url.params
    assert params["expandSubResources"] == "true"
    assert params["fields"] == "total,item"
    assert record["total"] == Decimal("1234.10")
    assert isinstance(record["item"]["items"][0]["rate"], Decimal)
    assert record["item"]["items"][0]["quantity"] == 24


def test_get_without_expansion_sends_no_query(client, netsuite):
    route = netsuite.get(f"{RECORD}/invoice/77").mock(return_value=httpx.Response(200, json={"id": "77"}))
    assert client.get("invoice", "77") == {"id": "77"}
    assert route.calls.last.request.url.query == b""


def test_get_by_external_id_is_none_when_netsuite_has_no_such_record(client, netsuite):
    netsuite.get(f"{RECORD}/salesOrder/eid:AMZPO-9").mock(
        return_value=httpx.Response(404, json=error_body(404, "RCRD_DSNT_EXIST", "Record does not exist."))
    )
    assert client.get_by_external_id("salesOrder", "AMZPO-9") is None


def test_patch_sends_replace_for_named_sublists(client, netsuite):
    route = netsuite.patch(f"{RECORD}/salesOrder/647").mock(return_value=httpx.Response(204))
    client.patch("salesOrder", "647", {"item": {"items": [{"line": 2, "isClosed": True}]}}, replace=["item"])
    request = route.calls.last.request
    assert request.url.params["replace"] == "item"
    assert json.loads(request.content) == {"item": {"items": [{"line": 2, "isClosed": True}]}}


def test_floats_are_refused_in_request_bodies(client, netsuite):
    with pytest.raises(TypeError, match="Decimal"):
        client.create("salesOrder", {"item": {"items": [{"rate": 12.5}]}})
    assert len(netsuite.calls) == 0


# -- errors ----------------------------------------------------------------------------------


def test_a_400_becomes_a_rejected_error_with_code_message_and_path_and_is_not_retried(
    client, netsuite, sleeps
):
    route = netsuite.post(f"{RECORD}/salesOrder").mock(
        return_value=httpx.Response(
            400,
            json={
                "title": "Bad Request",
                "status": 400,
                "o:errorDetails": [
                    {
                        "detail": "Invalid value for the resource or sub-resource field 'entity'.",
                        "o:errorCode": "USER_ERROR",
                        "o:errorPath": "entity",
                    },
                    {
                        "detail": "Field 'bogus' does not exist.",
                        "o:errorCode": "NONEXISTENT_FIELD",
                        "o:errorPath": "item.items[0].bogus",
                    },
                ],
            },  # fmt: skip
        )
    )

    with pytest.raises(RejectedError) as caught:
        client.create("salesOrder", {"entity": {"id": "0"}})

    error = caught.value
    assert isinstance(error, NetSuiteRejectedError)
    assert error.status == 400
    assert error.error_code == "USER_ERROR"
    assert error.details == [
        RemoteErrorDetail(
            "USER_ERROR", "Invalid value for the resource or sub-resource field 'entity'.", "entity"
        ),
        RemoteErrorDetail("NONEXISTENT_FIELD", "Field 'bogus' does not exist.", "item.items[0].bogus"),
    ]
    assert "USER_ERROR" in error.body
    assert route.call_count == 1
    assert sleeps == []


def test_a_401_is_an_auth_error_and_is_not_retried(client, netsuite):
    route = netsuite.get(f"{RECORD}/salesOrder/1").mock(
        return_value=httpx.Response(401, json=error_body(401, "INVALID_LOGIN", "Invalid login attempt."))
    )
    with pytest.raises(AuthError) as caught:
        client.get("salesOrder", "1")
    assert caught.value.status == 401
    assert caught.value.error_code == "INVALID_LOGIN"
    assert route.call_count == 1


# -- retries ---------------------------------------------------------------------------------


def test_a_429_is_retried_after_retry_after_and_then_succeeds(client, netsuite, sleeps):
    route = netsuite.get(f"{RECORD}/item/98").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(200, json={"id": "98", "itemId": "SKU-1"}),
        ]
    )

    assert client.get("item", "98")["itemId"] == "SKU-1"
    assert route.call_count == 2
    assert len(sleeps) == 1
    assert 2.0 <= sleeps[0] < 3.0  # Retry-After honoured, plus under a second of jitter


def test_netsuite_concurrency_error_is_retried_even_for_a_create(client, netsuite, sleeps):
    route = netsuite.post(f"{RECORD}/salesOrder").mock(
        side_effect=[
            httpx.Response(
                400, json=error_body(400, "CONCURRENCY_LIMIT_EXCEEDED", "Concurrent request limit exceeded.")
            ),
            httpx.Response(429),
            httpx.Response(204, headers={"Location": f"{RECORD}/salesOrder/648"}),
        ]
    )

    assert client.create("salesOrder", {"externalId": "AMZPO-X"}) == "648"
    assert route.call_count == 3
    assert len(sleeps) == 2


def test_a_5xx_is_retried_until_attempts_run_out_then_raises_retryable(client, config, netsuite, sleeps):
    route = netsuite.get(f"{RECORD}/salesOrder/647").mock(
        return_value=httpx.Response(503, text="Service Unavailable")
    )

    with pytest.raises(RetryableError) as caught:
        client.get("salesOrder", "647")

    assert caught.value.status == 503
    assert caught.value.attempts == 6
    assert route.call_count == 6
    assert len(sleeps) == 5
    # Exponential ceilings 1, 2, 4, 8, 16 s, each jittered by x0.5..x1.5.
    for n, slept in enumerate(sleeps):
        assert 0.5 * 2**n <= slept <= 1.5 * 2**n

    # Every attempt was signed afresh: distinct nonces, each signature valid for its request.
    requests = [call.request for call in route.calls]
    nonces = {header_params(r.headers["Authorization"])["oauth_nonce"] for r in requests}
    assert len(nonces) == 6
    assert all(
        verify_authorization(config.credentials, r.method, str(r.url), r.headers["Authorization"])
        for r in requests
    )


def test_suiteql_retries_carry_a_different_nonce_each_time(client, netsuite):
    route = netsuite.post(SUITEQL).mock(
        side_effect=[
            httpx.Response(502),
            httpx.Response(429),
            httpx.Response(200, json={"items": [], "hasMore": False}),
        ]
    )
    assert list(client.suiteql("SELECT id FROM item ORDER BY id")) == []
    nonces = [header_params(c.request.headers["Authorization"])["oauth_nonce"] for c in route.calls]
    assert len(nonces) == 3
    assert len(set(nonces)) == 3


def test_a_5xx_after_a_create_is_not_repeated_because_the_record_may_exist(client, netsuite, sleeps):
    route = netsuite.post(f"{RECORD}/salesOrder").mock(return_value=httpx.Response(500))

    with pytest.raises(NetSuiteAmbiguousWriteError) as caught:
        client.create("salesOrder", {"externalId": "AMZPO-Y"})

    assert isinstance(caught.value, RetryableError)
    assert route.call_count == 1
    assert sleeps == []


def test_a_read_timeout_is_retried_for_a_get_but_not_for_a_create(client, netsuite):
    get_route = netsuite.get(f"{RECORD}/item/1").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json={"id": "1"})]
    )
    post_route = netsuite.post(f"{RECORD}/salesOrder").mock(side_effect=httpx.ReadTimeout("slow"))

    assert client.get("item", "1") == {"id": "1"}
    assert get_route.call_count == 2
    with pytest.raises(NetSuiteAmbiguousWriteError):
        client.create("salesOrder", {"externalId": "AMZPO-Z"})
    assert post_route.call_count == 1


def test_a_create_whose_connection_failed_is_retried(client, netsuite):
    route = netsuite.post(f"{RECORD}/salesOrder").mock(
        side_effect=[
            httpx.ConnectError("refused"),
            httpx.Response(204, headers={"Location": f"{RECORD}/salesOrder/9"}),
        ]
    )
    assert client.create("salesOrder", {"externalId": "AMZPO-C"}) == "9"
    assert route.call_count == 2


def test_a_long_retry_after_is_handed_back_to_the_caller_instead_of_slept_through(client, netsuite, sleeps):
    route = netsuite.get(f"{RECORD}/item/2").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "120"})
    )

    with pytest.raises(NetSuiteConcurrencyError) as caught:
        client.get("item", "2")

    assert caught.value.retry_after == 120.0
    assert route.call_count == 1
    assert sleeps == []


# -- time budget -----------------------------------------------------------------------------


def _budget_client(config, sleeps, **kwargs) -> NetSuiteClient:
    return NetSuiteClient(
        config, sleep=sleeps.append, clock=lambda: sum(sleeps), rng=random.Random(3), **kwargs
    )


def test_a_retry_after_above_the_sleep_cap_is_handed_back_at_once(client, config, netsuite, sleeps):
    # 60 s used to be slept through, up to five times in one call (302 s: past the task limit).
    route = netsuite.get(f"{RECORD}/item/3").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "60"})
    )

    with pytest.raises(NetSuiteConcurrencyError) as caught:
        client.get("item", "3")

    assert caught.value.retry_after == 60.0 > config.max_sleep
    assert route.call_count == 1
    assert sleeps == []


def test_retries_stop_when_the_next_wait_and_attempt_would_overrun_the_call_budget(config, netsuite, sleeps):
    route = netsuite.get(f"{RECORD}/item/4").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "19"})
    )

    with (
        _budget_client(config, sleeps, max_attempts=50) as client,
        pytest.raises(NetSuiteConcurrencyError) as caught,
    ):
        client.get("item", "4")

    # 19 s + <1 s jitter per wait; a retry needs its wait plus one more attempt (timeout 5 s)
    # to fit 90 s, so after four waits (~78 s) the fifth is refused.
    assert len(sleeps) == 4
    assert all(19.0 <= s <= 20.0 for s in sleeps)
    assert len({round(s, 6) for s in sleeps}) == 4  # jittered
    assert sum(sleeps) + config.timeout <= config.call_budget
    assert route.call_count == 5
    assert caught.value.attempts == 5
    assert caught.value.retry_after == 19.0  # NetSuite's own hint, kept


def test_a_refused_backoff_becomes_the_errors_retry_after(config, netsuite, sleeps):
    netsuite.get(f"{RECORD}/item/5").mock(return_value=httpx.Response(503))

    with (
        _budget_client(config, sleeps, max_attempts=50, backoff_base=8.0) as client,
        pytest.raises(RetryableError) as caught,
    ):
        client.get("item", "5")

    # Backoff 8·2^(n-1) × U(0.5, 1.5), never above max_sleep (20 s).
    assert sleeps and max(sleeps) <= config.max_sleep
    assert sum(sleeps) + config.timeout <= config.call_budget
    assert caught.value.retry_after is not None
    assert caught.value.retry_after == config.max_sleep  # the wait that no longer fit


def test_backoff_sleeps_are_capped_at_max_sleep(config, netsuite, sleeps):
    netsuite.get(f"{RECORD}/item/6").mock(return_value=httpx.Response(503))

    with (
        _budget_client(config, sleeps, max_attempts=4, backoff_base=16.0, max_backoff=60.0) as client,
        pytest.raises(RetryableError),
    ):
        client.get("item", "6")

    assert len(sleeps) == 3
    assert 8.0 <= sleeps[0] <= 20.0
    assert sleeps[1:] == [20.0, 20.0]  # 32 and 64 s of backoff (±50 %), capped


def test_the_budget_settings_have_safe_defaults_and_are_validated(config):
    assert (config.call_budget, config.max_sleep) == (90.0, 20.0)
    with pytest.raises(ValueError, match="call_budget"):
        dataclasses.replace(config, call_budget=0)
    with pytest.raises(ValueError, match="max_sleep"):
        dataclasses.replace(config, max_sleep=-1)


def test_an_ambiguous_write_is_the_shared_ambiguous_write_error(client, netsuite):
    netsuite.post(f"{RECORD}/salesOrder").mock(return_value=httpx.Response(502))
    with pytest.raises(AmbiguousWriteError) as caught:
        client.create("salesOrder", {"externalId": "AMZPO-A"})
    assert isinstance(caught.value, NetSuiteAmbiguousWriteError)
    assert isinstance(caught.value, RetryableError)


# -- retry_writes=False: the outbox owns the retries of a write ----------------------------------


@pytest.fixture
def single_write_client(config, sleeps):
    with NetSuiteClient(
        config, sleep=sleeps.append, clock=lambda: sum(sleeps), rng=random.Random(7), retry_writes=False
    ) as c:
        yield c


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.ConnectError("refused"),  # retried for a create by default: it never reached NetSuite
        httpx.ReadTimeout("slow"),
    ],
    ids=["503", "429", "connect", "timeout"],
)
def test_without_write_retries_every_write_makes_one_attempt(single_write_client, netsuite, sleeps, failure):
    kwargs = {"side_effect": failure} if isinstance(failure, Exception) else {"return_value": failure}
    routes = [
        netsuite.post(f"{RECORD}/salesOrder").mock(**kwargs),
        netsuite.put(f"{RECORD}/salesOrder/eid:AMZ-PO-1").mock(**kwargs),
        netsuite.patch(f"{RECORD}/salesOrder/7").mock(**kwargs),
        netsuite.post(f"{RECORD}/salesOrder/7/!transform/itemFulfillment").mock(**kwargs),
    ]
    writes = [
        lambda c: c.create("salesOrder", {"externalId": "AMZ-PO-1"}),
        lambda c: c.upsert_by_external_id("salesOrder", "AMZ-PO-1", {"memo": "x"}),
        lambda c: c.patch("salesOrder", "7", {"memo": "x"}),
        lambda c: c.transform("salesOrder", "7", "itemFulfillment"),
    ]
    for write in writes:
        with pytest.raises(RetryableError) as caught:
            write(single_write_client)
        assert caught.value.attempts == 1
    assert [r.call_count for r in routes] == [1, 1, 1, 1]
    assert sleeps == []


def test_without_write_retries_a_rejection_is_still_a_rejection(single_write_client, netsuite):
    netsuite.put(f"{RECORD}/salesOrder/eid:AMZ-PO-2").mock(
        return_value=httpx.Response(400, json=error_body(400, "USER_ERROR", "Bad field.", "memo"))
    )
    with pytest.raises(NetSuiteRejectedError):
        single_write_client.upsert_by_external_id("salesOrder", "AMZ-PO-2", {"memo": "x"})


def test_without_write_retries_reads_and_suiteql_still_retry(single_write_client, netsuite, sleeps):
    get_route = netsuite.get(f"{RECORD}/salesOrder/eid:AMZ-PO-3").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"id": "12"})]
    )
    query_route = netsuite.post(SUITEQL).mock(
        side_effect=[
            httpx.Response(502),
            httpx.Response(200, json={"items": [{"id": "1"}], "hasMore": False}),
        ]
    )
    assert single_write_client.get_by_external_id("salesOrder", "AMZ-PO-3") == {"id": "12"}
    assert list(single_write_client.suiteql("SELECT id FROM item ORDER BY id")) == [{"id": "1"}]
    assert (get_route.call_count, query_route.call_count) == (2, 2)
    assert len(sleeps) == 2
