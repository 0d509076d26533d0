"""Measure the X12 readers on a year-sized remittance and a busy day of purchase orders.

Usage: .venv/bin/python bench/bench_edi.py [--lines 20000] [--orders 500]

Builds the files in memory (Amazon-style 820 with one RMR/REF/DTM group per line, and an 850
interchange with ``--orders`` POs of 10 lines each), then prints wall time, throughput and the
peak memory Python allocated while reading (tracemalloc).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def envelope(body: list[str], functional_id: str, version: str, sets: int) -> str:
    isa = "ISA*00*          *00*          *ZZ*AMAZON         *ZZ*VSYNCVENDOR    *261126*0615*U*00401*000000881*0*P*>"
    return (
        "~\n".join(
            [
                isa,
                f"GS*{functional_id}*AMAZON*VSYNCVENDOR*20261126*0615*881*X*{version}",
                *body,
                f"GE*{sets}*881",
                "IEA*1*000000881",
            ]
        )
        + "~\n"
    )


def remittance_820(lines: int) -> tuple[str, Decimal]:
    segments: list[str] = []
    total = Decimal("0")
    for i in range(lines):
        paid = Decimal(1000 + i % 9000) / 100
        total += paid
        segments += [
            f"RMR*IV*INV{100000 + i}**{paid}*{paid + Decimal('1.00')}*1.00",
            f"REF*PO*PO{i:07d}",
            "DTM*003*20261101",
        ]
    body = [
        "ST*820*0001",
        f"BPR*C*{total}*C*ACH*CTX*01*999999992*DA*123456*1234567890**01*999988880*DA*98765*20261126",
        "TRN*1*355522363",
        "DTM*097*20261126",
        "N1*PR*AMAZON.COM SERVICES LLC",
        "N1*PE*NORTHWIND HOME GOODS*92*VSYNC",
        "ENT*1",
        *segments,
    ]
    body.append(f"SE*{len(body) + 1}*0001")
    return envelope(body, "RA", "004010", 1), total


def purchase_orders_850(orders: int) -> str:
    body: list[str] = []
    for n in range(orders):
        control = f"{n + 1:04d}"
        tx = [
            f"ST*850*{control}",
            f"BEG*00*NE*PO{n:06d}**20261126",
            "REF*CR*VSYNC",
            "CSH*N",
            "DTM*064*20261201",
            "DTM*063*20261205",
            "N1*ST**92*ABE8",
        ]
        for line in range(1, 11):
            tx.append(f"PO1*{line}*12*EA*18.75*PE*UP*036000291452*BP*B07DFVDR{line:02d}")
        tx.append("CTT*10")
        tx.append(f"SE*{len(tx) + 1}*{control}")
        body += tx
    return envelope(body, "PO", "004010", orders)


def measure(label: str, func, units: int, unit_name: str):
    """Time without tracing (tracemalloc slows Python down several times), then trace memory."""
    t0 = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - t0
    tracemalloc.start()
    func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"{label:<30} {elapsed * 1000:8.1f} ms  {units / elapsed:>9,.0f} {unit_name}/s  peak {peak / 2**20:6.1f} MiB"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=500)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorsync.settings")
    import django

    django.setup()
    from vendorsync.edi import read_purchase_orders, read_remittances

    text_820, total = remittance_820(args.lines)
    text_850 = purchase_orders_850(args.orders)
    print(
        f"820: {args.lines:,} remittance lines, {len(text_820) / 2**20:.1f} MiB; "
        f"850: {args.orders:,} POs × 10 lines, {len(text_850) / 2**20:.1f} MiB"
    )
    [remittance] = measure("read 820 (remittance)", lambda: read_remittances(text_820), args.lines, "lines")
    assert len(remittance.lines) == args.lines and remittance.payment_amount == total
    orders = measure("read 850 (purchase orders)", lambda: read_purchase_orders(text_850), args.orders, "POs")
    assert len(orders) == args.orders and sum(len(o.order.items) for o in orders) == args.orders * 10


if __name__ == "__main__":
    main()
