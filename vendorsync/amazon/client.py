"""The SP-API vendor retail client: orders, acknowledgements, ASNs, invoices, transaction status.

HTTP only: it turns typed values into requests and responses into typed values, and failures
into the shared connector errors. No Django models, no business rules (which lines to accept,
whether an ASN is valid) - those live in ``orders`` and ``reconciliation``.

Every request, LWA included, goes through one ``httpx.Client`` built on the ``transport`` the
caller passes: that is how the in-process simulator (``httpx.WSGITransport``) replaces Amazon.
Each call:
1. waits for a token from the process-wide bucket of (endpoint, refresh token, operation):
   Amazon's usage plan belongs to the application + vendor-group authorisation,
2. attaches a cached LWA access token (refreshed once if SP-API answers 401/403),
3. retries 429/5xx/timeouts/transport errors a bounded number of times, honouring Retry-After
   (plus 0-1 s of jitter), else backing off exponentially with jitter; no sleep exceeds
   ``max_sleep`` and the whole call stays within ``call_budget`` (``vendorsync.http_retry``,
   the retry implementation every connector shares),
4. raises ``AmazonRetryableError`` / ``AmazonRejectedError`` / ``AmazonAuthError``.

Response bodies are parsed with ``parse_float=Decimal`` so an amount sent as a JSON number
keeps every digit.

POSTs are retried too: each document carries its own identity (PO number, shipmentIdentifier,
invoice id) and Amazon treats a re-sent document as a replacement, not a second document.
With ``retry_writes=False`` (what outbox handlers get, since the outbox owns their retries and
write budget) a POST makes exactly one attempt and raises its typed error; GETs keep retrying.
The one LWA refresh after a 401/403 still happens inside that attempt: Amazon refused the
request before processing it, so re-sending it with a fresh token is not a second write.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

import httpx
from tenacity import RetryCallState

from vendorsync.errors import RemoteErrorDetail
from vendorsync.http_retry import RetryPolicy, call_retrying, parse_retry_after

from . import codec
from .auth import LwaTokenProvider
from .config import AmazonConfig
from .errors import (
    AmazonAuthError,
    AmazonRejectedError,
    AmazonResponseError,
    AmazonRetryableError,
    TransientFailure,
    parse_error_list,
)
from .ratelimit import TokenBucket, bucket_for
from .values import (
    Invoice,
    OrderAcknowledgement,
    OrderStatus,
    OrderStatusPage,
    PurchaseOrder,
    PurchaseOrderPage,
    ShipmentConfirmation,
    TransactionReference,
    TransactionStatus,
)
from .windows import MAX_WINDOW, split_window

logger = logging.getLogger(__name__)

ORDERS_PATH = "/vendor/orders/v1/purchaseOrders"
ORDER_PATH = "/vendor/orders/v1/purchaseOrders/{purchaseOrderNumber}"
ACKNOWLEDGEMENTS_PATH = "/vendor/orders/v1/acknowledgements"
ORDERS_STATUS_PATH = "/vendor/orders/v1/purchaseOrdersStatus"
SHIPMENT_CONFIRMATIONS_PATH = "/vendor/shipping/v1/shipmentConfirmations"
INVOICES_PATH = "/vendor/payments/v1/invoices"
TRANSACTION_PATH = "/vendor/transactions/v1/transactions/{transactionId}"

_AUTH_STATUSES = frozenset({401, 403})
_READ_METHODS = frozenset({"GET", "HEAD"})

QueryValue = str | int
Params = dict[str, QueryValue]
REMITTANCES_PATH = "/finances/remittances/2026-03-17/remittances"


def _fmt_bool(value: bool) -> str:
    return "true" if value else "false"


def _check_choice(name: str, value: str | None, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    if value is not None and value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")


def _check_limit(limit: int | None) -> None:
    if limit is not None and not (1 <= limit <= 100):
        raise ValueError(f"limit must be between 1 and 100, got {limit}")


def _put(params: Params, key: str, value: Any) -> None:
    """Add a query parameter in Amazon's wire form; None means "not sent"."""
    if value is None:
        return
    if isinstance(value, bool):
        params[key] = _fmt_bool(value)
    elif isinstance(value, datetime):
        params[key] = codec.format_datetime(value)
    else:
        params[key] = value


