"""The outbox relay: the only path by which anything is written to NetSuite or Amazon.

Delivery is at-least-once with a look-up before any repeat: a message is marked ``sent`` only
after the remote call succeeded, or after its handler's ``lookup`` found the record by external
id. No database transaction is open while a handler talks to the network.

Retries belong to this layer alone. Handlers build their clients with ``retry_writes=False``, so
one handler call makes at most one remote write, and a message gets at most
``OUTBOX_MAX_ATTEMPTS`` handler calls: its **write budget** is ``OUTBOX_MAX_ATTEMPTS`` remote
writes over its whole life (8 by default), whatever fails. After an ambiguous outcome (timeout,
5xx after sending, ``AmbiguousWriteError``, a crash detected by an expired lease) the next attempt
first calls the handler's ``lookup``: found → ``sent`` with the remote id; not found → write.

A relay claims a batch under one claim id with a short lease (``OUTBOX_LEASE_SECONDS``) and a
background thread renews it while the relay runs; if the worker dies, the rows are due again when
the lease lapses, not after the task time limit.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from types import TracebackType

import httpx
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection

from vendorsync.errors import AmbiguousWriteError, AuthError, DeliveryResult, RejectedError, RetryableError
from vendorsync.models import OutboxMessage, OutboxState
from vendorsync.outbox import services
from vendorsync.outbox.registry import Registration, lookup_for, registration_for

logger = logging.getLogger(__name__)


@dataclass
class RelayReport:
    claimed: int = 0
    sent: int = 0
    found: int = 0  # of ``sent``: found by external id after an ambiguous outcome, not written again
    retry: int = 0
    needs_review: int = 0
    dead: int = 0
    reclaimed: int = 0
    released: int = 0
    lost_claims: int = 0  # another relay had taken the message over; nothing recorded

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    def count(self, outcome: OutboxMessage | None) -> None:
        if outcome is None:
            self.lost_claims += 1
        elif outcome.state == OutboxState.RETRY:
            self.retry += 1
        elif outcome.state == OutboxState.NEEDS_REVIEW:
            self.needs_review += 1
        elif outcome.state == OutboxState.DEAD:
            self.dead += 1
        elif outcome.state == OutboxState.SENT:
            self.sent += 1


@dataclass(frozen=True)
class Failure:
    """How the relay reads a handler's exception."""

    error: str
    error_class: str
    retryable: bool
    outcome_unknown: bool
    retry_after: float | None = None


def _class_name(exc: BaseException) -> str:
    code = getattr(exc, "error_code", None)
    return f"{type(exc).__name__}:{code}" if code else type(exc).__name__


def classify(exc: Exception, *, can_check: bool, target: str, key: str) -> Failure:
    """Turn a handler's exception into retry / review, and say whether the write may have happened."""
    name = _class_name(exc)
    if isinstance(exc, RejectedError):
        return Failure(str(exc), name, retryable=False, outcome_unknown=False)
    if isinstance(exc, AuthError):
        # Credentials do not fix themselves by retrying; a person must look at the settings.
        return Failure(f"Authentication failed: {exc}", type(exc).__name__, False, False)
    if isinstance(exc, AmbiguousWriteError):
        if can_check:
            return Failure(f"{type(exc).__name__}: {exc}", type(exc).__name__, True, True, exc.retry_after)
        # A non-idempotent write with no way to look it up: sending again could duplicate it.
        return Failure(
            f"The write may have reached {target} ({exc}); check for {key} there before sending it again.",
            type(exc).__name__,
            retryable=False,
            outcome_unknown=True,
        )
    if isinstance(exc, RetryableError):
        # 429 is a refusal before the request ran; anything else (5xx, timeout) may have written.
        return Failure(f"{name}: {exc}", name, True, exc.status != 429, exc.retry_after)
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return Failure(f"{name}: {exc}", name, True, False)
    if isinstance(exc, httpx.TransportError):
        return Failure(f"{name}: {exc}", name, True, True)
    if isinstance(exc, ValueError | TypeError):
        # The payload itself is invalid (a bad SSCC, a float amount): the same payload cannot succeed.
        return Failure(f"Invalid payload: {exc}", name, False, False)
    # An unexpected bug in a handler, possibly after its write.
    return Failure(f"{name}: {exc}", name, True, True)


def _fail(message: OutboxMessage, failure: Failure, *, can_check: bool) -> OutboxMessage | None:
    return services.outbox_mark_failed(
        message=message,
        error=failure.error,
        error_class=failure.error_class,
        retryable=failure.retryable,
        outcome_unknown=failure.outcome_unknown,
        can_check=can_check,
        retry_after=failure.retry_after,
    )


