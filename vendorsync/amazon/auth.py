"""Login with Amazon (LWA): trading the long-lived refresh token for hour-long access tokens.

Every SP-API call needs an ``x-amz-access-token``. Fetching one per call would double the
traffic and run into LWA's own throttling, so tokens are cached per process (keyed by token URL,
client id and a hash of the refresh token, never the secret itself) until 60 s before they
expire. A 401/403 from SP-API invalidates the cached token so exactly one fresh one is fetched.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from vendorsync.errors import RemoteErrorDetail
from vendorsync.http_retry import parse_retry_after

from .config import AmazonConfig
from .errors import AmazonAuthError, TransientFailure

# Refresh this long before Amazon's expiry so a token never dies between check and use.
EXPIRY_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class AccessToken:
    value: str
    expires_at: float  # in the provider's clock (time.monotonic by default)


_cache: dict[str, AccessToken] = {}
_cache_lock = threading.Lock()
# One lock per credential set: concurrent threads wait for a single refresh instead of stampeding.
_refresh_locks: dict[str, threading.Lock] = {}


def reset_token_cache() -> None:
    """Forget every cached access token (tests, or after rotating credentials)."""
    with _cache_lock:
        _cache.clear()


def _cache_key(config: AmazonConfig) -> str:
    digest = hashlib.sha256(config.refresh_token.encode()).hexdigest()[:32]
    return f"{config.lwa_token_url}|{config.client_id}|{digest}"


class LwaTokenProvider:
    """Hands out a valid access token, refreshing it through ``http`` (the client's transport)."""

    def __init__(self, config: AmazonConfig, http: httpx.Client, *, clock: Callable[[], float]) -> None:
        self._config = config
        self._http = http
        self._clock = clock
        self._key = _cache_key(config)
        with _cache_lock:
            self._refresh_lock = _refresh_locks.setdefault(self._key, threading.Lock())

    def _cached(self) -> AccessToken | None:
        with _cache_lock:
            token = _cache.get(self._key)
        if token is not None and self._clock() < token.expires_at:
            return token
        return None

    def get(self) -> str:
        """A token valid for at least ``EXPIRY_MARGIN_SECONDS`` more (fetching one if needed)."""
        token = self._cached()
        if token is not None:
            return token.value
        with self._refresh_lock:
            token = self._cached()  # another thread may have refreshed while we waited
            if token is None:
                token = self._fetch()
                with _cache_lock:
                    _cache[self._key] = token
            return token.value

    def invalidate(self, value: str) -> None:
        """Drop ``value`` if it is still the cached token (SP-API just refused it).

        Comparing first means N threads that all saw the same 401 trigger one refresh, not N.
        """
        with _cache_lock:
            current = _cache.get(self._key)
            if current is not None and current.value == value:
                del _cache[self._key]

    def _fetch(self) -> AccessToken:
        config = self._config
        started = self._clock()
        try:
            response = self._http.post(
                config.lwa_token_url,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": config.refresh_token,
                    "client_id": config.client_id,
                    "client_secret": config.client_secret,
                },
                headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
                timeout=config.timeout,
            )
        except httpx.TimeoutException as exc:
            raise TransientFailure(f"LWA token request timed out after {config.timeout}s") from exc
        except httpx.TransportError as exc:
            raise TransientFailure(f"LWA token request failed: {exc.__class__.__name__}: {exc}") from exc

        status = response.status_code
        if status == 429 or status == 408 or status >= 500:
            raise TransientFailure(
                f"LWA token endpoint answered HTTP {status}",
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        body = _json_or_none(response)
        if status >= 400:
            # invalid_grant (revoked/garbled refresh token), invalid_client (wrong id/secret)…
            error = str(body.get("error") or "unknown_error") if isinstance(body, dict) else "unknown_error"
            description = str(body.get("error_description") or "") if isinstance(body, dict) else ""
            raise AmazonAuthError(
                "Login with Amazon refused the credentials; check the LWA client id, secret and refresh token",
                status=status,
                details=[RemoteErrorDetail(code=error, message=description or response.reason_phrase)],
                operation="lwa.refresh_token",
            )
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("access_token"), str)
            or not body["access_token"]
        ):
            raise AmazonAuthError(
                "Login with Amazon answered without an access_token",
                status=status,
                operation="lwa.refresh_token",
            )
        try:
            expires_in = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            expires_in = 3600.0
        # Measure from when the request started: the token's lifetime began no earlier than that.
        return AccessToken(
            value=body["access_token"], expires_at=started + expires_in - EXPIRY_MARGIN_SECONDS
        )


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
