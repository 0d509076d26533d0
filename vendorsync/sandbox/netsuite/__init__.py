"""NetSuite simulator: REST record API + SuiteQL with TBA, backed by its own sqlite file.

It exists so VendorSync's NetSuite client, the demo and the tests meet NetSuite's real rules
(signed requests, 204 + Location, upsert by external id, transforms, SuiteQL paging, error
bodies, the account concurrency limit) without the network. Contract used by other packages:

* ``make_app(store_path=None, *, credentials=None, faults=None)`` -> WSGI app
* ``seed(store_path=None)`` -> idempotent master data (items, Amazon customer, accounts...)
* ``simulate_day(day, store_path=None)`` -> ship and invoice open sales orders for that day

The default store is ``<settings.VAR_DIR>/sandbox/netsuite.sqlite3``.

Numbering conventions shared with the app and with Amazon's history (``vendorsync.sandbox.world``):

* the sales order for Amazon PO ``X`` has ``externalId`` ``AMZ-PO-X`` and ``otherRefNum`` ``X``
  (the app upserts its sales orders with ``PUT salesOrder/eid:AMZ-PO-X``);
* an invoice's ``tranId`` is the invoice number Amazon knows (the seeded history's ``INV-X``),
  so remittance lines match NetSuite invoices by number; other ``tranId`` values come from
  NetSuite's own per-type sequences (``SO1001``, ``IF1001``, ``INV1001``...);
* a fulfilment package's ``packageCartonNumber`` is the carton's SSCC-18 (18 digits, no ``00``).
"""

from __future__ import annotations

from pathlib import Path

from .app import DEFAULT_CONCURRENCY_LIMIT, Faults, NetSuiteApp, default_store_path, open_records
from .auth import ACCOUNT_ID, CONSUMER_KEY, CONSUMER_SECRET, TOKEN_ID, TOKEN_SECRET, Credentials
from .warehouse import DayResult, seed, simulate_day, sscc18

__all__ = [
    "ACCOUNT_ID",
    "CONSUMER_KEY",
    "CONSUMER_SECRET",
    "DEFAULT_CONCURRENCY_LIMIT",
    "TOKEN_ID",
    "TOKEN_SECRET",
    "Credentials",
    "DayResult",
    "Faults",
    "NetSuiteApp",
    "default_store_path",
    "make_app",
    "seed",
    "simulate_day",
    "sscc18",
]


def make_app(
    store_path: Path | str | None = None,
    *,
    credentials: Credentials | None = None,
    faults: Faults | None = None,
    concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT,
    seed_if_empty: bool = True,
) -> NetSuiteApp:
    """A WSGI app serving ``/services/rest/record/v1/...`` and ``/services/rest/query/v1/suiteql``.

    A store with no master data yet is seeded first, so ``sandbox serve`` works on a fresh
    machine; ``seed()`` stays the explicit, idempotent way to (re)create missing master data.
    """
    records = open_records(store_path)
    if seed_if_empty and records.store.get("subsidiary", 1) is None:
        seed(records.store.path)
    return NetSuiteApp(records, credentials or Credentials(), faults or Faults(), concurrency_limit)
