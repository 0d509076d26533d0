"""Core services: the only code that changes audit, exception, sync-run and outbox rows.

Every function here is a state change ``<entity>_<verb>(*, ...)`` that runs in a transaction and
writes its ``AuditEvent`` in that same transaction, so a change and its audit row commit or roll
back together. Permission checks live here as well as in views: a service called from a task or
a shell refuses an actor who lacks the role just as a page would.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from vendorsync.middleware import current_request_id
from vendorsync.models import (
    OPEN_STATUSES,
    AuditEvent,
    ExceptionCase,
    ExceptionStatus,
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


def _audit_event(
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
    if subject is not None:
        subject_type = subject_type or subject._meta.label_lower
        subject_id = subject_id or str(getattr(subject, "public_id", None) or subject.pk)
    return AuditEvent(
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
    event = _audit_event(
        actor=actor,
        action=action,
        subject=subject,
        subject_type=subject_type,
        subject_id=subject_id,
        before=before,
        after=after,
        reason=reason,
    )
    event.save(force_insert=True)
    return event


def audit_record_many(entries: list[dict[str, Any]]) -> list[AuditEvent]:
    """Append several audit rows in one INSERT (each entry: ``audit_record``'s keyword arguments).

    For a change that touches many subjects at once (an import creating a hundred remittances),
    where one round trip per row would cost more than the change itself. Same transaction rule.
    """
    return AuditEvent.objects.bulk_create([_audit_event(**entry) for entry in entries])


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


def outbox_enqueue(*, target: str, operation: str, external_key: str, payload: dict[str, Any]) -> Any:
    """Create a delivery in the caller's transaction: see ``vendorsync.outbox.services.outbox_enqueue``.

    Kept here because apps enqueue through ``vendorsync.services``; the outbox's state changes
    live in the ``vendorsync.outbox`` package (imported lazily: it builds on this module).
    """
    from vendorsync.outbox.services import outbox_enqueue as enqueue

    return enqueue(target=target, operation=operation, external_key=external_key, payload=payload)
