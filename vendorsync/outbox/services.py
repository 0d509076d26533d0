"""The outbox's state changes: enqueue, claim and lease, record outcomes, reclaim, resend.

Every function runs in a transaction and writes its ``AuditEvent`` there (except lease renewal,
which changes no state). No function here talks to a remote system; the relay
(``vendorsync.outbox.relay``) calls handlers between these transactions.

The relay is nudged by task *name* through Celery, so nothing here imports ``vendorsync.tasks``.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from vendorsync.bulk import insert_objects
from vendorsync.models import ExceptionCase, ExceptionKind, OutboxMessage, OutboxState, Severity, Team
from vendorsync.outbox.registry import lookup_for, owner_of
from vendorsync.roles import perm
from vendorsync.services import (
    audit_event,
    audit_record,
    audit_record_many,
    exception_raise,
    exception_resolve,
)

logger = logging.getLogger(__name__)

RELAY_TASK = "vendorsync.tasks.relay_outbox"
# The permission that makes a person part of a team: only a message's owning team may resend it.
TEAM_PERMISSION = {Team.OPS: "work_ops_exceptions", Team.FINANCE: "work_finance_exceptions"}
RESENDABLE = (OutboxState.NEEDS_REVIEW, OutboxState.DEAD)


# --- Enqueue --------------------------------------------------------------------------------------


def nudge_relay() -> None:
    """Ask a worker to run the relay now (by task name: this module must not import the tasks)."""
    from celery import current_app

    try:
        current_app.send_task(RELAY_TASK)
    except Exception:  # noqa: BLE001 - the sweep delivers anyway; a broker outage must not fail a request
        logger.warning("Could not nudge the outbox relay; the periodic sweep will deliver.")


def _nudge_relay_on_commit() -> None:
    """One nudge per transaction, however many messages it enqueues."""
    connection = transaction.get_connection()
    pending = getattr(connection, "run_on_commit", [])
    if not any(entry[1] is nudge_relay for entry in pending):
        transaction.on_commit(nudge_relay)


def outbox_enqueue(
    *, target: str, operation: str, external_key: str, payload: dict[str, Any]
) -> OutboxMessage:
    """Create a delivery in the caller's transaction; the relay is nudged once it commits.

    Refuses to run outside a transaction: a message committed on its own could be delivered for a
    business change that then rolls back. The row is the source of truth: if the nudge is lost
    (broker down), the beat sweep delivers it.
    """
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError(
            f"outbox_enqueue({operation!r}, {external_key!r}) must run inside the transaction of the "
            "business change it delivers: wrap both in transaction.atomic()."
        )
    message = OutboxMessage.objects.create(
        target=target, operation=operation, external_key=external_key, payload=payload
    )
    audit_record(
        actor=None,
        action="outbox.enqueued",
        subject=message,
        after={"operation": operation, "key": external_key},
    )
    _nudge_relay_on_commit()
    return message


def outbox_enqueue_many(
    *, target: str, operation: str, messages: Iterable[tuple[str, dict[str, Any]]]
) -> list[OutboxMessage]:
    """``outbox_enqueue`` for many ``(external_key, payload)`` of one handler: one INSERT per 500.

    Same semantics: inside the caller's transaction only, one ``outbox.enqueued`` audit row per
    message, the relay nudged once on commit, and an external key that is already queued is the
    same IntegrityError (the unique key is what makes a delivery happen once).
    """
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError(
            f"outbox_enqueue_many({operation!r}) must run inside the transaction of the business "
            "change it delivers: wrap both in transaction.atomic()."
        )
    rows = [
        OutboxMessage(target=target, operation=operation, external_key=key, payload=payload)
        for key, payload in messages
    ]
    if not rows:
        return []
    created = insert_objects(rows)
    audit_record_many(
        events=[
            audit_event(
                actor=None,
                action="outbox.enqueued",
                subject=message,
                after={"operation": operation, "key": message.external_key},
            )
            for message in created
        ]
    )
    _nudge_relay_on_commit()
    return created


def outbox_backoff(
    attempts: int, *, base: float | None = None, cap: float = 6 * 3600.0, rng: random.Random | None = None
) -> timedelta:
    """Exponential backoff with "equal jitter": uniform(c/2, c) where c = min(cap, base * 2**(attempts-1)).

    Jitter spreads retries of many messages that failed together; the lower half-bound keeps the
    delay growing so a struggling remote system gets real breathing room.
    """
    base = settings.OUTBOX_BACKOFF_SECONDS if base is None else base
    ceiling = min(cap, base * (2 ** max(attempts - 1, 0)))
    return timedelta(seconds=(rng or random).uniform(ceiling / 2, ceiling))


def _transition(
    message: OutboxMessage, *, state: str, action: str, reason: str = "", actor: Any = None, **fields: Any
) -> OutboxMessage:
    before = {"state": message.state, "attempts": message.attempts}
    message.state = state
    for key, value in fields.items():
        setattr(message, key, value)
    message.save(update_fields=["state", *fields.keys()])
    audit_record(
        actor=actor,
        action=action,
        subject=message,
        before=before,
        after={"state": state, "attempts": message.attempts},
        reason=reason or fields.get("last_error", ""),
    )
    return message


_RELEASED_CLAIM = {"claim_id": None, "lease_expires_at": None}


# --- Claims and leases ----------------------------------------------------------------------------


def lease_deadline(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def outbox_claim_due(
    *, limit: int, claim_id: uuid.UUID | None = None, now: datetime | None = None
) -> list[OutboxMessage]:
    """Move due messages to ``sending`` under one claim (one transaction) and return them.

    Each message is claimed by exactly one relay: on PostgreSQL concurrent relays skip each
    other's rows (SKIP LOCKED); on SQLite the write lock taken at BEGIN serialises claims. The
    claim holds until ``lease_expires_at``, which the relay renews while it runs.
    """
    now = now or timezone.now()
    claim_id = claim_id or uuid.uuid4()
    with transaction.atomic():
        query = OutboxMessage.objects.filter(
            state__in=[OutboxState.PENDING, OutboxState.RETRY], next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        query = query.select_for_update(skip_locked=settings.IS_POSTGRES)
        claimed = list(query[:limit])
        for message in claimed:
            _transition(
                message,
                state=OutboxState.SENDING,
                action="outbox.sending",
                attempts=message.attempts + 1,
                claimed_at=now,
                claim_id=claim_id,
                lease_expires_at=lease_deadline(now),
            )
        return claimed


def outbox_renew_lease(*, claim_id: uuid.UUID, now: datetime | None = None) -> int:
    """Extend the lease of a relay's unfinished rows (no audit row: nothing changes state)."""
    return OutboxMessage.objects.filter(claim_id=claim_id, state=OutboxState.SENDING).update(
        lease_expires_at=lease_deadline(now)
    )


