"""One concurrency budget per NetSuite account, shared by every client in this process.

NetSuite limits concurrent requests per *account*, across SOAP, REST and RESTlets and every
integration on it (reference §7). A worker may run several threads, each with its own
``NetSuiteClient``; they must share one budget, so the semaphores live in a module-level
registry keyed by the canonical account id rather than on the client. (Across processes the
cap is the Celery queue's worker count — this registry cannot see other processes.)
"""

from __future__ import annotations

import threading

_registry: dict[str, threading.BoundedSemaphore] = {}
_sizes: dict[str, int] = {}
_registry_lock = threading.Lock()


def account_semaphore(account_id: str, size: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore for ``account_id``.

    Invariant: one semaphore per account for the life of the process. The first caller fixes
    its size; a later caller asking for a different size gets the existing semaphore (resizing
    a semaphore that threads hold would break its bound).
    """
    if size < 1:
        raise ValueError("concurrency size must be at least 1")
    with _registry_lock:
        semaphore = _registry.get(account_id)
        if semaphore is None:
            semaphore = threading.BoundedSemaphore(size)
            _registry[account_id] = semaphore
            _sizes[account_id] = size
        return semaphore


def account_semaphore_size(account_id: str) -> int | None:
    """The size fixed for ``account_id``, or None if no client has used it yet."""
    with _registry_lock:
        return _sizes.get(account_id)


def reset_account_semaphores() -> None:
    """Forget every semaphore. For tests only: never call while requests are in flight."""
    with _registry_lock:
        _registry.clear()
        _sizes.clear()
