"""HTTP client for NetSuite SuiteTalk REST: records, transforms, upserts and SuiteQL.

This is a connector: it turns Python values into signed HTTP requests and responses into
plain values (dicts, str ids, ``Decimal`` money) and typed errors. It knows nothing about
orders or remittances and holds no business rules; callers decide what a record means.

Why it looks the way it does (netsuite-rest.md §3, §4, §7, §15):
- Every attempt is a new request signed by ``TbaAuth`` (fresh nonce/timestamp); a replayed
  signature gets 401.
- Retries are bounded (``vendorsync.http_retry``, the tenacity-based implementation every
  connector shares: exponential backoff with jitter, ``Retry-After`` honoured plus 0-1 s of
  jitter) by attempts *and* time: one public call spends at most ``config.call_budget`` seconds
  over all attempts and sleeps, and no sleep exceeds ``config.max_sleep``. A Celery task dies at
  300 s, so a wait that does not fit is handed back as a retryable error with ``retry_after`` set
  and the outbox reschedules it.
  GET, PUT (upsert), PATCH and SuiteQL are retried on timeouts, 5xx and throttling. A POST
  that creates something (create, transform) is retried only when NetSuite provably did not
  run it (429/concurrency refusal, connection never made); after a 5xx or a read timeout the
  record may exist, so the client raises ``NetSuiteAmbiguousWriteError`` and the caller looks
  the record up by external id instead of creating a duplicate.
- ``retry_writes=False`` (what outbox handlers get: the outbox owns their retries and write
  budget): a write (create, upsert, patch, transform) makes exactly one HTTP attempt and raises
  its typed error; reads (GET, SuiteQL) keep retrying.
- In-flight requests are capped per account by a semaphore shared by every client in the
  process (``concurrency.py``); the slot is held only while a request is on the wire, never
  while backing off.
- Bodies are JSON. Money goes out as JSON numbers written from ``Decimal`` (never float) and
  comes back as ``Decimal`` (responses are parsed with ``parse_float=Decimal``).
- The ``transport`` parameter is a contract: tests pass respx, and the sandbox wires its
  in-process NetSuite simulator through ``httpx.WSGITransport``.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import httpx
from tenacity import RetryCallState

from vendorsync.http_retry import RetryPolicy, call_retrying
from vendorsync.netsuite.auth import TbaAuth
from vendorsync.netsuite.concurrency import account_semaphore
from vendorsync.netsuite.config import NetSuiteConfig
from vendorsync.netsuite.errors import (
    NetSuiteAmbiguousWriteError,
    NetSuiteConcurrencyError,
    NetSuiteError,
    NetSuiteNotFoundError,
    NetSuiteRejectedError,
    NetSuiteRetryableError,
    error_from_response,
)
from vendorsync.netsuite.suiteql import require_stable_order

logger = logging.getLogger("vendorsync.netsuite")

RECORD_PATH = "/services/rest/record/v1"
SUITEQL_PATH = "/services/rest/query/v1/suiteql"
SUITEQL_MAX_PAGE_SIZE = 1000
# NetSuite stops a SuiteQL query at 100,000 rows (reference §5); past it, narrow the query.
SUITEQL_ROW_CAP = 100_000

DEFAULT_MAX_ATTEMPTS = 6
DEFAULT_BACKOFF_BASE_SECONDS = 1.0
DEFAULT_MAX_BACKOFF_SECONDS = 60.0

_READ_METHODS = frozenset({"GET", "HEAD"})
_RECORD_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_INTERNAL_ID = re.compile(r"^[0-9]+$")
# NetSuite accepts only these characters in an external id used in a URL (reference §4.3).
_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_-]+$")

_DEFAULT_HEADERS = {
    "Accept": "application/json",
    # Misspelled field names fail instead of being silently ignored (reference §4.1, gotcha 16).
    "X-NetSuite-PropertyNameValidation": "Error",
    "User-Agent": "VendorSync-NetSuite/1",
}


@dataclass(frozen=True)
class SuiteQLPage:
    """One page of a SuiteQL result, as NetSuite reported it."""

    items: list[dict[str, Any]]
    has_more: bool
    offset: int
    count: int
    total_results: int | None


def encode_json(value: Any) -> str:
    """Serialise a request body; ``Decimal`` becomes a plain JSON number, floats are refused.

    The stdlib encoder cannot write a Decimal as a number without passing through float, which
    is exactly what money must never do, hence this small encoder.
    """
    if isinstance(value, Mapping):
        parts = []
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be str, not {type(key).__name__}")
            parts.append(f"{json.dumps(key)}:{encode_json(item)}")
        return "{" + ",".join(parts) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode_json(item) for item in value) + "]"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot send {value} to NetSuite")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError(f"float {value!r} in a NetSuite body: use Decimal (or int) so no cent is lost")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} in a NetSuite body: make it timezone-aware")
        return json.dumps(value.isoformat())
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value)
    raise TypeError(f"cannot send {type(value).__name__} to NetSuite as JSON")


def id_from_location(location: str) -> str:
    """``…/record/v1/salesOrder/647`` → ``"647"`` (the new record's internal id)."""
    return location.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def _row_cap_message(reason: str) -> str:
    return (
        f"SuiteQL returns at most {SUITEQL_ROW_CAP:,} rows per query and {reason}: page by key "
        "instead of by offset (add WHERE id > :last ORDER BY id and repeat with the last id "
        "seen), or narrow the query (e.g. by date)."
    )


def _record_type(value: str) -> str:
    if not _RECORD_TYPE.match(value):
        raise ValueError(f"not a NetSuite record type: {value!r}")
    return value


def _record_id(value: str | int) -> str:
    """An internal id (digits) or ``eid:<externalId>``; anything else could escape the URL path."""
    text = str(value)
    if _INTERNAL_ID.match(text):
        return text
    if text.startswith("eid:") and _EXTERNAL_ID.match(text[4:]):
        return text
    raise ValueError(f"not a NetSuite internal id or eid:<externalId>: {value!r}")


def _external_id(value: str) -> str:
    if not _EXTERNAL_ID.match(value):
        raise ValueError(f"external id {value!r} may contain only letters, digits, '_' and '-'")
    return value


def _should_retry(exc: BaseException) -> bool:
    # Ambiguous writes are never repeated blindly: the record may already exist.
    return isinstance(exc, NetSuiteRetryableError) and not isinstance(exc, NetSuiteAmbiguousWriteError)


class NetSuiteClient:
    """Synchronous NetSuite REST client; safe to share between threads.

    ``sleep`` is what backoff waits with and ``clock`` (monotonic seconds) what the per-call
    budget is measured with; tests pass a recorder and a clock that advances with it. ``rng``
    supplies the jitter. Time limits come from the config: a ``Retry-After`` longer than
    ``config.max_sleep``, or a wait that would not fit ``config.call_budget``, is not slept
    through inside a worker; the client raises the retryable error with ``retry_after`` set so
    the task can be rescheduled instead. ``retry_writes=False``: one attempt per write (see the
    module docstring).
    """

    def __init__(
        self,
        config: NetSuiteConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff_base: float = DEFAULT_BACKOFF_BASE_SECONDS,
        max_backoff: float = DEFAULT_MAX_BACKOFF_SECONDS,
        rng: random.Random | None = None,
        retry_writes: bool = True,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._clock = clock
        self._retry_writes = retry_writes
        self._policy = RetryPolicy(
            max_attempts=max_attempts,
            backoff_initial=backoff_base,
            backoff_max=max_backoff,
            max_sleep=config.max_sleep,
            call_budget=config.call_budget,
            attempt_timeout=config.timeout,
        )
        self._rng = rng or random.Random()  # jitter, not security
        self._rng_lock = threading.Lock()
        self._semaphore = account_semaphore(config.account_id, config.max_concurrency)
        self._http = httpx.Client(
            auth=TbaAuth(config.credentials),
            transport=transport,
            timeout=httpx.Timeout(config.timeout, connect=min(config.timeout, 10.0)),
            headers=_DEFAULT_HEADERS,
            follow_redirects=False,
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NetSuiteClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- records -----------------------------------------------------------------------------

    def get(
        self,
        record_type: str,
        record_id: str | int,
        *,
        expand_sub_resources: bool = False,
        fields: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """``GET record/v1/{type}/{id}``. Without ``expand_sub_resources`` sublists come back as links."""
        path = f"{RECORD_PATH}/{_record_type(record_type)}/{_record_id(record_id)}"
        params: dict[str, str] = {}
        if expand_sub_resources:
            params["expandSubResources"] = "true"
        if fields:
            params["fields"] = ",".join(fields)
        response = self._request("GET", path, params=params or None, idempotent=True)
        return self._json(response)

    def get_by_external_id(
        self,
        record_type: str,
        external_id: str,
        *,
        expand_sub_resources: bool = False,
        fields: Sequence[str] | None = None,
    ) -> dict[str, Any] | None:
        """The record with this external id, or ``None`` if NetSuite has none (404)."""
        try:
            return self.get(
                record_type,
                f"eid:{_external_id(external_id)}",
                expand_sub_resources=expand_sub_resources,
                fields=fields,
            )
        except NetSuiteNotFoundError:
            return None

    def create(self, record_type: str, body: Mapping[str, Any]) -> str:
        """``POST record/v1/{type}`` → the new internal id, from the 204's ``Location`` header.

        Not repeated after a 5xx/read timeout (see ``NetSuiteAmbiguousWriteError``); put an
        ``externalId`` in ``body`` so the caller can find the record afterwards.
        """
        response = self._request(
            "POST", f"{RECORD_PATH}/{_record_type(record_type)}", body=body, idempotent=False
        )
        return self._required_location_id(response)

    def upsert_by_external_id(
        self, record_type: str, external_id: str, body: Mapping[str, Any]
    ) -> str | None:
        """``PUT record/v1/{type}/eid:{externalId}``: create or update; internal id if NetSuite sent one.

        Retried like any idempotent call: repeating it converges on the same record. (On a
        transaction with non-keyed sublists an update may append lines — reference §4.3.)
        """
        path = f"{RECORD_PATH}/{_record_type(record_type)}/eid:{_external_id(external_id)}"
        response = self._request("PUT", path, body=body, idempotent=True)
        location = response.headers.get("Location")
        return id_from_location(location) if location else None

    def patch(
        self,
        record_type: str,
        record_id: str | int,
        body: Mapping[str, Any],
        *,
        replace: Sequence[str] | None = None,
    ) -> None:
        """``PATCH record/v1/{type}/{id}``. ``replace`` names sublists to replace (``?replace=``).

        Retried on 5xx/timeouts. Keyed-sublist updates (e.g. ``{"line": 2, "isClosed": true}``)
        converge; lines added to a non-keyed sublist without ``replace`` would be appended
        again on a retry, so send such changes with ``replace``.
        """
        path = f"{RECORD_PATH}/{_record_type(record_type)}/{_record_id(record_id)}"
        params = {"replace": ",".join(replace)} if replace else None
        self._request("PATCH", path, params=params, body=body, idempotent=True)

    def transform(
        self,
        from_type: str,
        record_id: str | int,
        to_type: str,
        body: Mapping[str, Any] | None = None,
    ) -> str:
        """``POST record/v1/{from}/{id}/!transform/{to}`` → the new record's internal id.

        Same retry rule as ``create``: a failed transform after it may have run raises
        ``NetSuiteAmbiguousWriteError``.
        """
        path = f"{RECORD_PATH}/{_record_type(from_type)}/{_record_id(record_id)}/!transform/{_record_type(to_type)}"
        response = self._request("POST", path, body=dict(body or {}), idempotent=False)
        return self._required_location_id(response)

    # -- SuiteQL -----------------------------------------------------------------------------

    def suiteql_page(self, query: str, *, limit: int = SUITEQL_MAX_PAGE_SIZE, offset: int = 0) -> SuiteQLPage:
        """One page of a SuiteQL query (``Prefer: transient``). Rows are dicts of strings.

        ``limit`` is cut to ``100000 - offset`` so no request reaches past NetSuite's row cap.
        """
        if not 1 <= limit <= SUITEQL_MAX_PAGE_SIZE:
            raise ValueError(f"SuiteQL page size must be 1..{SUITEQL_MAX_PAGE_SIZE}, not {limit}")
        if offset < 0:
            raise ValueError("offset must not be negative")
        if offset >= SUITEQL_ROW_CAP:
            raise NetSuiteRejectedError(_row_cap_message(f"paging reached offset {offset:,}"))
        limit = min(limit, SUITEQL_ROW_CAP - offset)
        response = self._request(
            "POST",
            SUITEQL_PATH,
            params={"limit": str(limit), "offset": str(offset)},
            body={"q": query},
            headers={"Prefer": "transient"},
            # A query changes nothing, so repeating it is always safe.
            idempotent=True,
        )
        payload = self._json(response)
        items = payload.get("items") or []
        rows = [{k: v for k, v in item.items() if k != "links"} for item in items]
        total = payload.get("totalResults")
        return SuiteQLPage(
            items=rows,
            has_more=bool(payload.get("hasMore")),
            offset=int(payload.get("offset", offset)),
            count=int(payload.get("count", len(rows))),
            total_results=int(total) if total is not None else None,
        )

    def suiteql(
        self,
        query: str,
        *,
        page_size: int = SUITEQL_MAX_PAGE_SIZE,
        unordered_ok: bool = False,
        unique_key: Iterable[str] = ("id",),
    ) -> Iterator[dict[str, Any]]:
        """Every row of ``query``, page by page (``limit=page_size``, ``offset`` 0, n, 2n… while ``hasMore``).

        Refuses (``ValueError``, raised here and not on first iteration) a query whose
        top-level ``ORDER BY`` does not cover ``unique_key`` of the query's row source, unless
        ``unordered_ok``: offset paging over an unstable order skips and repeats rows (see
        ``require_stable_order`` for the rule). The concurrency slot is released between
        pages, so a slow consumer holds none.

        NetSuite stops a query at 100,000 rows. If the first page reports more
        (``totalResults``), ``NetSuiteRejectedError`` is raised before any row is yielded: a
        caller that had processed the first 100,000 rows would otherwise believe it saw them
        all. The last request is cut to the rows left below the cap.
        """
        if not 1 <= page_size <= SUITEQL_MAX_PAGE_SIZE:
            raise ValueError(f"SuiteQL page size must be 1..{SUITEQL_MAX_PAGE_SIZE}, not {page_size}")
        if not unordered_ok:
            require_stable_order(query, unique_key)
        return self._iter_suiteql(query, page_size)

    def _iter_suiteql(self, query: str, page_size: int) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = self.suiteql_page(query, limit=page_size, offset=offset)
            if offset == 0 and page.total_results is not None and page.total_results > SUITEQL_ROW_CAP:
                raise NetSuiteRejectedError(
                    _row_cap_message(f"this query matches {page.total_results:,} rows")
                )
            yield from page.items
            if not page.has_more:
                return
            if not page.items:
                # hasMore with an empty page would loop forever; treat it as a transient glitch.
                raise NetSuiteRetryableError(
                    f"SuiteQL reported more rows after an empty page at offset {offset}"
                )
            offset += page_size

    # -- transport, retries, errors ----------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool,
    ) -> httpx.Response:
        url = f"{self.config.base_url}{path}"
        content = None if body is None else encode_json(body).encode("utf-8")
        request_headers = dict(headers or {})
        if content is not None:
            request_headers["Content-Type"] = "application/json"
        # SuiteQL is a POST that changes nothing: a read. A write whose retries the outbox owns
        # (retry_writes=False) gets exactly one attempt, whatever the failure.
        is_write = method not in _READ_METHODS and path != SUITEQL_PATH
        retrying = call_retrying(
            self._policy,
            retry=_should_retry,
            clock=self._clock,
            sleep=self._sleep,
            uniform=self._uniform,
            before_sleep=self._log_retry,
            once=is_write and not self._retry_writes,
        )
        try:
            return retrying(self._attempt, method, url, params, content, request_headers, idempotent)
        except NetSuiteError as exc:
            exc.attempts = retrying.attempts
            if isinstance(exc, NetSuiteRetryableError):
                # Tell the outbox how long we would have waited, so it does not come back sooner.
                exc.retry_after = retrying.retry_after_hint(exc.retry_after)
            logger.warning(
                "netsuite %s %s failed after %d attempt(s): status=%s code=%s",
                method,
                path,
                exc.attempts,
                exc.status,
                exc.error_code,
            )
            raise

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        content: bytes | None,
        headers: Mapping[str, str],
        idempotent: bool,
    ) -> httpx.Response:
        path = httpx.URL(url).path
        # Invariant: at most config.max_concurrency requests per account on the wire from
        # this process. Waiting longer than a request may take means the slots are stuck.
        if not self._semaphore.acquire(timeout=self.config.timeout):
            raise NetSuiteConcurrencyError(
                f"{method} {path}: every local NetSuite slot stayed busy for {self.config.timeout}s"
            )
        try:
            # A new request each time, so TbaAuth signs it with a fresh nonce and timestamp.
            response = self._http.request(method, url, params=params, content=content, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # The request never reached NetSuite: repeating it is safe even for a POST.
            raise NetSuiteRetryableError(
                f"{method} {path}: could not connect ({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            cls = NetSuiteRetryableError if idempotent else NetSuiteAmbiguousWriteError
            raise cls(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        finally:
            self._semaphore.release()
        logger.debug("netsuite %s %s -> %s", method, path, response.status_code)
        if response.is_success:
            return response
        raise error_from_response(response, idempotent=idempotent)

    def _uniform(self, low: float, high: float) -> float:
        # One rng serves every thread of the worker; the lock keeps its state consistent.
        with self._rng_lock:
            return self._rng.uniform(low, high)

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        logger.info(
            "netsuite retry %d after %s: %s",
            state.attempt_number,
            type(exc).__name__,
            getattr(exc, "error_code", None) or getattr(exc, "status", None),
        )

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        if not response.content:
            return {}
        try:
            payload = json.loads(response.text, parse_float=Decimal)
        except ValueError as exc:
            raise NetSuiteRetryableError(
                f"NetSuite sent a body that is not JSON (HTTP {response.status_code})",
                status=response.status_code,
                body=response.text[:2000],
            ) from exc
        if not isinstance(payload, dict):
            raise NetSuiteRejectedError(
                "NetSuite sent JSON that is not an object", status=response.status_code
            )
        return payload

    @staticmethod
    def _required_location_id(response: httpx.Response) -> str:
        location = response.headers.get("Location")
        if not location:
            # It ran (2xx) but we cannot tell which record it made: find it by external id.
            raise NetSuiteAmbiguousWriteError(
                f"NetSuite answered {response.status_code} without a Location header",
                status=response.status_code,
            )
        return id_from_location(location)
