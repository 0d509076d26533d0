"""Posting batches: build, rebuild, submit, approve, reject — what finance signs off.

Every function is a state change under ``transaction.atomic`` that writes its audit row in the same
transaction and refuses (``PermissionDenied`` / ``ValidationError``) rather than half-doing.

Maker-checker: the preparer (``finance``) builds and submits; a *different* ``finance_approver``
approves or rejects with a reason. Roles are checked by explicit group membership (``in_role``),
never by ``has_perm`` alone, so a superuser gets no bypass; approver ≠ preparer is checked here and
held by the database (``posting_batch_approver_not_preparer``). Editing (rebuilding) a submitted
batch sends it back to draft and bumps its ``version``: an approval is given to one version
(``batch_approve(version=…)``), so a change under the approver's eyes voids it.

A batch holds its remittances while it is live (draft … posted, failed): building refuses a
remittance another live batch holds. Blockers (``batch_blockers``) are re-checked at submit and at
approval — a period can be locked, or a match undone, in between.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from reconciliation.models import (
    DEDUCTION_TYPES,
    LineMatchStatus,
    LineType,
    MatchAllocation,
    MatchStatus,
    Remittance,
    RemittanceLine,
    RemittanceStatus,
)
from reconciliation.posting import builder, delivery
from reconciliation.posting.periods import describe_closed, in_role
from reconciliation.posting_models import (
    LIVE_BATCH_STATUSES,
    AccountingPeriod,
    BatchKind,
    BatchStatus,
    PostingBatch,
    PostingEntry,
    PostingStyle,
)
from vendorsync.roles import FINANCE, FINANCE_APPROVER
from vendorsync.services import audit_record

ZERO = Decimal("0.00")
EDITABLE = (BatchStatus.DRAFT, BatchStatus.PENDING_APPROVAL)
LISTED = 20  # lines named one by one per kind of blocker; the rest are counted


@dataclass(frozen=True)
class Blocker:
    """Why a batch cannot be submitted or approved, and where to fix it."""

    code: str
    message: str
    url: str = ""


# --- Roles ----------------------------------------------------------------------------------------


def may_prepare(user: Any) -> bool:
    return in_role(user, FINANCE)


def may_approve(user: Any, batch: PostingBatch | None = None) -> bool:
    """A finance approver who did not prepare ``batch`` (group membership: no superuser bypass)."""
    if not in_role(user, FINANCE_APPROVER):
        return False
    return batch is None or batch.prepared_by_id != user.pk


def _require_preparer(user: Any) -> None:
    if not may_prepare(user):
        raise PermissionDenied("Only finance (the preparer role) may build or submit posting batches.")


def _require_approver(user: Any, batch: PostingBatch, action: str) -> None:
    if not in_role(user, FINANCE_APPROVER):
        raise PermissionDenied(f"Only a finance approver may {action} a posting batch.")
    if batch.prepared_by_id == user.pk:
        raise PermissionDenied(f"You prepared batch {batch.number}: a different approver must {action} it.")


# --- Loading and building -------------------------------------------------------------------------


def _account(gl: Any) -> builder.Account | None:
    if gl is None:
        return None
    return builder.Account(
        pk=gl.pk, netsuite_id=gl.netsuite_id, number=gl.number, item_id=gl.deduction_item_id
    )


def load_remittances(remittance_ids: Iterable[int]) -> list[builder.RemittanceIn]:
    """The builder's input for these remittances, in a fixed number of queries (4)."""
    ids = list(remittance_ids)
    remittances = list(
        Remittance.objects.filter(pk__in=ids)
        .order_by("payment_date", "payment_number")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=RemittanceLine.objects.select_related("gl_account", "discount_gl_account").order_by(
                    "sequence"
                ),
            )
        )
    )
    allocations: dict[int, list[builder.AllocationIn]] = defaultdict(list)
    for allocation in (
        MatchAllocation.objects.filter(match__remittance_id__in=ids, match__status=MatchStatus.ACCEPTED)
        .select_related("invoice", "match__write_off_account")
        .order_by("match_id", "id")
    ):
        allocations[allocation.match.remittance_id].append(
            builder.AllocationIn(
                line_pk=allocation.line_id,
                invoice_netsuite_id=allocation.invoice.netsuite_id,
                invoice_number=allocation.invoice.number,
                amount=allocation.amount,
                discount=allocation.discount,
                write_off=allocation.write_off,
                write_off_account=_account(allocation.match.write_off_account),
            )
        )
    return [
        builder.RemittanceIn(
            pk=r.pk,
            payment_number=r.payment_number,
            payment_date=r.payment_date,
            amount=r.amount,
            lines=tuple(
                builder.LineIn(
                    pk=line.pk,
                    sequence=line.sequence,
                    document_number=line.document_number,
                    label=LineType(line.line_type).label,
                    is_deduction=line.line_type in DEDUCTION_TYPES,
                    amount_paid=line.amount_paid,
                    applied=line.applied,
                    account=_account(line.gl_account),
                    discount_account=_account(line.discount_gl_account),
                    purpose="discount" if line.line_type == LineType.TERMS_DISCOUNT else "deduction",
                )
                for line in r.lines.all()
            ),
            allocations=tuple(allocations[r.pk]),
        )
        for r in remittances
    ]


