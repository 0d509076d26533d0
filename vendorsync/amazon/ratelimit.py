"""Client-side token buckets that mirror Amazon's SP-API usage plans.

Amazon throttles per operation with a token bucket (rate = tokens added per second, burst =
bucket size; reference §2.3). Spending our own tokens first means a busy worker slows itself
down instead of collecting 429s. One bucket exists per (endpoint, refresh token, operation) in
each worker process and is shared by all of its threads and clients, because Amazon counts per
application + selling-partner authorisation (the refresh token's vendor group), not per
``AmazonVendorClient`` instance: two vendor accounts on one regional endpoint each have their own
usage plan, and pacing them through one bucket would halve both. The registry keys on a SHA-256
of the refresh token so the secret itself is never held as a dictionary key (or shown in a dump).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class UsagePlan:
    rate: float  # requests per second
    burst: int  # bucket capacity


# From the "Usage Plan" tables in the model descriptions (reference §2.3).
USAGE_PLANS: dict[str, UsagePlan] = {
    "getPurchaseOrders": UsagePlan(rate=10, burst=10),
    "getPurchaseOrder": UsagePlan(rate=10, burst=10),
    "submitAcknowledgement": UsagePlan(rate=10, burst=10),
    "getPurchaseOrdersStatus": UsagePlan(rate=10, burst=10),
    "submitShipmentConfirmations": UsagePlan(rate=10, burst=10),
    "submitInvoices": UsagePlan(rate=10, burst=10),
    "getTransaction": UsagePlan(rate=10, burst=20),
}
DEFAULT_PLAN = UsagePlan(rate=1, burst=1)


class TokenBucket:
    """A thread-safe token bucket with reservations.

    Invariants: ``0 <= tokens <= burst`` after every refill, except that a reservation may take
    the balance below zero; a negative balance is the queue of callers already promised a slot,
    so each new caller waits behind them (first come, first served) without busy-looping.
    """

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._rate = float(rate)
        self._burst = int(burst)
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = float(burst)  # start full: Amazon's bucket starts full too
        self._updated = clock()

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def burst(self) -> int:
        return self._burst

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(float(self._burst), self._tokens + elapsed * self._rate)
        self._updated = now

    def tokens(self) -> float:
        """The current balance (negative while callers are queued); for tests and metrics."""
        with self._lock:
            self._refill(self._clock())
            return self._tokens

    def reserve(self) -> float:
        """Take one token and return how many seconds the caller must wait before using it."""
        with self._lock:
            self._refill(self._clock())
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            return -self._tokens / self._rate

    def acquire(self, sleep: Callable[[float], None] = time.sleep) -> float:
        """Reserve a token and sleep until it is usable; returns the seconds slept."""
        wait = self.reserve()
        if wait > 0:
            sleep(wait)
        return wait

    def set_rate(self, rate: float) -> None:
        """Adopt the rate Amazon reports in ``x-amzn-RateLimit-Limit`` (burst stays as planned)."""
        if rate <= 0:
            return
        with self._lock:
            self._refill(self._clock())
            self._rate = float(rate)

    def drain(self) -> None:
        """After a 429: Amazon's bucket is empty, so ours must not believe it holds tokens."""
        with self._lock:
            self._refill(self._clock())
            self._tokens = min(self._tokens, 0.0)


_registry: dict[tuple[str, str, str], TokenBucket] = {}
_registry_lock = threading.Lock()


def account_key(refresh_token: str) -> str:
    """The registry's name for one authorisation: a SHA-256 of its refresh token, never the token."""
    return hashlib.sha256(refresh_token.encode()).hexdigest()


def bucket_for(
    endpoint: str,
    operation: str,
    *,
    refresh_token: str,
    clock: Callable[[], float] = time.monotonic,
) -> TokenBucket:
    """The process-wide bucket for one operation of one authorisation on one SP-API endpoint.

    Created on first use; keyed by (endpoint, SHA-256 of ``refresh_token``, operation).
    """
    key = (endpoint.rstrip("/"), account_key(refresh_token), operation)
    with _registry_lock:
        bucket = _registry.get(key)
        if bucket is None:
            plan = USAGE_PLANS.get(operation, DEFAULT_PLAN)
            bucket = TokenBucket(plan.rate, plan.burst, clock=clock)
            _registry[key] = bucket
        return bucket


def reset_buckets() -> None:
    """Forget every bucket (tests; a fresh process starts empty anyway)."""
    with _registry_lock:
        _registry.clear()