def _lock_claimed(message: OutboxMessage) -> OutboxMessage | None:
    """The row, locked, if it is still this relay's claim; None when another relay took it over.

    A relay that stalled past its lease must not overwrite what the relay that reclaimed the
    message has recorded since: ``claim_id`` is the claim's token.
    """
    locked = OutboxMessage.objects.select_for_update().filter(pk=message.pk).first()
    if locked is None or locked.state != OutboxState.SENDING or locked.claim_id != message.claim_id:
        logger.warning(
            "Outbox %s was taken over by another relay; not recording this attempt.", message.external_key
        )
        return None
    return locked


def outbox_release(*, messages: list[OutboxMessage]) -> int:
    """Put claimed messages that were never attempted back in the queue, their attempt uncounted."""
    released = 0
    with transaction.atomic():
        for message in messages:
            locked = _lock_claimed(message)
            if locked is None:
                continue
            _transition(
                locked,
                state=OutboxState.RETRY,
                action="outbox.released",
                attempts=max(locked.attempts - 1, 0),
                next_attempt_at=timezone.now(),
                claimed_at=None,
                **_RELEASED_CLAIM,
            )
            released += 1
    return released


def outbox_reclaim_expired(*, now: datetime | None = None) -> int:
    """Take back ``sending`` rows whose lease expired: their relay died or stalled mid-delivery.

    The remote may hold the record (the crash may have come after the write), so each is due
    again at once, at the head of the queue, with ``outcome_unknown``: the relay looks it up before writing. A message whose
    write budget is spent gets only that look-up (a final check), or, without a lookup, goes to
    its owner team as ``dead``: a payload that kills the worker every time must not be redelivered
    for ever.
    """
    now = now or timezone.now()
    max_attempts = settings.OUTBOX_MAX_ATTEMPTS
    expired = Q(lease_expires_at__lt=now) | Q(
        lease_expires_at__isnull=True, claimed_at__lt=now - timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    )
    with transaction.atomic():
        stale = list(
            OutboxMessage.objects.select_for_update(skip_locked=settings.IS_POSTGRES).filter(
                expired, state=OutboxState.SENDING
            )
        )
        for message in stale:
            error = "The relay stopped while sending this message (its lease expired)."
            has_lookup = lookup_for(message) is not None
            if message.attempts > max_attempts or (message.attempts >= max_attempts and not has_lookup):
                state = OutboxState.NEEDS_REVIEW if has_lookup else OutboxState.DEAD
                failed = _transition(
                    message,
                    state=state,
                    action=f"outbox.{state}",
                    last_error=f"{error} The worker stopped on every attempt; check the payload.",
                    error_class="WorkerStopped",
                    outcome_unknown=True,
                    **_RELEASED_CLAIM,
                )
                _raise_review_case(failed)
                continue
            # next_attempt_at stays as it was (due, and older than anything claimed after it), so
            # the message goes back to the head of the queue rather than behind the backlog.
            _transition(
                message,
                state=OutboxState.RETRY,
                action="outbox.reclaimed",
                last_error=f"{error} It is looked up by external id before it is sent again.",
                error_class="WorkerStopped",
                outcome_unknown=True,
                **_RELEASED_CLAIM,
            )
        return len(stale)


