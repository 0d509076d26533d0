"""Reads the finance pages share: live remittances, deductions and their aging and totals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from reconciliation.filters import AGE_BUCKETS
from reconciliation.models import DEDUCTION_TYPES, LineType, Remittance, RemittanceLine, RemittanceStatus


def live_remittances() -> QuerySet[Remittance]:
    return Remittance.objects.exclude(status=RemittanceStatus.SUPERSEDED)


def deductions() -> QuerySet[RemittanceLine]:
    return (
        RemittanceLine.objects.filter(line_type__in=DEDUCTION_TYPES)
        .exclude(remittance__status=RemittanceStatus.SUPERSEDED)
        .select_related("remittance", "gl_account")
    )


CENT = Decimal("0.01")


def _cents(value: Decimal | None) -> Decimal:
    """A sum of money in cents: SQLite's SUM of a decimal column comes back with float-like digits."""
    return (value or Decimal("0")).quantize(CENT)


def deduction_totals(queryset: QuerySet[RemittanceLine]) -> dict[str, Any]:
    """Totals by type and by aging bucket (0–30 / 31–60 / 61–90 / 90+ days), in two queries."""
    by_type = [
        {
            "line_type": row["line_type"],
            "label": LineType(row["line_type"]).label,
            "lines": row["n"],
            "total": _cents(row["total"]),
        }
        for row in queryset.order_by()
        .values("line_type")
        .annotate(n=Count("id"), total=Sum("amount_paid"))
        .order_by("line_type")
    ]
    today = timezone.localdate()
    aggregates = {}
    for index, (low, high) in enumerate(AGE_BUCKETS.values()):
        newest = today - timedelta(days=low)
        condition = Q()  # the youngest bucket also holds lines dated after today (filters.age_filter)
        if low > 0:
            condition = Q(document_date__lte=newest) | Q(
                document_date__isnull=True, remittance__payment_date__lte=newest
            )
        if high is not None:
            oldest = today - timedelta(days=high)
            condition &= Q(document_date__gte=oldest) | Q(
                document_date__isnull=True, remittance__payment_date__gte=oldest
            )
        aggregates[f"bucket{index}"] = Sum("amount_paid", filter=condition)
    sums = queryset.order_by().aggregate(**aggregates)
    aging = [{"bucket": b, "total": _cents(sums[f"bucket{i}"])} for i, b in enumerate(AGE_BUCKETS)]
    return {"by_type": by_type, "aging": aging}


# --- The matching workbench (issue 10) ----------------------------------------------------------

WORKBENCH_FILTERS = {
    "open": ("Needs work", ["unmatched", "suggested"]),
    "suggested": ("Suggested", ["suggested"]),
    "unmatched": ("Unmatched", ["unmatched"]),
    "matched": ("Matched", ["matched"]),
    "deduction": ("Deductions", ["deduction"]),
    "all": ("All lines", None),
}


def workbench_lines(remittance: Remittance, *, show: str = "all", q: str = "") -> QuerySet[RemittanceLine]:
    """The lines of one remittance for the workbench (no joins: the row shows its own columns)."""
    lines = RemittanceLine.objects.filter(remittance=remittance).only(
        "id",
        "remittance_id",
        "sequence",
        "document_number",
        "document_date",
        "line_type",
        "amount_paid",
        "discount",
        "applied",
        "match_status",
        "purchase_order",
    )
    statuses = WORKBENCH_FILTERS.get(show, WORKBENCH_FILTERS["all"])[1]
    if statuses is not None:
        lines = lines.filter(match_status__in=statuses)
    if q:
        lines = lines.filter(Q(document_number__icontains=q) | Q(purchase_order__icontains=q))
    return lines.order_by("sequence")


def best_suggestions(remittance: Remittance, line_ids: list[int]) -> dict[int, Decimal]:
    """Line id → confidence of its best pending suggestion (one grouped query)."""
    from django.db.models import Max

    from reconciliation.models import MatchAllocation, MatchStatus

    return dict(
        MatchAllocation.objects.filter(
            match__remittance=remittance, match__status=MatchStatus.SUGGESTED, line_id__in=line_ids
        )
        .order_by()
        .values("line_id")
        .annotate(best=Max("match__confidence"))
        .values_list("line_id", "best")
    )


def workbench_totals(remittance: Remittance) -> dict[str, Any]:
    """Live header figures: the stored tie-out plus deductions coded to an account (one query)."""
    coded = RemittanceLine.objects.filter(remittance=remittance, line_type__in=DEDUCTION_TYPES).aggregate(
        total=Sum("amount_paid"),
        coded=Sum("amount_paid", filter=Q(gl_account__isnull=False)),
    )
    return {
        "payment": remittance.amount,
        "matched": remittance.matched_amount,
        "deductions": remittance.deductions_amount,
        "deductions_coded": coded["coded"] or Decimal("0.00"),
        "unexplained": remittance.unexplained_amount,
        "written_off": remittance.written_off_amount,
        "matched_pct": remittance.matched_pct,
    }


def line_panel(line: RemittanceLine, *, invoice_query: str = "") -> dict[str, Any]:
    """The right-hand panel for one line: its matches (accepted first, then suggestions) and
    candidate invoices for a manual match with the balance each still has (four queries)."""
    from reconciliation.matching_services import _consumed_by_invoice
    from reconciliation.models import Match, MatchStatus, OpenInvoice

    matches = list(
        Match.objects.filter(allocations__line=line, status__in=[MatchStatus.ACCEPTED, MatchStatus.SUGGESTED])
        .distinct()
        .order_by("status", "-confidence", "id")
        .prefetch_related("allocations__invoice", "allocations__line")
    )
    remaining = line.amount_paid - line.applied
    invoices = OpenInvoice.objects.filter(open_balance__gt=0)
    if invoice_query:
        text = invoice_query.strip()
        condition = Q(number__icontains=text) | Q(purchase_order__icontains=text)
        try:
            condition |= Q(open_balance=Decimal(text.replace(",", "")))
        except ArithmeticError:
            pass
        invoices = invoices.filter(condition)
    else:
        condition = Q(number__iexact=line.document_number) | Q(open_balance=remaining)
        if line.base_invoice_number:
            condition |= Q(number__iexact=line.base_invoice_number)
        if line.purchase_order:
            condition |= Q(purchase_order=line.purchase_order)
        invoices = invoices.filter(condition)
    candidates = list(invoices.order_by("date", "number")[:20])
    consumed = _consumed_by_invoice(inv.pk for inv in candidates)
    for inv in candidates:
        inv.room = max(inv.open_balance - consumed.get(inv.pk, Decimal("0")), Decimal("0.00"))
    return {
        "accepted": [m for m in matches if m.status == MatchStatus.ACCEPTED],
        "suggested": [m for m in matches if m.status == MatchStatus.SUGGESTED],
        "candidates": candidates,
        "remaining": remaining,
        "invoice_query": invoice_query,
    }
