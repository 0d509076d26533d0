"""Query budgets with a year of data: the close, profitability and analytics pages run a bounded
number of queries, whatever the number of products, payments and lines (never one per ASIN)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.test import Client
from django.urls import reverse

from orders.models import Invoice
from reconciliation.models import AccountingPeriod
from reconciliation.profitability.compute import profitability

from .close_factories import year_of_data


@pytest.fixture
def year(db, personas):
    year_of_data()
    for month in range(1, 13):
        start = date(2026, month, 1)
        end = (date(2026, month + 1, 1) if month < 12 else date(2027, 1, 1)).toordinal() - 1
        AccountingPeriod.objects.create(
            name=start.strftime("%b %Y"), start_date=start, end_date=date.fromordinal(end)
        )
    client = Client()
    client.force_login(personas["finance"])
    return client


def test_pages_stay_within_their_budgets_with_a_year_of_data_and_add_up(year, django_assert_max_num_queries):
    period = AccountingPeriod.objects.get(name="Jun 2026")
    pages = [
        (reverse("reconciliation:close", args=[period.public_id]), {}, 30),
        (reverse("reconciliation:close", args=[period.public_id]), {"export": "xlsx"}, 30),
        (reverse("reconciliation:profitability"), {"month": "2026-06"}, 15),
        (reverse("reconciliation:profitability"), {"start": "2026-01-01", "end": "2026-12-31"}, 15),
        (
            reverse("reconciliation:profitability"),
            {"start": "2026-01-01", "end": "2026-12-31", "export": "xlsx"},
            15,
        ),
        (
            reverse("reconciliation:profitability_lines"),
            {"start": "2026-01-01", "end": "2026-12-31", "product": "B001", "figure": "claims"},
            15,
        ),
        (reverse("reconciliation:analytics"), {"start": "2026-01-01", "end": "2026-12-31"}, 20),
        (reverse("reconciliation:disputes"), {}, 20),
    ]
    for url, params, budget in pages:
        with django_assert_max_num_queries(budget):
            response = year.get(url, params)
        assert response.status_code == 200, url
    # ...and a year of profitability still adds up to the cent.
    report = profitability(date(2026, 1, 1), date(2026, 12, 31))
    assert len([r for r in report.rows if r.asin.startswith("B")]) == 40
    revenue = Invoice.objects.aggregate(t=Sum("total"))["t"].quantize(Decimal("0.01"))  # SQLite sums floats
    assert report.totals.revenue == revenue
    assert report.totals.recoveries > 0 and report.totals.prorata == 12 * 4 * 55
