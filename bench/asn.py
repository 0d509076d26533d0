"""Measure building, validating and encoding one large ASN (API JSON and 856) from the one model.

Usage: .venv/bin/python bench/asn.py [--cartons 2000] [--pallets 40]

Uses a throw-away SQLite database in a temporary folder (migrated first), one PO with one line,
and a fulfilment whose cartons (SKU x 5 each) sit ``cartons / pallets`` to a pallet. Prints the wall
time of each step and the number of queries the validation ran (it must not grow with cartons).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cartons", type=int, default=2000)
    parser.add_argument("--pallets", type=int, default=40)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="vs-bench-asn-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorsync.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from stdnum import ean

    call_command("migrate", verbosity=0)
    from orders.outbound import encoders, services, validation
    from orders.outbound.services import Fulfilment, Package
    from tests.orders.factories import import_po, line, make_item, po_payload

    units = args.cartons * 5
    item = make_item("BENCH-SKU", upc="4006381333931", asin="B0BENCH001", cost="5.00", available=units)
    po = import_po(
        po_payload("POBENCH1", [line("1", "B0BENCH001", "4006381333931", units, "5.00")])
    ).purchase_order
    po.lines.update(item=item, accepted_quantity=units)
    po.netsuite_sales_order_id = "1"
    po.save()

    def sscc(n: int) -> str:
        body = f"0061414{n:010d}"
        return body + ean.calc_check_digit(body)

    per_pallet = max(args.cartons // max(args.pallets, 1), 1)
    packages = [
        Package(n + 1, sscc(900_000 + n), Decimal(200), "pallet", kind="pallet") for n in range(args.pallets)
    ]
    for n in range(args.cartons):
        parent = sscc(900_000 + n // per_pallet) if n // per_pallet < args.pallets else ""
        packages.append(Package(args.pallets + n + 1, sscc(n), Decimal("26.5"), "BENCH-SKU x 5",
                                parent_sscc=parent, contents=(("BENCH-SKU", 5, "", None),)))  # fmt: skip
    now = datetime.now(UTC)
    fulfilment = Fulfilment(
        "1", "IF1", "Shipped", "1", now.date(), ((1, item.netsuite_id, "1", units),), tuple(packages)
    )

    started = time.perf_counter()
    built = services.shipment_build(po=po, fulfilment=fulfilment, channel="api", ship_from="WH01")
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        problems = validation.validate_shipment(built.shipment, fulfilled=built.fulfilled, now=now)
    validate_s = time.perf_counter() - started
    started = time.perf_counter()
    document = encoders.to_shipment_confirmation(built.shipment, at=now)
    api_s = time.perf_counter() - started
    started = time.perf_counter()
    text, _ = encoders.render_856(built.shipment, at=now)
    x12_s = time.perf_counter() - started
    print(
        f"containers: {len(packages)} ({args.pallets} pallets, {args.cartons} cartons), problems: {len(problems)}"
    )
    print(f"build (rows written): {build_s:.2f} s")
    print(f"validate: {validate_s:.3f} s, {len(queries)} queries")
    print(f"encode API: {api_s:.3f} s ({len(document.cartons)} cartons)")
    print(f"encode 856: {x12_s:.3f} s ({len(text) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
