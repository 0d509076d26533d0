"""Helpers both simulators need in exactly the same form: cents, timestamps, GS1 numbers, WSGI plumbing.

Only what is genuinely identical on both sides lives here. Where Amazon and NetSuite really
behave differently (their error bodies, what a "timeout" fault means, their stores' locking,
Amazon's ``{"currencyCode", "amount"}`` money objects vs NetSuite's bare numbers) each simulator
keeps its own code, because that difference is what the app's clients must cope with.

GS1 check digits come from python-stdnum rather than from ``vendorsync.edi.gs1``: the simulators
stand for the other party, so they must not validate the app's SSCCs with the app's own code
(a bug there would then go unnoticed in every test that talks to a simulator).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from http import HTTPStatus
from typing import Any

from stdnum import ean

from . import catalog

CENT = Decimal("0.01")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def cents(value: Decimal) -> Decimal:
    """Round money to the cent, half up (how both Amazon and NetSuite round line amounts)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def utc_timestamp(moment: datetime) -> str:
    """``2026-11-02T07:15:00Z``: UTC, second precision, ``Z`` suffix; sorts lexicographically."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def gs1_check_digit(data: str) -> int:
    """The GS1 mod-10 check digit of ``data`` (the digits of a GTIN/SSCC without its check digit)."""
    return int(ean.calc_check_digit(data))


def sscc18(serial: int, extension: int = 0) -> str:
    """SSCC-18: extension digit + the vendor's GS1 company prefix + serial reference + check digit."""
    body = f"{extension}{catalog.GS1_COMPANY_PREFIX}{serial:0{16 - len(catalog.GS1_COMPANY_PREFIX)}d}"
    return body + ean.calc_check_digit(body)


@dataclass(kw_only=True)
class TransportFaults:
    """Misbehaviour both simulators can inject; each adds its own ``timeout`` (they differ).

    ``error_rate`` is the share of requests answered with ``status_5xx``, ``latency_seconds`` is
    added to each request, ``burst_429`` makes the next N requests throttled, and ``seed`` seeds
    the RNG that decides which requests fail, so a failing test can be replayed.
    """

    error_rate: float = 0.0
    status_5xx: int = 503
    latency_seconds: float = 0.0
    burst_429: int = 0
    seed: int = 0


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body, exactly ``CONTENT_LENGTH`` bytes (WSGI input may not signal EOF)."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def respond(
    start_response: StartResponse, status: int, body: bytes, headers: list[tuple[str, str]]
) -> list[bytes]:
    """Start a WSGI response with the standard reason phrase and a Content-Length header."""
    start_response(f"{status} {HTTPStatus(status).phrase}", [*headers, ("Content-Length", str(len(body)))])
    return [body]
