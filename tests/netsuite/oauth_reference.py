"""An independent OAuth 1.0a (RFC 5849) signer written from the spec, for the tests only.

It shares no code with ``vendorsync.netsuite.auth`` (which delegates to oauthlib), so when the
two agree the header NetSuite receives is right. It is itself checked against RFC 5849's
published example signatures in ``test_auth.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import parse_qsl, quote, urlsplit


def enc(value: str) -> str:
    # RFC 5849 §3.6: unreserved characters are ALPHA, DIGIT, '-', '.', '_', '~'; all else %XX.
    return quote(value, safe="-._~")


def signature(
    method: str,
    url: str,
    oauth_params: dict[str, str],
    consumer_secret: str,
    token_secret: str,
    digest=hashlib.sha256,
) -> str:
    parts = urlsplit(url)
    base_url = f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    # §3.4.1.3: oauth_* (minus realm and signature) plus the query parameters, encoded, sorted.
    pairs = sorted((enc(k), enc(v)) for k, v in [*oauth_params.items(), *query])
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    base_string = "&".join([method.upper(), enc(base_url), enc(normalized)])
    key = f"{enc(consumer_secret)}&{enc(token_secret)}"
    return base64.b64encode(hmac.new(key.encode(), base_string.encode(), digest).digest()).decode()


def header_params(authorization: str) -> dict[str, str]:
    """``OAuth k="v", …`` → ``{k: v}`` with the values still percent-encoded, as sent."""
    assert authorization.startswith("OAuth ")
    return dict(re.findall(r'([a-z_]+)="([^"]*)"', authorization))
