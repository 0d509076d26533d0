"""Typed errors shared by every connector and by the outbox relay.

Connectors (amazon, netsuite, edi) subclass these so the relay and the sync flows can decide
what to do without knowing which remote system failed:
- ``RetryableError``: timeouts, 429, 5xx — try again later (``retry_after`` seconds if known);
  its subclass ``AmbiguousWriteError`` marks a non-idempotent write that may already have happened;
- ``RejectedError``: the remote system refused the request (4xx with its codes) — a person must look;
- ``AuthError``: credentials are wrong or expired beyond refresh — fix the connection settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RemoteErrorDetail:
    code: str
    message: str
    field: str | None = None


class ConnectorError(Exception):
    """Base of every error a connector raises."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        details: list[RemoteErrorDetail] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.details: list[RemoteErrorDetail] = list(details or [])
        self.retry_after = retry_after

    def __str__(self) -> str:
        extra = "; ".join(f"{d.code}: {d.message}" for d in self.details)
        prefix = f"HTTP {self.status}: " if self.status else ""
        return f"{prefix}{self.message}" + (f" ({extra})" if extra else "")


class RetryableError(ConnectorError):
    """Transient failure: the same request may succeed later."""


class AmbiguousWriteError(RetryableError):
    """A write that is not idempotent (create, transform) failed after it may have reached the remote.

    Sending it again could create a duplicate, so the outbox hands it to a person (or to a handler
    that first looks the record up by our external id) instead of retrying blindly.
    """


class RejectedError(ConnectorError):
    """The remote system refused the request; retrying the same payload will not help."""


class AuthError(ConnectorError):
    """Authentication failed; the connection settings need attention."""


@dataclass
class DeliveryResult:
    """What an outbox handler reports after a successful delivery."""

    remote_id: str = ""
    response_excerpt: str = ""
    extra: dict[str, object] = field(default_factory=dict)