def _path_segment(name: str, value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{name} must not be empty")
    return quote(value, safe="")


def _as_tuple[T](value: T | Iterable[T], single: type[T]) -> tuple[T, ...]:
    items = (value,) if isinstance(value, single) else tuple(value)  # type: ignore[arg-type]
    if not items:
        raise ValueError(f"at least one {single.__name__} is required")
    return items


def _filled(
    lo: datetime | None, hi: datetime | None, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """Close a one-sided range so it can be split; leave two-sided and empty ranges alone.

    Only the start (the usual "changed since the last sync"): the end is ``now`` (UTC), so
    everything up to this moment is covered by ≤ 7-day windows. Only the end: the start is
    ``end − 7 days``, the longest window Amazon accepts (one window; a caller who wants more
    history must say where it starts). A start at or after ``now`` (clock skew between our
    watermark and this host) cannot be closed into a valid range; it is sent as given and
    Amazon applies its own default for the open end.
    """
    if lo is not None and hi is None:
        return (lo, now) if lo < now else (lo, None)
    if lo is None and hi is not None:
        return hi - MAX_WINDOW, hi
    return lo, hi


def _ranges(
    pairs: Mapping[str, tuple[datetime | None, datetime | None]], now: datetime
) -> list[dict[str, datetime]]:
    """The query windows for a set of named date ranges, as ``{name_after, name_before}`` overrides.

    One-sided ranges are closed first (``_filled``). At most one range may then exceed 7 days;
    it is split into consecutive ≤ 7-day windows and every other range is repeated unchanged
    in each window. No date range at all yields one empty override (a single unfiltered walk).
    """
    for name, (lo, hi) in pairs.items():
        for end, value in (("after", lo), ("before", hi)):
            if value is not None and (value.tzinfo is None or value.utcoffset() is None):
                raise ValueError(f"{name}_{end} must be timezone-aware (refusing to guess a zone)")
    base: dict[str, datetime] = {}
    long_ranges: dict[str, tuple[datetime, datetime]] = {}
    for name, (lo, hi) in pairs.items():
        lo, hi = _filled(lo, hi, now)
        if lo is not None:
            base[f"{name}_after"] = lo
        if hi is not None:
            base[f"{name}_before"] = hi
        if lo is not None and hi is not None and hi - lo > MAX_WINDOW:
            long_ranges[name] = (lo, hi)
    if len(long_ranges) > 1:
        raise ValueError(f"only one date range may exceed 7 days per query, got {sorted(long_ranges)}")
    if not long_ranges:
        return [base]
    ((name, (lo, hi)),) = long_ranges.items()
    return [{**base, f"{name}_after": start, f"{name}_before": end} for start, end in split_window(lo, hi)]


class AmazonVendorClient:
    """Synchronous SP-API client for the vendor retail procurement operations.

    Thread-safe: the HTTP connection pool, token cache and rate-limit buckets are shared safely,
    so one instance may serve every thread of a worker process.

    Injectable for tests (and the simulator): ``clock`` (monotonic seconds: token expiry, rate
    buckets, the per-call time budget), ``sleep``, ``utc_now`` (the wall clock that closes a
    one-sided date range) and ``rng`` (retry jitter). ``retry_writes=False``: a POST makes one
    attempt (the caller, i.e. the outbox, owns its retries); reads still retry.
    """

    def __init__(
        self,
        config: AmazonConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        utc_now: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
        retry_writes: bool = True,
    ) -> None:
        self._config = config
        self._retry_writes = retry_writes
        self._policy = RetryPolicy(
            max_attempts=config.max_attempts,
            backoff_initial=config.backoff_initial,
            backoff_max=config.backoff_max,
            max_sleep=config.max_sleep,
            call_budget=config.call_budget,
            attempt_timeout=config.timeout,
        )
        self._clock = clock
        self._sleep = sleep
        self._utc_now = utc_now
        self._rng = rng or random.Random()  # jitter, not security
        self._rng_lock = threading.Lock()
        self._timeout = httpx.Timeout(config.timeout)
        # One client for LWA and SP-API alike, so an injected transport sees every request.
        self._http = httpx.Client(transport=transport, timeout=self._timeout, follow_redirects=False)
        self._tokens = LwaTokenProvider(config, self._http, clock=clock)

    @property
    def config(self) -> AmazonConfig:
        return self._config

    def _uniform(self, low: float, high: float) -> float:
        # One rng serves every thread of the worker; the lock keeps its state consistent.
        with self._rng_lock:
            return self._rng.uniform(low, high)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AmazonVendorClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ============================================================================================
    # Vendor Orders API v1
    # ============================================================================================

    def get_purchase_orders(
        self,
        *,
        limit: int | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        sort_order: Literal["ASC", "DESC"] | None = None,
        next_token: str | None = None,
        include_details: bool | None = None,
        changed_after: datetime | None = None,
        changed_before: datetime | None = None,
        po_item_state: Literal["Cancelled"] | None = None,
        is_po_changed: bool | None = None,
        purchase_order_state: Literal["New", "Acknowledged", "Closed"] | None = None,
        ordering_vendor_code: str | None = None,
    ) -> PurchaseOrderPage:
        """One page of ``getPurchaseOrders``, parameters passed through unchanged (no splitting)."""
        _check_limit(limit)
        _check_choice("sort_order", sort_order, ("ASC", "DESC"))
        _check_choice("po_item_state", po_item_state, ("Cancelled",))
        _check_choice("purchase_order_state", purchase_order_state, ("New", "Acknowledged", "Closed"))
        params: Params = {}
        _put(params, "limit", limit)
        _put(params, "createdAfter", created_after)
        _put(params, "createdBefore", created_before)
        _put(params, "sortOrder", sort_order)
        _put(params, "nextToken", next_token)
        _put(params, "includeDetails", include_details)
        _put(params, "changedAfter", changed_after)
        _put(params, "changedBefore", changed_before)
        _put(params, "poItemState", po_item_state)
        _put(params, "isPOChanged", is_po_changed)
        _put(params, "purchaseOrderState", purchase_order_state)
        _put(params, "orderingVendorCode", ordering_vendor_code)
        body, _ = self._request("getPurchaseOrders", "GET", ORDERS_PATH, params=params)
        return codec.parse_get_purchase_orders_response(body)

    def iter_purchase_order_pages(
        self,
        *,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        changed_after: datetime | None = None,
        changed_before: datetime | None = None,
        **filters: Any,
    ) -> Iterator[PurchaseOrderPage]:
        """Every page for the range, splitting a created/changed range longer than 7 days.

        A range with only a start (``changed_after=last_sync``) runs to now (UTC); one with only
        an end starts 7 days before it (see ``_filled``). Windows are walked oldest first; within
        a window ``nextToken`` is followed until Amazon stops returning one. ``filters`` are the
        other ``get_purchase_orders`` keywords. Each page is its own call with its own time budget.
        """
        if "next_token" in filters:
            raise TypeError("iter_purchase_order_pages follows nextToken itself; use get_purchase_orders")
        bounds = {
            "created": (created_after, created_before),
            "changed": (changed_after, changed_before),
        }
        for window in self._windows(bounds):
            kwargs = {
                "created_after": created_after,
                "created_before": created_before,
                "changed_after": changed_after,
                "changed_before": changed_before,
                **window,
            }
            yield from self._follow(
                lambda token, kw=kwargs: self.get_purchase_orders(**kw, **filters, next_token=token)
            )

    def iter_purchase_orders(self, **kwargs: Any) -> Iterator[PurchaseOrder]:
        """Every purchase order for the range (see ``iter_purchase_order_pages``)."""
        for page in self.iter_purchase_order_pages(**kwargs):
            yield from page.orders

    def get_purchase_order(self, purchase_order_number: str) -> PurchaseOrder:
        path = ORDER_PATH.format(
            purchaseOrderNumber=_path_segment("purchase_order_number", purchase_order_number)
        )
        body, _ = self._request("getPurchaseOrder", "GET", path)
        return codec.parse_get_purchase_order_response(body)

    def submit_acknowledgement(
        self, acknowledgements: OrderAcknowledgement | Iterable[OrderAcknowledgement]
    ) -> TransactionReference:
        """POST the acknowledgement(s); Amazon answers 202 + transactionId (poll get_transaction)."""
        payload = codec.submit_acknowledgement_body(_as_tuple(acknowledgements, OrderAcknowledgement))
        body, request_id = self._request(
            "submitAcknowledgement", "POST", ACKNOWLEDGEMENTS_PATH, json_body=payload
        )
        return codec.parse_transaction_reference(body, request_id)

    def get_purchase_orders_status(
        self,
        *,
        limit: int | None = None,
        sort_order: Literal["ASC", "DESC"] | None = None,
        next_token: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        purchase_order_number: str | None = None,
        purchase_order_status: Literal["OPEN", "CLOSED"] | None = None,
        item_confirmation_status: Literal["ACCEPTED", "PARTIALLY_ACCEPTED", "REJECTED", "UNCONFIRMED"]
        | None = None,
        item_receive_status: Literal["NOT_RECEIVED", "PARTIALLY_RECEIVED", "RECEIVED"] | None = None,
        ordering_vendor_code: str | None = None,
        ship_to_party_id: str | None = None,
    ) -> OrderStatusPage:
        """One page of ``getPurchaseOrdersStatus`` (acknowledgement and receiving per line)."""
        _check_limit(limit)
        _check_choice("sort_order", sort_order, ("ASC", "DESC"))
        _check_choice("purchase_order_status", purchase_order_status, ("OPEN", "CLOSED"))
        _check_choice(
            "item_confirmation_status",
            item_confirmation_status,
            ("ACCEPTED", "PARTIALLY_ACCEPTED", "REJECTED", "UNCONFIRMED"),
        )
        _check_choice(
            "item_receive_status", item_receive_status, ("NOT_RECEIVED", "PARTIALLY_RECEIVED", "RECEIVED")
        )
        params: Params = {}
        _put(params, "limit", limit)
        _put(params, "sortOrder", sort_order)
        _put(params, "nextToken", next_token)
        _put(params, "createdAfter", created_after)
        _put(params, "createdBefore", created_before)
        _put(params, "updatedAfter", updated_after)
        _put(params, "updatedBefore", updated_before)
        _put(params, "purchaseOrderNumber", purchase_order_number)
        _put(params, "purchaseOrderStatus", purchase_order_status)
        _put(params, "itemConfirmationStatus", item_confirmation_status)
        _put(params, "itemReceiveStatus", item_receive_status)
        _put(params, "orderingVendorCode", ordering_vendor_code)
        _put(params, "shipToPartyId", ship_to_party_id)
        body, _ = self._request("getPurchaseOrdersStatus", "GET", ORDERS_STATUS_PATH, params=params)
        return codec.parse_get_purchase_orders_status_response(body)

    def iter_purchase_orders_status_pages(
        self,
        *,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        updated_after: datetime | None = None,
        updated_before: datetime | None = None,
        **filters: Any,
    ) -> Iterator[OrderStatusPage]:
        """Every status page for the range, splitting a created/updated range longer than 7 days.

        One-sided ranges are closed as in ``iter_purchase_order_pages``.
        """
        if "next_token" in filters:
            raise TypeError("iter_purchase_orders_status_pages follows nextToken itself")
        bounds = {
            "created": (created_after, created_before),
            "updated": (updated_after, updated_before),
        }
        for window in self._windows(bounds):
            kwargs = {
                "created_after": created_after,
                "created_before": created_before,
                "updated_after": updated_after,
                "updated_before": updated_before,
                **window,
            }
            yield from self._follow(
                lambda token, kw=kwargs: self.get_purchase_orders_status(**kw, **filters, next_token=token)
            )

    def iter_purchase_orders_status(self, **kwargs: Any) -> Iterator[OrderStatus]:
        for page in self.iter_purchase_orders_status_pages(**kwargs):
            yield from page.orders

    # ============================================================================================
    # Vendor Shipments API v1, Vendor Invoices API v1, Vendor Transaction Status API v1
    # ============================================================================================

    def submit_shipment_confirmations(
        self, confirmations: ShipmentConfirmation | Iterable[ShipmentConfirmation]
    ) -> TransactionReference:
        """POST the ASN(s) to ``/vendor/shipping/v1/shipmentConfirmations`` (202 + transactionId)."""
        payload = codec.submit_shipment_confirmations_body(_as_tuple(confirmations, ShipmentConfirmation))
        body, request_id = self._request(
            "submitShipmentConfirmations", "POST", SHIPMENT_CONFIRMATIONS_PATH, json_body=payload
        )
        return codec.parse_transaction_reference(body, request_id)

    def submit_invoices(self, invoices: Invoice | Iterable[Invoice]) -> TransactionReference:
        """POST invoice(s) / credit note(s) (202 + transactionId; its status stays "Processing")."""
        payload = codec.submit_invoices_body(_as_tuple(invoices, Invoice))
        body, request_id = self._request("submitInvoices", "POST", INVOICES_PATH, json_body=payload)
        return codec.parse_transaction_reference(body, request_id)

    def get_transaction(self, transaction_id: str) -> TransactionStatus:
        path = TRANSACTION_PATH.format(transactionId=_path_segment("transaction_id", transaction_id))
        body, _ = self._request("getTransaction", "GET", path)
        return codec.parse_get_transaction_response(body)

    def get_remittances(
        self,
        *,
        marketplace_id: str,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
        next_token: str | None = None,
    ) -> dict[str, Any]:
        """One page of Finance Remittance API payments (reference §8.2): ``{remittances, nextToken}``.

        Returned as JSON (numbers as ``Decimal``); the remittance importer normalises it.
        """
        params: Params = {"marketplaceId": marketplace_id}
        _put(params, "startDate", start_date)
        _put(params, "endDate", end_date)
        _put(params, "nextToken", next_token)
        body, _ = self._request("getRemittances", "GET", REMITTANCES_PATH, params=params)
        return body

    def get_remittance(
        self, unique_payment_id: str, *, marketplace_id: str, next_token_for_line_items: str | None = None
    ) -> dict[str, Any]:
        """One payment with one page of its items: ``{remittanceHeader, remittanceItems, nextTokenForLineItems}``."""
        params: Params = {"marketplaceId": marketplace_id}
        _put(params, "nextTokenForLineItems", next_token_for_line_items)
        path = f"{REMITTANCES_PATH}/{_path_segment('unique_payment_id', unique_payment_id)}"
        body, _ = self._request("getRemittance", "GET", path, params=params)
        return body

    # ============================================================================================
    # paging and windows
    # ============================================================================================

    def _windows(
        self,
        bounds: Mapping[str, tuple[datetime | None, datetime | None]],
    ) -> Iterator[dict[str, datetime]]:
        yield from _ranges(bounds, self._utc_now())

    @staticmethod
    def _follow[P: (PurchaseOrderPage, OrderStatusPage)](fetch: Callable[[str | None], P]) -> Iterator[P]:
        """Yield pages, following nextToken until Amazon stops sending one.

        A token Amazon already gave us in this window would loop forever; it is reported as a
        retryable failure rather than silently truncating the import.
        """
        seen: set[str] = set()
        token: str | None = None
        while True:
            page = fetch(token)
            yield page
            token = page.next_token
            if not token:
                return
            if token in seen:
                raise AmazonRetryableError("Amazon repeated a nextToken; paging stopped to avoid a loop")
            seen.add(token)

    # ============================================================================================
    # transport
    # ============================================================================================

    def _request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json_body: Any = None,
    ) -> tuple[Any, str | None]:
        """Run one operation with rate limiting, auth and bounded retries; return (JSON, request id)."""
        config = self._config
        url = f"{config.base_url}{path}"
        bucket = bucket_for(config.base_url, operation, refresh_token=config.refresh_token, clock=self._clock)
        # A write whose retries the outbox owns (retry_writes=False) gets exactly one attempt.
        retrying = call_retrying(
            self._policy,
            retry=lambda exc: isinstance(exc, TransientFailure),
            clock=self._clock,
            sleep=self._sleep,
            uniform=self._uniform,
            before_sleep=lambda state: self._log_retry(operation, state),
            once=not self._retry_writes and method not in _READ_METHODS,
        )
        try:
            return retrying(self._attempt, operation, bucket, method, url, params, json_body)
        except TransientFailure as failure:
            attempts = retrying.attempts
            raise AmazonRetryableError(
                f"{failure.message} (gave up after {attempts} attempt{'s' if attempts != 1 else ''})",
                status=failure.status,
                retry_after=retrying.retry_after_hint(failure.retry_after),
                operation=operation,
                request_id=failure.request_id,
            ) from failure

    def _attempt(
        self,
        operation: str,
        bucket: TokenBucket,
        method: str,
        url: str,
        params: Params | None,
        json_body: Any,
    ) -> tuple[Any, str | None]:
        token = self._tokens.get()
        bucket.acquire(self._sleep)
        response = self._send(operation, method, url, params, json_body, token)
        if response.status_code in _AUTH_STATUSES:
            # An access token can be revoked or expire early: refresh exactly once, then believe
            # Amazon (403 persisting means missing roles or a wrong vendor group).
            self._tokens.invalidate(token)
            token = self._tokens.get()
            bucket.acquire(self._sleep)
            response = self._send(operation, method, url, params, json_body, token)
            if response.status_code in _AUTH_STATUSES:
                body = _json_or_none(response)
                raise AmazonAuthError(
                    "Amazon refused a freshly issued access token; check the app's roles and vendor group",
                    status=response.status_code,
                    details=parse_error_list(body),
                    operation=operation,
                    request_id=response.headers.get("x-amzn-RequestId"),
                )
        return self._handle(operation, bucket, response)

    def _send(
        self,
        operation: str,
        method: str,
        url: str,
        params: Params | None,
        json_body: Any,
        token: str,
    ) -> httpx.Response:
        headers = {
            "x-amz-access-token": token,
            "x-amz-date": datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
            "user-agent": self._config.user_agent,
            "accept": "application/json",
        }
        try:
            return self._http.request(
                method, url, params=params, json=json_body, headers=headers, timeout=self._timeout
            )
        except httpx.TimeoutException as exc:
            raise TransientFailure(f"{operation} timed out after {self._config.timeout}s") from exc
        except httpx.TransportError as exc:
            raise TransientFailure(f"{operation} transport error: {exc.__class__.__name__}: {exc}") from exc

    def _handle(
        self, operation: str, bucket: TokenBucket, response: httpx.Response
    ) -> tuple[Any, str | None]:
        status = response.status_code
        request_id = response.headers.get("x-amzn-RequestId")
        limit = response.headers.get("x-amzn-RateLimit-Limit")
        if limit:
            try:
                bucket.set_rate(float(limit))
            except ValueError:
                logger.debug("ignoring unparseable x-amzn-RateLimit-Limit %r", limit)

        if 200 <= status < 300:
            body = _json_or_none(response)
            if body is None:
                raise AmazonResponseError(
                    f"Amazon answered HTTP {status} without a JSON body",
                    status=status,
                    operation=operation,
                    request_id=request_id,
                )
            return body, request_id

        if status == 429 or status == 408 or status >= 500:
            if status == 429:
                bucket.drain()  # Amazon's bucket for this operation is empty; ours must agree
            failure = TransientFailure(
                "Amazon throttled the request (HTTP 429)"
                if status == 429
                else f"Amazon answered HTTP {status}",
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
            failure.request_id = request_id
            raise failure

        body = _json_or_none(response)
        details = parse_error_list(body)
        if not details:
            excerpt = response.text[:200] if response.text else response.reason_phrase
            details = [RemoteErrorDetail(code=f"HTTP{status}", message=excerpt)]
        raise AmazonRejectedError(
            f"Amazon rejected the request (HTTP {status})",
            status=status,
            details=details,
            operation=operation,
            request_id=request_id,
        )

    @staticmethod
    def _log_retry(operation: str, state: RetryCallState) -> None:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        logger.warning(
            "amazon %s attempt %d failed (%s); retrying in %.2fs", operation, state.attempt_number, exc, wait
        )


def _json_or_none(response: httpx.Response) -> Any:
    """The body as JSON with every non-integer number as ``Decimal``; None if it is not JSON.

    ``response.json()`` would turn ``12345678901234567.89`` into a float and lose the cents
    before the codec ever saw it; ``parse_float=Decimal`` keeps the digits Amazon sent.
    """
    if not response.content:
        return None
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError:
        return None
