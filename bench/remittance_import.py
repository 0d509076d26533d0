"""Import a 100,000-line remittance CSV into PostgreSQL and compare with a bare COPY of the same rows.

Usage: BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_bench_remit \\
       .venv/bin/python bench/remittance_import.py [--lines 100000] [--payments 100] [--repeat 3]

The database in BENCH_DATABASE_URL is DROPPED and recreated (never point it at real data); without
it a throw-away SQLite database is used (and COPY is skipped). Prints lines/s and peak memory
(the process's peak RSS; tracemalloc is left off because it slows the code it measures) of ``remittance_import`` — parse,
classify, code, bulk insert, exceptions, audit, one transaction — then the time PostgreSQL ``COPY``
takes to load the same rows into a bare table, and the ratio — by wall clock and by CPU (this
process plus its PostgreSQL backend, read from ``/proc`` when the server runs on the same host),
the latter being what a shared machine's load inflates least.

The mix is realistic: ~80 % invoice payments with a 2 % terms discount, then shortage claims, price
claims, chargebacks, co-op, price protection and a few provisions; every payment adds up.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import random
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = [
    "Payment Number", "Payment Date", "Payment Amount", "Payment Currency", "Invoice Number", "Invoice Date",
    "Transaction Description", "Invoice Amount", "Terms Discount Taken", "Amount Paid",
]  # fmt: skip


def make_csv(lines: int, payments: int) -> bytes:
    rng = random.Random(20261201)
    per = lines // payments
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for p in range(payments):
        number = str(400000000 + p)
        rows = []
        for i in range(per):
            roll = rng.random()
            base = f"INV-{p:04d}{i:05d}"
            if roll < 0.80:
                total = Decimal(rng.randrange(10000, 500000)) / 100
                discount = (total * Decimal("0.02")).quantize(Decimal("0.01"))
                rows.append([base, "11/01/2026", "Invoice payment", total, discount, total - discount])
            else:
                amount = -Decimal(rng.randrange(500, 20000)) / 100
                doc, text = rng.choice(
                    [
                        (base + "SC", "Shortage claim"),
                        (base + "PC", "Price claim"),
                        (f"{rng.randrange(10**7, 10**8)}VCBSINV", "Chargeback"),
                        (f"{rng.randrange(1000, 9999)}-{rng.randrange(10**7, 10**8)}", "Co-op"),
                        (f"IPAPUS{rng.randrange(10**6, 10**7)}", "Price protection"),
                        (f"{rng.randrange(10**8, 10**9)}-PROVISION FOR RECEIVABLES", "Provision"),
                    ]
                )
                rows.append([doc, "11/20/2026", text, amount, Decimal("0.00"), amount])
        total_paid = sum((r[5] for r in rows), Decimal("0"))
        for r in rows:
            writer.writerow(
                [number, "11/30/2026", f"{total_paid:,.2f}", "USD", r[0], r[1], r[2], r[3], r[4], r[5]]
            )
    return out.getvalue().encode()


def _recreate_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--payments", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3, help="import + COPY pairs (best of each is quoted)")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="vendorsync-bench-")
    os.environ["VENDORSYNC_VAR_DIR"] = tmp
    os.environ.pop("DATABASE_URL", None)
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        os.environ["DATABASE_URL"] = url
        _recreate_postgres_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorsync.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from reconciliation import services
    from reconciliation.models import DEDUCTION_TYPES, DeductionMapping, GLAccount, ImportDoor, LineType

    call_command("migrate", verbosity=0)
    account = GLAccount.objects.create(netsuite_id="1", number="4500", name="Deductions")
    for line_type in [*DEDUCTION_TYPES, LineType.TERMS_DISCOUNT]:
        DeductionMapping.objects.get_or_create(
            line_type=line_type,
            adjustment_code="",
            defaults={"gl_account": account, "effective_from": "2020-01-01"},
        )
    data = make_csv(args.lines, args.payments)
    print(f"file: {len(data) / 1e6:.1f} MB, {args.lines:,} lines in {args.payments} payments")

    # Time spent in _insert_lines: building the lines (classify, code) as the one COPY consumes them.
    insert_seconds = [0.0]
    original_insert = services._insert_lines

    def timed_insert(lines):  # noqa: ANN001, ANN202
        started = time.perf_counter()
        original_insert(lines)
        insert_seconds[0] += time.perf_counter() - started

    services._insert_lines = timed_insert

    # Phase marks: parsing ends when _write starts; the body of the transaction ends when the line
    # references are locked (its last step); what follows until _write returns is mostly the commit.
    marks: dict[str, float] = {}
    original_write, original_lock = services._write, services._lock_line_references

    def marked_write(*a, **k):  # noqa: ANN002, ANN003, ANN202
        marks["write"] = time.perf_counter()
        result = original_write(*a, **k)
        marks["written"] = time.perf_counter()
        return result

    def marked_lock(*a, **k):  # noqa: ANN002, ANN003, ANN202
        marks["body"] = time.perf_counter()
        return original_lock(*a, **k)

    services._write, services._lock_line_references = marked_write, marked_lock
    from reconciliation.importers import parse

    rows: list[list[str]] = []  # the bare COPY's input, built after the first import's memory is read
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_copy (payment_number text, payment_date date, payment_amount text,"
                " currency text, document_number text, document_date date, description text,"
                " invoice_amount numeric(14,2), discount numeric(14,2), amount_paid numeric(14,2))"
            )

    def backend_cpu() -> float | None:
        """CPU seconds PostgreSQL's backend process for this connection has used (same host only)."""
        if not postgres:
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    copy_cpu: list[tuple[float, float | None]] = []

    def bare_copy() -> float:
        if not rows:
            rows.extend(list(csv.reader(io.StringIO(data.decode())))[1:])
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE bench_copy")
            server_before = backend_cpu()
            started, cpu_started = time.perf_counter(), time.process_time()
            with cursor.copy("COPY bench_copy FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            elapsed = time.perf_counter() - started
            client = time.process_time() - cpu_started
            server_after = backend_cpu()
            server = (
                server_after - server_before
                if server_before is not None and server_after is not None
                else None
            )
            copy_cpu.append((client, server))
            return elapsed

    # Pairs (import, then the bare COPY right after it) so both meet the same load on a shared
    # machine; the figures to quote are the best of each, and every pair is printed.
    results = []
    for attempt in range(1, args.repeat + 1):
        if attempt > 1:
            _clear_imports(connection)
        insert_seconds[0] = 0.0
        before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        load = os.getloadavg()[0]
        server_before = backend_cpu()
        started, cpu_started = time.perf_counter(), time.process_time()
        batch = services.remittance_import(data=data, name="bench.csv", door=ImportDoor.COMMAND)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        server_after = backend_cpu()
        server = (
            server_after - server_before if server_before is not None and server_after is not None else None
        )
        assert batch.status == "imported", batch.errors[:3]
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"--- run {attempt}: load average before it {load:.1f} (2 cores)")
        print(
            f"import: {elapsed:.2f} s, {args.lines / elapsed:,.0f} lines/s ({cpu:.2f} s CPU in this process)"
        )
        print(f"  reading the file (decode, parse, validate): {marks['write'] - started:.2f} s")
        print(
            "  classifying, coding and writing the lines, overlapped (one binary COPY fed as lines are"
            f" built; bulk_create on SQLite): {insert_seconds[0]:.2f} s"
        )
        print(
            "  remittance rows, exceptions and audit:"
            f" {marks['body'] - marks['write'] - insert_seconds[0]:.2f} s"
        )
        print(f"  reference locks and commit: {marks['written'] - marks['body']:.2f} s")
        print(
            f"memory: process peak RSS {rss_mb:.0f} MB ({before_mb:.0f} MB before the import, file in memory)"
        )
        copy_elapsed = bare_copy() if postgres else None
        work = None
        if copy_elapsed is not None:
            print(
                f"COPY of the same rows into a bare table: {copy_elapsed:.2f} s; ratio {elapsed / copy_elapsed:.1f} x COPY"
            )
            copy_client, copy_server = copy_cpu[-1]
            if server is not None and copy_server is not None:
                # CPU is what the neighbours' load does not inflate: the import's process (both
                # threads) plus its PostgreSQL backend, against the same for the bare COPY.
                work = (cpu + server) / (copy_client + copy_server)
                print(
                    f"CPU: import {cpu:.2f} s here + {server:.2f} s in PostgreSQL; bare COPY {copy_client:.2f} s"
                    f" + {copy_server:.2f} s; ratio {work:.1f} x COPY by CPU"
                )
        results.append((elapsed, cpu, copy_elapsed, work))

    started = time.perf_counter()
    parse(data, "bench.csv")
    print(f"reading the CSV again alone (parse, no database): {time.perf_counter() - started:.2f} s")
    if not postgres:
        print("COPY: skipped (set BENCH_DATABASE_URL to a PostgreSQL database)")
        return
    best_import = min(r[0] for r in results)
    best_copy = min(r[2] for r in results)
    ratios = sorted(r[0] / r[2] for r in results)
    print(
        f"best of {len(results)}: import {best_import:.2f} s, COPY {best_copy:.2f} s, "
        f"ratio {best_import / best_copy:.1f} x COPY (pair ratios {', '.join(f'{x:.1f}' for x in ratios)})"
    )
    by_cpu = sorted(r[3] for r in results if r[3] is not None)
    if by_cpu:
        print(
            f"ratio by CPU (process + PostgreSQL backend), per pair: {', '.join(f'{x:.1f}' for x in by_cpu)}"
        )


def _clear_imports(connection) -> None:  # noqa: ANN001
    """Remove what the previous run imported (the same file is refused twice), keeping the tables."""
    tables = [
        "reconciliation_remittanceline",
        "reconciliation_remittance",
        "reconciliation_importbatch",
        "vendorsync_exceptioncase",
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our names


if __name__ == "__main__":
    main()
