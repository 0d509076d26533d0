"""Core services: the only code that changes audit, exception, sync-run and outbox rows.

Every function here is a state change ``<entity>_<verb>(*, ...)`` that runs in a transaction and
writes its ``AuditEvent`` in that same transaction, so a change and its audit row commit or roll
back together. Permission checks live here as well as in views: a service called from a task or
a shell refuses an actor who lacks the role just as a page would.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from vendorsync.middleware import current_request_id
from vendorsync.models import (
    OPEN_STATUSES,
    AuditEvent,
    ExceptionCase,
    ExceptionKind,
    ExceptionStatus,
    OutboxMessage,
    OutboxState,
    Sequence,
    Severity,
    SyncOutcome,
    SyncRun,
    Team,
    owner_for_kind,
)
from vendorsync.roles import perm

# --- Audit ----------------------------------------------------------------------------------------


def _actor_label(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system"
    return actor.get_username()


def audit_record(
    *,
    actor: Any,
    action: str,
    subject: Any = None,
    subject_type: str = "",
    subject_id: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one audit row. Call inside the transaction of the change it describes."""
    if subject is not None:
        subject_type = subject_type or subject._meta.label_lower
        subject_id = subject_id or str(getattr(subject, "public_id", None) or subject.pk)
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        actor_label=_actor_label(actor),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        before=before,
        after=after,
        reason=reason,
        request_id=current_request_id.get(),
    )


# --- Exceptions -----------------------------------------------------------------------------------


def _require_exception_permission(actor: Any, case: ExceptionCase) -> None:
    if actor is None:  # the system (a sync flow) may always act
        return
    needed = perm("work_finance_exceptions" if case.owner_team == Team.FINANCE else "work_ops_exceptions")
    if not actor.has_perm(needed):
        raise PermissionDenied(f"You cannot work {case.get_owner_team_display()} exceptions.")


def exception_raise(
    *,
    kind: str,
    dedupe_key: str,
    message: str,
    subject_type: str = "",
    subject_id: str = "",
    details: dict[str, Any] | None = None,
    severity: str = Severity.MEDIUM,
    owner_team: str | None = None,
    amount_at_risk: Decimal | None = None,
) -> tuple[ExceptionCase, bool]:
    """Open a case for a problem, or touch the open one with the same dedupe key.

    ``subject_type`` is the subject's model label (``orders.purchaseorder``) and ``subject_id`` its
    ``public_id``, so the case can link to it. Returns ``(case, created)``. Safe under concurrent raises: the partial unique index admits
    one open case per key, and the loser of a race touches the winner's case instead.
    """
    for _attempt in range(3):
        try:
            with transaction.atomic():
                existing = (
                    ExceptionCase.objects.select_for_update()
                    .filter(dedupe_key=dedupe_key, status__in=OPEN_STATUSES)
                    .first()
                )
                if existing is not None:
                    return _touch(
                        existing, message=message, details=details, amount_at_risk=amount_at_risk
                    ), False
                case = ExceptionCase.objects.create(
                    kind=kind,
                    owner_team=owner_team or owner_for_kind(kind),
                    severity=severity,
                    dedupe_key=dedupe_key,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    message=message,
                    details=details or {},
                    amount_at_risk=amount_at_risk,
                )
                audit_record(
                    actor=None,
                    action="exception.raised",
                    subject=case,
                    after={"kind": kind, "dedupe_key": dedupe_key, "message": message},
                )
                return case, True
        except IntegrityError:
            continue  # another process opened it between our read and insert: touch theirs
    raise RuntimeError(f"Could not raise or touch the exception for {dedupe_key!r}.")


def _touch(
    case: ExceptionCase,
    *,
    message: str | None,
    details: dict[str, Any] | None,
    amount_at_risk: Decimal | None = None,
) -> ExceptionCase:
    now = timezone.now()
    fields: dict[str, Any] = {"occurrences": F("occurrences") + 1, "last_seen_at": now}
    if amount_at_risk is not None:
        fields["amount_at_risk"] = amount_at_risk
    if message:
        fields["message"] = message
    if details is not None:
        fields["details"] = details
    ExceptionCase.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