def _config(batch: PostingBatch) -> builder.Config:
    return builder.Config(
        style=batch.style,
        customer_id=batch.customer_id,
        posting_date=batch.posting_date,
        external_id_prefix=f"VS-PB{batch.pk}",
        bank_account_id=settings.POSTING_BANK_ACCOUNT_ID or "",
        ar_account_id=settings.POSTING_AR_ACCOUNT_ID or "",
        subsidiary_id=settings.POSTING_SUBSIDIARY_ID or "",
    )


def build_for(batch: PostingBatch) -> builder.Build:
    """What the batch's records would be now (pure build over freshly loaded data)."""
    ids = list(batch.remittances.values_list("pk", flat=True))
    return builder.build(load_remittances(ids), _config(batch))


def _write_entries(batch: PostingBatch) -> builder.Build:
    """Replace the (never sent) entries of an editable batch with a fresh build; set its totals."""
    result = build_for(batch)
    batch.entries.all().delete()
    PostingEntry.objects.bulk_create(
        [
            PostingEntry(
                batch=batch,
                sequence=d.sequence,
                record_type=d.record_type,
                purpose=d.purpose,
                external_id=d.external_id,
                description=d.description,
                payload=d.payload,
                amount=d.amount,
                remittance_line_id=d.line_pk,
                gl_account_id=d.account_pk,
            )
            for d in result.drafts
        ]
    )
    batch.payment_total = result.payment_total
    batch.applied_total = result.applied_total
    batch.credits_total = result.credits_total
    batch.discount_total = result.discount_total
    return result


def _snapshot(batch: PostingBatch) -> dict[str, Any]:
    return {
        "number": batch.number,
        "status": batch.status,
        "version": batch.version,
        "style": batch.style,
        "posting_date": batch.posting_date.isoformat(),
        "period": batch.period.name if batch.period_id and batch.period else None,
        "payment_total": str(batch.payment_total),
        "applied_total": str(batch.applied_total),
        "credits_total": str(batch.credits_total),
        "discount_total": str(batch.discount_total),
        "entries": batch.entries.count(),
    }


def _holders(remittance_ids: list[int], *, exclude: int | None = None) -> dict[int, PostingBatch]:
    """Remittance id → the live batch holding it (other than ``exclude``)."""
    through = PostingBatch.remittances.through
    rows = (
        through.objects.filter(remittance_id__in=remittance_ids, postingbatch__status__in=LIVE_BATCH_STATUSES)
        .exclude(postingbatch_id=exclude)
        .select_related("postingbatch")
    )
    return {row.remittance_id: row.postingbatch for row in rows}


