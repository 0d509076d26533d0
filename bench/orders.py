"""Import POs from the Amazon simulator, validate them and queue their sales orders; print POs/s and memory.

Usage: BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_h6_bench .venv/bin/python bench/orders.py
       [--counts 1000 5000] [--lines 20]

For each count, on a fresh database (BENCH_DATABASE_URL is DROPPED and recreated: never point it at
real data; without it a throw-away SQLite file is used) and fresh simulators in a temporary folder:
NetSuite's items are synced (the ``items`` flow), the Amazon simulator is given ``count`` POs of
``--lines`` lines each (catalogue items, a few price mismatches and unmapped ASINs, as Amazon sends
them), and the ``orders`` flow runs once: every page fetched over the real client (in-process WSGI),
each PO upserted, validated, allocated and its sales order queued in the outbox. Printed: wall time,
POs per second, peak Python memory (tracemalloc) during the flow, the process's CPU time,
PostgreSQL's own statement time (``pg_stat_database.active_time``) and the load average: the
machine is shared, so the wall time alone says little.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
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


def _give_amazon_pos(count: int, lines: int) -> None:
    from vendorsync.sandbox import catalog
    from vendorsync.sandbox.amazon import AmazonSimulator, GeneratedOrder
    from vendorsync.sandbox.amazon.generate import _line, _window, po_number

    amazon = AmazonSimulator()
    now = amazon.now()
    rng = random.Random(5000)
    items = catalog.items()
    with amazon.store.tx() as db:
        for index in range(count):
            created = now - timedelta(days=6) + timedelta(seconds=index * (5 * 86400 // count))
            picks = rng.sample(items, lines)
            order_lines = [
                _line(
                    seq,
                    rng,
                    None if rng.random() < 0.01 else item,
                    mismatch=rng.random() < 0.05,
                    beyond_stock=False,
                )
                for seq, item in enumerate(picks, 1)
            ]
            details = {
                "purchaseOrderType": "RegularOrder",
                "paymentMethod": "Invoice",
                "buyingParty": {"partyId": "AMAZON"},
                "sellingParty": {"partyId": catalog.VENDOR_CODE},
                "shipToParty": {"partyId": rng.choice(sorted(catalog.FULFILMENT_CENTRES))},
                "billToParty": {"partyId": "AMAZON"},
                "shipWindow": _window(created + timedelta(days=2), 5),
                "items": order_lines,
            }
            number = po_number(created.date(), index % 1296, rng) + f"{index:05d}"[-2:]
            order = {"purchaseOrderNumber": number[-8:], "purchaseOrderState": "New", "orderDetails": details}
            amazon._insert_po(db, GeneratedOrder(created, order, None))


def run_once(count: int, lines: int) -> dict[str, float]:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from orders.models import PurchaseOrder, PurchaseOrderLine
    from vendorsync import flows
    from vendorsync.amazon import reset_caches
    from vendorsync.models import OutboxMessage
    from vendorsync.sandbox import netsuite

    tmp = Path(tempfile.mkdtemp(prefix="vendorsync-bench-orders-"))
    settings.VAR_DIR = tmp
    settings.EDI_INBOUND_DIR = tmp / "edi" / "inbound"
    settings.EDI_OUTBOUND_DIR = tmp / "edi" / "outbound"
    reset_caches()
    call_command("flush", "--no-input", verbosity=0)
    netsuite.seed(tmp / "sandbox" / "netsuite.sqlite3")
    _give_amazon_pos(count, lines)
    items = flows.run_flow("items")
    assert items.outcome == "succeeded", items.error
    connection.close()
    database_before = _database_active_ms()
    load_before = os.getloadavg()[0]
    tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    run = flows.run_flow("orders")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    database_after = _database_active_ms()
    assert run.outcome in ("succeeded", "partial"), run.error
    imported = PurchaseOrder.objects.count()
    assert imported == count, (imported, count)
    return {
        "pos": imported,
        "lines": PurchaseOrderLine.objects.count(),
        "sales_orders_queued": OutboxMessage.objects.filter(operation="salesorder.upsert").count(),
        "blocked": run.counts.get("blocked", 0),
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "database_seconds": (database_after - database_before) / 1000
        if database_before is not None
        else None,
        "load": (load_before + os.getloadavg()[0]) / 2,
        "pos_per_second": imported / elapsed,
        "peak_mib": peak / 2**20,
    }


def _database_active_ms() -> float | None:
    """PostgreSQL's own time executing statements in this database so far (pg_stat_database, ms).

    The statistics are flushed when a session ends or goes idle, so it is read from a fresh
    connection after the flow's connection is closed; None on SQLite.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT active_time FROM pg_stat_database WHERE datname = current_database()")
        value = cursor.fetchone()[0]
    connection.close()
    return float(value or 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--lines", type=int, default=20)
    args = parser.parse_args()

    os.environ["VENDORSYNC_VAR_DIR"] = tempfile.mkdtemp(prefix="vendorsync-bench-")
    os.environ["VENDORSYNC_SANDBOX"] = "1"
    os.environ.pop("DATABASE_URL", None)
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = url = os.environ["BENCH_DATABASE_URL"]
        _recreate_postgres_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorsync.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["VENDORSYNC_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"orders flow on {engine}, {args.lines} lines per PO")
    for count in args.counts:
        result = run_once(count, args.lines)
        print(
            f"{result['pos']:>6} POs ({result['lines']} lines, {result['sales_orders_queued']} sales orders queued, "
            f"{result['blocked']} blocked): {result['seconds']:.1f} s, {result['pos_per_second']:.0f} POs/s, "
            f"peak memory {result['peak_mib']:.1f} MiB; process CPU {result['cpu_seconds']:.1f} s, "
            + (
                f"PostgreSQL active {result['database_seconds']:.1f} s, "
                if result["database_seconds"] is not None
                else ""
            )
            + f"load average {result['load']:.1f} (on {os.cpu_count()} CPUs)"
        )


if __name__ == "__main__":
    main()
