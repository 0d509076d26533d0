"""Cost of building a posting batch's records (the pure builder), per remittance size.

Usage: .venv/bin/python bench/posting_builder.py [--steps 1000,10000,50000]

Each step is one remittance of N lines: 70% invoice payments (half with a 2% terms discount, a few
with a write-off), 30% deductions (shortage and price claims, chargebacks, co-op; one in ten a
reversal paid back). It builds the credit-memo and the journal style once each and prints the
records, wall time and process CPU time (on a shared machine the CPU figure is the one that does
not depend on the neighbours). Database loading and the bulk insert are not in the figure.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reconciliation.posting import builder  # noqa: E402

CENT = Decimal("0.01")


def remittance(n: int, rng: random.Random) -> builder.RemittanceIn:
    accounts = [
        builder.Account(pk=i, netsuite_id=str(450 + i), number=str(4500 + i), item_id=str(9000 + i))
        for i in range(6)
    ]
    lines, allocations = [], []
    for i in range(n):
        if rng.random() < 0.7:
            gross = Decimal(rng.randrange(1000, 500000)) / 100
            discount = (gross * Decimal("0.02")).quantize(CENT) if rng.random() < 0.5 else Decimal("0.00")
            paid = gross - discount
            write_off = Decimal("0.30") if rng.random() < 0.02 else Decimal("0.00")
            lines.append(
                builder.LineIn(i, i + 1, f"INV-{i}", "Invoice", False, paid, paid, None, accounts[0])
            )
            allocations.append(
                builder.AllocationIn(i, str(10000 + i), f"INV-{i}", paid, discount, write_off, accounts[5])
            )
        else:
            amount = Decimal(rng.randrange(100, 50000)) / 100
            sign = 1 if rng.random() < 0.1 else -1
            lines.append(
                builder.LineIn(
                    i,
                    i + 1,
                    f"INV-{i}SC",
                    "Shortage claim",
                    True,
                    sign * amount,
                    Decimal("0.00"),
                    rng.choice(accounts[1:5]),
                )
            )
    total = sum((line.amount_paid for line in lines), Decimal("0"))
    return builder.RemittanceIn(1, "P1", date(2026, 11, 30), total, tuple(lines), tuple(allocations))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", default="1000,10000,50000")
    args = parser.parse_args()
    rng = random.Random(11)
    print(f"{'lines':>8} {'style':>12} {'records':>8} {'wall s':>8} {'cpu s':>8} {'lines/s (cpu)':>14}")
    for n in [int(s) for s in args.steps.split(",")]:
        data = [remittance(n, rng)]
        for style in ("credit_memo", "journal"):
            config = builder.Config(style, "1001", date(2026, 11, 30), "VS-PB1", "110", "120", "1")
            wall, cpu = time.perf_counter(), time.process_time()
            built = builder.build(data, config)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            assert built.ties and not built.problems
            print(
                f"{n:>8} {style:>12} {len(built.drafts):>8} {wall:>8.2f} {cpu:>8.2f} {n / max(cpu, 1e-9):>14,.0f}"
            )


if __name__ == "__main__":
    main()
