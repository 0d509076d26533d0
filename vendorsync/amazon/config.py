"""Connection settings for the SP-API vendor client.

Kept separate from Django settings so the client can be built in a test, a management command
or the simulator wiring without touching ``django.conf``; ``from_settings()`` is the one bridge.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Region = Literal["na", "eu", "fe"]

DEFAULT_LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"

# Production hosts per SP-API region (reference §2.1). Vendor retail calls take no marketplaceId:
# the region's host and the refresh token's vendor group decide what is visible.
REGION_ENDPOINTS: dict[str, str] = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}


@dataclass(frozen=True, kw_only=True, repr=False)
class AmazonConfig:
    """Everything the client needs to reach one vendor group's SP-API account.

    ``endpoint`` overrides the region's production host (the simulator, Amazon's sandbox hosts).
    Retry knobs bound how long one call may spend before it gives up with ``RetryableError``,
    which the outbox relay then reschedules: a Celery task must not sleep for minutes (it is
    killed after 300 s, soft limit 270 s, and the relay delivers several messages per task).
    """

    client_id: str
    client_secret: str
    refresh_token: str
    region: Region = "na"
    endpoint: str = ""
    lwa_token_url: str = DEFAULT_LWA_TOKEN_URL
    timeout: float = 30.0
    user_agent: str = "VendorSync/1.0 (Language=Python)"
    # Total tries per call (first try included) for 429/5xx/timeouts/transport errors.
    max_attempts: int = 4
    # Exponential backoff: min(backoff_max, backoff_initial * 2**(n-1)) x U(0.5, 1.5) (vendorsync.http_retry).
    backoff_initial: float = 0.5
    backoff_max: float = 20.0
    # No single sleep is longer than this; a Retry-After above it is not slept through at all:
    # the call fails at once with retry_after set and the outbox reschedules it.
    max_sleep: float = 20.0
    # Seconds one public call may spend over all attempts and sleeps. A retry starts only if
    # its sleep plus one more attempt (``timeout``) still fits, so a call ends within the budget.
    call_budget: float = 90.0

    def __post_init__(self) -> None:
        if self.region not in REGION_ENDPOINTS:
            raise ValueError(f"AMAZON_REGION must be one of {sorted(REGION_ENDPOINTS)}, got {self.region!r}")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive seconds")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.max_sleep < 0:
            raise ValueError("max_sleep must not be negative")
        if self.call_budget <= 0:
            raise ValueError("call_budget must be positive seconds")

    @property
    def base_url(self) -> str:
        """SP-API origin without a trailing slash: ``endpoint`` if set, else the region's host."""
        return (self.endpoint or REGION_ENDPOINTS[self.region]).rstrip("/")

    @classmethod
    def from_settings(cls, settings: Any = None, **overrides: Any) -> AmazonConfig:
        """Build from ``django.conf.settings`` (AMAZON_* and HTTP_TIMEOUT_SECONDS).

        ``overrides`` replace individual fields (e.g. ``endpoint=`` for the simulator).
        """
        if settings is None:
            from django.conf import settings as django_settings

            settings = django_settings
        values: dict[str, Any] = {
            "lwa_token_url": getattr(settings, "AMAZON_LWA_TOKEN_URL", "") or DEFAULT_LWA_TOKEN_URL,
            "client_id": getattr(settings, "AMAZON_LWA_CLIENT_ID", ""),
            "client_secret": getattr(settings, "AMAZON_LWA_CLIENT_SECRET", ""),
            "refresh_token": getattr(settings, "AMAZON_LWA_REFRESH_TOKEN", ""),
            "region": getattr(settings, "AMAZON_REGION", "na") or "na",
            "endpoint": getattr(settings, "AMAZON_SPAPI_ENDPOINT", ""),
            "timeout": float(getattr(settings, "HTTP_TIMEOUT_SECONDS", 30.0)),
        }
        values.update(overrides)
        return cls(**values)

    def __repr__(self) -> str:
        # Never print the secrets (they end up in logs and exception reports otherwise).
        return (
            f"AmazonConfig(region={self.region!r}, base_url={self.base_url!r}, "
            f"lwa_token_url={self.lwa_token_url!r}, client_id={self.client_id[:6]!r}…, timeout={self.timeout})"
        )
