"""Fixtures for the Amazon connector tests: a config, controllable clocks and a recorded sleep.

respx stands in for Amazon (LWA and SP-API); nothing here touches the network or the database.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import respx

from vendorsync.amazon import AmazonConfig, AmazonVendorClient, reset_caches

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE_URL = "https://sellingpartnerapi-na.amazon.com"
LWA_URL = "https://api.amazon.com/auth/o2/token"
# The wall-clock "now" the client fixture sees (closes one-sided date ranges).
NOW = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class FakeClock:
    """A monotonic clock that only moves when the test (or FakeSleep) moves it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeSleep:
    """Records every sleep and advances the fake clock instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds)


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    # Tokens and rate-limit buckets are process-wide by design; tests must not share them.
    reset_caches()
    yield
    reset_caches()


@pytest.fixture
def config() -> AmazonConfig:
    return AmazonConfig(
        client_id="amzn1.application-oa2-client.test",
        client_secret="test-secret",
        refresh_token="Atzr|test-refresh-token",
        region="na",
        timeout=5.0,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleep(clock: FakeClock) -> FakeSleep:
    return FakeSleep(clock)


@pytest.fixture
def client(config: AmazonConfig, clock: FakeClock, sleep: FakeSleep) -> Iterator[AmazonVendorClient]:
    with AmazonVendorClient(config, clock=clock, sleep=sleep, utc_now=lambda: NOW, rng=random.Random(7)) as c:
        yield c


@pytest.fixture
def amazon() -> Iterator[respx.MockRouter]:
    """respx router for LWA + SP-API; LWA answers with a fresh token ``Atza|token-1`` by default."""
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        router.post(LWA_URL, name="lwa").respond(
            200,
            json={"access_token": "Atza|token-1", "token_type": "bearer", "expires_in": 3600},
        )
        yield router
