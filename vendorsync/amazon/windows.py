"""Splitting long date ranges into the ≤ 7-day windows the vendor order APIs accept.

getPurchaseOrders and getPurchaseOrdersStatus refuse a created/changed/updated range longer than
seven days. Callers ask for the range they care about (e.g. "everything changed since the last
successful sync") and the client walks it window by window.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_WINDOW = timedelta(days=7)


def split_window(
    after: datetime, before: datetime, max_span: timedelta = MAX_WINDOW
) -> list[tuple[datetime, datetime]]:
    """Consecutive ``(start, end)`` windows covering ``[after, before]``, each at most ``max_span``.

    Invariants: the first start is ``after``, the last end is ``before``, each window's end is the
    next one's start (no gap; a PO stamped exactly on a boundary may be listed twice, which the
    importer's upsert absorbs), and only the last window may be shorter than ``max_span``.
    """
    for name, value in (("after", after), ("before", before)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
    if after >= before:
        raise ValueError(f"the range is empty: {after.isoformat()} is not before {before.isoformat()}")
    if max_span <= timedelta(0):
        raise ValueError("max_span must be positive")
    windows: list[tuple[datetime, datetime]] = []
    start = after
    while start < before:
        end = min(start + max_span, before)
        windows.append((start, end))
        start = end
    return windows
