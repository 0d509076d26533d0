"""Where the connectors get their configuration and their transport — the only such place.

- ``VENDORSYNC_SANDBOX=1`` (the embedded default): the clients talk to the simulators in this
  process through ``httpx.WSGITransport``, with the simulators' demo credentials. Nothing leaves
  the machine, and every flow can be run end to end.
- ``VENDORSYNC_SANDBOX=0``: the clients use the configured endpoints and credentials (AMAZON_*,
  NETSUITE_*) — the real systems, or ``manage.py sandbox serve`` on a port.

Sync flows and outbox handlers call ``amazon_client()`` / ``netsuite_client()`` and never build
clients themselves, so nothing is hard-wired to the simulators. Each call returns a new client with
its own connection pool: use it as a context manager (``with netsuite_client() as client:``) so the
pool is closed when the work is done. Access tokens and rate-limit buckets are shared per process
whatever the number of client objects. Outbox handlers pass ``retry_writes=False``: the outbox owns
the retries of its writes (one HTTP attempt per delivery attempt), while reads still retry.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings

from vendorsync.amazon import AmazonConfig, AmazonVendorClient
from vendorsync.netsuite import NetSuiteClient, NetSuiteConfig

# Made-up hosts: requests to them only ever reach the in-process simulators.
SANDBOX_AMAZON_URL = "https://amazon.sandbox.vendorsync.invalid"
SANDBOX_NETSUITE_URL = "https://netsuite.sandbox.vendorsync.invalid"


def _sandbox_dir() -> Path:
    return Path(settings.VAR_DIR) / "sandbox"


@cache
def _amazon_app(store_dir: str) -> Any:
    from vendorsync.sandbox.amazon import make_app

    return make_app(Path(store_dir) / "amazon.sqlite3")


@cache
def _netsuite_app(store_dir: str) -> Any:
    from vendorsync.sandbox.netsuite import make_app

    return make_app(Path(store_dir) / "netsuite.sqlite3")


def amazon_client(*, retry_writes: bool = True) -> AmazonVendorClient:
    """A new SP-API client. ``retry_writes=False`` for outbox handlers: one attempt per POST."""
    if not settings.SANDBOX:
        return AmazonVendorClient(AmazonConfig.from_settings(), retry_writes=retry_writes)
    from vendorsync.sandbox.amazon import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REFRESH_TOKEN
    from vendorsync.sandbox.clock import SimClock

    config = AmazonConfig.from_settings(
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        refresh_token=DEMO_REFRESH_TOKEN,
        endpoint=SANDBOX_AMAZON_URL,
        lwa_token_url=f"{SANDBOX_AMAZON_URL}/auth/o2/token",
    )
    return AmazonVendorClient(
        config,
        transport=httpx.WSGITransport(app=_amazon_app(str(_sandbox_dir()))),
        # "Now" is the simulated now (`sandbox advance` moves it ahead of the wall clock): a
        # one-sided range ("changed since the last sync") must end there, or every PO the
        # simulator made after the real now would be left out.
        utc_now=SimClock(_sandbox_dir() / "clock.json").now,
        retry_writes=retry_writes,
    )


def netsuite_client(*, retry_writes: bool = True) -> NetSuiteClient:
    """A new NetSuite client. ``retry_writes=False`` for outbox handlers: one attempt per write."""
    if not settings.SANDBOX:
        return NetSuiteClient(NetSuiteConfig.from_settings(), retry_writes=retry_writes)
    from vendorsync.sandbox import netsuite as simulator

    config = NetSuiteConfig(
        account_id=simulator.ACCOUNT_ID,
        consumer_key=simulator.CONSUMER_KEY,
        consumer_secret=simulator.CONSUMER_SECRET,
        token_id=simulator.TOKEN_ID,
        token_secret=simulator.TOKEN_SECRET,
        base_url=SANDBOX_NETSUITE_URL,
        timeout=settings.HTTP_TIMEOUT_SECONDS,
    )
    return NetSuiteClient(
        config,
        transport=httpx.WSGITransport(app=_netsuite_app(str(_sandbox_dir()))),
        retry_writes=retry_writes,
    )