def batch_build(
    *,
    remittances: Iterable[Remittance],
    user: Any,
    style: str | None = None,
    posting_date: date | None = None,
) -> PostingBatch:
    """A draft batch with the records for ``remittances``; refuses a remittance another live batch
    holds, or one superseded by a revision. The batch may still have blockers (shown on its page)."""
    _require_preparer(user)
    style = style or settings.POSTING_STYLE
    if style not in PostingStyle.values:
        raise ValidationError({"style": f"Unknown posting style {style!r}."})
    with transaction.atomic():
        ids = sorted({r.pk for r in remittances})
        if not ids:
            raise ValidationError("Choose at least one remittance to post.")
        locked = list(Remittance.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        if len(locked) != len(ids):
            raise ValidationError("A chosen remittance no longer exists.")
        for remittance in locked:
            if remittance.status == RemittanceStatus.SUPERSEDED:
                raise ValidationError(
                    f"Payment {remittance.payment_number} revision {remittance.revision} was superseded by a "
                    "later revision: post the live one."
                )
        held = _holders(ids)
        if held:
            remittance = next(r for r in locked if r.pk in held)
            raise ValidationError(
                f"Payment {remittance.payment_number} is already in batch {held[remittance.pk].number} "
                f"({held[remittance.pk].get_status_display()})."
            )
        posting_date = posting_date or max(r.payment_date for r in locked)
        batch = PostingBatch.objects.create(
            style=style,
            posting_date=posting_date,
            period=AccountingPeriod.objects.for_date(posting_date),
            customer_id=str(settings.NETSUITE_AMAZON_CUSTOMER_ID),
            currency=locked[0].currency,
            prepared_by=user,
        )
        batch.remittances.set(locked)
        _write_entries(batch)
        batch.save()
        audit_record(
            actor=user,
            action="posting_batch.built",
            subject=batch,
            after={**_snapshot(batch), "payments": [r.payment_number for r in locked]},
        )
    return batch


def _locked(batch: PostingBatch) -> PostingBatch:
    return PostingBatch.objects.select_for_update(of=("self",)).select_related("period").get(pk=batch.pk)


def batch_rebuild(
    *, batch: PostingBatch, user: Any, style: str | None = None, posting_date: date | None = None
) -> PostingBatch:
    """Rebuild an unapproved batch from the current matches (optionally another style or date).

    The one who rebuilds becomes the preparer (they now vouch for its content). A submitted batch
    goes back to draft: the submission, and with it any approval in progress, is void.
    """
    _require_preparer(user)
    with transaction.atomic():
        batch = _locked(batch)
        if batch.status not in EDITABLE:
            raise ValidationError(
                f"Batch {batch.number} is {batch.get_status_display().lower()}: only a draft or a batch "
                "pending approval can be edited (a posted batch is reversed, never edited)."
            )
        if batch.kind == BatchKind.REVERSAL:  # its journals come from the posted batch, not remittances
            raise ValidationError(
                f"{batch.number} reverses {batch.reverses.number}: it is not rebuilt from remittances."
            )
        if style is not None and style not in PostingStyle.values:
            raise ValidationError({"style": f"Unknown posting style {style!r}."})
        before = _snapshot(batch)
        voided = batch.status == BatchStatus.PENDING_APPROVAL
        batch.style = style or batch.style
        if posting_date is not None:
            batch.posting_date = posting_date
        batch.period = AccountingPeriod.objects.for_date(batch.posting_date)
        batch.prepared_by = user
        batch.status = BatchStatus.DRAFT
        batch.submitted_at = None
        batch.rejected_by = batch.rejected_at = None  # the rejection answered; its reason is in the audit
        batch.rejection_reason = ""
        batch.version += 1
        _write_entries(batch)
        batch.save()
        audit_record(
            actor=user,
            action="posting_batch.rebuilt",
            subject=batch,
            before=before,
            after=_snapshot(batch),
            reason="submission voided by the edit" if voided else "",
        )
    return batch


# --- Blockers -------------------------------------------------------------------------------------


def _workbench(remittance: Remittance) -> str:
    return reverse("reconciliation:workbench", args=[remittance.public_id])


def batch_blockers(batch: PostingBatch) -> list[Blocker]:
    """Every reason ``batch`` cannot be submitted or approved, each with a link to fix it.

    A bounded number of queries whatever the batch's size (lines are counted in the database).
    """
    if batch.kind == BatchKind.REVERSAL:  # reversing journals hold no remittance (helper p2's rules)
        return [Blocker(*blocker) for blocker in delivery.reversal_blockers(batch)]
    blockers: list[Blocker] = []
    remittances = list(batch.remittances.order_by("payment_date", "payment_number"))
    if not remittances:
        return [Blocker("empty", "The batch holds no remittance.")]
    ids = [r.pk for r in remittances]
    by_pk = {r.pk: r for r in remittances}
    tolerance = settings.POSTING_VARIANCE_TOLERANCE
    mappings = reverse("reconciliation:mappings")

    for remittance in remittances:
        if remittance.status == RemittanceStatus.SUPERSEDED:
            blockers.append(
                Blocker(
                    "superseded",
                    f"Payment {remittance.payment_number} revision {remittance.revision} was superseded by a "
                    "later revision.",
                    remittance.get_absolute_url(),
                )
            )
        if remittance.currency != batch.currency:
            blockers.append(
                Blocker(
                    "currency",
                    f"Payment {remittance.payment_number} is in {remittance.currency}, the batch in "
                    f"{batch.currency}: one currency per batch.",
                    remittance.get_absolute_url(),
                )
            )
        if remittance.drift:
            blockers.append(
                Blocker(
                    "drift",
                    f"Payment {remittance.payment_number}: its lines differ from the payment amount by "
                    f"{remittance.drift} {remittance.currency}.",
                    remittance.get_absolute_url(),
                )
            )
    for remittance_id, other in _holders(ids, exclude=batch.pk).items():
        blockers.append(
            Blocker(
                "held",
                f"Payment {by_pk[remittance_id].payment_number} is also in batch {other.number} "
                f"({other.get_status_display()}).",
                other.get_absolute_url(),
            )
        )

    lines = RemittanceLine.objects.filter(remittance_id__in=ids)
    deduction = lines.filter(line_type__in=DEDUCTION_TYPES, applied=0)
    unmapped = deduction.filter(gl_account__isnull=True).exclude(amount_paid=0)
    unmapped_lines = set(unmapped.values_list("pk", flat=True))
    for line in unmapped.select_related("remittance").order_by("remittance_id", "sequence")[:LISTED]:
        blockers.append(
            Blocker(
                "unmapped",
                f"Payment {line.remittance.payment_number} line {line.sequence} ({line.document_number}, "
                f"{line.get_line_type_display()}, {line.amount_paid}): no GL mapping in force on its date.",
                f"{mappings}?line_type={line.line_type}",
            )
        )
    unmatched = lines.exclude(line_type__in=DEDUCTION_TYPES).filter(
        match_status__in=[LineMatchStatus.UNMATCHED, LineMatchStatus.SUGGESTED]
    )
    if len(unmapped_lines) > LISTED:
        blockers.append(
            Blocker(
                "unmapped", f"… and {len(unmapped_lines) - LISTED} more lines without a GL mapping.", mappings
            )
        )
    unmatched_count = unmatched.count()
    for line in unmatched.select_related("remittance").order_by("remittance_id", "sequence")[:LISTED]:
        state = "has only a suggestion" if line.match_status == LineMatchStatus.SUGGESTED else "is unmatched"
        blockers.append(
            Blocker(
                "unmatched",
                f"Payment {line.remittance.payment_number} line {line.sequence} ({line.document_number}, "
                f"{line.amount_paid}) {state}: match it or write it off.",
                f"{_workbench(line.remittance)}#line-{line.sequence}",
            )
        )
    if unmatched_count > LISTED:
        blockers.append(
            Blocker(
                "unmatched",
                f"… and {unmatched_count - LISTED} more unmatched lines.",
                _workbench(remittances[0]) if len(remittances) == 1 else "",
            )
        )

    result = build_for(batch)
    for tie in result.tie_outs:
        remittance = next(r for r in remittances if r.payment_number == tie.payment_number)
        if abs(tie.unapplied) > tolerance:
            blockers.append(
                Blocker(
                    "variance",
                    f"Payment {tie.payment_number}: {tie.unapplied} {remittance.currency} of cash is explained "
                    f"by no match (tolerance {tolerance}).",
                    _workbench(remittance),
                )
            )
    seen: set[str] = set()
    per_code: dict[str, int] = defaultdict(int)
    for problem in result.problems:
        if problem.message in seen or (problem.code == "unmapped" and problem.line_pk in unmapped_lines):
            continue  # a line without a mapping is listed once, above
        seen.add(problem.message)
        per_code[problem.code] += 1
        if per_code[problem.code] > LISTED:
            continue
        url = {
            "unmapped": mappings,
            "no_item": reverse("sync_runs"),
            "negative_payment": _workbench(by_pk[problem.remittance_pk]),
        }.get(problem.code, by_pk[problem.remittance_pk].get_absolute_url())
        blockers.append(Blocker(problem.code, problem.message, url))
    for code, count in per_code.items():
        if count > LISTED:
            blockers.append(Blocker(code, f"… and {count - LISTED} more like the above."))

    if batch.status in EDITABLE:
        stored = [(e.record_type, e.payload) for e in batch.entries.order_by("sequence")]
        fresh = [(d.record_type, d.payload) for d in result.drafts]
        if stored != fresh:
            blockers.append(
                Blocker(
                    "stale",
                    "The remittances' matches or mappings changed since the batch was built: rebuild it.",
                    batch.get_absolute_url(),
                )
            )

    period = AccountingPeriod.objects.select_related("locked_by").for_date(batch.posting_date)
    periods_url = reverse("reconciliation:posting_periods")
    if period is None:
        blockers.append(
            Blocker(
                "no_period",
                f"No accounting period covers the posting date {batch.posting_date.isoformat()}.",
                periods_url,
            )
        )
    elif period.closed:
        blockers.append(
            Blocker("period_locked", describe_closed(period), f"{periods_url}#period-{period.public_id}")
        )
    return blockers


# --- Submit, approve, reject ----------------------------------------------------------------------


def _refuse_blocked(batch: PostingBatch, action: str) -> None:
    blockers = batch_blockers(batch)
    if blockers:
        raise ValidationError(
            [f"Batch {batch.number} cannot be {action}:"] + [blocker.message for blocker in blockers]
        )


def batch_submit(*, batch: PostingBatch, user: Any) -> PostingBatch:
    """The preparer sends a draft with no blocker for approval."""
    _require_preparer(user)
    with transaction.atomic():
        batch = _locked(batch)
        if batch.prepared_by_id != user.pk:
            raise PermissionDenied(
                f"Batch {batch.number} was prepared by {batch.prepared_by.get_username()}: the preparer "
                "submits it (rebuild it to take it over)."
            )
        if batch.status != BatchStatus.DRAFT:
            raise ValidationError(
                f"Batch {batch.number} is {batch.get_status_display().lower()}, not a draft."
            )
        _refuse_blocked(batch, "submitted")
        before = _snapshot(batch)
        batch.status = BatchStatus.PENDING_APPROVAL
        batch.submitted_at = timezone.now()
        batch.save(update_fields=["status", "submitted_at"])
        audit_record(
            actor=user, action="posting_batch.submitted", subject=batch, before=before, after=_snapshot(batch)
        )
    return batch


def batch_approve(*, batch: PostingBatch, user: Any, version: int | None = None) -> PostingBatch:
    """A finance approver other than the preparer approves the version they reviewed; the batch's
    records are queued for NetSuite in the same transaction (``delivery.batch_dispatch``)."""
    with transaction.atomic():
        batch = _locked(batch)
        _require_approver(user, batch, "approve")
        if batch.status != BatchStatus.PENDING_APPROVAL:
            raise ValidationError(
                f"Batch {batch.number} is {batch.get_status_display().lower()}, not pending approval."
            )
        if version is not None and version != batch.version:
            raise ValidationError(
                f"Batch {batch.number} changed since you reviewed it (version {version}, now {batch.version}): "
                "review it again."
            )
        _refuse_blocked(batch, "approved")
        before = _snapshot(batch)
        batch.status = BatchStatus.APPROVED
        batch.approved_by = user
        batch.approved_at = timezone.now()
        batch.period = AccountingPeriod.objects.for_date(batch.posting_date)
        batch.save(update_fields=["status", "approved_by", "approved_at", "period"])
        audit_record(
            actor=user, action="posting_batch.approved", subject=batch, before=before, after=_snapshot(batch)
        )
        delivery.batch_dispatch(batch=batch)
    return batch


def batch_reject(*, batch: PostingBatch, user: Any, reason: str) -> PostingBatch:
    """A finance approver other than the preparer sends the batch back to draft, saying why."""
    reason = (reason or "").strip()
    with transaction.atomic():
        batch = _locked(batch)
        _require_approver(user, batch, "reject")
        if not reason:
            raise ValidationError({"reason": "Say why the batch is rejected: the preparer reads it."})
        if batch.status != BatchStatus.PENDING_APPROVAL:
            raise ValidationError(
                f"Batch {batch.number} is {batch.get_status_display().lower()}, not pending approval."
            )
        before = _snapshot(batch)
        batch.status = BatchStatus.DRAFT
        batch.submitted_at = None
        batch.rejected_by, batch.rejected_at, batch.rejection_reason = user, timezone.now(), reason
        batch.save(update_fields=["status", "submitted_at", "rejected_by", "rejected_at", "rejection_reason"])
        audit_record(
            actor=user,
            action="posting_batch.rejected",
            subject=batch,
            before=before,
            after=_snapshot(batch),
            reason=reason,
        )
    return batch


def default_style() -> str:
    return settings.POSTING_STYLE
