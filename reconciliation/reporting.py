"""The span of dates a finance report covers: a month (``?month=2026-11``) or explicit dates
(``?start=…&end=…``), defaulting to the latest month with invoices. Shared by profitability,
deduction analytics and the close page (which also accepts an accounting period)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import QueryDict
from django.utils import timezone


@dataclass(frozen=True)
class Span:
    start: date
    end: date
    label: str

    @property
    def month(self) -> str:
        return self.start.strftime("%Y-%m")

    def query(self) -> str:
        if self.start.day == 1 and self.end == month_end(self.start):
            return f"month={self.month}"
        return f"start={self.start.isoformat()}&end={self.end.isoformat()}"


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def month_span(day: date) -> Span:
    start = day.replace(day=1)
    return Span(start, month_end(start), start.strftime("%b %Y"))


def latest_activity() -> date:
    """The newest invoice or payment date (the sandbox's simulated days run ahead of the clock)."""
    from orders.models import Invoice
    from reconciliation.models import Remittance

    newest = [
        Invoice.objects.aggregate(d=Max("invoice_date"))["d"],
        Remittance.objects.aggregate(d=Max("payment_date"))["d"],
    ]
    return max([d for d in newest if d is not None], default=timezone.localdate())


def span_from_query(query: QueryDict) -> Span:
    """The span a report's querystring asks for; a malformed one is an error naming the field."""
    if query.get("start") or query.get("end"):
        try:
            start, end = date.fromisoformat(query.get("start", "")), date.fromisoformat(query.get("end", ""))
        except ValueError as exc:
            raise ValidationError("Give start and end as YYYY-MM-DD.") from exc
        if end < start:
            raise ValidationError("The end date comes before the start date.")
        return Span(start, end, f"{start} – {end}")
    if query.get("month"):
        try:
            year, month = (int(p) for p in query["month"].split("-"))
            return month_span(date(year, month, 1))
        except ValueError as exc:
            raise ValidationError(f"Month {query['month']!r} is not YYYY-MM.") from exc
    return month_span(latest_activity())


def recent_months(around: date, count: int = 13) -> list[Span]:
    """``count`` months ending with ``around``'s (for the month picker), newest first."""
    spans, day = [], around.replace(day=1)
    for _ in range(count):
        spans.append(month_span(day))
        day = (day - timedelta(days=1)).replace(day=1)
    return spans
