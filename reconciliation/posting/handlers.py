"""Outbox handlers of posting: write one record of an approved batch to NetSuite, or find it there.

Registered by ``ReconciliationConfig.ready()`` for every posting operation, owned by finance.
Each delivery is one ``PUT record/v1/<type>/eid:<external id>`` (client with ``retry_writes=False``:
the relay owns retries and the write budget). ``lookup_entry`` is what the relay calls after an
unknown outcome (timeout, 5xx, a worker that died mid-send) before it writes again: found → the
entry is recorded as posted and nothing is written twice.

The handler records the outcome on the entry itself (``entry_mark_posted`` / ``entry_mark_failed``)
before the relay records the message, so a worker that dies between the two leaves the message to
be reclaimed and looked up — and the lookup records the same outcome again, idempotently.
"""

from __future__ import annotations

from django.conf import settings

from reconciliation.posting import delivery
from reconciliation.posting_models import EntryStatus, PostingEntry
from vendorsync import connections
from vendorsync.errors import AuthError, DeliveryResult, RejectedError
from vendorsync.models import OutboxMessage, Team
from vendorsync.outbox import register_handler
from vendorsync.outbox.netsuite import record_body


def _entry(message: OutboxMessage) -> PostingEntry:
    return PostingEntry.objects.select_related("batch__period__locked_by").get(
        external_id=message.external_key
    )


def _posted(entry: PostingEntry, netsuite_id: str, how: str) -> DeliveryResult:
    entry = delivery.entry_mark_posted(entry=entry, netsuite_id=netsuite_id, how=how)
    return DeliveryResult(
        remote_id=entry.netsuite_id,
        response_excerpt=f"{how} {entry.record_type}/eid:{entry.external_id} -> {entry.netsuite_id}",
    )


def lookup_entry(message: OutboxMessage) -> DeliveryResult | None:
    """The entry's record in NetSuite, found by external id (recorded as posted), or None."""
    entry = _entry(message)
    with connections.netsuite_client() as client:
        record = client.get_by_external_id(entry.record_type, entry.external_id)
    if record is None:
        return None
    return _posted(entry, str(record.get("id", "")), "GET (found by external id)")


def deliver_entry(message: OutboxMessage) -> DeliveryResult:
    entry = _entry(message)
    if entry.status == EntryStatus.POSTED:  # recorded by an earlier attempt or a lookup
        return DeliveryResult(remote_id=entry.netsuite_id, response_excerpt="already posted")
    refusal = delivery.period_refusal(entry.batch)
    if refusal:
        # Not sent: a period locked after approval stops the batch until someone unlocks it.
        delivery.entry_mark_failed(entry=entry, error=f"Not sent. {refusal}")
        raise RejectedError(f"Not sent to NetSuite. {refusal}")
    try:
        with connections.netsuite_client(retry_writes=False) as client:
            netsuite_id = client.upsert_by_external_id(
                entry.record_type, entry.external_id, record_body(message.payload)
            )
            if not netsuite_id:
                record = client.get_by_external_id(entry.record_type, entry.external_id)
                netsuite_id = str(record["id"]) if record else ""
    except RejectedError as exc:
        delivery.entry_mark_failed(entry=entry, error=str(exc))  # a 4xx: the same body fails again
        raise
    except AuthError as exc:
        delivery.entry_mark_failed(
            entry=entry, error=f"NetSuite refused our credentials: {exc}", refused=False
        )
        raise
    except Exception as exc:
        if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            # The relay gives up after this one (a last lookup may still find it and post it).
            delivery.entry_mark_failed(entry=entry, error=f"Gave up after retries: {exc}", refused=False)
        raise
    return _posted(entry, netsuite_id, "PUT")


for _operation in delivery.OPERATIONS.values():
    register_handler("netsuite", _operation, owner_team=Team.FINANCE, lookup=lookup_entry)(deliver_entry)
