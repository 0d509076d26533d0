"""Connection settings for NetSuite SuiteTalk REST, and the two spellings of the account id.

NetSuite spells one account two ways and is strict about both (reference §2, gotcha 1):
the OAuth ``realm`` must be the canonical form (``1234567_SB1``: uppercase, underscore; a
lowercase ``_sb1`` fails with INVALID_LOGIN), while the host uses a slug (``1234567-sb1``:
lowercase, hyphen). Operators paste either form, so both are derived here from whatever was
configured rather than trusting the setting's spelling.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vendorsync.netsuite.auth import TbaCredentials

DEFAULT_TIMEOUT_SECONDS = 30.0
# NetSuite's concurrency limit is per account and shared with every other integration and
# RESTlet on it (reference §7); 5 is a conservative share of the smallest tier's 15.
DEFAULT_MAX_CONCURRENCY = 5
# A Celery task is killed after 300 s (soft limit 270 s) and the outbox relay delivers several
# messages per task, so one NetSuite call (all attempts and backoff sleeps) gets 90 s and no
# single sleep is longer than 20 s; beyond that the call fails with retry_after set and the
# outbox reschedules it instead of a worker thread blocking.
DEFAULT_CALL_BUDGET_SECONDS = 90.0
DEFAULT_MAX_SLEEP_SECONDS = 20.0


def canonical_account_id(account_id: str) -> str:
    """``1234567-sb1`` / ``1234567_sb1`` → ``1234567_SB1``: the form the OAuth realm needs."""
    return account_id.strip().upper().replace("-", "_")


def account_slug(account_id: str) -> str:
    """``1234567_SB1`` → ``1234567-sb1``: the form used in the SuiteTalk host name."""
    return account_id.strip().lower().replace("_", "-")


def default_base_url(account_id: str) -> str:
    return f"https://{account_slug(account_id)}.suitetalk.api.netsuite.com"


@dataclass(frozen=True)
class NetSuiteConfig:
    """Everything the client needs to reach one NetSuite account.

    Invariant: ``account_id`` is stored in canonical form and ``base_url`` has no trailing
    slash, so the realm and every URL the client builds are derived the same way everywhere.
    ``base_url`` is the origin only (scheme + host [+ port]); the client appends
    ``/services/rest/...``.

    ``call_budget`` bounds one public call over all its attempts and sleeps (a retry starts
    only if its sleep plus one more ``timeout`` still fits); ``max_sleep`` caps any single
    sleep, and a ``Retry-After`` above it is handed back to the caller rather than slept.
    """

    account_id: str
    consumer_key: str
    consumer_secret: str = field(repr=False)
    token_id: str
    token_secret: str = field(repr=False)
    base_url: str = ""
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    call_budget: float = DEFAULT_CALL_BUDGET_SECONDS
    max_sleep: float = DEFAULT_MAX_SLEEP_SECONDS

    def __post_init__(self) -> None:
        if not self.account_id.strip():
            raise ValueError("NetSuite account id is required")
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if self.max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if self.call_budget <= 0:
            raise ValueError("call_budget must be positive seconds")
        if self.max_sleep < 0:
            raise ValueError("max_sleep must not be negative")
        # frozen dataclass: normalise through object.__setattr__ once, at construction.
        object.__setattr__(self, "account_id", canonical_account_id(self.account_id))
        base_url = (self.base_url or default_base_url(self.account_id)).rstrip("/")
        object.__setattr__(self, "base_url", base_url)

    @property
    def realm(self) -> str:
        return self.account_id

    @property
    def credentials(self) -> TbaCredentials:
        return TbaCredentials(
            realm=self.realm,
            consumer_key=self.consumer_key,
            consumer_secret=self.consumer_secret,
            token_id=self.token_id,
            token_secret=self.token_secret,
        )

    @classmethod
    def from_settings(cls) -> NetSuiteConfig:
        """Build from ``django.conf.settings``; fails fast naming every missing setting.

        ``NETSUITE_BASE_URL`` (optional) overrides the host derived from the account id, which
        is how the sandbox simulator or a proxy is wired in. ``NETSUITE_MAX_CONCURRENCY`` is
        read if present (it is not a required setting).
        """
        # Imported here so the connector stays usable (and testable) without Django set up.
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        required = (
            "NETSUITE_ACCOUNT_ID",
            "NETSUITE_CONSUMER_KEY",
            "NETSUITE_CONSUMER_SECRET",
            "NETSUITE_TOKEN_ID",
            "NETSUITE_TOKEN_SECRET",
        )
        missing = [name for name in required if not getattr(settings, name, "")]
        if missing:
            raise ImproperlyConfigured(f"NetSuite connection is not configured: set {', '.join(missing)}.")
        return cls(
            account_id=settings.NETSUITE_ACCOUNT_ID,
            consumer_key=settings.NETSUITE_CONSUMER_KEY,
            consumer_secret=settings.NETSUITE_CONSUMER_SECRET,
            token_id=settings.NETSUITE_TOKEN_ID,
            token_secret=settings.NETSUITE_TOKEN_SECRET,
            base_url=getattr(settings, "NETSUITE_BASE_URL", "") or "",
            timeout=float(getattr(settings, "HTTP_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)),
            max_concurrency=int(getattr(settings, "NETSUITE_MAX_CONCURRENCY", DEFAULT_MAX_CONCURRENCY)),
        )
