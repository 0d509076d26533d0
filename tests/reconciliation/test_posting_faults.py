"""Exactly-once posting when a worker process dies mid-delivery: real PostgreSQL, Redis, Celery
worker processes running the real relay and ``NetSuiteClient`` over HTTP against the NetSuite
simulator (``vendorsync.sandbox.relaylab``).

The worker is killed (SIGKILL) after NetSuite committed the credit memo and before the worker
heard back, so nothing was recorded on our side; another worker's relay must find the record by
its external id, record it, send the payment, and leave NetSuite holding each record once.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal

import pytest
from django.db import connection

from reconciliation.models import BatchStatus, EntryStatus, PostingBatch
from tests.reconciliation.test_posting_delivery import DAY, approve, make_batch
from vendorsync.models import OutboxMessage, OutboxState
from vendorsync.sandbox import catalog, relaylab

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lab(tmp_path):
    served = relaylab.ServedNetSuite(tmp_path / "netsuite.sqlite3")
    yield served
    served.close()


@pytest.fixture
def worker_env(lab):
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    return {**lab.env(), "DATABASE_URL": f"{base}/{connection.settings_dict['NAME']}"}


def _records(lab: relaylab.ServedNetSuite, prefix: str) -> dict[str, int]:
    store = lab.app.store
    with store.lock:
        rows = store.conn.execute(
            "SELECT externalid, COUNT(*) FROM record WHERE externalid LIKE ? GROUP BY externalid",
            (f"{prefix}%",),
        ).fetchall()
    return {row[0]: row[1] for row in rows}


def test_a_worker_killed_after_netsuite_accepted_a_credit_posts_it_once(lab, worker_env, personas):
    invoice = lab.app.records.create(
        "invoice",
        {
            "entity": {"id": catalog.AMAZON_CUSTOMER_ID},
            "tranDate": DAY.isoformat(),
            "item": {"items": [{"item": {"id": "5000"}, "quantity": 1, "rate": Decimal("100.00")}]},
        },
    )
    batch = make_batch(personas, str(invoice))
    key = f"VS-PB{batch.pk}"
    lab.faults.hang_after_write_seconds = 60  # NetSuite commits, then the answer never comes in time
    approve(batch, personas["approver"])

    victim = relaylab.Worker(worker_env, name="victim")
    try:
        assert relaylab.drive([victim], lambda: lab.writes_ran[f"{key}-1"] >= 1, timeout=60, every=0.5)
        time.sleep(0.5)
        victim.kill9()
    finally:
        log = victim.stop()
        relaylab.purge(victim.queue)
    memo = batch.entries.get(sequence=1)
    assert memo.status == EntryStatus.QUEUED and not memo.netsuite_id  # nothing recorded on our side
    assert OutboxMessage.objects.get(external_key=f"{key}-1").state == OutboxState.SENDING
    assert _records(lab, key) == {f"{key}-1": 1}

    lab.faults.hang_after_write_seconds = 0
    rescuer = relaylab.Worker(worker_env, name="rescuer")
    try:
        posted = relaylab.drive(
            [rescuer],
            lambda: PostingBatch.objects.get(pk=batch.pk).status == BatchStatus.POSTED,
            timeout=90,
            every=0.5,
        )
    finally:
        log = rescuer.stop()
        relaylab.purge(rescuer.queue)
        relaylab.purge("celery")
    assert "Traceback" not in log, log
    assert posted, list(batch.entries.values_list("external_id", "status", "error"))
    assert _records(lab, key) == {f"{key}-1": 1, f"{key}-2": 1, f"{key}-3": 1}
    assert lab.writes_ran[f"{key}-1"] == 1  # found by external id, never written again
    memo.refresh_from_db()
    message = OutboxMessage.objects.get(external_key=f"{key}-1")
    assert memo.status == EntryStatus.POSTED and message.remote_id == memo.netsuite_id