def exception_touch(
    *, case: ExceptionCase, message: str | None = None, details: dict[str, Any] | None = None
) -> ExceptionCase:
    """Record that an open problem was seen again (no audit row: nothing changed state)."""
    with transaction.atomic():
        return _touch(case, message=message, details=details)


def _close(
    case: ExceptionCase, *, actor: Any, status: str, note: str, auto: bool, action: str
) -> ExceptionCase:
    with transaction.atomic():
        locked = ExceptionCase.objects.select_for_update().get(pk=case.pk)
        if not locked.is_open:
            raise ValidationError(f"This exception is already {locked.get_status_display().lower()}.")
        before = {"status": locked.status}
        locked.status = status
        locked.resolution_note = note
        locked.resolved_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.resolved_at = timezone.now()
        locked.auto_resolved = auto
        locked.save(
            update_fields=["status", "resolution_note", "resolved_by", "resolved_at", "auto_resolved"]
        )
        audit_record(
            actor=actor, action=action, subject=locked, before=before, after={"status": status}, reason=note
        )
        return locked


def exception_resolve(
    *, case: ExceptionCase, actor: Any, note: str = "", auto: bool = False
) -> ExceptionCase:
    """Close a case because the problem is fixed (``actor=None, auto=True`` when a flow sees it fixed)."""
    _require_exception_permission(actor, case)
    return _close(
        case, actor=actor, status=ExceptionStatus.RESOLVED, note=note, auto=auto, action="exception.resolved"
    )


def exception_clear(*, dedupe_key: str, note: str) -> ExceptionCase | None:
    """A flow saw the cause of a problem go away: resolve its open case, saying why (``auto``).

    Returns the resolved case, or None when no case was open for the key.
    """
    case = ExceptionCase.objects.open().filter(dedupe_key=dedupe_key).first()
    if case is None:
        return None
    try:
        return exception_resolve(case=case, actor=None, note=note, auto=True)
    except ValidationError:
        return None  # closed by someone else in the meantime


def exception_dismiss(*, case: ExceptionCase, actor: Any, reason: str) -> ExceptionCase:
    """Close a case without a fix; a person must say why."""
    _require_exception_permission(actor, case)
    if not reason.strip():
        raise ValidationError("Say why you dismiss this exception.")
    return _close(
        case,
        actor=actor,
        status=ExceptionStatus.DISMISSED,
        note=reason.strip(),
        auto=False,
        action="exception.dismissed",
    )


def can_work_team(user: Any, team: str) -> bool:
    """Whether ``user`` may work ``team``'s cases (finance cannot work ops cases unless also ops)."""
    if user is None or not getattr(user, "is_active", False):
        return False
    return bool(
        user.has_perm(perm("work_finance_exceptions" if team == Team.FINANCE else "work_ops_exceptions"))
    )


def exception_assign(*, case: ExceptionCase, actor: Any, assignee: Any) -> ExceptionCase:
    """Take (or hand over to a colleague) a case; it moves to in progress.

    The assignee must be able to work the case's team: a case is never parked with someone who
    could not close it.
    """
    _require_exception_permission(actor, case)
    if assignee is not None and not can_work_team(assignee, case.owner_team):
        raise ValidationError(
            f"{assignee.get_username()} cannot work {case.get_owner_team_display()} exceptions."
        )
    with transaction.atomic():
        locked = ExceptionCase.objects.select_for_update().get(pk=case.pk)
        if not locked.is_open:
            raise ValidationError("Only open exceptions can be assigned.")
        before = {
            "status": locked.status,
            "assignee": locked.assignee.get_username() if locked.assignee else None,
        }
        locked.assignee = assignee
        locked.status = ExceptionStatus.IN_PROGRESS
        locked.save(update_fields=["assignee", "status"])
        audit_record(
            actor=actor,
            action="exception.assigned",
            subject=locked,
            before=before,
            after={"status": locked.status, "assignee": assignee.get_username() if assignee else None},
        )
        return locked


BULK_ACTIONS = ("assign", "resolve", "dismiss")


