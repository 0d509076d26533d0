"""Measure the core pages and the outbox relay on a year-sized queue.

Usage: .venv/bin/python bench/bench_foundation.py [--exceptions 50000] [--messages 2000]

Runs against a throw-away SQLite database in a temporary folder, or against the PostgreSQL
database named in BENCH_DATABASE_URL, which it DROPS and recreates first (never point it at real
data), and prints
median and worst timings of the pages, the XLSX export, and the relay's delivery rate.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
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
    parser.add_argument("--exceptions", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="vendorsync-bench-")
    os.environ["VENDORSYNC_VAR_DIR"] = tmp
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
    from django.db import connection, reset_queries, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from vendorsync import outbox, services
    from vendorsync.models import ExceptionCase, ExceptionKind, OutboxMessage, SyncRun, owner_for_kind

    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    print(
        f"database: {connection.vendor}; exceptions: {args.exceptions:,}; outbox messages: {args.messages:,}"
    )

    kinds = [k for k, _ in ExceptionKind.choices]
    now = timezone.now()
    started = time.perf_counter()
    batch = []
    for i in range(args.exceptions):
        kind = kinds[i % len(kinds)]
        status = "open" if i % 5 == 0 else "resolved"
        batch.append(
            ExceptionCase(
                kind=kind,
                owner_team=owner_for_kind(kind),
                status=status,
                dedupe_key=f"bench:{i}",
                message=f"Bench problem {i} on PO {1000 + i % 997}",
                last_seen_at=now,
            )
        )
        if len(batch) == 5000:
            ExceptionCase.objects.bulk_create(batch)
            batch = []
    ExceptionCase.objects.bulk_create(batch)
    SyncRun.objects.bulk_create(
        [SyncRun(flow=f"orders.flow{i % 6}", outcome="succeeded", finished_at=now) for i in range(365 * 24)]
    )
    print(f"filled in {time.perf_counter() - started:.1f} s")

    user = User.objects.create_user("bench", password="bench-password-123")  # noqa: S106 - throw-away database
    user.groups.set(Group.objects.filter(name__in=["ops", "admin"]))
    client = Client()
    client.force_login(user)

    def measure(label: str, url: str) -> None:
        timings = []
        queries = 0
        for _ in range(args.repeat):
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(url)
                timings.append(time.perf_counter() - t0)
            assert response.status_code == 200, (url, response.status_code)
            queries = len(ctx.captured_queries)
        print(
            f"{label:<38} median {statistics.median(timings) * 1000:7.1f} ms  worst {max(timings) * 1000:7.1f} ms"
            f"  queries {queries}"
        )

    measure("dashboard", "/dashboard/")
    measure("exception queue, first page", "/exceptions/?status=unresolved")
    measure("exception queue, open ops, page 20", "/exceptions/?owner_team=ops&status=open&page=20")
    measure("exception queue, search", "/exceptions/?q=PO+1500")
    measure("sync runs and outbox", "/sync/")
    measure("XLSX export of open exceptions", "/exceptions/?status=open&export=xlsx")

    with transaction.atomic():
        for i in range(args.messages):
            services.outbox_enqueue(
                target="test", operation="echo", external_key=f"bench-{i}", payload={"i": i}
            )
    t0 = time.perf_counter()
    while outbox.relay_once(limit=200).claimed:
        pass
    elapsed = time.perf_counter() - t0
    sent = OutboxMessage.objects.filter(state="sent").count()
    print(
        f"outbox relay: {sent:,} messages in {elapsed:.2f} s = {sent / elapsed:,.0f} messages/s "
        "(no-op handler: the relay's own cost, audit rows included)"
    )


if __name__ == "__main__":
    main()
