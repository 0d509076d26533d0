"""``retry_writes=False`` (outbox handlers): a write is sent once, a read keeps retrying."""

from __future__ import annotations

import random

import pytest
import respx

from vendorsync.amazon import AmazonConfig, AmazonVendorClient
from vendorsync.amazon.errors import AmazonRetryableError

from .builders import acknowledgement
from .conftest import BASE_URL, NOW, FakeClock, FakeSleep

ACK_URL = f"{BASE_URL}/vendor/orders/v1/acknowledgements"
TX_URL = f"{BASE_URL}/vendor/transactions/v1/transactions/tx-9"


@pytest.fixture
def one_write_client(config: AmazonConfig, clock: FakeClock, sleep: FakeSleep):
    with AmazonVendorClient(
        config, clock=clock, sleep=sleep, utc_now=lambda: NOW, rng=random.Random(7), retry_writes=False
    ) as client:
        yield client


def test_a_write_is_sent_once_and_its_typed_error_raised(one_write_client, amazon: respx.MockRouter):
    route = amazon.post(ACK_URL).respond(503, headers={"x-amzn-RequestId": "req-1"})
    with pytest.raises(AmazonRetryableError) as excinfo:
        one_write_client.submit_acknowledgement(acknowledgement())
    assert route.call_count == 1 and excinfo.value.status == 503


def test_a_read_still_retries(one_write_client, amazon: respx.MockRouter, config: AmazonConfig):
    route = amazon.get(TX_URL).respond(503)
    with pytest.raises(AmazonRetryableError):
        one_write_client.get_transaction("tx-9")
    assert route.call_count == config.max_attempts > 1
