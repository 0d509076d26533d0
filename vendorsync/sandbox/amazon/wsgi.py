"""The simulator's HTTP face: LWA's token endpoint and the SP-API vendor paths as a WSGI app.

A plain WSGI callable (no framework) so it runs in-process behind ``httpx.WSGITransport`` in
tests and under ``wsgiref`` for ``manage.py sandbox serve``. It reproduces the transport
behaviour a client must survive: token-bucket throttling per operation at Amazon's usage-plan
rates (429 + ``x-amzn-RateLimit-Limit``), 403 ``Unauthorized`` for a missing, unknown or expired
access token, and injectable faults (5xx at a seeded rate, latency, a burst of 429s, timeouts).
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from vendorsync.sandbox.common import StartResponse, TransportFaults, read_body, respond

from .core import ApiError, err, parse_time
from .simulator import AmazonSimulator

# (rate per second, burst) from the usage-plan tables of Amazon's models (reference §2.3).
USAGE_PLANS: dict[str, tuple[float, int]] = {
    "getPurchaseOrders": (10.0, 10),
    "getPurchaseOrder": (10.0, 10),
    "submitAcknowledgement": (10.0, 10),
    "getPurchaseOrdersStatus": (10.0, 10),
    "submitShipmentConfirmations": (10.0, 10),
    "submitInvoices": (10.0, 10),
    "getTransaction": (10.0, 20),
    # The finance remittance model has no usage-plan table (reference §8.2); assumed like the rest.
    "getRemittances": (10.0, 10),
    "getRemittance": (10.0, 10),
}


@dataclass(kw_only=True)
class Faults(TransportFaults):
    """Injected misbehaviour of the SP-API endpoints (never of the LWA token endpoint).

    ``timeout`` is the share of requests that time out: in-process (``timeout_sleep_seconds``
    0) the app raises ``httpx.ReadTimeout``, which ``httpx.WSGITransport`` hands to the client;
    served over a socket it sleeps ``timeout_sleep_seconds`` so the client's own timeout fires.
    A 429 burst answers ``QuotaExceeded``, SP-API's throttling error.
    """

    timeout: float = 0.0
    timeout_sleep_seconds: float = 0.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Faults:
        """``SANDBOX_AMAZON_<FIELD>`` variables, e.g. ``SANDBOX_AMAZON_ERROR_RATE=0.1``."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            raw = environ.get(f"SANDBOX_AMAZON_{field.name.upper()}")
            if raw not in (None, ""):
                values[field.name] = (int if field.type == "int" else float)(raw)
        return cls(**values)


class TokenBucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.updated = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


