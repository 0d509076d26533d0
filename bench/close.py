"""Month-end close, profitability and deduction analytics over a year of data (issue 12).

Usage: .venv/bin/python bench/close.py [--invoices-per-month 300] [--asins 400]

Builds a throwaway SQLite database (under a temp dir) with twelve months of invoices (three lines
each) and weekly payments net of claims, reversals, co-op and chargebacks — the tests' factory,
scaled — then times each computation once: wall time, the process's CPU time (on a shared machine
the figure that does not depend on the neighbours) and the number of queries.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--invoices-per-month", type=int, default=300)
    parser.add_argument("--asins", type=int, default=400)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-close-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorsync.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from reconciliation.analytics.compute import deduction_analytics
    from reconciliation.close.selectors import close_report
    from reconciliation.models import RemittanceLine
    from reconciliation.profitability.compute import profitability
    from reconciliation.reporting import Span
    from tests.reconciliation.close_factories import year_of_data

    started = time.perf_counter()
    year_of_data(invoices_per_month=args.invoices_per_month, asins=args.asins)
    print(
        f"data: {args.invoices_per_month * 12} invoices, {args.invoices_per_month * 36} invoice lines, "
        f"{RemittanceLine.objects.count()} remittance lines, {args.asins} ASINs "
        f"(built in {time.perf_counter() - started:.1f}s)"
    )
    june, year = Span(date(2026, 6, 1), date(2026, 6, 30), "Jun 2026"), (date(2026, 1, 1), date(2026, 12, 31))
    steps = [
        ("profitability, one month", lambda: profitability(june.start, june.end)),
        ("profitability, the year", lambda: profitability(*year)),
        ("close report, one month", lambda: close_report(june)),
        ("deduction analytics, the year", lambda: deduction_analytics(*year)),
    ]
    for name, step in steps:
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            wall, cpu = time.perf_counter(), time.process_time()
            step()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{name:32s} wall {wall * 1000:7.0f} ms  cpu {cpu * 1000:7.0f} ms  {len(queries):3d} queries")


if __name__ == "__main__":
    main()
