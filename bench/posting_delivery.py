"""Cost of delivering an approved posting batch: the real relay, the real NetSuite client and the
NetSuite simulator (in process, as in sandbox mode), on a fresh SQLite database.

Usage: .venv/bin/python bench/posting_delivery.py [--records 50,200]

Each step approves a batch of N credit memos and the customer payment that applies them all (and
one invoice), then runs the relay until the batch is posted. Prints records, relay passes, wall
time, process CPU time (the figure that does not depend on the neighbours on a shared machine),
database queries per record, and checks the simulator holds each record exactly once. The
simulator's own work (validation, SQLite writes, SuiteQL projections) is inside the figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", default="50,200", help="credit memos per batch, comma-separated")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="posting-delivery-bench-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="vendorsync.settings",
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        VENDORSYNC_VAR_DIR=str(workdir),
        VENDORSYNC_SANDBOX="1",
        CELERY_BROKER_URL=f"filesystem://{workdir}",
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from reconciliation.models import BatchStatus, EntryPurpose, PostingBatch, PostingEntry, RecordType
    from reconciliation.posting import delivery
    from vendorsync import connections, outbox
    from vendorsync.sandbox import catalog

    call_command("migrate", verbosity=0)
    users = get_user_model().objects
    preparer, approver = users.create_user("bench-prep"), users.create_user("bench-appr")
    customer = {"id": catalog.AMAZON_CUSTOMER_ID}
    today = timezone.now().date().isoformat()
    print(f"{'records':>8} {'passes':>6} {'wall s':>8} {'cpu s':>7} {'rec/s':>7} {'queries/rec':>11}  once")
    for n in [int(x) for x in args.records.split(",")]:
        with connections.netsuite_client() as client:
            invoice = client.create(
                "invoice",
                {"entity": customer, "tranDate": today,
                 "item": {"items": [{"item": {"id": "5000"}, "quantity": 1, "rate": Decimal(n * 2)}]}},
            )  # fmt: skip
        batch = PostingBatch.objects.create(prepared_by=preparer, posting_date=timezone.now().date())
        key = f"VS-PB{batch.pk}"
        rows = [
            PostingEntry(
                batch=batch, sequence=i, record_type=RecordType.CREDIT_MEMO, purpose=EntryPurpose.DEDUCTION,
                external_id=f"{key}-{i}", amount=Decimal("1.00"),
                payload={"externalId": f"{key}-{i}", "entity": customer, "tranDate": today,
                         "item": {"items": [{"item": {"id": "9002"}, "quantity": 1, "rate": "1.00"}]}},
            )
            for i in range(1, n + 1)
        ]  # fmt: skip
        payment = {
            "externalId": f"{key}-{n + 1}", "customer": customer, "tranDate": today, "payment": str(n),
            "apply": {"items": [{"doc": {"id": invoice}, "apply": True, "amount": str(n * 2)}]},
            "credit": {"items": [{"doc": {"externalId": r.external_id}, "apply": True, "amount": "1.00"}
                                 for r in rows]},
        }  # fmt: skip
        rows.append(
            PostingEntry(
                batch=batch, sequence=n + 1, record_type=RecordType.CUSTOMER_PAYMENT,
                purpose=EntryPurpose.PAYMENT, external_id=f"{key}-{n + 1}", amount=Decimal(n), payload=payment,
            )
        )  # fmt: skip
        PostingEntry.objects.bulk_create(rows)
        with transaction.atomic():
            PostingBatch.objects.filter(pk=batch.pk).update(
                status=BatchStatus.APPROVED, approved_by=approver, approved_at=timezone.now()
            )
            batch.refresh_from_db()
            delivery.batch_dispatch(batch=batch)
        wall, cpu, passes = time.perf_counter(), time.process_time(), 0
        with CaptureQueriesContext(connection) as queries:
            while PostingBatch.objects.get(pk=batch.pk).status != BatchStatus.POSTED and passes < 20:
                outbox.relay_once()
                passes += 1
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        app = connections._netsuite_app(str(workdir / "sandbox"))
        with app.store.lock:
            counts = app.store.conn.execute(
                "SELECT COUNT(*), COUNT(DISTINCT externalid) FROM record WHERE externalid LIKE ?",
                (f"{key}-%",),
            ).fetchone()
        once = counts[0] == counts[1] == n + 1
        print(
            f"{n + 1:>8} {passes:>6} {wall:>8.2f} {cpu:>7.2f} {(n + 1) / wall:>7.1f} "
            f"{len(queries) / (n + 1):>11.1f}  {once}"
        )


if __name__ == "__main__":
    main()
