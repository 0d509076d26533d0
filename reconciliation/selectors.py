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
