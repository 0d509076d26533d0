"""The month-end close of one period: the figures finance signs and what stands in the way.

"Is every dollar Amazon kept explained, coded and, where it was wrong, disputed?" A period's
payments are the live remittances paid within its dates. The close list is empty exactly when
none of these is outstanding (each item links to the page where it is fixed):
- lines not matched yet (unmatched or only suggested) → the payment's workbench;
- deductions with no GL mapping in force → the GL mappings page;
- batches of the period waiting for a second person's approval → the batch;
- postings that failed (a failed batch, or an entry NetSuite refused) → the batch;
- settlement drift still open on a payment of the period → the exception case.

Bounded queries: one per figure or list, whatever the number of payments and lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.urls import reverse

from reconciliation.close_models import Dispute, DisputeStatus
from reconciliation.models import (
    DEDUCTION_TYPES,
    LineMatchStatus,
    LineStatus,
    LineType,
    Remittance,
    RemittanceLine,
    RemittanceStatus,
)
from reconciliation.posting_models import (
    LIVE_BATCH_STATUSES,
    AccountingPeriod,
    BatchKind,
    BatchStatus,
    EntryStatus,
    PostingBatch,
)
from reconciliation.reporting import Span
from vendorsync.models import ExceptionCase, ExceptionKind

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
OPEN_DISPUTE_STATUSES = (DisputeStatus.OPEN, DisputeStatus.PARTIALLY_WON)


def _cents(value: Decimal | None) -> Decimal:
    return (value or ZERO).quantize(CENT)


@dataclass(frozen=True)
class Blocker:
    kind: str  # unmatched | unmapped | not_batched | draft | awaiting_approval | posting | failed_posting | drift
    message: str
    url: str
    count: int = 1
    amount: Decimal | None = None


@dataclass
class CloseReport:
    span: Span
    period: AccountingPeriod | None
    payments: int = 0
    cash_received: Decimal = ZERO
    deductions_by_type: list[dict] = field(default_factory=list)
    deductions_by_account: list[dict] = field(default_factory=list)
    deductions_total: Decimal = ZERO
    disputes_open: int = 0
    disputes_open_amount: Decimal = ZERO
    batches_by_status: list[dict] = field(default_factory=list)
    unexplained: Decimal = ZERO
    drift: Decimal = ZERO
    blockers: list[Blocker] = field(default_factory=list)

    @property
    def clear(self) -> bool:
        return not self.blockers


def period_remittances(span: Span) -> QuerySet[Remittance]:
    return Remittance.objects.exclude(status=RemittanceStatus.SUPERSEDED).filter(
        payment_date__gte=span.start, payment_date__lte=span.end
    )


def period_lines(span: Span) -> QuerySet[RemittanceLine]:
    return RemittanceLine.objects.exclude(remittance__status=RemittanceStatus.SUPERSEDED).filter(
        remittance__payment_date__gte=span.start, remittance__payment_date__lte=span.end
    )


def period_batches(span: Span, period: AccountingPeriod | None) -> QuerySet[PostingBatch]:
    """Batches booked to the period, or (without one) posting within its dates."""
    in_dates = Q(period__isnull=True, posting_date__gte=span.start, posting_date__lte=span.end)
    return PostingBatch.objects.filter(Q(period=period) | in_dates if period is not None else in_dates)


def period_disputes(span: Span) -> QuerySet[Dispute]:
    """Disputes still owed money whose claims Amazon took in the period."""
    return Dispute.objects.filter(
        status__in=OPEN_DISPUTE_STATUSES, claimed_on__gte=span.start, claimed_on__lte=span.end
    )


def close_report(span: Span, period: AccountingPeriod | None = None) -> CloseReport:
    report = CloseReport(span=span, period=period)
    remittances = period_remittances(span)
    sums = remittances.aggregate(
        n=Count("id"), cash=Sum("amount"), unexplained=Sum("unexplained_amount"), drift=Sum("drift")
    )
    report.payments = sums["n"]
    report.cash_received = _cents(sums["cash"])
    report.unexplained = _cents(sums["unexplained"])
    report.drift = _cents(sums["drift"])

    deductions = period_lines(span).filter(line_type__in=DEDUCTION_TYPES).order_by()
    report.deductions_by_type = [
        {
            "line_type": r["line_type"],
            "label": LineType(r["line_type"]).label,
            "lines": r["n"],
            "total": _cents(r["t"]),
        }
        for r in deductions.values("line_type")
        .annotate(n=Count("id"), t=Sum("amount_paid"))
        .order_by("line_type")
    ]
    report.deductions_by_account = [
        {
            "number": r["gl_account__number"] or "",
            "name": r["gl_account__name"] or "Not mapped",
            "lines": r["n"],
            "total": _cents(r["t"]),
        }
        for r in deductions.values("gl_account__number", "gl_account__name")
        .annotate(n=Count("id"), t=Sum("amount_paid"))
        .order_by("gl_account__number")
    ]
    report.deductions_total = sum((r["total"] for r in report.deductions_by_type), ZERO)

    disputes = period_disputes(span).aggregate(
        n=Count("id"), disputed=Sum("disputed_amount"), recovered=Sum("recovered_amount")
    )
    report.disputes_open = disputes["n"]
    report.disputes_open_amount = _cents(disputes["disputed"]) - _cents(disputes["recovered"])

    batches = period_batches(span, period)
    counts = dict(batches.order_by().values_list("status").annotate(n=Count("id")))
    report.batches_by_status = [
        {"status": s, "label": BatchStatus(s).label, "count": counts[s]}
        for s in BatchStatus.values
        if s in counts
    ]
    report.blockers = close_blockers(span, period)
    return report


def close_blockers(span: Span, period: AccountingPeriod | None = None) -> list[Blocker]:
    """Everything outstanding for the period, each with the page that fixes it (empty = can close)."""
    blockers: list[Blocker] = []
    lines = period_lines(span).order_by()
    for row in (
        lines.filter(match_status__in=[LineMatchStatus.UNMATCHED, LineMatchStatus.SUGGESTED])
        .values("remittance__payment_number", "remittance__public_id")
        .annotate(n=Count("id"), t=Sum("amount_paid"))
        .order_by("remittance__payment_number")
    ):
        blockers.append(
            Blocker(
                "unmatched",
                f"Payment {row['remittance__payment_number']}: {row['n']} line(s) not matched",
                reverse("reconciliation:workbench", args=[row["remittance__public_id"]]),
                row["n"],
                _cents(row["t"]),
            )
        )
    for row in (
        lines.filter(status=LineStatus.UNMAPPED)
        .values("line_type", "adjustment_code")
        .annotate(n=Count("id"), t=Sum("amount_paid"))
        .order_by("line_type", "adjustment_code")
    ):
        code = f" code {row['adjustment_code']}" if row["adjustment_code"] else ""
        blockers.append(
            Blocker(
                "unmapped",
                f"{LineType(row['line_type']).label}{code}: {row['n']} line(s) with no GL mapping",
                reverse("reconciliation:mappings"),
                row["n"],
                _cents(row["t"]),
            )
        )
    # Cash received is not in the books until a batch posts it: a payment that no live batch holds
    # (draft to posted) has to be batched; one whose batch was reversed has to be batched again.
    held = PostingBatch.remittances.through.objects.filter(
        postingbatch__kind=BatchKind.POSTING, postingbatch__status__in=LIVE_BATCH_STATUSES
    ).values("remittance_id")
    for remittance in (
        period_remittances(span)
        .exclude(id__in=held)
        .order_by("payment_date", "payment_number")
        .only("payment_number", "amount")
    ):
        blockers.append(
            Blocker(
                "not_batched",
                f"Payment {remittance.payment_number} is in no posting batch",
                reverse("reconciliation:posting_candidates"),
                1,
                remittance.amount,
            )
        )
    batches = period_batches(span, period)
    for batch in batches.filter(status=BatchStatus.DRAFT, kind=BatchKind.POSTING).order_by("id"):
        blockers.append(
            Blocker(
                "draft",
                f"Batch {batch.number} is a draft: submit it for approval",
                batch.get_absolute_url(),
                1,
                batch.payment_total,
            )
        )
    for batch in batches.filter(status__in=[BatchStatus.APPROVED, BatchStatus.POSTING]).order_by("id"):
        blockers.append(
            Blocker(
                "posting",
                f"Batch {batch.number} is approved and still posting to NetSuite",
                batch.get_absolute_url(),
                1,
                batch.payment_total,
            )
        )
    for batch in batches.filter(status=BatchStatus.PENDING_APPROVAL).order_by("id"):
        blockers.append(
            Blocker(
                "awaiting_approval",
                f"Batch {batch.number} awaits approval",
                batch.get_absolute_url(),
                1,
                batch.payment_total,
            )
        )
    failed = batches.filter(
        Q(status=BatchStatus.FAILED) | Q(entries__status=EntryStatus.NEEDS_REVIEW)
    ).distinct()
    for batch in failed.order_by("id"):
        blockers.append(
            Blocker(
                "failed_posting",
                f"Batch {batch.number}: postings failed in NetSuite",
                batch.get_absolute_url(),
                1,
                batch.payment_total,
            )
        )
    payment_ids = [str(p) for p in period_remittances(span).values_list("public_id", flat=True)]
    for case in (
        ExceptionCase.objects.open()
        .filter(kind=ExceptionKind.SETTLEMENT_DRIFT, subject_id__in=payment_ids)
        .order_by("first_seen_at", "id")
    ):
        blockers.append(
            Blocker(
                "drift",
                case.message,
                reverse("exception_detail", args=[case.public_id]),
                1,
                case.amount_at_risk,
            )
        )
    return blockers
