"""Token-Based Authentication (OAuth 1.0a, HMAC-SHA256) as NetSuite checks it.

The simulator recomputes every request's signature with oauthlib's own RFC 5849 functions, so a
client that signs the wrong URL (prefix, port, query), reuses a nonce on retry, sends the wrong
realm or uses HMAC-SHA1 fails here exactly as it would against NetSuite: 401 ``INVALID_LOGIN``.

The URL the client signed is rebuilt from the WSGI environ (scheme, Host header, SCRIPT_NAME +
PATH_INFO, query) so verification works through ``httpx.WSGITransport`` with any base URL and
behind ``manage.py sandbox serve``, which mounts the app under ``/netsuite``.
"""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

from oauthlib.oauth1.rfc5849 import signature, utils

from .errors import invalid_login

# Development defaults (the lead wires these in as settings defaults for the sandbox).
ACCOUNT_ID = "TSTDRV1234567"
CONSUMER_KEY = "vsync-sandbox-consumer-key-0f3c9a7e21b84d56"
CONSUMER_SECRET = "vsync-sandbox-consumer-secret-5d2e8b1f94a04c7b"
TOKEN_ID = "vsync-sandbox-token-id-8a61c3e0d7f245b9"
TOKEN_SECRET = "vsync-sandbox-token-secret-2b9f4e7a16c84d03"

MAX_CLOCK_SKEW_SECONDS = 300
_PCHAR_SAFE = "/:@!$&'()*+,;=-._~"  # RFC 3986 pchar (+ "/"): what clients leave unescaped in paths


@dataclass(frozen=True)
class Credentials:
    account_id: str = ACCOUNT_ID
    consumer_key: str = CONSUMER_KEY
    consumer_secret: str = CONSUMER_SECRET
    token_id: str = TOKEN_ID
    token_secret: str = TOKEN_SECRET


def request_url(environ: dict[str, Any]) -> str:
    """The absolute URL the client addressed (what it signed), rebuilt from the WSGI environ."""
    scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = environ.get("SERVER_PORT", "")
        if port and port not in ("80", "443"):
            host = f"{host}:{port}"
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = raw.split("?", 1)[0]
    else:
        path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe=_PCHAR_SAFE)
    query = environ.get("QUERY_STRING", "")
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


class TbaVerifier:
    """Checks realm, keys, signature, timestamp window and nonce reuse; raises a 401 NSError."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        self._nonces: dict[str, float] = {}
        self._lock = threading.Lock()

    def verify(self, method: str, url: str, authorization: str, form_body: str | None = None) -> None:
        creds = self.credentials
        if not authorization.lower().startswith("oauth "):
            raise invalid_login()
        try:
            header = {k: utils.unescape(v) for k, v in utils.parse_authorization_header(authorization)}
            params = signature.collect_parameters(
                uri_query=url.partition("?")[2], body=form_body, headers={"Authorization": authorization}
            )
        except (ValueError, TypeError):
            raise invalid_login() from None
        if (
            header.get("realm") != creds.account_id
            or header.get("oauth_signature_method") != "HMAC-SHA256"
            or header.get("oauth_version", "1.0") != "1.0"
            or not hmac.compare_digest(header.get("oauth_consumer_key", ""), creds.consumer_key)
            or not hmac.compare_digest(header.get("oauth_token", ""), creds.token_id)
        ):
            raise invalid_login()
        try:
            timestamp = int(header.get("oauth_timestamp", ""))
        except ValueError:
            raise invalid_login() from None
        now = time.time()
        if abs(now - timestamp) > MAX_CLOCK_SKEW_SECONDS:
            raise invalid_login()
        base = signature.signature_base_string(
            method.upper(),
            signature.base_string_uri(url.partition("?")[0]),
            signature.normalize_parameters(params),
        )
        secrets = SimpleNamespace(
            client_secret=creds.consumer_secret, resource_owner_secret=creds.token_secret
        )
        expected = signature.sign_hmac_sha256_with_client(base, secrets)
        if not hmac.compare_digest(expected, header.get("oauth_signature", "")):
            raise invalid_login()
        nonce = header.get("oauth_nonce", "")
        with self._lock:
            # Forget nonces whose timestamp window has closed: a replay of those fails the skew check.
            for seen, at in list(self._nonces.items()):
                if now - at > 2 * MAX_CLOCK_SKEW_SECONDS:
                    del self._nonces[seen]
            if not nonce or nonce in self._nonces:
                raise invalid_login()
            self._nonces[nonce] = now
