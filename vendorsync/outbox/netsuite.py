"""A reusable NetSuite handler: upsert a record by external id, and find it again by that id.

For messages whose ``payload`` is the record body and whose ``external_key`` is the record's
``externalId`` (e.g. ``AMZ-PO-<PO number>`` for a sales order). Apps register it from their
``handlers.py``::

    deliver, lookup = netsuite_upsert_handler("salesOrder")
    register_handler("netsuite", "salesorder.upsert", owner_team=Team.OPS, lookup=lookup)(deliver)

or in one line with :func:`register_netsuite_upsert`. The write is a single
``PUT record/v1/{type}/eid:{key}`` (client built with ``retry_writes=False``: the outbox owns
retries); the lookup is a ``GET …/eid:{key}`` that keeps the client's read retries. Because the
outbox's external keys are unique, a record found under the key can only come from this message.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from vendorsync import connections
from vendorsync.errors import DeliveryResult
from vendorsync.models import OutboxMessage, Team
from vendorsync.outbox.registry import Handler, Lookup, register_handler


def record_body(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with JSON numbers as ``Decimal``: the database hands them back as floats, which
    the NetSuite client refuses for money. Re-reading each float's shortest text gives back the
    number that was stored, so no cent moves."""
    return json.loads(json.dumps(payload), parse_float=Decimal)


def netsuite_upsert_handler(record_type: str) -> tuple[Handler, Lookup]:
    """``(deliver, lookup)`` for upserting ``record_type`` records keyed by the message's external key."""

    def deliver(message: OutboxMessage) -> DeliveryResult:
        with connections.netsuite_client(retry_writes=False) as client:
            internal_id = client.upsert_by_external_id(
                record_type, message.external_key, record_body(message.payload)
            )
        return DeliveryResult(
            remote_id=internal_id or "",
            response_excerpt=f"PUT {record_type}/eid:{message.external_key} -> {internal_id or 'no id'}",
        )

    def lookup(message: OutboxMessage) -> DeliveryResult | None:
        with connections.netsuite_client() as client:
            record = client.get_by_external_id(record_type, message.external_key)
        if record is None:
            return None
        return DeliveryResult(
            remote_id=str(record.get("id", "")),
            response_excerpt=f"GET {record_type}/eid:{message.external_key}: found {record.get('id', '')}",
        )

    deliver.__name__ = f"upsert_{record_type}"
    lookup.__name__ = f"lookup_{record_type}"
    return deliver, lookup


def register_netsuite_upsert(operation: str, record_type: str, *, owner_team: str = Team.OPS) -> Handler:
    """Register :func:`netsuite_upsert_handler` for ``("netsuite", operation)`` with its lookup."""
    deliver, lookup = netsuite_upsert_handler(record_type)
    return register_handler("netsuite", operation, owner_team=owner_team, lookup=lookup)(deliver)
