"""Throughput of the matching engine: 100,000 remittance lines against 250,000 open invoices.

Usage: .venv/bin/python bench/matching.py [--invoices 250000] [--steps 10000,50000,100000]
       BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_bench_match \
       .venv/bin/python bench/matching.py --postgres [--invoices 250000] [--steps ...]

``--postgres`` measures the product path, ``remittance_automatch``: the invoices and the lines
(500 per remittance) are loaded into the database named by BENCH_DATABASE_URL — which is DROPPED
and recreated, never point it at real data — then each step runs in a fresh process over the
remittances holding its first N lines: load lines and invoices in bulk, run the engine, write
matches and allocations in bulk, recompute line states and remittance totals, raise/clear cases,
audit. It prints wall time, lines/s and the process's peak RSS (the step's own process, so the
figure is the step's peak; tracemalloc is off as it slows the ORM it would measure).

Without ``--postgres``, IN MEMORY: the engine (``reconciliation.matching``) on plain values. Each step runs ``match`` on the first N lines against all the
invoices (index build included) once untraced for the time (wall and process CPU: on a shared
machine the CPU figure is the one that does not depend on the neighbours), then once under
tracemalloc for the peak memory. The lines are a realistic mix: invoice payments net of terms discount (most by exact
number, some retyped, some only by PO), shortage and price claims, chargebacks and co-op,
partial payments and lines that name nothing we know.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import tracemalloc
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reconciliation.matching import (  # noqa: E402
    LineType,
    OpenInvoiceIn,
    RemittanceLineIn,
    match,
    normalise,
    tie_out,
)

START = date(2026, 1, 1)
CENT = Decimal("0.01")


def invoices(count: int, rng: random.Random) -> list[OpenInvoiceIn]:
    out = []
    for i in range(count):
        amount = (Decimal(rng.randrange(5_000, 2_000_000)) / 100).quantize(CENT)
        out.append(
            OpenInvoiceIn(
                key=i,
                number=f"INV{100000 + i}",
                amount=amount,
                open_balance=amount,
                date=START + timedelta(days=i * 365 // count),
                po_number=f"PO{(100000 + i) // 2:07d}",  # two invoices per PO
            )
        )
    return out


def lines(count: int, pool: list[OpenInvoiceIn], rng: random.Random) -> list[RemittanceLineIn]:
    out: list[RemittanceLineIn] = []
    targets = rng.sample(pool, count)
    for n, inv in enumerate(targets):
        payment = f"P{n // 500:06d}"  # 500 lines per remittance
        paid_on = START + timedelta(days=60 + n * 300 // count)
        discount = (inv.amount * Decimal("0.02")).quantize(CENT)
        roll = rng.random()
        number, kind, po = inv.number, LineType.INVOICE_PAYMENT, inv.po_number
        amount, paid = inv.amount, inv.amount - discount
        if roll < 0.05:
            number = f" inv-{inv.number[3:]}"  # retyped: rule 3
        elif roll < 0.08:
            number, kind = f"X{rng.randrange(10**6)}", LineType.UNKNOWN  # names nothing: PO + amount
        elif roll < 0.10:
            paid = (paid / 2).quantize(CENT)  # partial payment
        elif roll < 0.20:
            number, kind = f"{inv.number}SC", LineType.SHORTAGE_CLAIM
            amount = paid = -(inv.amount * Decimal("0.03")).quantize(CENT)
            discount = Decimal("0.00")
        elif roll < 0.23:
            number, kind, po = f"{rng.randrange(10**7, 10**8)}VCBSINV", LineType.CHARGEBACK, ""
            amount = paid = -Decimal(rng.randrange(2500, 25000)) / 100
            discount = Decimal("0.00")
        elif roll < 0.25:
            number, kind, po = f"X{rng.randrange(10**6)}", LineType.UNKNOWN, ""  # amount only
        out.append(
            RemittanceLineIn(
                key=n,
                payment_number=payment,
                document_number=number,
                invoice_amount=amount,
                amount_paid=paid,
                discount=discount,
                line_type=kind,
                document_date=inv.date if amount > 0 else paid_on,
                payment_date=paid_on,
                po_number=po,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=250_000)
    parser.add_argument("--steps", default="10000,50000,100000")
    parser.add_argument("--postgres", action="store_true", help="the product path on BENCH_DATABASE_URL")
    parser.add_argument("--pg-step", type=int, default=0, help=argparse.SUPPRESS)  # one step, in a child
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    if args.pg_step:
        return postgres_step(args.pg_step)
    if args.postgres:
        return postgres(args.invoices, steps)
    rng = random.Random(20261201)
    pool = invoices(args.invoices, rng)
    all_lines = lines(max(steps), pool, rng)
    print(
        f"matching engine, in memory (the engine alone; --postgres runs the product path): {args.invoices:,} open invoices"
    )
    started, cpu_started = time.perf_counter(), time.process_time()
    match([], pool)  # the index alone: the fixed cost every step below includes
    print(
        f"index of {args.invoices:,} invoices alone: {time.perf_counter() - started:.2f} s"
        f" (CPU {time.process_time() - cpu_started:.2f} s)"
    )
    for step in steps:
        batch = all_lines[:step]
        started, cpu_started = time.perf_counter(), time.process_time()
        result = match(batch, pool)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        ties = tie_out(batch, result.auto)
        tracemalloc.start()
        match(batch, pool)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        outcome = Counter(str(p.status) for p in result.proposals)
        outcome["unmatched"] = len(result.unmatched)
        print(
            f"{step:,} lines: {elapsed:.2f} s (CPU {cpu:.2f} s), {step / elapsed:,.0f} lines/s,"
            f" peak {peak / 2**20:.0f} MiB;"
            f" {dict(sorted(outcome.items()))}; {sum(t.ties for t in ties.values())}/{len(ties)} remittances tie"
        )


# --- The product path on PostgreSQL ---------------------------------------------------------------

MODEL_TYPES = {
    LineType.INVOICE_PAYMENT: "invoice",
    LineType.SHORTAGE_CLAIM: "shortage",
    LineType.CHARGEBACK: "chargeback",
    LineType.UNKNOWN: "unknown",
}
LINES_PER_REMITTANCE = 500


def _django() -> None:

    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        raise SystemExit("set BENCH_DATABASE_URL to a PostgreSQL database (it is dropped and recreated)")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("VENDORSYNC_VAR_DIR", str(ROOT / "var" / "bench-matching"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorsync.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    import django

    django.setup()


def postgres(invoice_count: int, steps: list[int]) -> None:
    import subprocess

    import psycopg
    from psycopg import sql

    url = os.environ.get("BENCH_DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set BENCH_DATABASE_URL to a PostgreSQL database (it is dropped and recreated)")
    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    _django()
    from django.core.management import call_command
    from django.db import connection, transaction

    from reconciliation.models import DEDUCTION_TYPES, DeductionMapping, GLAccount, ImportBatch, Remittance

    call_command("migrate", verbosity=0)
    rng = random.Random(20261201)
    pool = invoices(invoice_count, rng)
    all_lines = lines(max(steps), pool, rng)
    started = time.perf_counter()
    account = GLAccount.objects.create(netsuite_id="1", number="4500", name="Deductions")
    for line_type in DEDUCTION_TYPES:
        DeductionMapping.objects.create(line_type=line_type, gl_account=account, effective_from="2020-01-01")
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(
            "COPY reconciliation_openinvoice (netsuite_id, number, number_key, date, amount, open_balance,"
            " purchase_order, po_key, customer_id, status, synced_at) FROM STDIN"
        ) as copy:
            for inv in pool:
                copy.write_row(
                    [str(inv.key), inv.number, normalise(inv.number), inv.date, inv.amount, inv.open_balance,
                     inv.po_number, normalise(inv.po_number), "1001", "open", "2026-12-01T00:00:00Z"]
                )  # fmt: skip
        batch = ImportBatch.objects.create(name="bench", door="command", checksum="0" * 64, status="imported")
        by_payment: dict[str, list[RemittanceLineIn]] = {}
        for line in all_lines:
            by_payment.setdefault(line.payment_number, []).append(line)
        ids = {}
        for number, group in by_payment.items():
            total = sum((line.amount_paid for line in group), Decimal("0"))
            ids[number] = Remittance.objects.create(
                payment_number=number,
                payment_date=group[0].payment_date,
                amount=total,
                source="csv",
                batch=batch,
                file_checksum="0" * 64,
                line_count=len(group),
                lines_total=total,
            ).pk
        with cursor.cursor.copy(
            "COPY reconciliation_remittanceline (remittance_id, sequence, document_number, document_date,"
            " invoice_amount, discount, amount_paid, description, purchase_order, adjustment_code, line_type,"
            " base_invoice_number, status) FROM STDIN"
        ) as copy:
            for number, group in by_payment.items():
                for sequence, line in enumerate(group, start=1):
                    copy.write_row(
                        [ids[number], sequence, line.document_number, line.document_date, line.invoice_amount,
                         line.discount, line.amount_paid, "", line.po_number, "",
                         MODEL_TYPES[line.line_type], "", "ok"]
                    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"matching on PostgreSQL: {invoice_count:,} open invoices, {len(all_lines):,} lines in"
        f" {len(by_payment)} remittances loaded in {time.perf_counter() - started:.1f} s (not timed below)"
    )
    connection.close()
    for step in steps:
        subprocess.run(  # noqa: S603 - this script, run again for one step
            [sys.executable, __file__, "--pg-step", str(step), "--invoices", str(invoice_count)], check=True
        )


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) the PostgreSQL backend serving us has used: its own work,
    whatever the neighbours do (the server runs on this machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_step(step: int) -> None:
    import resource

    _django()
    from django.db import connection

    from reconciliation.matching_services import remittance_automatch
    from reconciliation.models import Match, MatchAllocation, Remittance, RemittanceLine

    with connection.cursor() as cursor:  # a clean slate: the previous step's matches go
        cursor.execute("TRUNCATE reconciliation_matchallocation, reconciliation_match")
        cursor.execute("UPDATE reconciliation_remittanceline SET match_status = 'unmatched', applied = 0")
        cursor.execute("DELETE FROM vendorsync_exceptioncase")
        cursor.execute("VACUUM ANALYZE reconciliation_remittanceline")
    remittances = list(Remittance.objects.order_by("payment_number")[: step // LINES_PER_REMITTANCE])
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    slowest: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            slowest.append((time.perf_counter() - began, sql[:160]))

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    pg_started = backend_cpu(backend)
    started, cpu_started = time.perf_counter(), time.process_time()
    from django.db import transaction

    with connection.execute_wrapper(timed):
        with transaction.atomic():
            run = remittance_automatch(remittances=remittances)
            before_commit = time.perf_counter()
    commit = time.perf_counter() - before_commit
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    pg_cpu = backend_cpu(backend) - pg_started
    load = os.getloadavg()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert run.lines == step, (run.lines, step)
    tied = sum(
        1
        for r in Remittance.objects.filter(pk__in=[r.pk for r in remittances])
        if r.amount == r.matched_amount + r.deductions_amount + r.unexplained_amount
    )
    print(
        f"{step:,} lines: {elapsed:.2f} s (CPU: Python {cpu:.2f} s, PostgreSQL backend {pg_cpu:.2f} s;"
        f" load average {load[0]:.1f}), {step / elapsed:,.0f} lines/s,"
        f" peak RSS {peak:.0f} MB ({before:.0f} MB before); {run.auto:,} auto, {run.suggested:,} suggestions,"
        f" {run.unmatched:,} unmatched; {Match.objects.count():,} matches,"
        f" {MatchAllocation.objects.count():,} allocations written;"
        f" lines matched {RemittanceLine.objects.filter(match_status='matched').count():,};"
        f" {tied}/{len(remittances)} remittances tie"
    )
    slowest.sort(reverse=True)
    print(
        f"  {len(slowest)} queries, {sum(t for t, _ in slowest):.2f} s in the database + commit {commit:.2f} s; slowest:"
        f" {'; '.join(f'{t:.2f} s {q[:70]}' for t, q in slowest[:3])}"
    )


if __name__ == "__main__":
    main()
