"""Amazon-flavoured versions of the shared connector errors.

The relay and the sync flows only look at the base classes in ``vendorsync.errors``; these
subclasses add what a person needs when they open a support case with Amazon: the operation
that failed and Amazon's ``x-amzn-RequestId``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vendorsync.errors import AuthError, ConnectorError, RejectedError, RemoteErrorDetail, RetryableError


class AmazonErrorMixin(ConnectorError):
    """Adds the SP-API operation name and Amazon's request id to a connector error."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        details: list[RemoteErrorDetail] | None = None,
        retry_after: float | None = None,
        operation: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, status=status, details=details, retry_after=retry_after)
        self.operation = operation
        self.request_id = request_id

    def __str__(self) -> str:
        text = super().__str__()
        if self.operation:
            text = f"{self.operation}: {text}"
        if self.request_id:
            text = f"{text} [x-amzn-RequestId {self.request_id}]"
        return text


class AmazonRetryableError(AmazonErrorMixin, RetryableError):
    """Throttled (429), 5xx, timeout or transport failure that outlived the client's own retries."""


class AmazonRejectedError(AmazonErrorMixin, RejectedError):
    """Amazon refused the request (4xx other than auth); ``details`` carries its ``errors[]``."""


class AmazonResponseError(AmazonRejectedError):
    """Amazon answered 2xx with a body that does not fit the published model.

    Retrying the same request returns the same body, so this is a "person must look" error; the
    message names the offending field path.
    """


class AmazonAuthError(AmazonErrorMixin, AuthError):
    """LWA refused the refresh token / client credentials, or SP-API kept refusing a fresh token."""


def parse_error_list(body: Any) -> list[RemoteErrorDetail]:
    """Turn Amazon's ``{"errors": [{"code", "message", "details"}]}`` into ``RemoteErrorDetail``s.

    Amazon's free-text ``details`` is appended to the message (it often names the parameter,
    e.g. "purchaseOrderNumber cannot be null"); an absent or malformed list yields ``[]``.
    """
    if not isinstance(body, Mapping):
        return []
    raw = body.get("errors")
    if not isinstance(raw, list):
        return []
    return [error_detail(item) for item in raw if isinstance(item, Mapping)]


def error_detail(item: Mapping[str, Any]) -> RemoteErrorDetail:
    code = str(item.get("code") or "Unknown")
    message = str(item.get("message") or "")
    details = item.get("details")
    if isinstance(details, str) and details.strip():
        message = f"{message}: {details.strip()}" if message else details.strip()
    return RemoteErrorDetail(code=code, message=message)


class TransientFailure(Exception):
    """Internal signal inside one call: this attempt failed in a way a retry may fix.

    It never leaves ``AmazonVendorClient``: after the last attempt it becomes
    ``AmazonRetryableError``.
    """

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.request_id: str | None = None
