"""Fixtures for the NetSuite connector tests: a sandbox-style account, a client whose backoff
sleeps are recorded instead of slept, and respx standing in for NetSuite."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import respx

from vendorsync.netsuite import NetSuiteClient, NetSuiteConfig
from vendorsync.netsuite.concurrency import reset_account_semaphores

BASE = "https://1234567-sb1.suitetalk.api.netsuite.com"
RECORD = f"{BASE}/services/rest/record/v1"
SUITEQL = f"{BASE}/services/rest/query/v1/suiteql"


@pytest.fixture(autouse=True)
def _fresh_semaphores() -> Iterator[None]:
    reset_account_semaphores()
    yield
    reset_account_semaphores()


@pytest.fixture
def config() -> NetSuiteConfig:
    # Entered the way operators often paste it (lowercase); the config must canonicalise it.
    return NetSuiteConfig(
        account_id="1234567_sb1",
        consumer_key="ck-4a3f",
        consumer_secret="cs-secret/with+chars",
        token_id="tid-52cf",
        token_secret="ts-secret&more",
        timeout=5.0,
    )


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(config: NetSuiteConfig, sleeps: list[float]) -> Iterator[NetSuiteClient]:
    # The clock only moves by what the client "slept", so time budgets are exact in tests.
    with NetSuiteClient(config, sleep=sleeps.append, clock=lambda: sum(sleeps), rng=random.Random(7)) as c:
        yield c


@pytest.fixture
def netsuite() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router