def exceptions_bulk(
    *, cases: list[ExceptionCase], actor: Any, action: str, assignee: Any = None, note: str = ""
) -> int:
    """Assign, resolve or dismiss several cases at once: all of them or none.

    Every case goes through the single-case service (same permission checks and audit rows); the
    first refusal rolls the whole batch back and names the case, so nothing is half-done.
    """
    if action not in BULK_ACTIONS:
        raise ValidationError(f"Unknown bulk action {action!r}.")
    if not cases:
        raise ValidationError("Select at least one exception.")
    if action == "dismiss" and not note.strip():
        raise ValidationError("Say why you dismiss these exceptions.")
    if action == "assign" and assignee is None:
        raise ValidationError("Choose whom to assign the exceptions to.")
    with transaction.atomic():
        for case in cases:
            try:
                if action == "assign":
                    exception_assign(case=case, actor=actor, assignee=assignee)
                elif action == "resolve":
                    exception_resolve(case=case, actor=actor, note=note)
                else:
                    exception_dismiss(case=case, actor=actor, reason=note)
            except (ValidationError, PermissionDenied) as exc:
                detail = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                raise ValidationError(
                    f"Nothing was changed: {case.get_kind_display()} “{case.message[:60]}”: {detail}"
                ) from exc
    return len(cases)


def exception_rerun_request(*, case: ExceptionCase, actor: Any) -> str:
    """Record that a person asked to re-run the failed step of a case; returns the flow to run.

    The caller queues the run once this commits (the flow talks to the network, never inside a
    transaction). Only someone who can work the case and run its flow may ask.
    """
    from vendorsync import flows

    _require_exception_permission(actor, case)
    name = (case.details or {}).get("rerun_flow") or ""
    try:
        flow = flows.get_flow(name)
    except KeyError:
        raise ValidationError("This exception has no step to re-run.") from None
    if actor is not None and not (
        actor.has_perm(perm(flow.run_permission)) or actor.has_perm(perm("manage_settings"))
    ):
        raise PermissionDenied(f"Your role cannot run the {flow.label} sync.")
    if not case.is_open:
        raise ValidationError("This exception is already closed.")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="exception.rerun_requested",
            subject=case,
            after={"flow": flow.name},
            reason=f"Re-run the {flow.label} sync",
        )
    return flow.name


# --- Sync runs ------------------------------------------------------------------------------------


def sync_run_start(*, flow: str, cursor: str = "") -> SyncRun:
    with transaction.atomic():
        run = SyncRun.objects.create(flow=flow, cursor=cursor)
        audit_record(actor=None, action="sync.started", subject=run, after={"flow": flow, "cursor": cursor})
        return run


def sync_run_finish(
    *,
    run: SyncRun,
    outcome: str,
    counts: dict[str, int] | None = None,
    cursor: str | None = None,
    error: str = "",
) -> SyncRun:
    if outcome not in SyncOutcome.values or outcome == SyncOutcome.RUNNING:
        raise ValueError(f"A finished sync run cannot end as {outcome!r}.")
    with transaction.atomic():
        run.finished_at = timezone.now()
        run.outcome = outcome
        run.counts = counts or {}
        run.error = error
        if cursor is not None:
            run.cursor = cursor
        run.save(update_fields=["finished_at", "outcome", "counts", "error", "cursor"])
        audit_record(
            actor=None,
            action="sync.finished",
            subject=run,
            after={"outcome": outcome, "counts": run.counts},
            reason=error,
        )
        return run


# --- Sequences ------------------------------------------------------------------------------------


def sequence_next(*, name: str, wrap_at: int | None = None) -> int:
    """Hand out the next number of a persisted counter; never the same number twice."""
    with transaction.atomic():
        seq, _ = Sequence.objects.select_for_update().get_or_create(name=name)
        seq.value = 1 if wrap_at is not None and seq.value >= wrap_at else seq.value + 1
        seq.save(update_fields=["value"])
        return seq.value


# --- Outbox ---------------------------------------------------------------------------------------


def _nudge_relay() -> None:
    from vendorsync.tasks import relay_outbox

    try:
        relay_outbox.delay()
    except Exception:  # noqa: BLE001 - the sweep delivers anyway; a broker outage must not fail a request
        logging.getLogger(__name__).warning(
            "Could not nudge the outbox relay; the periodic sweep will deliver."
        )