def _look_up(message: OutboxMessage, registration: Registration, report: RelayReport) -> bool:
    """After an ambiguous outcome: True when the outcome is settled (found, or recorded as failed)."""
    assert registration.lookup is not None
    try:
        found = registration.lookup(message)
    except SoftTimeLimitExceeded:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the lookup raised, we still cannot tell
        failure = classify(exc, can_check=True, target=message.target, key=message.external_key)
        report.count(
            _fail(
                message,
                Failure(
                    f"Could not check {message.get_target_display()} for {message.external_key}: "
                    f"{failure.error}",
                    failure.error_class,
                    retryable=failure.retryable,
                    outcome_unknown=True,
                    retry_after=failure.retry_after,
                ),
                can_check=True,
            )
        )
        return True
    if found is not None:
        outcome = services.outbox_mark_sent(
            message=message,
            remote_id=found.remote_id,
            response_excerpt=found.response_excerpt,
            reason="Found by external id after an ambiguous outcome; not written again.",
        )
        report.count(outcome)
        if outcome is not None:
            report.found += 1
        return True
    return False


def deliver(message: OutboxMessage, report: RelayReport) -> None:
    """Deliver one claimed message (look-up first when its last outcome was ambiguous) and record it."""
    registration = registration_for(message)
    if registration is None:
        report.count(
            services.outbox_mark_failed(
                message=message,
                error=f"No handler for {message.target}:{message.operation}.",
                error_class="NoHandler",
                retryable=False,
            )
        )
        return
    can_check = registration.lookup is not None
    if message.outcome_unknown and can_check and _look_up(message, registration, report):
        return
    if message.attempts > settings.OUTBOX_MAX_ATTEMPTS:
        # The final check found nothing: the write budget is spent and the remote does not hold it.
        report.count(
            services.outbox_mark_failed(
                message=message,
                error=f"{message.last_error} Not found by external id after "
                f"{settings.OUTBOX_MAX_ATTEMPTS} attempts.",
                error_class=message.error_class,
                retryable=True,
                outcome_unknown=not can_check,
            )
        )
        return
    try:
        result: DeliveryResult = registration.deliver(message)
    except SoftTimeLimitExceeded:
        raise  # the task is out of time; relay_once records this message and puts the rest back
    except Exception as exc:  # noqa: BLE001 - classified; a bug must not kill the relay for every message
        if not isinstance(exc, RetryableError | RejectedError | AuthError | ValueError | TypeError):
            logger.exception("Outbox handler crashed for %s", message.external_key)
        failure = classify(exc, can_check=can_check, target=message.target, key=message.external_key)
        report.count(_fail(message, failure, can_check=can_check))
        return
    report.count(
        services.outbox_mark_sent(
            message=message, remote_id=result.remote_id, response_excerpt=result.response_excerpt
        )
    )


class LeaseKeeper:
    """Renews a claim's lease every third of ``OUTBOX_LEASE_SECONDS`` from a background thread.

    It stops with the relay, and on its own after ``TASK_TIME_LIMIT`` seconds: a relay stuck that
    long is treated as stalled and its rows are reclaimed once the lease lapses.
    """

    def __init__(self, claim_id: uuid.UUID) -> None:
        self.claim_id = claim_id
        self.interval = settings.OUTBOX_LEASE_SECONDS / 3
        self.give_up_at = time.monotonic() + settings.TASK_TIME_LIMIT
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"outbox-lease-{claim_id}", daemon=True)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                if time.monotonic() > self.give_up_at:
                    logger.warning("Outbox relay %s stalled; letting its lease lapse.", self.claim_id)
                    return
                try:
                    services.outbox_renew_lease(claim_id=self.claim_id)
                except Exception:  # noqa: BLE001 - a missed renewal only shortens the lease
                    logger.exception("Could not renew the outbox lease %s", self.claim_id)
        finally:
            connection.close()  # this thread's own database connection

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def relay_once(*, limit: int | None = None, budget_seconds: float | None = None) -> RelayReport:
    """Reclaim rows whose lease expired, then claim and deliver due messages batch after batch.

    Each batch is one claim (``limit`` rows, default ``OUTBOX_BATCH_SIZE``) under its own lease;
    the run goes on while full batches keep coming, so a backlog drains in one task rather than
    one batch per beat sweep. It stops starting new deliveries once ``budget_seconds`` (default:
    what the Celery soft time limit leaves after one connector call's own budget) has passed and
    puts the claimed rest back, so a task never dies with messages stranded in ``sending``.
    """
    report = RelayReport()
    budget = settings.OUTBOX_RELAY_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    limit = limit or settings.OUTBOX_BATCH_SIZE
    report.reclaimed = services.outbox_reclaim_expired()
    while True:
        claim_id = uuid.uuid4()
        claimed = services.outbox_claim_due(limit=limit, claim_id=claim_id)
        report.claimed += len(claimed)
        if not claimed:
            return report
        with LeaseKeeper(claim_id):
            for index, message in enumerate(claimed):
                if time.monotonic() >= deadline:
                    report.released += services.outbox_release(messages=claimed[index:])
                    return report
                try:
                    deliver(message, report)
                except SoftTimeLimitExceeded:
                    services.outbox_mark_failed(
                        message=message,
                        error="The relay ran out of time while sending this message.",
                        error_class="SoftTimeLimitExceeded",
                        retryable=True,
                        outcome_unknown=True,
                        can_check=lookup_for(message) is not None,
                    )
                    report.released += services.outbox_release(messages=claimed[index + 1 :])
                    raise
        if len(claimed) < limit or time.monotonic() >= deadline:
            return report
