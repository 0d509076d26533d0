"""NetSuite's RFC 7807-style error bodies, so the client's error parsing is exercised for real.

Every failure the simulator reports is an ``NSError`` carrying one or more ``o:errorDetails``
entries; the WSGI layer turns it into the JSON body NetSuite sends (``type``, ``title``,
``status``, ``o:errorDetails[]`` with ``detail``, ``o:errorCode`` and optional ``o:errorPath`` /
``o:errorHeader`` / ``o:errorQueryParam``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_RFC9110 = "https://www.rfc-editor.org/rfc/rfc9110.html#section-"
TYPES: dict[int, tuple[str, str]] = {
    400: (_RFC9110 + "15.5.1", "Bad Request"),
    401: (_RFC9110 + "15.5.2", "Unauthorized"),
    403: (_RFC9110 + "15.5.4", "Forbidden"),
    404: (_RFC9110 + "15.5.5", "Not Found"),
    405: (_RFC9110 + "15.5.6", "Method Not Allowed"),
    415: (_RFC9110 + "15.5.16", "Unsupported Media Type"),
    429: ("https://www.rfc-editor.org/rfc/rfc6585.html#section-4", "Too Many Requests"),
    500: (_RFC9110 + "15.6.1", "Internal Server Error"),
    502: (_RFC9110 + "15.6.3", "Bad Gateway"),
    503: (_RFC9110 + "15.6.4", "Service Unavailable"),
    504: (_RFC9110 + "15.6.5", "Gateway Timeout"),
}

INVALID_LOGIN_DETAIL = (
    "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at "
    "Setup > Users/Roles > User Management > View Login Audit Trail."
)
NONEXISTENT_ID_DETAIL = "The record instance does not exist. Provide a valid record instance ID."
CONCURRENCY_DETAIL = "Concurrent request limit exceeded. Request blocked."


@dataclass
class NSError(Exception):
    status: int
    details: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def one(cls, status: int, code: str, detail: str, **extra: str) -> NSError:
        entry = {"detail": detail, "o:errorCode": code}
        entry.update({f"o:{key}": value for key, value in extra.items()})
        return cls(status, [entry])

    def body(self) -> dict[str, Any]:
        type_url, title = TYPES.get(self.status, (_RFC9110 + "15.5.1", "Error"))
        return {"type": type_url, "title": title, "status": self.status, "o:errorDetails": self.details}


def invalid_login() -> NSError:
    return NSError.one(401, "INVALID_LOGIN", INVALID_LOGIN_DETAIL)


def not_found(detail: str = NONEXISTENT_ID_DETAIL) -> NSError:
    return NSError.one(404, "NONEXISTENT_ID", detail)


def user_error(detail: str, path: str | None = None, code: str = "USER_ERROR") -> NSError:
    return NSError.one(400, code, detail, **({"errorPath": path} if path else {}))
