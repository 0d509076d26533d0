"""The dashboard's "Auto-match rate" (``vendorsync.health`` metric ``auto_match_rate``).

Of the payment lines of live remittances paid in the last 30 days, the share the engine matched
on its own (an ``auto`` match still accepted), with the suggestion and unmatched shares as
detail. One aggregate query whatever the volume.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from reconciliation.models import LineMatchStatus, LineType, MatchAllocation, MatchStatus, RemittanceLine
from vendorsync.health import MetricValue, register_metric

WINDOW_DAYS = 30


def auto_match_rate() -> MetricValue:
    since = timezone.localdate() - timedelta(days=WINDOW_DAYS)
    lines = RemittanceLine.objects.filter(
        line_type=LineType.INVOICE, remittance__payment_date__gte=since
    ).exclude(remittance__status="superseded")
    auto_matched = MatchAllocation.objects.filter(
        line_id=OuterRef("pk"), match__auto=True, match__status=MatchStatus.ACCEPTED
    )
    counts = lines.aggregate(
        total=Count("id"),
        auto=Count("id", filter=Q(Exists(auto_matched))),
        suggested=Count("id", filter=Q(match_status=LineMatchStatus.SUGGESTED)),
        unmatched=Count("id", filter=Q(match_status=LineMatchStatus.UNMATCHED)),
    )
    auto = counts["auto"]
    total = counts["total"]
    if not total:
        return MetricValue(value="–", detail=f"No invoice payment lines in the last {WINDOW_DAYS} days.")
    rate = (Decimal(auto) * 100 / total).quantize(Decimal("0.1"))
    return MetricValue(
        value=f"{rate} %",
        detail=(
            f"{auto:,} of {total:,} invoice payment lines auto-matched ({WINDOW_DAYS} days);"
            f" {counts['suggested']:,} wait as suggestions, {counts['unmatched']:,} unmatched."
        ),
        link=reverse("reconciliation:remittances"),
    )


def register() -> None:
    register_metric("auto_match_rate", label="Auto-match rate", fn=auto_match_rate)
