"""Throughput of the matching engine: 100,000 remittance lines against 250,000 open invoices.

Usage: .venv/bin/python bench/matching.py [--invoices 250000] [--steps 10000,50000,100000]

IN MEMORY ONLY: the engine (``reconciliation.matching``) is measured on plain values; the
database half (loading candidates in bulk, writing matches in bulk) is not wired yet, so this
does not measure PostgreSQL. Each step runs ``match`` on the first N lines against all the
invoices (index build included) once untraced for the time (wall and process CPU: on a shared
machine the CPU figure is the one that does not depend on the neighbours), then once under
tracemalloc for the peak memory. The lines are a realistic mix: invoice payments net of terms discount (most by exact
number, some retyped, some only by PO), shortage and price claims, chargebacks and co-op,
partial payments and lines that name nothing we know.
"""

from __future__ import annotations

import argparse
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
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    rng = random.Random(20261201)
    pool = invoices(args.invoices, rng)
    all_lines = lines(max(steps), pool, rng)
    print(f"matching engine, in memory (the database part is not wired yet): {args.invoices:,} open invoices")
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


if __name__ == "__main__":
    main()