def _nudge_relay_on_commit() -> None:
    """One nudge per transaction, however many messages it enqueues."""
    connection = transaction.get_connection()
    pending = getattr(connection, "run_on_commit", [])
    if not any(entry[1] is _nudge_relay for entry in pending):
        transaction.on_commit(_nudge_relay)


def outbox_enqueue(
    *, target: str, operation: str, external_key: str, payload: dict[str, Any]
) -> OutboxMessage:
    """Create a delivery in the caller's transaction; the relay is nudged once it commits.

    The row is the source of truth: if the nudge is lost (broker down), the beat sweep delivers it.
    """
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


def outbox_backoff(
    attempts: int, *, base: float = 30.0, cap: float = 6 * 3600.0, rng: random.Random | None = None
) -> timedelta:
    """Exponential backoff with "equal jitter": uniform(c/2, c) where c = min(cap, base * 2**(attempts-1)).

    Jitter spreads retries of many messages that failed together; the lower half-bound keeps the
    delay growing so a struggling remote system gets real breathing room.
    """
    ceiling = min(cap, base * (2 ** max(attempts - 1, 0)))
    return timedelta(seconds=(rng or random).uniform(ceiling / 2, ceiling))


def _transition(message: OutboxMessage, *, state: str, action: str, **fields: Any) -> OutboxMessage:
    before = {"state": message.state, "attempts": message.attempts}
    message.state = state
    for key, value in fields.items():
        setattr(message, key, value)
    message.save(update_fields=["state", *fields.keys()])
    audit_record(
        actor=None,
        action=action,
        subject=message,
        before=before,
        after={"state": state, "attempts": message.attempts},
        reason=fields.get("last_error", ""),
    )
    return message


def outbox_claim_due(*, limit: int, now: datetime | None = None) -> list[OutboxMessage]:
    """Move due messages to ``sending`` and return them; each is claimed by exactly one relay.

    On PostgreSQL concurrent relays skip each other's rows (SKIP LOCKED); on SQLite the write
    lock taken at BEGIN serialises claims, which gives the same guarantee.
    """
    now = now or timezone.now()
    with transaction.atomic():
        query = OutboxMessage.objects.filter(
            state__in=[OutboxState.PENDING, OutboxState.RETRY], next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        if settings.IS_POSTGRES:
            query = query.select_for_update(skip_locked=True)
        else:
            query = query.select_for_update()
        claimed = list(query[:limit])
        for message in claimed:
            _transition(
                message,
                state=OutboxState.SENDING,
                action="outbox.sending",
                attempts=message.attempts + 1,
                claimed_at=now,
            )
        return claimed


def _lock_claimed(message: OutboxMessage) -> OutboxMessage | None:
    """The row, locked, if it is still this relay's claim; None when another relay took it over.

    A relay that stalled past the reclaim age must not overwrite what the relay that reclaimed the
    message has recorded since: ``claimed_at`` is the claim's token.
    """
    locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if locked.state != OutboxState.SENDING or locked.claimed_at != message.claimed_at:
        logging.getLogger(__name__).warning(
            "Outbox %s was taken over by another relay; not recording this attempt.", message.external_key
        )
        return None
    return locked


def _review_case_key(message: OutboxMessage) -> str:
    return f"outbox:{message.external_key}"


def _raise_review_case(message: OutboxMessage, *, owner_team: str) -> None:
    verb = "needs review" if message.state == OutboxState.NEEDS_REVIEW else "gave up after retries"
    exception_raise(
        kind=ExceptionKind.OUTBOX_NEEDS_REVIEW,
        dedupe_key=_review_case_key(message),
        owner_team=owner_team,
        severity=Severity.HIGH,
        subject_type="vendorsync.outboxmessage",
        subject_id=str(message.public_id),
        message=f"{message.get_target_display()} {message.operation} for {message.external_key} {verb}: "
        f"{message.last_error[:300]}",
        details={"state": message.state, "attempts": message.attempts, "error": message.last_error[:2000]},
    )


def outbox_mark_sent(
    *, message: OutboxMessage, remote_id: str = "", response_excerpt: str = ""
) -> OutboxMessage:
    """Record a delivery; a review case opened for an earlier failure of it resolves itself."""
    with transaction.atomic():
        locked = _lock_claimed(message)
        if locked is None:
            return message
        sent = _transition(
            locked,
            state=OutboxState.SENT,
            action="outbox.sent",
            remote_id=remote_id[:100],
            response_excerpt=response_excerpt[:2000],
            sent_at=timezone.now(),
            last_error="",
        )
        for case in ExceptionCase.objects.open().filter(dedupe_key=_review_case_key(sent)):
            exception_resolve(case=case, actor=None, note="Delivered.", auto=True)
        return sent


def outbox_mark_failed(
    *,
    message: OutboxMessage,
    error: str,
    retryable: bool,
    retry_after: float | None = None,
    max_attempts: int | None = None,
    owner_team: str = Team.OPS,
) -> OutboxMessage:
    """Schedule a retry, or give up: ``needs_review`` for a refusal, ``dead`` when attempts run out.

    Giving up opens (or touches) an exception case for ``owner_team`` in the same transaction, so a
    failed delivery always has an owner.
    """
    max_attempts = max_attempts or settings.OUTBOX_MAX_ATTEMPTS
    with transaction.atomic():
        locked = _lock_claimed(message)
        if locked is None:
            return message
        if not retryable or locked.attempts >= max_attempts:
            state, action = (
                (OutboxState.NEEDS_REVIEW, "outbox.needs_review")
                if not retryable
                else (OutboxState.DEAD, "outbox.dead")
            )
            failed = _transition(locked, state=state, action=action, last_error=error)
            _raise_review_case(failed, owner_team=owner_team)
            return failed
        delay = outbox_backoff(locked.attempts)
        if retry_after is not None:
            delay = max(delay, timedelta(seconds=retry_after))
        return _transition(
            locked,
            state=OutboxState.RETRY,
            action="outbox.retry",
            last_error=error,
            next_attempt_at=timezone.now() + delay,
        )


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
            )
            released += 1
    return released


