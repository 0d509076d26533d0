"""Delivery of approved batches through the outbox.

Minimal version (helper p1): ``batch_dispatch`` enqueues one outbox message per entry in the
approving transaction. The delivery half of issue 11 (helper p2) replaces this module: ordering
credits before the payment, handlers, outcomes, retry and reversal.
"""

from __future__ import annotations

from django.db import transaction

from reconciliation.posting_models import EntryStatus, PostingBatch, RecordType
from vendorsync.outbox.services import outbox_enqueue

OPERATIONS = {
    RecordType.CREDIT_MEMO: "posting.credit_memo",
    RecordType.JOURNAL_ENTRY: "posting.journal_entry",
    RecordType.CUSTOMER_PAYMENT: "posting.customer_payment",
    RecordType.INVOICE: "posting.invoice",
}


def batch_dispatch(*, batch: PostingBatch) -> int:
    """Enqueue every pending entry of ``batch``; runs inside the caller's (approval) transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("batch_dispatch runs inside the transaction that approves the batch")
    queued = 0
    for entry in batch.entries.filter(status=EntryStatus.PENDING).order_by("sequence"):
        entry.outbox_message = outbox_enqueue(
            target="netsuite",
            operation=OPERATIONS[entry.record_type],
            external_key=entry.external_id,
            payload=entry.payload,
        )
        entry.status = EntryStatus.QUEUED
        entry.save(update_fields=["outbox_message", "status"])
        queued += 1
    return queued
