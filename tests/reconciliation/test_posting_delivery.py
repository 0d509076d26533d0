"""Delivery of approved posting batches: our real NetSuite client and outbox relay against the
NetSuite simulator (in process, through ``vendorsync.connections`` as in sandbox mode).

What finance signs off must reach NetSuite exactly once: credits before the payment that applies
them, an unknown outcome settled by looking the record up by external id, throttling and server
errors retried, a refusal put in review with ``posting_failed``, a retry that sends only what is
not posted, and a reversal made of new journals that never edits what was posted. Worker
processes killed mid-delivery, over real HTTP: ``test_posting_faults.py``.
"""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from reconciliation.models import (
    AccountingPeriod,
    BatchKind,
    BatchStatus,
    EntryPurpose,
    EntryStatus,
    GLAccount,
    PostingBatch,
    PostingEntry,
    RecordType,
)
from reconciliation.posting import delivery, services
from vendorsync import connections, outbox
from vendorsync.models import ExceptionCase, OutboxMessage, OutboxState
from vendorsync.outbox import services as outbox_services
from vendorsync.sandbox import catalog

from .posting_world import World, build_world

CUSTOMER = catalog.AMAZON_CUSTOMER_ID
DAY = datetime.now(UTC).date()  # the simulated account's current month is open