# --- Outcomes -------------------------------------------------------------------------------------


def _review_case_key(message: OutboxMessage) -> str:
    # One case per cause: the handler (target + operation), how it ended and the error class.
    return f"outbox:{message.target}:{message.operation}:{message.state}:{message.error_class or 'unknown'}"


def _raise_review_case(message: OutboxMessage) -> ExceptionCase:
    """Open the cause's case for the handler's owner team, or count one more occurrence of it."""
    waiting = OutboxMessage.objects.filter(
        target=message.target,
        operation=message.operation,
        state=message.state,
        error_class=message.error_class,
    ).count()
    if message.state == OutboxState.DEAD:
        verb = "gave up after retries"
    elif message.outcome_unknown:
        verb = "may have reached the remote system"
    else:
        verb = "needs review"
    noun = "delivery" if waiting == 1 else "deliveries"
    case, _created = exception_raise(
        kind=ExceptionKind.OUTBOX_NEEDS_REVIEW,
        dedupe_key=_review_case_key(message),
        owner_team=owner_of(message),
        severity=Severity.HIGH,
        subject_type="vendorsync.outboxmessage",
        subject_id=str(message.public_id),
        message=f"{message.get_target_display()} {message.operation}, {waiting} {noun} waiting: {verb} "
        f"({message.error_class}). {message.last_error[:300]}",
        details={
            "target": message.target,
            "operation": message.operation,
            "state": message.state,
            "error_class": message.error_class,
            "deliveries": waiting,
            "last_key": message.external_key,
            "error": message.last_error[:2000],
        },
    )
    previous = message.review_case_id
    OutboxMessage.objects.filter(pk=message.pk).update(review_case=case)
    message.review_case = case
    if previous and previous != case.pk:
        _resolve_case_if_clear(previous)
    return case


def _resolve_case_if_clear(case_id: int) -> None:
    """Close a cause's case once none of its deliveries waits any more (all sent, or re-filed)."""
    if OutboxMessage.objects.filter(review_case_id=case_id).exclude(state=OutboxState.SENT).exists():
        return
    for case in ExceptionCase.objects.open().filter(pk=case_id):
        exception_resolve(case=case, actor=None, note="Every delivery of this case has been sent.", auto=True)


def outbox_mark_sent(
    *, message: OutboxMessage, remote_id: str = "", response_excerpt: str = "", reason: str = ""
) -> OutboxMessage | None:
    """Record a delivery (``reason`` says how, e.g. found by external id). None if the claim was lost.

    The cause's review case resolves itself once none of its deliveries waits any more.
    """
    with transaction.atomic():
        locked = _lock_claimed(message)
        if locked is None:
            return None
        sent = _transition(
            locked,
            state=OutboxState.SENT,
            action="outbox.sent",
            reason=reason,
            remote_id=remote_id[:100],
            response_excerpt=response_excerpt[:2000],
            sent_at=timezone.now(),
            last_error="",
            outcome_unknown=False,
            **_RELEASED_CLAIM,
        )
        if sent.review_case_id:
            _resolve_case_if_clear(sent.review_case_id)
        return sent


