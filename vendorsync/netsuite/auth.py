"""NetSuite Token-Based Authentication: OAuth 1.0a with HMAC-SHA256, signed by oauthlib.

Why this module stands alone: the client signs every attempt with it, and the NetSuite
simulator (``vendorsync/sandbox``) verifies incoming requests with the *same* function, so a
signature the simulator accepts is one real NetSuite would accept too.

Rules from the reference (netsuite-rest.md §3) that this module encodes:
- HMAC-SHA256 only (SHA1 was switched off in 2023.1).
- ``realm`` is the canonical account id (``1234567_SB1``). It is sent in the header but is
  not part of the signature base string (oauthlib leaves it out).
- Query parameters (``limit``, ``offset``, ``expandSubResources``…) ARE signed; oauthlib reads
  them from the URL. JSON bodies are NOT signed (only form-encoded bodies would be), so the
  body is never passed to the signer.
- Every request and every retry gets a fresh nonce and timestamp: NetSuite answers a replayed
  nonce with 401. ``TbaAuth`` therefore signs inside httpx's auth flow, once per send.
"""

from __future__ import annotations

import hmac
from collections.abc import Generator
from dataclasses import dataclass, field
from urllib.parse import unquote

import httpx
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_AUTH_HEADER, Client
from oauthlib.oauth1.rfc5849.utils import parse_authorization_header as _parse_header

__all__ = [
    "TbaAuth",
    "TbaCredentials",
    "parse_authorization_header",
    "sign_request",
    "verify_authorization",
]


@dataclass(frozen=True)
class TbaCredentials:
    """The account (as realm) plus the four TBA secrets. Secrets are kept out of ``repr``."""

    realm: str
    consumer_key: str
    consumer_secret: str = field(repr=False)
    token_id: str
    token_secret: str = field(repr=False)


def sign_request(
    credentials: TbaCredentials,
    method: str,
    url: str,
    *,
    nonce: str | None = None,
    timestamp: str | int | None = None,
) -> str:
    """Return the ``Authorization`` header value for ``method url``.

    ``url`` is the full URL including its query string (query parameters are signed).
    ``nonce``/``timestamp`` default to fresh values (oauthlib generates them per call); pass
    them only to reproduce a signature, e.g. to verify one or in a test.
    """
    client = Client(
        credentials.consumer_key,
        client_secret=credentials.consumer_secret,
        resource_owner_key=credentials.token_id,
        resource_owner_secret=credentials.token_secret,
        signature_method=SIGNATURE_HMAC_SHA256,
        signature_type=SIGNATURE_TYPE_AUTH_HEADER,
        realm=credentials.realm,
        nonce=nonce,
        timestamp=None if timestamp is None else str(timestamp),
    )
    # No body and no Content-Type: a JSON body must not take part in the signature.
    _, headers, _ = client.sign(url, http_method=method.upper())
    return headers["Authorization"]


def parse_authorization_header(authorization: str) -> dict[str, str]:
    """``OAuth realm="…", oauth_nonce="…", …`` → ``{"realm": …, "oauth_nonce": …}`` (decoded).

    Raises ``ValueError`` for anything that is not an OAuth header.
    """
    return {key: unquote(value) for key, value in _parse_header(authorization)}


def verify_authorization(credentials: TbaCredentials, method: str, url: str, authorization: str) -> bool:
    """True when ``authorization`` is a valid TBA signature of ``method url`` by ``credentials``.

    Recomputes the signature with the header's own nonce and timestamp through
    ``sign_request`` and compares in constant time. It checks realm, consumer key, token and
    signature method too. It does NOT track nonces or clock skew: replay detection is the
    verifier's job (keep the nonces you have seen).
    """
    try:
        params = parse_authorization_header(authorization)
    except ValueError:
        return False
    expected_static = {
        "realm": credentials.realm,
        "oauth_consumer_key": credentials.consumer_key,
        "oauth_token": credentials.token_id,
        "oauth_signature_method": SIGNATURE_HMAC_SHA256,
        "oauth_version": "1.0",
    }
    for key, value in expected_static.items():
        if params.get(key) != value:
            return False
    nonce, timestamp, signature = (
        params.get("oauth_nonce"),
        params.get("oauth_timestamp"),
        params.get("oauth_signature"),
    )
    if not nonce or not timestamp or not signature:
        return False
    expected = parse_authorization_header(
        sign_request(credentials, method, url, nonce=nonce, timestamp=timestamp)
    )["oauth_signature"]
    return hmac.compare_digest(expected.encode(), signature.encode())


class TbaAuth(httpx.Auth):
    """httpx auth hook: signs each request as it is sent.

    httpx runs ``auth_flow`` for every ``send``, so each attempt of a retried call is signed
    afresh (new nonce and timestamp) — the request is never re-sent with an old header.
    """

    requires_request_body = False  # the JSON body is not part of the signature

    def __init__(self, credentials: TbaCredentials) -> None:
        self._credentials = credentials

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = sign_request(self._credentials, request.method, str(request.url))
        yield request
