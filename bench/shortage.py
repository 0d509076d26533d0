"""Shortage evidence at a year's volume: the refresh of every claim, and the list page.

Usage:
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_s_bench .venv/bin/python bench/shortage.py
    .venv/bin/python bench/shortage.py --claims 2000      # SQLite in a temporary folder

The PostgreSQL database named in BENCH_DATABASE_URL is DROPPED and recreated (never point it at real
data). Each claim has its own accepted shipment (two PO lines, two cartons per line, invoice),
Amazon received one unit short on the first line; a tenth of the shipments are blocked (verdict
accept) and a tenth of the claims name an invoice we never sent (insufficient). Prints, for the
first refresh (every verdict new: rows, audit rows and cases written), a second one on unchanged
evidence (nothing written) and the list page: wall time, this process's CPU time, SQL time and
queries, e.g. ``refresh (first)  5,000 claims  4.10 s  cpu 3.2 s  SQL 0.6 s  queries 40+cases``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
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


def main() -> None:  # noqa: PLR0915 - a linear script
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=5_000)
    args = parser.parse_args()

    os.environ["VENDORSYNC_VAR_DIR"] = tempfile.mkdtemp(prefix="vendorsync-bench-shortage-")
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
    from stdnum import ean

    from orders.models import PurchaseOrder, PurchaseOrderLine, VendorCode
    from orders.outbound_models import Container, ContainerItem, Invoice, InvoiceLine, Shipment
    from reconciliation.models import ImportBatch, LineStatus, LineType, Remittance, RemittanceLine
    from reconciliation.shortage.services import shortage_refresh

    settings.ALLOWED_HOSTS = ["*"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    n = args.claims
    started = time.perf_counter()
    vendor = VendorCode.objects.create(code="BENCH")
    pos = PurchaseOrder.objects.bulk_create(
        PurchaseOrder(
            vendor_code=vendor,
            number=f"B{i:07d}",
            ordered_at=datetime(2026, 1, 1, tzinfo=UTC),
            source="api",
            ship_to=f"FC{i % 9}",
        )  # fmt: skip
        for i in range(n)
    )
    lines = PurchaseOrderLine.objects.bulk_create(
        PurchaseOrderLine(
            purchase_order=po,
            position=k,
            sequence=str(k),
            asin=f"B0BENCH{k}",
            ordered_quantity=12,
            ordered_eaches=12,
            net_cost=Decimal("2.50"),
            accepted_quantity=12,
            shipped_quantity=12,
            received_quantity=11 if k == 1 else 12,
        )  # fmt: skip
        for po in pos
        for k in (1, 2)
    )
    shipments = Shipment.objects.bulk_create(
        Shipment(
            shipment_identifier=f"ASN-{po.number}",
            vendor_code=vendor,
            purchase_order=po,
            netsuite_fulfilment_id=f"IF{po.pk}",
            status="blocked" if i % 10 == 3 else "accepted",
            carrier_scac="UPSN",
            bill_of_lading=f"BOL{i}",
            ship_to=po.ship_to,
        )  # fmt: skip
        for i, po in enumerate(pos)
    )
    serial = 0
    containers, items = [], []
    for i, shipment in enumerate(shipments):
        for k in (0, 1):
            for _ in (0, 1):
                serial += 1
                body = f"00614141{serial:09d}"
                container = Container(shipment=shipment, kind="carton", sequence=serial,
                                      sscc=body + ean.calc_check_digit(body), weight=Decimal("8.2"))  # fmt: skip
                containers.append(container)
                items.append((container, lines[2 * i + k]))
    Container.objects.bulk_create(containers, batch_size=5000)
    ContainerItem.objects.bulk_create(
        (ContainerItem(container=c, po_line=line, quantity=6) for c, line in items), batch_size=5000
    )
    invoices = Invoice.objects.bulk_create(
        Invoice(
            shipment=s,
            purchase_order=po,
            external_id=f"AMZ-INV-{s.pk}",
            number=f"INV-{po.number}",
            invoice_date=date(2026, 2, 1),
            total=Decimal("60.00"),
            status="accepted",
        )  # fmt: skip
        for s, po in zip(shipments, pos, strict=True)
    )
    InvoiceLine.objects.bulk_create(
        (
            InvoiceLine(
                invoice=inv, po_line=lines[2 * i + k], sequence=k + 1, quantity=12, unit_cost=Decimal("2.50")
            )
            for i, inv in enumerate(invoices)
            for k in (0, 1)
        ),  # fmt: skip
        batch_size=5000,
    )
    batch = ImportBatch.objects.create(name="bench", door="command", checksum="bench", status="imported")
    remittance = Remittance.objects.create(payment_number="BENCH1", payment_date=date(2026, 3, 1),
                                           amount=Decimal("0"), source="csv", batch=batch, file_checksum="bench")  # fmt: skip
    RemittanceLine.objects.bulk_create(
        (
            RemittanceLine(
                remittance=remittance,
                sequence=i + 1,
                document_number=(f"INV-{po.number}SC" if i % 10 != 7 else f"INV-OLD{i}SC"),
                document_date=date(2026, 2, 20),
                amount_paid=Decimal("-2.50"),
                line_type=LineType.SHORTAGE,
                status=LineStatus.CODED,
            )
            for i, po in enumerate(pos)
        ),  # fmt: skip
        batch_size=5000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"database: {connection.vendor}; claims: {n:,}; filled in {time.perf_counter() - started:.1f} s")

    def timed(label: str, func):  # noqa: ANN001, ANN202
        with CaptureQueriesContext(connection) as ctx:
            wall, cpu = time.perf_counter(), time.process_time()
            result = func()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        sql = sum(float(q["time"]) for q in ctx.captured_queries)
        print(
            f"{label:<22} {n:>7,} claims  {wall:6.2f} s  cpu {cpu:5.2f} s  SQL {sql:5.2f} s  queries {len(ctx)}"
        )
        return result

    first = timed("refresh (first)", shortage_refresh)
    print(f"  {first.as_dict()}")
    again = timed("refresh (unchanged)", shortage_refresh)
    assert again.created == again.updated == 0, again.as_dict()
    user = User.objects.create_user("bench-finance", password="bench-password-123")  # noqa: S106
    user.groups.set(Group.objects.filter(name="finance"))
    client = Client()
    client.force_login(user)
    client.get("/reconciliation/shortages/")
    timed("list page", lambda: client.get("/reconciliation/shortages/?verdict=disputable"))


if __name__ == "__main__":
    main()
