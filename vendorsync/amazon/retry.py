"""Bounded retries for one SP-API call: Retry-After first, else exponential backoff with jitter.

Amazon asks clients to back off on 429 and 5xx. Sleeping is only sensible for short waits
inside a worker: a Celery task is killed after 300 s (soft limit 270 s), and the outbox relay
runs several deliveries per task. So every public call has a time budget (``call_budget``)
covering all its attempts and sleeps, and no single sleep exceeds ``max_sleep``. When the next
wait would not fit the budget, a Retry-After exceeds ``max_sleep``, or the last attempt failed,
the call ends with ``AmazonRetryableError(retry_after=…)`` and the outbox reschedules it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
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
    """Honour the server's Retry-After (plus 0-1 s of jitter) or back off exponentially + jitter.

    The jitter spreads the retries of a worker's threads that were throttled together: without
    it they would all come back at the same instant and collect the next 429 together. No
    wait is longer than ``max_sleep``.
    """

    def __init__(
        self,
        *,
        initial: float,
        maximum: float,
        max_sleep: float = float("inf"),
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self._initial = initial
        self._maximum = maximum
        self._max_sleep = max_sleep
        self._uniform = uniform

    def backoff(self, attempt_number: int) -> float:
        """``initial * 2**(n-1)`` plus up to ``initial`` of random jitter, never above ``maximum``."""
        exponential = self._initial * 2 ** max(attempt_number - 1, 0)
        return min(self._maximum, exponential + self._uniform(0, self._initial))

    def __call__(self, retry_state: RetryCallState) -> float:
        failure = _failure(retry_state)
        if failure is not None and failure.retry_after is not None:
            wait = failure.retry_after + self._uniform(0.0, 1.0)
        else:
            wait = self.backoff(retry_state.attempt_number)
        return min(wait, self._max_sleep)


class stop_on_long_retry_after(stop_base):  # noqa: N801 - tenacity's naming style
    """Stop instead of sleeping through a Retry-After longer than the worker should block."""

    def __init__(self, limit: float) -> None:
        self._limit = limit

    def __call__(self, retry_state: RetryCallState) -> bool:
        failure = _failure(retry_state)
        return failure is not None and failure.retry_after is not None and failure.retry_after > self._limit


class CallBudget:
    """The elapsed (monotonic) time one public call may spend over every attempt and sleep.

    ``attempt_timeout`` is how long the attempt after a sleep may take (the HTTP timeout): a
    retry is only started if the sleep *and* that attempt fit, so a call ends within
    ``total`` seconds (plus the token-bucket pacing) instead of overrunning it by a timeout.
    ``refused_wait`` remembers the wait that did not fit; it becomes the error's
    ``retry_after`` so the outbox waits at least that long before it tries again.
    """

    def __init__(self, total: float, attempt_timeout: float, clock: Callable[[], float]) -> None:
        self.total = total
        self.attempt_timeout = attempt_timeout
        self._clock = clock
        self.started = clock()
        self.refused_wait: float | None = None

    def elapsed(self) -> float:
        return self._clock() - self.started

    def allows(self, wait: float) -> bool:
        return self.elapsed() + wait + self.attempt_timeout <= self.total


class stop_when_over_budget(stop_base):  # noqa: N801 - tenacity's naming style
    """Stop when the upcoming sleep plus one more attempt would not fit the call's budget.

    Tenacity computes the wait before asking the stop policy, so ``upcoming_sleep`` is the
    exact sleep that would follow.
    """

    def __init__(self, budget: CallBudget) -> None:
        self._budget = budget

    def __call__(self, retry_state: RetryCallState) -> bool:
        wait = retry_state.upcoming_sleep
        if self._budget.allows(wait):
            return False
        self._budget.refused_wait = wait
        return True


def stop_policy(max_attempts: int, max_sleep: float, budget: CallBudget | None = None) -> stop_base:
    policy = stop_after_attempt(max_attempts) | stop_on_long_retry_after(max_sleep)
    return policy if budget is None else policy | stop_when_over_budget(budget)


def suggested_retry_after(
    failure: TransientFailure,
    attempts: int,
    *,
    initial: float,
    maximum: float,
    refused_wait: float | None = None,
) -> float:
    """The ``retry_after`` to report once we give up.

    The server's hint if it gave one, else the wait the budget refused, else the next backoff.
    """
    if failure.retry_after is not None:
        return failure.retry_after
    if refused_wait is not None:
        return refused_wait
    return min(maximum, initial * 2 ** max(attempts, 0))
