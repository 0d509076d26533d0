"""Amazon SP-API connector for Vendor Central (1P) retail procurement.

Public surface (everything else in this package is an implementation detail):

- ``AmazonConfig`` / ``AmazonConfig.from_settings()``: connection settings, including the
  per-call time budget (``call_budget``, 90 s) and the longest single sleep (``max_sleep``, 20 s).
- ``AmazonVendorClient``: getPurchaseOrders (paged, ≤7-day windows; a one-sided range runs to
  now, or starts 7 days before its end), getPurchaseOrder,
  submitAcknowledgement, getPurchaseOrdersStatus, submitShipmentConfirmations, submitInvoices,
  getTransaction.
- typed values in ``vendorsync.amazon.values`` and the errors in ``vendorsync.amazon.errors``
  (subclasses of ``vendorsync.errors``).
"""

from __future__ import annotations

from .auth import reset_token_cache
from .client import AmazonVendorClient
from .config import REGION_ENDPOINTS, AmazonConfig
from .errors import AmazonAuthError, AmazonRejectedError, AmazonResponseError, AmazonRetryableError
from .ratelimit import USAGE_PLANS, TokenBucket, bucket_for, reset_buckets
from .windows import split_window


def reset_caches() -> None:
    """Forget cached LWA tokens and rate-limit buckets (test isolation; credential rotation)."""
    reset_token_cache()
    reset_buckets()


__all__ = [
    "REGION_ENDPOINTS",
    "USAGE_PLANS",
    "AmazonAuthError",
    "AmazonConfig",
    "AmazonRejectedError",
    "AmazonResponseError",
    "AmazonRetryableError",
    "AmazonVendorClient",
    "TokenBucket",
    "bucket_for",
    "reset_buckets",
    "reset_caches",
    "reset_token_cache",
    "split_window",
]
