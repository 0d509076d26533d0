"""Bounded retries for one connector call: the one implementation the Amazon and NetSuite clients share.

Both remote systems ask to be retried the same way: on throttling (429), 5xx, timeouts and
transport errors, honouring ``Retry-After`` when the server sends one and otherwise backing off
exponentially with jitter. Sleeping is only sensible for short waits inside a worker: a Celery
task is killed after 300 s (soft limit 270 s) and the outbox relay runs several deliveries per
task. So every public call has

- an attempt limit (``max_attempts``, first try included),
- a time budget (``call_budget``) covering all its attempts and sleeps: a retry starts only if
  its sleep *and* one more attempt of up to ``attempt_timeout`` still fit,
- a cap on any single sleep (``max_sleep``): a ``Retry-After`` above it is not slept through at
  all; the call gives up at once and the error carries ``retry_after`` so the outbox reschedules.

The backoff is ``min(backoff_max, backoff_initial · 2^(n-1))`` randomised by ×U(0.5, 1.5) (the
"randomization factor 0.5" of Google's ExponentialBackOff): the mean follows the nominal schedule
while the threads of a worker that failed together do not come back in lock-step. A server's
``Retry-After`` gets 0-1 s of jitter on top for the same reason. Never more than ``max_sleep``.

This module is neutral on purpose: it imports tenacity and the standard library only, never
Django, the core models/services or a connector, so any connector can use it. The connector
decides *what* is retried (its own predicate over its own exceptions); an exception's
``retry_after`` attribute, when set, is the server's hint.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base
from tenacity.wait import wait_base

Uniform = Callable[[float, float], float]

# ×U(1 - JITTER, 1 + JITTER) around the exponential ceiling.
JITTER = 0.5
# Up to this many seconds added to a server's Retry-After.
RETRY_AFTER_JITTER = 1.0


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date); None if absent or garbled.

    A date in the past means "now" (0.0). NaN, infinities and negative numbers are clamped or
    refused so no caller can end up sleeping forever.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds == float("inf"):  # NaN / inf: garbled
        return None
    return max(0.0, seconds)


def backoff_ceiling(attempt_number: int, *, initial: float, maximum: float) -> float:
    """``min(maximum, initial · 2^(n-1))``: the nominal wait after the n-th failed attempt."""
    return min(maximum, initial * 2 ** max(attempt_number - 1, 0))


def jittered_backoff(attempt_number: int, *, initial: float, maximum: float, uniform: Uniform) -> float:
    """The backoff after the n-th failed attempt: its ceiling × U(0.5, 1.5)."""
    return backoff_ceiling(attempt_number, initial=initial, maximum=maximum) * uniform(1 - JITTER, 1 + JITTER)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one public call tries (see the module docstring for what each knob bounds)."""

    max_attempts: int
    backoff_initial: float
    backoff_max: float
    max_sleep: float
    call_budget: float
    attempt_timeout: float

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff_initial < 0 or self.backoff_max < 0:
            raise ValueError("backoff_initial and backoff_max must not be negative")
        if self.max_sleep < 0:
            raise ValueError("max_sleep must not be negative")
        if self.call_budget <= 0:
            raise ValueError("call_budget must be positive seconds")


