"""Sync flows: the registry, one runner and the schedule every flow shares.

A *flow* is one step that brings data in from (or follows up on) Amazon and NetSuite — ``items``,
``orders``, ``acknowledgements``, ``ar``, ``remittances``… Each app registers its flows in
``AppConfig.ready()`` with :func:`register_flow`; the core knows no business rules, only how to
run a flow, record it as a :class:`~vendorsync.models.SyncRun`, continue from its cursor and decide
when it is due. Three doors run a flow, all through :func:`run_flow`:

- ``python manage.py sync <flow>|all [--since ISO-8601] [--json]`` (now, in the calling process);
- Celery beat: ``vendorsync.tasks.sync_due`` runs every ``SYNC_SWEEP_SECONDS`` and queues each flow
  whose interval has passed since its last start (one beat entry, however many flows exist, so the
  schedule follows the registry without restarting beat);
- the "Sync now" button on the sync page, which queues ``vendorsync.tasks.run_flow`` in the worker.

A flow function receives a :class:`FlowContext` (the cursor of its last successful run, ``--since``
when given) and returns a :class:`FlowResult` (counts, the new cursor, whether it was partial). It
must be idempotent: re-running a window never duplicates anything (upserts by natural keys).
An exception from the flow ends the run as ``failed`` with the error recorded; the next run starts
again from the last good cursor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from vendorsync import services
from vendorsync.models import SyncOutcome, SyncRun, Team

logger = logging.getLogger(__name__)


@dataclass
class FlowContext:
    """What a flow run knows when it starts."""

    flow: str
    run: SyncRun
    cursor: str  # the cursor the last successful run ended on ("" the first time)
    since: datetime | None = None  # an explicit start (``--since``) overrides the cursor
    actor: Any = None  # the user who pressed "Sync now", or None for beat and commands


@dataclass
class FlowResult:
    counts: dict[str, int] = field(default_factory=dict)
    cursor: str | None = None  # None keeps the previous cursor
    partial: bool = False  # some records failed (each with its own exception case)
    error: str = ""  # a summary for a partial run


FlowFunc = Callable[[FlowContext], FlowResult]


@dataclass(frozen=True)
class Flow:
    name: str
    func: FlowFunc
    label: str
    description: str
    owner_team: str
    order: int  # position in ``sync all``
    every_seconds: int  # how often beat runs it
    freshness_seconds: int  # no success for this long is a ``sync_failed`` problem

    @property
    def run_permission(self) -> str:
        """Who may press "Sync now" (admins may run every flow)."""
        return "prepare_postings" if self.owner_team == Team.FINANCE else "work_orders"


_FLOWS: dict[str, Flow] = {}
# Callbacks run after a flow's run has finished (and committed) without failing: how one app
# follows another's flow without importing it (reconciliation recomputes shortage evidence after
# the orders-out syncs; orders never imports reconciliation).
_AFTER: dict[str, list[Callable[[SyncRun], Any]]] = {}


def after_flow(name: str, callback: Callable[[SyncRun], Any]) -> None:
    """Run ``callback(run)`` after every successful or partial run of flow ``name`` (idempotent)."""
    callbacks = _AFTER.setdefault(name, [])
    if callback not in callbacks:
        callbacks.append(callback)


def _run_after(name: str, run: SyncRun) -> None:
    for callback in _AFTER.get(name, []):
        try:
            callback(run)
        except Exception:  # noqa: BLE001 - a follower's failure never fails the flow that ran
            logger.exception("After-flow step %s of %s failed", getattr(callback, "__name__", callback), name)


def register_flow(
    name: str,
    *,
    label: str,
    description: str,
    owner_team: str = Team.OPS,
    order: int = 100,
    every_seconds: int = 300,
    freshness_seconds: int | None = None,
) -> Callable[[FlowFunc], FlowFunc]:
    """Register a flow under ``name`` (what ``manage.py sync <name>`` takes)."""

    def decorator(func: FlowFunc) -> FlowFunc:
        _FLOWS[name] = Flow(
            name=name,
            func=func,
            label=label,
            description=description,
            owner_team=owner_team,
            order=order,
            every_seconds=every_seconds,
            freshness_seconds=freshness_seconds or max(every_seconds * 4, 3600),
        )
        return func

    return decorator


def all_flows() -> list[Flow]:
    """Every registered flow, in the order ``sync all`` runs them."""
    return sorted(_FLOWS.values(), key=lambda flow: (flow.order, flow.name))


def get_flow(name: str) -> Flow:
    try:
        return _FLOWS[name]
    except KeyError:
        known = ", ".join(flow.name for flow in all_flows()) or "none"
        raise KeyError(f"Unknown flow {name!r}; known flows: {known}.") from None


class FlowBusy(Exception):
    """Another run of the same flow is still going; starting a second one would race it."""


def last_cursor(flow: str) -> str:
    run = (
        SyncRun.objects.filter(flow=flow, outcome__in=[SyncOutcome.SUCCEEDED, SyncOutcome.PARTIAL])
        .exclude(cursor="")
        .order_by("-started_at", "-id")
        .first()
    )
    return run.cursor if run else ""


def _busy(flow: str) -> bool:
    # A run still marked running after twice the task time limit died with its worker: not busy.
    horizon = timezone.now() - timedelta(seconds=settings.TASK_TIME_LIMIT * 2)
    return SyncRun.objects.filter(flow=flow, outcome=SyncOutcome.RUNNING, started_at__gte=horizon).exists()


def run_flow(name: str, *, since: datetime | None = None, actor: Any = None) -> SyncRun:
    """Run one flow now and record it; returns the finished ``SyncRun`` (failed runs too).

    Raises :class:`FlowBusy` when another run of this flow is in progress.
    """
    flow = get_flow(name)
    if _busy(name):
        raise FlowBusy(f"The {flow.label} sync is already running.")
    cursor = last_cursor(name)
    run = services.sync_run_start(flow=name, cursor=cursor)
    context = FlowContext(flow=name, run=run, cursor=cursor, since=since, actor=actor)
    try:
        result = flow.func(context)
    except Exception as exc:  # noqa: BLE001 - any failure of a flow is recorded on its run
        logger.exception("Sync flow %s failed", name)
        return services.sync_run_finish(
            run=run, outcome=SyncOutcome.FAILED, error=f"{type(exc).__name__}: {exc}"[:4000]
        )
    finished = services.sync_run_finish(
        run=run,
        outcome=SyncOutcome.PARTIAL if result.partial else SyncOutcome.SUCCEEDED,
        counts=result.counts,
        cursor=result.cursor,
        error=result.error,
    )
    _run_after(name, finished)
    return finished


def flow_status() -> list[dict[str, Any]]:
    """Per registered flow: its last run, last success and when beat runs it next (two queries)."""
    flows = all_flows()
    names = [flow.name for flow in flows]
    per_flow = {
        row["flow"]: row
        for row in SyncRun.objects.filter(flow__in=names)
        .values("flow")
        .annotate(
            last_started=Max("started_at"),
            last_success=Max("finished_at", filter=Q(outcome=SyncOutcome.SUCCEEDED)),
        )
        .order_by()
    }
    starts = [row["last_started"] for row in per_flow.values()]
    latest = {
        run.flow: run
        for run in SyncRun.objects.filter(flow__in=names, started_at__in=starts)
        if per_flow.get(run.flow, {}).get("last_started") == run.started_at
    }
    now = timezone.now()
    rows = []
    for flow in flows:
        stats = per_flow.get(flow.name, {})
        last_started = stats.get("last_started")
        last_success = stats.get("last_success")
        rows.append(
            {
                "flow": flow,
                "last": latest.get(flow.name),
                "last_success": last_success,
                "next_run": (last_started + timedelta(seconds=flow.every_seconds)) if last_started else now,
                "stale": last_success is None
                or now - last_success > timedelta(seconds=flow.freshness_seconds),
            }
        )
    return rows


def due_flows(*, now: datetime | None = None) -> list[Flow]:
    """Flows whose interval has passed since their last start (or that never ran).

    Beat asks every ``SYNC_SWEEP_SECONDS``; a flow that falls due just after a sweep would otherwise
    wait for the next one, so half a sweep early counts as due (a 60 s flow runs every 60 s, not 90).
    """
    now = now or timezone.now()
    slack = timedelta(seconds=settings.SYNC_SWEEP_SECONDS / 2)
    last = dict(
        SyncRun.objects.filter(flow__in=[f.name for f in all_flows()])
        .values_list("flow")
        .annotate(last=Max("started_at"))
        .order_by()
    )
    return [
        flow
        for flow in all_flows()
        if flow.name not in last or now - last[flow.name] >= timedelta(seconds=flow.every_seconds) - slack
    ]