def _bool(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ApiError(400, [err("InvalidInput", f"'{name}' must be true or false.")])


def _time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        raise ApiError(400, [err("InvalidInput", f"'{name}' is not an ISO-8601 date-time: {value}")]) from exc


def _choice(value: str | None, name: str, allowed: tuple[str, ...]) -> str | None:
    if value is None or value in allowed:
        return value
    raise ApiError(400, [err("InvalidInput", f"'{name}' must be one of {', '.join(allowed)}.")])


def _limit(value: str | None) -> int:
    try:
        limit = int(value) if value else 100
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise ApiError(400, [err("InvalidInput", "'limit' must be an integer between 1 and 100.")])
    return limit


class AmazonApp:
    """WSGI callable. Paths may carry an ``/amazon`` prefix (how ``sandbox serve`` mounts it)."""

    def __init__(
        self,
        simulator: AmazonSimulator,
        *,
        faults: Faults | None = None,
        rate_limits: Mapping[str, tuple[float, int]] | None = None,
        throttle: bool = True,
    ) -> None:
        self.simulator = simulator
        self.throttle = throttle
        plans = dict(USAGE_PLANS) | dict(rate_limits or {})
        self.buckets = {operation: TokenBucket(*plan) for operation, plan in plans.items()}
        self.set_faults(faults or Faults())
        self.routes: list[tuple[str, re.Pattern[str], str, Callable[..., tuple[int, Any]]]] = [
            ("GET", re.compile(r"/vendor/orders/v1/purchaseOrders"), "getPurchaseOrders", self.get_orders),
            (
                "GET",
                re.compile(r"/vendor/orders/v1/purchaseOrders/(?P<number>[^/]+)"),
                "getPurchaseOrder",
                self.get_order,
            ),
            ("POST", re.compile(r"/vendor/orders/v1/acknowledgements"), "submitAcknowledgement", self.submit),
            (
                "GET",
                re.compile(r"/vendor/orders/v1/purchaseOrdersStatus"),
                "getPurchaseOrdersStatus",
                self.status,
            ),
            (
                "POST",
                re.compile(r"/vendor/shipping/v1/shipmentConfirmations"),
                "submitShipmentConfirmations",
                self.submit,
            ),
            ("POST", re.compile(r"/vendor/payments/v1/invoices"), "submitInvoices", self.submit),
            (
                "GET",
                re.compile(r"/vendor/transactions/v1/transactions/(?P<transaction_id>[^/]+)"),
                "getTransaction",
                self.transaction,
            ),
            (
                "GET",
                re.compile(r"/finances/remittances/2026-03-17/remittances"),
                "getRemittances",
                self.finance_remittances,
            ),
            (
                "GET",
                re.compile(r"/finances/remittances/2026-03-17/remittances/(?P<unique_id>[^/]+)"),
                "getRemittance",
                self.finance_remittance,
            ),
        ]

    def set_faults(self, faults: Faults) -> None:
        self.faults = faults
        self._burst_left = faults.burst_429
        self._rng = random.Random(faults.seed)
        self._fault_lock = threading.Lock()

    # ------------------------------------------------------------------ WSGI
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path.startswith("/amazon/"):
            path = path[len("/amazon") :]
        method = environ.get("REQUEST_METHOD", "GET").upper()
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        if path == "/auth/o2/token" and method == "POST":
            status, body = self.simulator.lwa_token(
                {k: v[0] for k, v in parse_qs(read_body(environ).decode(), keep_blank_values=True).items()}
            )
            return self._respond(start_response, status, body, headers)
        found = next(
            (
                (operation, handler, m)
                for verb, pattern, operation, handler in self.routes
                if verb == method and (m := pattern.fullmatch(path))
            ),
            None,
        )
        if found is None:
            return self._respond(
                start_response,
                404,
                {"errors": [err("NotFound", f"No resource at {method} {path}.")]},
                headers,
            )
        operation, handler, match = found
        rate = self.buckets[operation].rate
        headers["x-amzn-RateLimit-Limit"] = f"{rate:g}"
        status, body = self._guarded(environ, operation, handler, match.groupdict())
        return self._respond(start_response, status, body, headers)

    def _guarded(
        self, environ: dict[str, Any], operation: str, handler: Callable[..., tuple[int, Any]], args: dict
    ) -> tuple[int, Any]:
        faults = self.faults
        if faults.latency_seconds:
            time.sleep(faults.latency_seconds)
        with self._fault_lock:
            burst = self._burst_left > 0
            if burst:
                self._burst_left -= 1
            timed_out = faults.timeout > 0 and self._rng.random() < faults.timeout
            failed = faults.error_rate > 0 and self._rng.random() < faults.error_rate
        if burst:
            return 429, {
                "errors": [err("QuotaExceeded", "You exceeded your quota for the requested resource.")]
            }
        if timed_out:
            if not faults.timeout_sleep_seconds:
                import httpx  # only the in-process path needs it

                raise httpx.ReadTimeout("Simulated SP-API timeout")
            time.sleep(faults.timeout_sleep_seconds)
            return 504, {"errors": [err("GatewayTimeout", "The request timed out.")]}
        if failed:
            code = "ServiceUnavailable" if faults.status_5xx == 503 else "InternalFailure"
            return faults.status_5xx, {
                "errors": [err(code, "We encountered an internal error. Please try again.")]
            }
        problem = self.simulator.token_problem(environ.get("HTTP_X_AMZ_ACCESS_TOKEN"))
        if problem:
            return 403, {"errors": [err("Unauthorized", "Access to requested resource is denied.", problem)]}
        if self.throttle and not self.buckets[operation].take():
            return 429, {
                "errors": [err("QuotaExceeded", "You exceeded your quota for the requested resource.")]
            }
        self.simulator.catch_up()
        try:
            return handler(environ, operation, **args)
        except ApiError as exc:
            return exc.status, {"errors": exc.errors}

    @staticmethod
    def _respond(
        start_response: StartResponse, status: int, body: Any, headers: dict[str, str]
    ) -> list[bytes]:
        return respond(
            start_response,
            status,
            json.dumps(body).encode(),
            [("Content-Type", "application/json"), *headers.items()],
        )

    # -------------------------------------------------------------- handlers
    @staticmethod
    def _query(environ: dict[str, Any]) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}

    def get_orders(self, environ: dict[str, Any], operation: str) -> tuple[int, Any]:
        q = self._query(environ)
        payload = self.simulator.get_purchase_orders(
            limit=_limit(q.get("limit")),
            created_after=_time(q.get("createdAfter"), "createdAfter"),
            created_before=_time(q.get("createdBefore"), "createdBefore"),
            changed_after=_time(q.get("changedAfter"), "changedAfter"),
            changed_before=_time(q.get("changedBefore"), "changedBefore"),
            sort_order=_choice(q.get("sortOrder"), "sortOrder", ("ASC", "DESC")) or "ASC",
            next_token=q.get("nextToken") or None,
            include_details=_bool(q.get("includeDetails"), "includeDetails") is not False,
            po_item_state=_choice(q.get("poItemState"), "poItemState", ("Cancelled",)),
            is_po_changed=bool(_bool(q.get("isPOChanged"), "isPOChanged")),
            purchase_order_state=_choice(
                q.get("purchaseOrderState"), "purchaseOrderState", ("New", "Acknowledged", "Closed")
            ),
            ordering_vendor_code=q.get("orderingVendorCode") or None,
        )
        return 200, {"payload": payload}

    def get_order(self, environ: dict[str, Any], operation: str, number: str) -> tuple[int, Any]:
        return 200, {"payload": self.simulator.get_purchase_order(number)}

    def status(self, environ: dict[str, Any], operation: str) -> tuple[int, Any]:
        q = self._query(environ)
        payload = self.simulator.get_purchase_orders_status(
            limit=_limit(q.get("limit")),
            sort_order=_choice(q.get("sortOrder"), "sortOrder", ("ASC", "DESC")) or "ASC",
            next_token=q.get("nextToken") or None,
            created_after=_time(q.get("createdAfter"), "createdAfter"),
            created_before=_time(q.get("createdBefore"), "createdBefore"),
            updated_after=_time(q.get("updatedAfter"), "updatedAfter"),
            updated_before=_time(q.get("updatedBefore"), "updatedBefore"),
            purchase_order_number=q.get("purchaseOrderNumber") or None,
            purchase_order_status=_choice(
                q.get("purchaseOrderStatus"), "purchaseOrderStatus", ("OPEN", "CLOSED")
            ),
            item_confirmation_status=_choice(
                q.get("itemConfirmationStatus"),
                "itemConfirmationStatus",
                ("ACCEPTED", "PARTIALLY_ACCEPTED", "REJECTED", "UNCONFIRMED"),
            ),
            item_receive_status=_choice(
                q.get("itemReceiveStatus"),
                "itemReceiveStatus",
                ("NOT_RECEIVED", "PARTIALLY_RECEIVED", "RECEIVED"),
            ),
            ordering_vendor_code=q.get("orderingVendorCode") or None,
            ship_to_party_id=q.get("shipToPartyId") or None,
        )
        return 200, {"payload": payload}

    def submit(self, environ: dict[str, Any], operation: str) -> tuple[int, Any]:
        try:
            body = json.loads(read_body(environ) or b"null")
        except ValueError as exc:
            raise ApiError(400, [err("InvalidInput", "The request body is not valid JSON.")]) from exc
        kind = {
            "submitAcknowledgement": "acknowledgement",
            "submitShipmentConfirmations": "shipment",
            "submitInvoices": "invoice",
        }[operation]
        return 202, {"payload": {"transactionId": self.simulator.submit(kind, body)}}

    def transaction(self, environ: dict[str, Any], operation: str, transaction_id: str) -> tuple[int, Any]:
        return 200, {"payload": self.simulator.get_transaction(transaction_id)}

    def finance_remittances(self, environ: dict[str, Any], operation: str) -> tuple[int, Any]:
        q = self._query(environ)
        return 200, self.simulator.list_finance_remittances(
            marketplace_id=q.get("marketplaceId"),
            start=_time(q.get("startDate"), "startDate"),
            end=_time(q.get("endDate"), "endDate"),
            next_token=q.get("nextToken") or None,
        )

    def finance_remittance(self, environ: dict[str, Any], operation: str, unique_id: str) -> tuple[int, Any]:
        q = self._query(environ)
        return 200, self.simulator.get_finance_remittance(
            unique_id,
            marketplace_id=q.get("marketplaceId"),
            next_token=q.get("nextTokenForLineItems") or None,
        )


def make_app(
    store_path: Any = None,
    *,
    faults: Faults | None = None,
    rate_limits: Mapping[str, tuple[float, int]] | None = None,
    throttle: bool = True,
    **simulator_options: Any,
) -> AmazonApp:
    """The Amazon simulator as a WSGI app; ``app.simulator`` is the ``AmazonSimulator`` behind it.

    ``simulator_options`` go to ``AmazonSimulator`` (clock, token_ttl_seconds,
    transaction_delay_seconds, credentials, remittance_dir, terms).
    """
    return AmazonApp(
        AmazonSimulator(store_path, **simulator_options),
        faults=faults,
        rate_limits=rate_limits,
        throttle=throttle,
    )