def outbox_reclaim_stale(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Take back ``sending`` rows whose relay died: retry them (the remote de-duplicates by our key).

    A message whose attempts are already used up goes to ``dead`` instead: a payload that kills the
    worker every time (out of memory, hard time limit) must not be redelivered for ever.
    """
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            OutboxMessage.objects.select_for_update().filter(
                state=OutboxState.SENDING, claimed_at__lt=now - older_than
            )
        )
        for message in stale:
            if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                dead = _transition(
                    message,
                    state=OutboxState.DEAD,
                    action="outbox.dead",
                    last_error="The worker stopped while sending this message on every attempt.",
                )
                _raise_review_case(dead, owner_team=Team.OPS)
                continue
            _transition(
                message,
                state=OutboxState.RETRY,
                action="outbox.reclaimed",
                next_attempt_at=now,
                last_error="Relay stopped while sending; delivering again.",
            )
        return len(stale)


def outbox_requeue(*, message: OutboxMessage, actor: Any, reason: str) -> OutboxMessage:
    """A person sends a reviewed or dead message again (its review case stays open until it is sent)."""
    allowed = ("work_ops_exceptions", "work_finance_exceptions", "manage_settings")
    if actor is not None and not any(actor.has_perm(perm(p)) for p in allowed):
        raise PermissionDenied("You cannot send deliveries again.")
    with transaction.atomic():
        locked = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if locked.state not in (OutboxState.NEEDS_REVIEW, OutboxState.DEAD):
            raise ValidationError("Only deliveries that need review or are dead can be sent again.")
        before = {"state": locked.state, "attempts": locked.attempts}
        locked.state = OutboxState.PENDING
        locked.next_attempt_at = timezone.now()
        locked.attempts = 0
        locked.save(update_fields=["state", "next_attempt_at", "attempts"])
        audit_record(
            actor=actor,
            action="outbox.requeued",
            subject=locked,
            before=before,
            after={"state": locked.state},
            reason=reason,
        )
        _nudge_relay_on_commit()
        return locked
