"""The outbox: every write to NetSuite or Amazon is a row created with the business change, then
delivered by the relay.

- ``registry``: ``register_handler`` (apps call it from ``AppConfig.ready()``), owners, lookups;
- ``services``: the state changes (enqueue, claim/lease, outcomes, reclaim, resend);
- ``relay``: ``relay_once``, the delivery loop and its single retry policy;
- ``netsuite``: ``netsuite_upsert_handler(record_type)``, the reusable NetSuite upsert + lookup;
- ``handlers``: the core's own handler (``test``/``echo``).
"""

from vendorsync.outbox.registry import (
    Handler,
    Lookup,
    handler_for,
    lookup_for,
    owner_of,
    register_handler,
    unregister_handler,
)
from vendorsync.outbox.relay import RelayReport, deliver, relay_once

__all__ = [
    "Handler",
    "Lookup",
    "RelayReport",
    "deliver",
    "handler_for",
    "lookup_for",
    "owner_of",
    "register_handler",
    "relay_once",
    "unregister_handler",
]
