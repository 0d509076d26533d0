"""Server time of the exception queue's first page and the dashboard with 100,000 exceptions.

(Issue 13 names this script ``bench/queue.py``; a file of that name in ``bench/`` shadows the
standard library's ``queue`` for every script run from the folder — psycopg, Celery and asgiref
import it — so it is called ``exception_queue.py``.)

Usage:
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_bench_queue .venv/bin/python bench/exception_queue.py
    .venv/bin/python bench/exception_queue.py --exceptions 20000      # SQLite in a temporary folder

The PostgreSQL database named in BENCH_DATABASE_URL is DROPPED and recreated (never point it at real
data). Cases: 20 % open, spread over a year of first-seen times, a third with an amount at risk,
an eighth assigned. Each page is requested ``--repeat`` times through Django's test client (middleware,
session, permission checks and template rendering included, no network); the script prints the
median and worst time and the number of queries of one request, e.g.

    queue page (ops default view)   median    61.2 ms  worst    70.3 ms  (SQL  9.0 ms)  queries 11
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _recreate_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--exceptions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()

    os.environ["VENDORSYNC_VAR_DIR"] = tempfile.mkdtemp(prefix="vendorsync-bench-queue-")
    os.environ.pop("DATABASE_URL", None)
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = url = os.environ["BENCH_DATABASE_URL"]
        _recreate_postgres_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorsync.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from vendorsync.models import ExceptionCase, ExceptionKind, owner_for_kind

    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    rng = random.Random(13)
    ops = User.objects.create_user("bench-ops", password="bench-password-123")  # noqa: S106 - throw-away
    ops.groups.set(Group.objects.filter(name="ops"))
    admin = User.objects.create_user("bench-admin", password="bench-password-123")  # noqa: S106
    admin.groups.set(Group.objects.filter(name="admin"))
    colleagues = [User.objects.create_user(f"ops{i}") for i in range(5)]
    for user in colleagues:
        user.groups.set(Group.objects.filter(name="ops"))

    kinds = list(ExceptionKind.values)
    now = timezone.now()
    started = time.perf_counter()
    batch: list[ExceptionCase] = []
    for i in range(args.exceptions):
        kind = kinds[i % len(kinds)]
        is_open = i % 5 == 0
        first = now - timedelta(seconds=rng.randint(0, 365 * 86400))
        batch.append(
            ExceptionCase(
                kind=kind,
                owner_team=owner_for_kind(kind),
                status=("in_progress" if i % 8 == 0 else "open") if is_open else "resolved",
                dedupe_key=f"bench:{i}",
                message=f"Bench problem {i} on PO {1000 + i % 997}",
                amount_at_risk=Decimal(rng.randint(100, 500_000)) / 100 if i % 3 == 0 else None,
                first_seen_at=first,
                last_seen_at=first + timedelta(hours=rng.randint(0, 48)),
                assignee=colleagues[i % 5] if is_open and i % 8 == 0 else None,
                alerted_at=now,
            )
        )
        if len(batch) == 5000:
            ExceptionCase.objects.bulk_create(batch)
            batch = []
    ExceptionCase.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE vendorsync_exceptioncase")
    print(
        f"database: {connection.vendor}; exceptions: {args.exceptions:,} "
        f"({args.exceptions // 5:,} open); filled in {time.perf_counter() - started:.1f} s"
    )

    def measure(label: str, user: User, url: str) -> None:
        client = Client()
        client.force_login(user)
        timings = []
        sql = []
        queries = 0
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - t0)
            assert response.status_code == 200, (url, response.status_code)
            queries = len(ctx.captured_queries)
            sql.append(sum(float(q["time"]) for q in ctx.captured_queries))
        print(
            f"{label:<40} median {statistics.median(timings) * 1000:7.1f} ms"
            f"  worst {max(timings) * 1000:7.1f} ms  (SQL {statistics.median(sql) * 1000:5.1f} ms)"
            f"  queries {queries}"
        )

    measure("queue page (ops default view)", ops, "/exceptions/?status=unresolved&owner_team=ops")
    measure(
        "queue page, sorted by amount at risk", ops, "/exceptions/?status=unresolved&sort=-amount_at_risk"
    )
    measure("queue page, oldest first", ops, "/exceptions/?status=unresolved&owner_team=ops&sort=-age")
    measure(
        "queue page, over 7 days, from 1,000", ops, "/exceptions/?status=unresolved&age=gt7d&amount_min=1000"
    )
    measure("queue page, everything (any status)", admin, "/exceptions/?status=")
    measure("dashboard", admin, "/dashboard/")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (the machine has {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
