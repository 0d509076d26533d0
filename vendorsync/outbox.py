"""The outbox relay: the only path by which anything is written to NetSuite or Amazon.

Delivery is at-least-once: a message is marked ``sent`` only *after* the remote call succeeded,
so a crash in between sends it again — which is harmless because every handler writes with an
idempotent key (NetSuite ``PUT …/eid:<external_key>``, Amazon transaction ids). No database
transaction is open while a handler talks to the network.

Handlers are registered per (target, operation) by the apps that own the business change
(``orders`` registers sales-order creation, ``reconciliation`` the postings), so this module knows
no business rules.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from vendorsync import services
from vendorsync.errors import AmbiguousWriteError, AuthError, DeliveryResult, RejectedError, RetryableError
from vendorsync.models import OutboxMessage, Team

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxMessage], DeliveryResult]
# Looks the record a message writes up in the remote system by its external id: the result when it is
# there, None when it is not. Called before a retry after an ambiguous outcome.
Lookup = Callable[[OutboxMessage], DeliveryResult | None]
_HANDLERS: dict[tuple[str, str], Handler] = {}
_OWNERS: dict[tuple[str, str], str] = {}
_LOOKUPS: dict[tuple[str, str], Lookup] = {}


def register_handler(
    target: str, operation: str, *, owner_team: str = Team.OPS, lookup: Lookup | None = None
) -> Callable[[Handler], Handler]:
    """Register the delivery of one operation; ``owner_team`` gets the exception when it fails for good.

    ``lookup`` finds the record by its external id in the remote system (see :data:`Lookup`).
    """

    def decorator(func: Handler) -> Handler:
        _HANDLERS[(target, operation)] = func
        _OWNERS[(target, operation)] = owner_team
        if lookup is not None:
            _LOOKUPS[(target, operation)] = lookup
        return func

    return decorator


def handler_for(message: OutboxMessage) -> Handler | None:
    return _HANDLERS.get((message.target, message.operation))


def owner_of(message: OutboxMessage) -> str:
    return _OWNERS.get((message.target, message.operation), Team.OPS)


@dataclass
class RelayReport:
    claimed: int = 0
    sent: int = 0
    retry: int = 0
    needs_review: int = 0
    dead: int = 0
    reclaimed: int = 0
    released: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def deliver(message: OutboxMessage, report: RelayReport) -> None:
    """Call the handler for one claimed message and record the outcome."""
    handler = handler_for(message)
    if handler is None:
        services.outbox_mark_failed(
            owner_team=owner_of(message),
            message=message,
            error=f"No handler for {message.target}:{message.operation}.",
            retryable=False,
        )
        report.needs_review += 1
        return
    try:
        result = handler(message)
    except RejectedError as exc:
        outcome = services.outbox_mark_failed(
            owner_team=owner_of(message), message=message, error=str(exc), retryable=False
        )
    except AuthError as exc:
        # Credentials do not fix themselves by retrying; a person must look at the settings.
        outcome = services.outbox_mark_failed(
            owner_team=owner_of(message),
            message=message,
            error=f"Authentication failed: {exc}",
            retryable=False,
        )
    except AmbiguousWriteError as exc:
        # The remote may hold the record already; sending again could duplicate it.
        outcome = services.outbox_mark_failed(
            owner_team=owner_of(message),
            message=message,
            error=f"The write may have reached the remote system ({exc}); check for {message.external_key} "
            "there before sending it again.",
            retryable=False,
        )
    except (RetryableError, httpx.TimeoutException, httpx.TransportError) as exc:
        retry_after = getattr(exc, "retry_after", None)
        outcome = services.outbox_mark_failed(
            owner_team=owner_of(message),
            message=message,
            error=f"{type(exc).__name__}: {exc}",
            retryable=True,
            retry_after=retry_after,
        )
    except (ValueError, TypeError) as exc:
        # The payload itself is invalid (a bad SSCC, a float amount, a naive date): retrying the same
        # payload cannot succeed.
        outcome = services.outbox_mark_failed(
            owner_team=owner_of(message), message=message, error=f"Invalid payload: {exc}", retryable=False
        )
    except SoftTimeLimitExceeded:
        raise  # the task is out of time; relay_once puts this message and the rest back
    except Exception as exc:  # noqa: BLE001 - an unexpected bug must not kill the relay for every message
        logger.exception("Outbox handler crashed for %s", message.external_key)
        outcome = services.outbox_mark_failed(
            owner_team=owner_of(message),
            message=message,
            error=f"{type(exc).__name__}: {exc}",
            retryable=True,
        )
    else:
        services.outbox_mark_sent(
            message=message, remote_id=result.remote_id, response_excerpt=result.response_excerpt
        )
        report.sent += 1
        return
    setattr(report, outcome.state, getattr(report, outcome.state) + 1)


def relay_once(*, limit: int | None = None, budget_seconds: float | None = None) -> RelayReport:
    """Reclaim stale sends, then claim and deliver the messages that are due.

    Stops starting new deliveries once ``budget_seconds`` (default: what the Celery soft time limit
    leaves after one connector call's own budget) has passed and puts the claimed rest back, so a
    task never dies with messages stranded in ``sending``.
    """
    report = RelayReport()
    budget = settings.OUTBOX_RELAY_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    report.reclaimed = services.outbox_reclaim_stale(
        older_than=timedelta(seconds=settings.TASK_TIME_LIMIT * 2)
    )
    claimed = services.outbox_claim_due(limit=limit or settings.OUTBOX_BATCH_SIZE)
    report.claimed = len(claimed)
    for index, message in enumerate(claimed):
        if time.monotonic() >= deadline:
            report.released += services.outbox_release(messages=claimed[index:])
            break
        try:
            deliver(message, report)
        except SoftTimeLimitExceeded:
            services.outbox_mark_failed(
                owner_team=owner_of(message),
                message=message,
                error="The relay ran out of time.",
                retryable=True,
            )
            report.released += services.outbox_release(messages=claimed[index + 1 :])
            raise
    return report


@register_handler("test", "echo")
def _echo(message: OutboxMessage) -> DeliveryResult:
    """Delivers nothing anywhere; lets an operator check that the relay is alive."""
    return DeliveryResult(remote_id=message.external_key, response_excerpt="echo")


def summary() -> dict[str, Any]:
    from django.db.models import Count

    return dict(OutboxMessage.objects.values_list("state").annotate(n=Count("id")).order_by())