class CallBudget:
    """The elapsed (monotonic) time one public call may spend over every attempt and sleep.

    ``refused_wait`` remembers the wait that did not fit; it becomes the error's ``retry_after``
    so the outbox waits at least that long before it tries again.
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
        """Whether a sleep of ``wait`` followed by one more full attempt ends within the budget."""
        return self.elapsed() + wait + self.attempt_timeout <= self.total


def _retry_after(retry_state: RetryCallState) -> float | None:
    outcome = retry_state.outcome
    if outcome is None or not outcome.failed:
        return None
    value = getattr(outcome.exception(), "retry_after", None)
    return None if value is None else float(value)


class wait_retry_after_or_backoff(wait_base):  # noqa: N801 - tenacity's naming style
    """Honour the server's Retry-After (+0-1 s of jitter) or back off (``jittered_backoff``); ≤ max_sleep."""

    def __init__(self, policy: RetryPolicy, uniform: Uniform) -> None:
        self._policy = policy
        self._uniform = uniform

    def __call__(self, retry_state: RetryCallState) -> float:
        retry_after = _retry_after(retry_state)
        if retry_after is not None:
            wait = retry_after + self._uniform(0.0, RETRY_AFTER_JITTER)
        else:
            wait = jittered_backoff(
                retry_state.attempt_number,
                initial=self._policy.backoff_initial,
                maximum=self._policy.backoff_max,
                uniform=self._uniform,
            )
        return min(wait, self._policy.max_sleep)


class stop_on_long_retry_after(stop_base):  # noqa: N801 - tenacity's naming style
    """Stop instead of sleeping through a Retry-After longer than a worker should block."""

    def __init__(self, limit: float) -> None:
        self._limit = limit

    def __call__(self, retry_state: RetryCallState) -> bool:
        retry_after = _retry_after(retry_state)
        return retry_after is not None and retry_after > self._limit


class stop_when_over_budget(stop_base):  # noqa: N801 - tenacity's naming style
    """Stop when the upcoming sleep plus one more attempt would not fit the call's budget.

    Tenacity computes the wait before it asks the stop policy, so ``upcoming_sleep`` is the exact
    sleep that would follow.
    """

    def __init__(self, budget: CallBudget) -> None:
        self._budget = budget

    def __call__(self, retry_state: RetryCallState) -> bool:
        wait = retry_state.upcoming_sleep
        if self._budget.allows(wait):
            return False
        self._budget.refused_wait = wait
        return True


@dataclass
class CallRetrying:
    """One call's tenacity ``Retrying`` and the budget its stop policy measures."""

    retrying: Retrying
    budget: CallBudget
    policy: RetryPolicy

    def __call__[**P, T](self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return self.retrying(fn, *args, **kwargs)

    @property
    def attempts(self) -> int:
        """Attempts made so far (1 before the first one finishes)."""
        return int(self.retrying.statistics.get("attempt_number", 1))

    def retry_after_hint(self, server_hint: float | None) -> float:
        """The ``retry_after`` to report once the call gives up on a retryable failure.

        The server's own hint if it sent one, else the wait the budget refused, else the next
        backoff ceiling: the outbox then never comes back sooner than we would have.
        """
        if server_hint is not None:
            return server_hint
        if self.budget.refused_wait is not None:
            return self.budget.refused_wait
        return backoff_ceiling(
            self.attempts + 1, initial=self.policy.backoff_initial, maximum=self.policy.backoff_max
        )


def call_retrying(
    policy: RetryPolicy,
    *,
    retry: Callable[[BaseException], bool],
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    uniform: Uniform = random.uniform,
    before_sleep: Callable[[RetryCallState], None] | None = None,
    once: bool = False,
) -> CallRetrying:
    """A fresh ``Retrying`` for one public call (tenacity objects hold per-call statistics).

    ``retry`` says which exceptions may be retried at all (the connector knows its own errors;
    an ambiguous write, for instance, never is). ``once`` makes exactly one attempt whatever the
    exception: a write whose retries the outbox owns. The last exception is re-raised unchanged.
    """
    budget = CallBudget(policy.call_budget, policy.attempt_timeout, clock)
    attempts = 1 if once else policy.max_attempts
    retrying = Retrying(
        sleep=sleep,
        stop=stop_after_attempt(attempts)
        | stop_on_long_retry_after(policy.max_sleep)
        | stop_when_over_budget(budget),
        wait=wait_retry_after_or_backoff(policy, uniform),
        retry=retry_if_exception(retry),
        before_sleep=before_sleep,
        reraise=True,
    )
    return CallRetrying(retrying=retrying, budget=budget, policy=policy)