def outbox_mark_failed(
    *,
    message: OutboxMessage,
    error: str,
    retryable: bool,
    error_class: str = "",
    outcome_unknown: bool = False,
    can_check: bool = False,
    retry_after: float | None = None,
) -> OutboxMessage | None:
    """Schedule a retry, or give up; None if this relay lost its claim meanwhile.

    - not ``retryable`` (a refusal, bad credentials, an invalid payload) → ``needs_review``;
    - attempts used up after an ambiguous outcome, and the handler ``can_check`` → one more pass
      that only looks the record up (found → ``sent``, absent → ``dead``);
    - attempts used up with the outcome still unknown → ``needs_review`` (never ``dead``: the
      remote may hold it); with the outcome known (the remote refused before running) → ``dead``.

    Giving up opens (or counts one more occurrence of) the cause's case for the handler's owner
    team in the same transaction, so a failed delivery always has an owner.
    """
    max_attempts = settings.OUTBOX_MAX_ATTEMPTS
    fields = {
        "last_error": error,
        "error_class": error_class[:120],
        "outcome_unknown": outcome_unknown,
        **_RELEASED_CLAIM,
    }
    with transaction.atomic():
        locked = _lock_claimed(message)
        if locked is None:
            return None
        final_check = outcome_unknown and can_check and locked.attempts == max_attempts
        if retryable and (locked.attempts < max_attempts or final_check):
            delay = outbox_backoff(locked.attempts)
            if retry_after is not None:
                delay = max(delay, timedelta(seconds=retry_after))
            return _transition(
                locked,
                state=OutboxState.RETRY,
                action="outbox.retry",
                next_attempt_at=timezone.now() + delay,
                **fields,
            )
        state = OutboxState.DEAD if retryable and not outcome_unknown else OutboxState.NEEDS_REVIEW
        failed = _transition(locked, state=state, action=f"outbox.{state}", **fields)
        _raise_review_case(failed)
        return failed


# --- Resending ------------------------------------------------------------------------------------


def teams_of(actor: Any) -> set[str]:
    """The teams whose deliveries ``actor`` may resend (None = the system, which may resend any)."""
    if actor is None:
        return set(Team.values)
    return {team for team, codename in TEAM_PERMISSION.items() if actor.has_perm(perm(codename))}


def may_resend(actor: Any, message: OutboxMessage) -> bool:
    return message.state in RESENDABLE and owner_of(message) in teams_of(actor)


@dataclass
class ResendOutcome:
    resent: int = 0
    not_owned: int = 0
    not_waiting: int = 0
    may_have_reached: int = 0


def outbox_resend(*, messages: Iterable[OutboxMessage], actor: Any, reason: str) -> ResendOutcome:
    """Send reviewed or dead deliveries again; only the team that owns a delivery's handler may.

    Messages that may already have reached the remote system need a reason, and keep
    ``outcome_unknown`` so the relay looks each one up by external id before it writes anything:
    found → ``sent`` with the remote id, not found → delivered. Others' deliveries and messages
    not waiting for a person are left as they are and counted. The cause's case stays open
    until its deliveries are sent.
    """
    teams = teams_of(actor)
    if not teams:
        raise PermissionDenied(
            "Only the team that owns a delivery may send it again, and your role works no team's exceptions."
        )
    reason = reason.strip()
    outcome = ResendOutcome()
    ids = [message.pk for message in messages]
    with transaction.atomic():
        rows = list(OutboxMessage.objects.select_for_update().filter(pk__in=ids).order_by("id"))
        outcome.not_waiting = len(ids) - len([m for m in rows if m.state in RESENDABLE])
        rows = [m for m in rows if m.state in RESENDABLE]
        mine = [m for m in rows if owner_of(m) in teams]
        outcome.not_owned = len(rows) - len(mine)
        outcome.may_have_reached = sum(1 for m in mine if m.outcome_unknown)
        if outcome.may_have_reached and not reason:
            raise ValidationError(
                f"{outcome.may_have_reached} of these deliveries may already have reached the remote "
                "system. Say why you send them again; each is looked up by its external id first."
            )
        now = timezone.now()
        for message in mine:
            _transition(
                message,
                state=OutboxState.PENDING,
                action="outbox.requeued",
                actor=actor,
                reason=reason or "Sent again.",
                attempts=0,
                next_attempt_at=now,
            )
        outcome.resent = len(mine)
        if mine:
            _nudge_relay_on_commit()
    return outcome


def outbox_requeue(*, message: OutboxMessage, actor: Any, reason: str) -> OutboxMessage:
    """Send one reviewed or dead delivery again (see :func:`outbox_resend`); refuses others' deliveries."""
    if actor is not None and owner_of(message) not in teams_of(actor):
        raise PermissionDenied(
            f"Only {Team(owner_of(message)).label} may send this delivery again: its handler is theirs."
        )
    outcome = outbox_resend(messages=[message], actor=actor, reason=reason)
    if not outcome.resent:
        raise ValidationError("Only deliveries that need review or are dead can be sent again.")
    message.refresh_from_db()
    return message
