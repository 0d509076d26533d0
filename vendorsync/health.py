"""Integration health: dashboard metrics that other apps provide, and the sync freshness check.

Metrics. The dashboard's own figures (open cases by kind × age, sync lag, deliveries, cases opened
per week) are core selectors. Figures that need the orders or reconciliation models — the
acknowledgement on-time rate, ASN acceptance, auto-match rate, unexplained variance and deductions
by type — are *provided* by those apps: in their ``AppConfig.ready()`` they call

    from vendorsync.health import MetricValue, register_metric
    register_metric("ack_on_time_rate", label="Acknowledgement on-time rate",
                    fn=ack_on_time_rate, link="/orders/acknowledgements/?late=1")

where ``fn()`` returns a :class:`MetricValue` and must run a bounded number of queries (one or two
aggregates) whatever the data volume. The dashboard shows "not available yet" for an expected
metric nobody registered, so a missing provider is visible rather than silently absent.
Values are kept in Django's cache for ``METRIC_CACHE_SECONDS``: the health sweep recomputes them
(:func:`refresh_metrics`) and the dashboard reads them there, so registering providers does not
add queries to the page (a cache miss computes them in the request).

Freshness. :func:`check_sync_freshness` (beat, through ``vendorsync.tasks.health_sweep``) raises a
``sync_failed`` case for each flow that has not succeeded within its freshness threshold and clears
it, saying so, once the flow succeeds again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Min
from django.utils import timezone

from vendorsync import flows, services
from vendorsync.models import ExceptionKind, Severity, SyncRun
from vendorsync.words import when

logger = logging.getLogger(__name__)


@dataclass
class MetricValue:
    """One dashboard figure as its provider computed it."""

    value: str  # what the tile shows: "97.5 %", "1,204.10 USD"
    detail: str = ""  # a sentence under it: "195 of 200 POs acknowledged within 24 h (30 days)"
    # Optional chart, oldest first: (label, number) bars drawn server-side as SVG.
    series: list[tuple[str, Decimal | int]] = field(default_factory=list)
    # Optional small table: (label, value) rows, e.g. deductions by type this month.
    rows: list[tuple[str, str]] = field(default_factory=list)
    link: str = ""  # overrides the registered link (e.g. to a filtered list)


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    fn: Callable[[], MetricValue]
    link: str
    order: int


# The figures issue 13 asks for that other apps compute, in dashboard order, with who provides them.
EXPECTED_METRICS: list[tuple[str, str, str]] = [
    ("unexplained_variance", "Unexplained variance", "reconciliation"),
    ("ack_on_time_rate", "Acknowledgement on-time rate", "orders"),
    ("asn_acceptance_rate", "ASN acceptance rate", "orders"),
    ("auto_match_rate", "Auto-match rate", "reconciliation"),
    ("deductions_by_type", "Deductions by type per month", "reconciliation"),
]

_METRICS: dict[str, Metric] = {}


def register_metric(
    key: str, *, label: str, fn: Callable[[], MetricValue], link: str = "", order: int = 100
) -> None:
    """Provide a dashboard figure (see the module docstring); registering a key again replaces it."""
    expected = [k for k, _, _ in EXPECTED_METRICS]
    _METRICS[key] = Metric(
        key=key, label=label, fn=fn, link=link, order=expected.index(key) if key in expected else order
    )
    cache.delete(_CACHE_PREFIX + key)  # a new provider's figure, not the old one's


def unregister_metric(key: str) -> None:
    _METRICS.pop(key, None)
    cache.delete(_CACHE_PREFIX + key)


# Metric values are kept this long in Django's cache: the dashboard reads them there (no query),
# the health sweep recomputes them (``refresh_metrics``), and a miss computes them in the request.
# With every provider registered the page's own queries would otherwise exceed its budget of 12.
METRIC_CACHE_SECONDS = 300
_CACHE_PREFIX = "vendorsync:health-metric:"


def _compute(metric: Metric) -> MetricValue | None:
    try:
        return metric.fn()
    except Exception:  # noqa: BLE001 - one broken provider must not take the dashboard down
        logger.exception("Dashboard metric %s failed", metric.key)
        return None


def refresh_metrics() -> int:
    """Recompute every registered metric into the cache (the health sweep's step); returns how many."""
    values = {_CACHE_PREFIX + key: _compute(metric) for key, metric in _METRICS.items()}
    cache.set_many({k: v for k, v in values.items() if v is not None}, METRIC_CACHE_SECONDS)
    return sum(v is not None for v in values.values())


def dashboard_metrics() -> list[dict[str, Any]]:
    """Every expected metric (registered or "not available yet") and any extra registered ones."""
    cached = cache.get_many([_CACHE_PREFIX + key for key in _METRICS])
    computed: dict[str, MetricValue] = {}
    rows: list[dict[str, Any]] = []
    keys = [k for k, _, _ in EXPECTED_METRICS] + sorted(
        (k for k in _METRICS if k not in {e[0] for e in EXPECTED_METRICS}), key=lambda k: _METRICS[k].order
    )
    labels = {k: (label, app) for k, label, app in EXPECTED_METRICS}
    for key in keys:
        metric = _METRICS.get(key)
        if metric is None:
            label, app = labels[key]
            rows.append({"key": key, "label": label, "available": False, "provider": app})
            continue
        value = cached.get(_CACHE_PREFIX + key)
        if value is None:
            value = _compute(metric)
            if value is None:
                rows.append({"key": key, "label": metric.label, "available": False, "error": True})
                continue
            computed[_CACHE_PREFIX + key] = value
        rows.append(
            {
                "key": key,
                "label": metric.label,
                "available": True,
                "value": value,
                "link": value.link or metric.link,
            }
        )
    if computed:
        cache.set_many(computed, METRIC_CACHE_SECONDS)
    return rows


# --- Sync freshness -------------------------------------------------------------------------------


def sync_failed_key(flow_name: str) -> str:
    return f"{ExceptionKind.SYNC_FAILED}:{flow_name}"


def check_sync_freshness(*, now: datetime | None = None, only: str | None = None) -> dict[str, list[str]]:
    """Raise ``sync_failed`` for flows past their freshness threshold; clear it for flows that recovered.

    A flow that never ran is not failed yet (beat has not got to it); a flow that has been trying
    for longer than its threshold without one success is. Returns the flow names raised and cleared.
    """
    now = now or timezone.now()
    rows = [row for row in flows.flow_status() if only is None or row["flow"].name == only]
    first_started = dict(
        SyncRun.objects.filter(flow__in=[row["flow"].name for row in rows])
        .values_list("flow")
        .annotate(first=Min("started_at"))
        .order_by()
    )
    raised: list[str] = []
    cleared: list[str] = []
    for row in rows:
        flow: flows.Flow = row["flow"]
        threshold = timedelta(seconds=flow.freshness_seconds)
        last_success = row["last_success"]
        first = first_started.get(flow.name)
        if last_success is not None and now - last_success <= threshold:
            if services.exception_clear(
                dedupe_key=sync_failed_key(flow.name),
                note=f"The {flow.label} sync succeeded at {when(last_success)}.",
            ):
                cleared.append(flow.name)
            continue
        if last_success is None and (first is None or now - first <= threshold):
            continue  # never ran, or has not had its full threshold yet
        last = row["last"]
        since = (
            f"has not succeeded since {when(last_success)}"
            if last_success
            else f"has never succeeded (first tried {when(first)})"
        )
        error = (last.error if last is not None else "")[:500]
        services.exception_raise(
            kind=ExceptionKind.SYNC_FAILED,
            dedupe_key=sync_failed_key(flow.name),
            message=f"The {flow.label} sync {since}" + (f"; last error: {error[:200]}" if error else "."),
            owner_team=flow.owner_team,
            severity=Severity.HIGH,
            details={
                "rerun_flow": flow.name,
                "freshness_seconds": flow.freshness_seconds,
                "last_success": last_success.isoformat() if last_success else None,
                "last_error": error,
            },
        )
        raised.append(flow.name)
    return {"raised": raised, "cleared": cleared}
