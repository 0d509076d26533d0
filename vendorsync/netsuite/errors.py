"""NetSuite's error responses, turned into the shared connector errors.

The outbox relay and the sync flows only need to know "retry later", "a person must look" or
"fix the connection" (``vendorsync.errors``). These subclasses add what a person needs to fix
the record: every ``o:errorDetails`` entry (code, ``detail`` text, ``o:errorPath`` as the
field), the first error code, and the raw body (reference §6).

Classification (reference §6, §7, §15):
- 429, or a NetSuite concurrency code (``CONCURRENCY_LIMIT_EXCEEDED``…), or a 400 whose text
  speaks of a concurrency/request limit → ``NetSuiteConcurrencyError`` (retryable; the request
  was refused before it ran, so even a POST may be repeated).
- 401 or ``INVALID_LOGIN*`` → ``NetSuiteAuthError``.
- 5xx / timeouts → ``NetSuiteRetryableError``; but after a non-idempotent POST (create,
  transform) the record may exist, so → ``NetSuiteAmbiguousWriteError``: look the record up by
  its external id before posting again.
- 404 → ``NetSuiteNotFoundError``; other 4xx → ``NetSuiteRejectedError``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from vendorsync.errors import (
    AmbiguousWriteError,
    AuthError,
    ConnectorError,
    RejectedError,
    RemoteErrorDetail,
    RetryableError,
)
from vendorsync.http_retry import parse_retry_after

# Codes NetSuite uses when the account's concurrency limit is exhausted (REST, RESTlet, SOAP).
CONCURRENCY_ERROR_CODES = frozenset(
    {
        "CONCURRENCY_LIMIT_EXCEEDED",
        "SSS_REQUEST_LIMIT_EXCEEDED",
        "WS_REQUEST_BLOCKED",
        "WS_CONCUR_SESSION_DISALLWD",
        "EXCEEDED_CONCURRENT_REQUEST_LIMIT",
    }
)
AUTH_ERROR_CODES = frozenset({"INVALID_LOGIN", "INVALID_LOGIN_ATTEMPT", "INVALID_LOGIN_CREDENTIALS"})

_BODY_EXCERPT_CHARS = 2000


class NetSuiteError(ConnectorError):
    """Base of the NetSuite connector's errors; carries the raw response body."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        details: list[RemoteErrorDetail] | None = None,
        retry_after: float | None = None,
        body: str = "",
    ) -> None:
        super().__init__(message, status=status, details=details, retry_after=retry_after)
        self.body = body
        self.attempts = 1  # set by the client to the number of attempts made

    @property
    def error_code(self) -> str | None:
        """The first ``o:errorCode``, the one logs and exception cases key on."""
        return self.details[0].code if self.details else None


class NetSuiteRetryableError(NetSuiteError, RetryableError):
    """Timeout, 5xx or throttling: the same request may succeed later."""


class NetSuiteConcurrencyError(NetSuiteRetryableError):
    """The account's concurrency limit refused the request (429 / CONCURRENCY_LIMIT_EXCEEDED)."""


class NetSuiteAmbiguousWriteError(NetSuiteRetryableError, AmbiguousWriteError):
    """A POST (create/transform) failed after it may have reached NetSuite.

    The record may or may not exist. The client does not repeat the POST itself; the caller
    must look the record up by external id (``get_by_external_id``) before posting again.
    Also an ``AmbiguousWriteError`` so the outbox relay, which knows no connector, treats it
    as "may already have happened" rather than as a plain retry.
    """


class NetSuiteRejectedError(NetSuiteError, RejectedError):
    """NetSuite refused the request (4xx); the same payload will fail again."""


class NetSuiteNotFoundError(NetSuiteRejectedError):
    """404: the record (or external id) does not exist."""


class NetSuiteAuthError(NetSuiteError, AuthError):
    """401 / INVALID_LOGIN: realm, token, role permissions or clock — see the Login Audit Trail."""


def parse_error_details(payload: Any) -> list[RemoteErrorDetail]:
    """``o:errorDetails`` → ``RemoteErrorDetail(code, message=detail, field=o:errorPath)``."""
    if not isinstance(payload, dict):
        return []
    raw = payload.get("o:errorDetails")
    if not isinstance(raw, list):
        return []
    details: list[RemoteErrorDetail] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        path = item.get("o:errorPath") or item.get("o:errorQueryParam") or item.get("o:errorHeader")
        details.append(
            RemoteErrorDetail(
                code=str(item.get("o:errorCode") or "UNKNOWN"),
                message=str(item.get("detail") or ""),
                field=str(path) if path else None,
            )
        )
    return details


def error_from_response(response: httpx.Response, *, idempotent: bool) -> NetSuiteError:
    """Map a non-2xx response to the typed error the caller should see (see module docstring)."""
    status = response.status_code
    body = response.text
    try:
        payload: Any = json.loads(body) if body else None
    except ValueError:
        payload = None
    details = parse_error_details(payload)
    codes = {d.code for d in details}
    title = payload.get("title") if isinstance(payload, dict) else None
    message = details[0].message if details and details[0].message else (title or response.reason_phrase)
    message = f"{response.request.method} {response.request.url.path}: {message}"
    kwargs: dict[str, Any] = {
        "status": status,
        "details": details,
        "retry_after": parse_retry_after(response.headers.get("Retry-After")),
        "body": body[:_BODY_EXCERPT_CHARS],
    }
    text = " ".join(d.message for d in details).lower()
    limit_text = ("concurren" in text and "limit" in text) or "request limit" in text
    if status == 429 or codes & CONCURRENCY_ERROR_CODES or (status == 400 and limit_text):
        return NetSuiteConcurrencyError(message, **kwargs)
    if status == 401 or codes & AUTH_ERROR_CODES:
        return NetSuiteAuthError(message, **kwargs)
    if status >= 500:
        cls = NetSuiteRetryableError if idempotent else NetSuiteAmbiguousWriteError
        return cls(message, **kwargs)
    if status == 404:
        return NetSuiteNotFoundError(message, **kwargs)
    return NetSuiteRejectedError(message, **kwargs)