class Simulated:
    """The sandbox NetSuite, counting the writes that ran per external id."""

    def __init__(self, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.app = app
        self.upserts: Counter[str] = Counter()
        upsert = app.records.upsert

        def counting_upsert(rtype: str, eid: str, payload: dict[str, Any]) -> int:
            self.upserts[eid] += 1
            return upsert(rtype, eid, payload)

        monkeypatch.setattr(app.records, "upsert", counting_upsert)

    def get(self, record_type: str, key: str) -> dict[str, Any] | None:
        with connections.netsuite_client() as client:
            return client.get_by_external_id(record_type, key, expand_sub_resources=True)

    def records(self, prefix: str) -> Counter[str]:
        with self.app.store.lock:
            rows = self.app.store.conn.execute(
                "SELECT externalid FROM record WHERE externalid LIKE ?", (f"{prefix}%",)
            ).fetchall()
        return Counter(row[0] for row in rows)


@pytest.fixture
def ns(settings, tmp_path, monkeypatch) -> Simulated:
    settings.SANDBOX = True
    settings.VAR_DIR = tmp_path  # a fresh simulator store for this test
    return Simulated(connections._netsuite_app(str(tmp_path / "sandbox")), monkeypatch)


@pytest.fixture
def invoice(ns) -> str:
    """An open 100.00 invoice of the Amazon customer in NetSuite."""
    with connections.netsuite_client() as client:
        return client.create(
            "invoice",
            {
                "externalId": "INV-T1",
                "entity": {"id": CUSTOMER},
                "tranDate": DAY.isoformat(),
                "item": {"items": [{"item": {"id": "5000"}, "quantity": 1, "rate": Decimal("100.00")}]},
            },
        )


def make_batch(personas: dict[str, Any], invoice_id: str, *, memo_item: str = "9002") -> PostingBatch:
    """Approved-to-be batch: a shortage credit memo, a co-op journal, and the payment applying both."""
    shortage = GLAccount.objects.create(netsuite_id="452", number="4520", name="Shortage Claims")
    coop = GLAccount.objects.create(netsuite_id="454", number="4540", name="Co-op")
    batch = PostingBatch.objects.create(
        prepared_by=personas["finance"],
        posting_date=DAY,
        customer_id=CUSTOMER,
        payment_total=Decimal("80.00"),
        applied_total=Decimal("100.00"),
        credits_total=Decimal("20.00"),
    )
    key = f"VS-PB{batch.pk}"
    memo = {
        "externalId": f"{key}-1",
        "entity": {"id": CUSTOMER},
        "tranDate": DAY.isoformat(),
        "memo": "Shortage claim INVT1SC",
        "item": {"items": [{"item": {"id": memo_item}, "quantity": 1, "rate": "12.50"}]},
    }
    journal = {
        "externalId": f"{key}-2",
        "tranDate": DAY.isoformat(),
        "line": {
            "items": [
                {"account": {"id": "454"}, "debit": "7.50", "memo": "Co-op"},
                {"account": {"id": "120"}, "credit": "7.50", "entity": {"id": CUSTOMER}},
            ]
        },
    }
    payment = {
        "externalId": f"{key}-3",
        "customer": {"id": CUSTOMER},
        "tranDate": DAY.isoformat(),
        "payment": "80.00",
        "autoApply": False,
        "apply": {"items": [{"doc": {"id": invoice_id}, "apply": True, "amount": "100.00"}]},
        "credit": {
            "items": [
                {"doc": {"externalId": f"{key}-1"}, "apply": True, "amount": "12.50"},
                {"doc": {"externalId": f"{key}-2"}, "apply": True, "amount": "7.50"},
            ]
        },
    }
    rows = [
        (RecordType.CREDIT_MEMO, EntryPurpose.DEDUCTION, memo, "12.50", shortage),
        (RecordType.JOURNAL_ENTRY, EntryPurpose.DEDUCTION, journal, "7.50", coop),
        (RecordType.CUSTOMER_PAYMENT, EntryPurpose.PAYMENT, payment, "80.00", None),
    ]
    for sequence, (record_type, purpose, payload, amount, account) in enumerate(rows, start=1):
        PostingEntry.objects.create(
            batch=batch,
            sequence=sequence,
            record_type=record_type,
            purpose=purpose,
            external_id=payload["externalId"],
            payload=payload,
            amount=Decimal(amount),
            gl_account=account,
        )
    return batch


def approve(batch: PostingBatch, approver: Any) -> int:
    """What ``batch_approve`` does around delivery: approved by a second person, dispatched in one transaction."""
    with transaction.atomic():
        PostingBatch.objects.filter(pk=batch.pk).update(
            status=BatchStatus.APPROVED, approved_by=approver, approved_at=timezone.now()
        )
        batch.refresh_from_db()
        return delivery.batch_dispatch(batch=batch)


def relay_until_quiet(rounds: int = 4) -> None:
    for _ in range(rounds):
        OutboxMessage.objects.filter(state=OutboxState.RETRY).update(next_attempt_at=timezone.now())
        outbox.relay_once()


def statuses(batch: PostingBatch) -> list[str]:
    return list(batch.entries.order_by("sequence").values_list("status", flat=True))


def test_credits_post_first_then_the_payment_applies_them_by_their_netsuite_ids(db, ns, personas, invoice):
    batch = make_batch(personas, invoice)
    key = f"VS-PB{batch.pk}"
    assert approve(batch, personas["approver"]) == 2  # the payment waits for its credits
    assert set(OutboxMessage.objects.values_list("external_key", flat=True)) == {f"{key}-1", f"{key}-2"}
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTING

    outbox.relay_once()
    assert statuses(batch) == [EntryStatus.POSTED, EntryStatus.POSTED, EntryStatus.QUEUED]
    outbox.relay_once()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTED and statuses(batch) == [EntryStatus.POSTED] * 3

    memo, journal, payment = batch.entries.order_by("sequence")
    paid = ns.get("customerPayment", payment.external_id)
    assert {line["doc"]["id"] for line in paid["credit"]["items"]} == {memo.netsuite_id, journal.netsuite_id}
    assert paid["id"] == payment.netsuite_id and paid["unapplied"] == 0
    assert ns.get("invoice", "INV-T1")["amountRemaining"] == 0
    assert ns.get("creditMemo", memo.external_id)["amountRemaining"] == 0
    assert ns.records(key) == {f"{key}-1": 1, f"{key}-2": 1, f"{key}-3": 1}
    assert ns.upserts == {f"{key}-1": 1, f"{key}-2": 1, f"{key}-3": 1}
    # The payment sent carried internal ids; the approved body keeps what was approved.
    assert payment.outbox_message.payload["credit"]["items"][0]["doc"] == {"id": memo.netsuite_id}
    assert payment.payload["credit"]["items"][0]["doc"] == {"externalId": f"{key}-1"}


def test_a_worker_that_dies_after_netsuite_accepted_a_record_is_settled_by_the_lookup(
    db, ns, personas, invoice
):
    batch = make_batch(personas, invoice)
    approve(batch, personas["approver"])
    claimed = outbox_services.outbox_claim_due(limit=10)
    memo_message = next(m for m in claimed if m.external_key.endswith("-1"))
    with connections.netsuite_client(retry_writes=False) as client:  # the write reaches NetSuite...
        client.upsert_by_external_id("creditMemo", memo_message.external_key, memo_message.payload)
    # ...and the worker dies before anything is recorded: the lease lapses.
    OutboxMessage.objects.update(lease_expires_at=timezone.now())

    report = outbox.relay_once()
    assert report.reclaimed == 2 and report.found == 1
    relay_until_quiet()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTED
    key = f"VS-PB{batch.pk}"
    assert ns.records(key) == {f"{key}-1": 1, f"{key}-2": 1, f"{key}-3": 1}
    assert ns.upserts[f"{key}-1"] == 1  # found, never written again


@pytest.mark.parametrize("fault", ["429", "5xx", "timeout"])
def test_throttling_server_errors_and_timeouts_are_retried_and_post_once(db, ns, personas, invoice, fault):
    faults = ns.app.faults
    if fault == "429":
        faults.burst_429 = 3
    elif fault == "5xx":
        faults.error_rate = 1.0
    else:
        faults.timeout = faults.timeout_writes_only = True  # the write runs, its answer is lost
    batch = make_batch(personas, invoice)
    approve(batch, personas["approver"])
    outbox.relay_once()
    assert OutboxMessage.objects.filter(state=OutboxState.RETRY).exists()
    assert not ExceptionCase.objects.exists()
    faults.burst_429, faults.error_rate = 0, 0.0
    relay_until_quiet()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTED, statuses(batch)
    key = f"VS-PB{batch.pk}"
    assert ns.records(key) == {f"{key}-1": 1, f"{key}-2": 1, f"{key}-3": 1}
    assert max(ns.upserts.values()) == 1


def test_a_refusal_goes_to_review_and_the_retry_sends_only_what_is_not_posted(db, ns, personas, invoice):
    ns.app.records.set_period(DAY, ar_locked=True)  # NetSuite refuses A/R postings into this month
    batch = make_batch(personas, invoice)
    approve(batch, personas["approver"])
    relay_until_quiet()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert statuses(batch) == [EntryStatus.NEEDS_REVIEW, EntryStatus.NEEDS_REVIEW, EntryStatus.PENDING]
    memo = batch.entries.get(sequence=1)
    assert f"{DAY.strftime('%b %Y')} is locked for Accounts Receivable" in memo.error
    cases = ExceptionCase.objects.open().filter(kind="posting_failed")
    assert cases.count() == 2 and {c.owner_team for c in cases} == {"finance"}
    assert not OutboxMessage.objects.filter(external_key=f"VS-PB{batch.pk}-3").exists()  # no payment sent

    with pytest.raises(PermissionDenied):
        delivery.batch_retry(batch=batch, user=personas["ops"])
    ns.app.records.set_period(DAY, ar_locked=False)  # finance reopens the period in NetSuite
    assert delivery.batch_retry(batch=batch, user=personas["finance"], reason="period reopened") == 2
    relay_until_quiet()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTED
    assert not ExceptionCase.objects.open().filter(kind="posting_failed").exists()
    key = f"VS-PB{batch.pk}"
    assert ns.records(key) == {f"{key}-1": 1, f"{key}-2": 1, f"{key}-3": 1}
    with pytest.raises(ValidationError, match="nothing to retry"):
        delivery.batch_retry(batch=batch, user=personas["finance"])


def test_a_period_locked_in_vendorsync_after_approval_stops_delivery(db, ns, personas, invoice):
    last = DAY.replace(day=calendar.monthrange(DAY.year, DAY.month)[1])
    period = AccountingPeriod.objects.create(
        name=DAY.strftime("%b %Y"), start_date=DAY.replace(day=1), end_date=last
    )
    batch = make_batch(personas, invoice)
    approve(batch, personas["approver"])
    AccountingPeriod.objects.filter(pk=period.pk).update(
        locked=True, locked_by=personas["approver"], lock_reason="month-end close"
    )
    relay_until_quiet()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED and not ns.upserts
    error = batch.entries.get(sequence=1).error
    assert f"Period {period.name} is locked by appr" in error and "month-end close" in error
    with pytest.raises(ValidationError, match="Unlock it before retrying"):
        delivery.batch_retry(batch=batch, user=personas["finance"])


def test_a_reversal_is_new_balanced_journals_approved_by_a_second_person(db, ns, personas, invoice):
    batch = make_batch(personas, invoice)
    approve(batch, personas["approver"])
    relay_until_quiet()
    key = f"VS-PB{batch.pk}"
    before = {k: ns.get(t, k) for t, k in [("creditMemo", f"{key}-1"), ("customerPayment", f"{key}-3")]}

    with pytest.raises(ValidationError, match="why"):
        delivery.batch_reverse(batch=batch, user=personas["finance"], reason=" ")
    with pytest.raises(PermissionDenied):
        delivery.batch_reverse(batch=batch, user=personas["ops"], reason="wrong invoice")
    reversal = delivery.batch_reverse(
        batch=batch, user=personas["finance"], reason="applied to the wrong invoice"
    )
    assert reversal.kind == BatchKind.REVERSAL and reversal.status == BatchStatus.DRAFT
    assert reversal.reverses == batch and reversal.prepared_by == personas["finance"]
    with pytest.raises(ValidationError, match="already has a reversal"):
        delivery.batch_reverse(batch=batch, user=personas["finance"], reason="again")
    entries = list(reversal.entries.order_by("sequence"))
    assert [e.record_type for e in entries] == [RecordType.JOURNAL_ENTRY] * 3
    for entry in entries:  # every reversing journal balances
        lines = entry.payload["line"]["items"]
        assert sum(Decimal(x.get("debit", "0")) for x in lines) == sum(
            Decimal(x.get("credit", "0")) for x in lines
        )
    assert entries[2].payload["line"]["items"][0] == {
        "account": {"id": "120"},
        "debit": "80.00",
        "entity": {"id": CUSTOMER},
    }

    approve(reversal, personas["approver"])
    relay_until_quiet()
    reversal.refresh_from_db()
    batch.refresh_from_db()
    assert reversal.status == BatchStatus.POSTED and batch.status == BatchStatus.REVERSED
    assert ns.records(f"VS-RB{reversal.pk}") == {e.external_id: 1 for e in entries}
    after = {k: ns.get(t, k) for t, k in [("creditMemo", f"{key}-1"), ("customerPayment", f"{key}-3")]}
    assert after == before  # posted records are never edited
    assert statuses(batch) == [EntryStatus.POSTED] * 3


def test_roles_without_the_prepare_duty_and_superusers_may_not_retry_or_reverse(db, personas, make_user):
    boss = make_user("root")
    boss.is_superuser = True
    boss.save()
    batch = PostingBatch.objects.create(prepared_by=personas["finance"], posting_date=DAY)
    for user in (personas["ops"], personas["admin"], personas["outsider"], boss):
        with pytest.raises(PermissionDenied):
            delivery.batch_retry(batch=batch, user=user)
        with pytest.raises(PermissionDenied):
            delivery.batch_reverse(batch=batch, user=user, reason="x")


@pytest.fixture
def world(settings, tmp_path) -> World:
    settings.SANDBOX = True
    settings.VAR_DIR = tmp_path
    return build_world(tmp_path)


@pytest.mark.parametrize("style", ["credit_memo", "journal"])
def test_a_batch_built_from_a_reconciled_remittance_posts_every_record_once(personas, world, style):
    batch = services.batch_build(remittances=[world.remittance], user=personas["finance"], style=style)
    assert not services.batch_blockers(batch), services.batch_blockers(batch)
    services.batch_submit(batch=batch, user=personas["finance"])
    services.batch_approve(batch=batch, user=personas["approver"], version=batch.version)
    relay_until_quiet()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTED, list(
        batch.entries.values_list("external_id", "status", "error")
    )
    keys = set(batch.entries.values_list("external_id", flat=True))
    assert world.records(f"VS-PB{batch.pk}-") == dict.fromkeys(keys, 1)
    assert world.remaining("INV-1") == 0 and world.remaining("INV-2") == 0
    payment = batch.entries.get(record_type=RecordType.CUSTOMER_PAYMENT)
    with connections.netsuite_client() as client:
        paid = client.get("customerPayment", payment.netsuite_id, expand_sub_resources=True)
    assert paid["unapplied"] == 0 and paid["payment"] == Decimal("274.00")


def test_a_reversal_goes_through_the_same_approval_and_leaves_the_posted_records_alone(personas, world):
    batch = services.batch_build(remittances=[world.remittance], user=personas["finance"])
    services.batch_submit(batch=batch, user=personas["finance"])
    services.batch_approve(batch=batch, user=personas["approver"], version=batch.version)
    relay_until_quiet()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTED
    posted = world.records(f"VS-PB{batch.pk}-")

    reversal = delivery.batch_reverse(
        batch=batch, user=personas["finance"], reason="posted to the wrong customer"
    )
    assert services.batch_blockers(reversal) == []
    with pytest.raises(ValidationError, match="not rebuilt"):
        services.batch_rebuild(batch=reversal, user=personas["finance"])
    with pytest.raises(ValidationError, match="not pending approval"):  # submitted first, like any batch
        services.batch_approve(batch=reversal, user=personas["approver"])
    services.batch_submit(batch=reversal, user=personas["finance"])
    with pytest.raises(PermissionDenied):
        services.batch_approve(batch=reversal, user=personas["finance"])  # the preparer never approves
    reversal.refresh_from_db()
    services.batch_approve(batch=reversal, user=personas["approver"], version=reversal.version)
    relay_until_quiet()
    reversal.refresh_from_db()
    batch.refresh_from_db()
    assert (reversal.status, batch.status) == (BatchStatus.POSTED, BatchStatus.REVERSED)
    assert world.records(f"VS-PB{batch.pk}-") == posted  # nothing posted was touched or re-sent
    journals = world.records(f"VS-RB{reversal.pk}-")
    assert len(journals) == batch.entries.count() and set(journals.values()) == {1}
    # Net effect on receivables: +300.00, exactly what the batch took off (INV-1 + INV-2 open again).
    query = (
        "SELECT SUM(debitforeignamount) AS debits, SUM(creditforeignamount) AS credits FROM transactionline "
        'WHERE account = 120 AND "transaction" IN (SELECT id FROM "transaction" WHERE externalid LIKE \'{}\')'
    )
    with connections.netsuite_client() as client:
        [row] = client.suiteql(query.format(f"VS-RB{reversal.pk}-%"), unordered_ok=True)
    assert Decimal(row["debits"]) - Decimal(row["credits"]) == Decimal("300.00")


def test_a_reversal_into_a_locked_period_is_blocked_and_says_which(personas, world):
    batch = services.batch_build(remittances=[world.remittance], user=personas["finance"])
    services.batch_submit(batch=batch, user=personas["finance"])
    services.batch_approve(batch=batch, user=personas["approver"], version=batch.version)
    relay_until_quiet()
    reversal = delivery.batch_reverse(batch=batch, user=personas["finance"], reason="wrong")
    AccountingPeriod.objects.filter(pk=reversal.period_id).update(
        locked=True, locked_by=personas["approver"], lock_reason="closing"
    )
    [blocker] = services.batch_blockers(reversal)
    assert blocker.code == "period_locked" and "locked by appr" in blocker.message
    with pytest.raises(ValidationError, match="cannot be submitted"):
        services.batch_submit(batch=reversal, user=personas["finance"])
