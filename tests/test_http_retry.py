"""The retry implementation the connectors share (``vendorsync.http_retry``).

The connectors' own suites (tests/amazon, tests/netsuite) pin the behaviour through the real
clients against respx; these tests pin the pieces: Retry-After parsing, the one jitter formula,
the call budget, and that a connector-supplied predicate decides what is retried at all.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from vendorsync.http_retry import (
    RetryPolicy,
    backoff_ceiling,
    call_retrying,
    jittered_backoff,
    parse_retry_after,
)

NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
POLICY = RetryPolicy(
    max_attempts=5,
    backoff_initial=1.0,
    backoff_max=60.0,
    max_sleep=20.0,
    call_budget=90.0,
    attempt_timeout=5.0,
)


class Flaky(Exception):
    def __init__(self, retry_after: float | None = None) -> None:
        super().__init__("flaky")
        self.retry_after = retry_after


class Fatal(Exception):
    pass


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),  # never a negative sleep
        ("Tue, 01 Dec 2026 12:00:30 GMT", 30.0),  # HTTP-date
        ("Tue, 01 Dec 2026 11:59:00 GMT", 0.0),  # a date in the past: retry now
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_the_backoff_is_the_exponential_ceiling_jittered_by_half_either_way() -> None:
    assert [backoff_ceiling(n, initial=1.0, maximum=10.0) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 10.0]
    rng = random.Random(11)
    waits = [jittered_backoff(3, initial=1.0, maximum=10.0, uniform=rng.uniform) for _ in range(500)]
    assert all(2.0 <= w <= 6.0 for w in waits)
    # Spread over the whole band, not clustered: threads that failed together come back apart.
    assert min(waits) < 2.2 and max(waits) > 5.8
    assert 3.8 < sum(waits) / len(waits) < 4.2  # centred on the nominal schedule


def test_the_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(
            max_attempts=0, backoff_initial=1, backoff_max=1, max_sleep=1, call_budget=1, attempt_timeout=1
        )
    with pytest.raises(ValueError, match="call_budget"):
        RetryPolicy(
            max_attempts=1, backoff_initial=1, backoff_max=1, max_sleep=1, call_budget=0, attempt_timeout=1
        )
    with pytest.raises(ValueError, match="max_sleep"):
        RetryPolicy(
            max_attempts=1, backoff_initial=1, backoff_max=1, max_sleep=-1, call_budget=1, attempt_timeout=1
        )


class Harness:
    """A fake clock moved only by the recorded sleeps, and a callable failing as scripted."""

    def __init__(self, outcomes: list[BaseException | str]) -> None:
        self.outcomes = outcomes
        self.sleeps: list[float] = []
        self.calls = 0

    def clock(self) -> float:
        return sum(self.sleeps)

    def fn(self) -> str:
        outcome = self.outcomes[min(self.calls, len(self.outcomes) - 1)]
        self.calls += 1
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def retrying(self, policy: RetryPolicy = POLICY, *, once: bool = False):
        return call_retrying(
            policy,
            retry=lambda exc: isinstance(exc, Flaky),
            clock=self.clock,
            sleep=self.sleeps.append,
            uniform=random.Random(5).uniform,
            once=once,
        )


def test_retryable_failures_are_retried_until_success() -> None:
    harness = Harness([Flaky(), Flaky(retry_after=3.0), "ok"])
    retrying = harness.retrying()
    assert retrying(harness.fn) == "ok"
    assert harness.calls == 3 and retrying.attempts == 3
    assert 0.5 <= harness.sleeps[0] <= 1.5
    assert 3.0 <= harness.sleeps[1] <= 4.0  # the server's hint plus under a second of jitter


def test_what_the_connector_does_not_call_retryable_is_raised_at_once() -> None:
    harness = Harness([Fatal(), "ok"])
    with pytest.raises(Fatal):
        harness.retrying()(harness.fn)
    assert harness.calls == 1 and harness.sleeps == []


def test_once_makes_exactly_one_attempt_and_reraises_the_failure_unchanged() -> None:
    failure = Flaky()
    harness = Harness([failure, "ok"])
    with pytest.raises(Flaky) as caught:
        harness.retrying(once=True)(harness.fn)
    assert caught.value is failure
    assert harness.calls == 1 and harness.sleeps == []


def test_a_retry_after_above_max_sleep_stops_at_once_and_is_reported() -> None:
    harness = Harness([Flaky(retry_after=45.0), "ok"])
    retrying = harness.retrying()
    with pytest.raises(Flaky) as caught:
        retrying(harness.fn)
    assert harness.calls == 1 and harness.sleeps == []
    assert retrying.retry_after_hint(caught.value.retry_after) == 45.0


def test_the_budget_refuses_a_wait_that_would_overrun_and_reports_it() -> None:
    harness = Harness([Flaky(retry_after=19.0)])
    policy = RetryPolicy(
        max_attempts=50, backoff_initial=1, backoff_max=60, max_sleep=20, call_budget=90, attempt_timeout=5
    )
    retrying = harness.retrying(policy)
    with pytest.raises(Flaky):
        retrying(harness.fn)
    # four waits of 19-20 s; a fifth plus one more 5 s attempt would pass 90 s
    assert len(harness.sleeps) == 4 and harness.calls == 5
    assert sum(harness.sleeps) + 5 <= 90 < sum(harness.sleeps) + retrying.budget.refused_wait + 5
    assert retrying.retry_after_hint(None) == retrying.budget.refused_wait


def test_after_the_last_attempt_the_hint_is_the_next_backoff() -> None:
    harness = Harness([Flaky()])
    retrying = harness.retrying(
        RetryPolicy(
            max_attempts=3, backoff_initial=1, backoff_max=60, max_sleep=20, call_budget=90, attempt_timeout=5
        )
    )
    with pytest.raises(Flaky):
        retrying(harness.fn)
    assert harness.calls == 3
    assert retrying.retry_after_hint(None) == 8.0  # ceiling after the 4th attempt: 1·2^3
