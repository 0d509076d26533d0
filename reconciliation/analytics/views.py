"""The deduction analytics page: charts drawn on the server, every bar a link to its lines."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from reconciliation.analytics.charts import bar_chart
from reconciliation.analytics.compute import deduction_analytics
from reconciliation.reporting import Span, latest_activity, month_end, span_from_query
from vendorsync.access import require_perm


def _default_span() -> Span:
    """The twelve months up to the latest activity (analytics is about trends)."""
    newest = latest_activity()
    end = month_end(newest)
    start = (newest.replace(day=1) - timedelta(days=330)).replace(day=1)
    return Span(start, end, f"{start:%b %Y} – {end:%b %Y}")


@require_perm("view_reconciliation")
def analytics_page(request: HttpRequest) -> HttpResponse:
    try:
        span = span_from_query(request.GET) if request.GET else _default_span()
    except ValidationError as exc:
        return render(
            request, "reconciliation/analytics/page.html", {"error": " ".join(exc.messages)}, status=400
        )
    data = deduction_analytics(span.start, span.end)
    charts = [
        ("By type", bar_chart(data.by_type, title="Deductions by type")),
        ("By month paid", bar_chart(data.by_month, title="Deductions by month")),
        ("By FC of the invoice", bar_chart(data.by_fc, title="Deductions by fulfilment centre")),
        ("By ASIN (top 15, net of recoveries)", bar_chart(data.by_asin, title="Deductions by ASIN")),
        ("Top reasons", bar_chart(data.reasons, title="Top deduction reasons")),
        ("Aging (days since the document)", bar_chart(data.aging, title="Deduction aging")),
    ]
    return render(
        request, "reconciliation/analytics/page.html", {"span": span, "data": data, "charts": charts}
    )
