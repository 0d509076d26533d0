"""Bounded retries for one SP-API call: Retry-After first, else exponential backoff with jitter.

Amazon asks clients to back off on 429 and 5xx. Sleeping is only sensible for short waits
inside a worker: a Retry-After beyond ``max_retry_after`` (or the last attempt) ends the call
with ``AmazonRetryableError(retry_after=…)`` and the outbox relay reschedules the delivery.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import RetryCallState, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from .errors import TransientFailure


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent/garbled."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _failure(retry_state: RetryCallState) -> TransientFailure | None:
    outcome = retry_state.outcome
    if outcome is None or not outcome.failed:
        return None
    exc = outcome.exception()
    return exc if isinstance(exc, TransientFailure) else None


class wait_retry_after_or_backoff(wait_base):  # noqa: N801 - tenacity's naming style
    """Honour the server's Retry-After when it gave one; otherwise back off exponentially + jitter."""

    def __init__(self, *, initial: float, maximum: float) -> None:
        self._initial = initial
        self._maximum = maximum

    def backoff(self, attempt_number: int) -> float:
        """``initial * 2**(n-1)`` plus up to ``initial`` of random jitter, never above ``maximum``.

        The jitter spreads the retries of many workers that failed together (one 429 burst).
        """
        exponential = self._initial * 2 ** max(attempt_number - 1, 0)
        return min(self._maximum, exponential + random.uniform(0, self._initial))

    def __call__(self, retry_state: RetryCallState) -> float:
        failure = _failure(retry_state)
        if failure is not None and failure.retry_after is not None:
            return failure.retry_after
        return self.backoff(retry_state.attempt_number)


class stop_on_long_retry_after(stop_base):  # noqa: N801 - tenacity's naming style
    """Stop instead of sleeping through a Retry-After longer than the worker should block."""

    def __init__(self, limit: float) -> None:
        self._limit = limit

    def __call__(self, retry_state: RetryCallState) -> bool:
        failure = _failure(retry_state)
        return failure is not None and failure.retry_after is not None and failure.retry_after > self._limit


def stop_policy(max_attempts: int, max_retry_after: float) -> stop_base:
    return stop_after_attempt(max_attempts) | stop_on_long_retry_after(max_retry_after)


def suggested_retry_after(
    failure: TransientFailure, attempts: int, *, initial: float, maximum: float
) -> float:
    """The ``retry_after`` to report once we give up: the server's hint, else the next backoff."""
    if failure.retry_after is not None:
        return failure.retry_after
    return min(maximum, initial * 2 ** max(attempts, 0))
