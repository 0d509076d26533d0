"""Celery tasks of the core: thin wrappers that call services and the relay."""

from __future__ import annotations

import logging

from celery import shared_task

from vendorsync import flows
from vendorsync.export_jobs import export_job_build, export_jobs_sweep
from vendorsync.outbox import relay_once

logger = logging.getLogger(__name__)


@shared_task(name="vendorsync.tasks.relay_outbox", ignore_result=True)
def relay_outbox() -> dict[str, int]:
    return relay_once().as_dict()


@shared_task(name="vendorsync.tasks.ping")
def ping(value: str) -> str:
    """Health check of the broker and a worker: returns what it was given, reversed."""
    return value[::-1]


@shared_task(name="vendorsync.tasks.run_flow", ignore_result=True)
def run_flow(name: str, actor_id: int | None = None) -> dict[str, object]:
    """Run one sync flow in the worker (beat's due sweep and the "Sync now" button queue this)."""
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        run = flows.run_flow(name, actor=actor)
    except flows.FlowBusy as exc:
        logger.info("%s", exc)
        return {"flow": name, "skipped": str(exc)}
    return {"flow": name, "outcome": run.outcome, "counts": run.counts}


@shared_task(name="vendorsync.tasks.sync_due", ignore_result=True)
def sync_due() -> list[str]:
    """Beat's one sync entry: queue every flow whose interval has passed since it last started."""
    due = [flow.name for flow in flows.due_flows()]
    for name in due:
        run_flow.delay(name)
    return due


@shared_task(name="vendorsync.tasks.build_export", ignore_result=True)
def build_export(job_id: int) -> None:
    """Build one XLSX export job (idempotent: a job that is no longer queued is left alone)."""
    export_job_build(job_id=job_id)


@shared_task(name="vendorsync.tasks.sweep_exports", ignore_result=True)
def sweep_exports() -> dict[str, int]:
    """Delete expired export files and fail export jobs whose worker vanished."""
    return export_jobs_sweep().as_dict()


@shared_task(name="vendorsync.tasks.rerun_case_step", ignore_result=True)
def rerun_case_step(case_public_id: str, actor_id: int | None = None) -> dict[str, object]:
    """Re-run the failed step of an exception case: its ``rerun_flow``, then re-check its freshness.

    The flow clears the cases whose cause it sees gone (``exception_clear``); a ``sync_failed``
    case is cleared here, once the flow has succeeded.
    """
    from django.contrib.auth import get_user_model

    from vendorsync.health import check_sync_freshness
    from vendorsync.models import ExceptionCase

    case = ExceptionCase.objects.filter(public_id=case_public_id).first()
    name = (case.details or {}).get("rerun_flow") if case else None
    if not name:
        return {"case": case_public_id, "skipped": "no step to re-run"}
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        run = flows.run_flow(name, actor=actor)
    except flows.FlowBusy as exc:
        logger.info("%s", exc)
        return {"flow": name, "skipped": str(exc)}
    check_sync_freshness(only=name)
    return {"flow": name, "outcome": run.outcome}


@shared_task(name="vendorsync.tasks.health_sweep", ignore_result=True)
def health_sweep() -> dict[str, object]:
    """Beat's health entry: raise or clear ``sync_failed`` by freshness, send due alerts, and
    recompute the dashboard's app metrics into the cache.

    Each part runs on its own, so a failing mail server never stops the freshness check.
    """
    from vendorsync import alerts
    from vendorsync.health import check_sync_freshness, refresh_metrics

    report: dict[str, object] = {}
    for name, step in (
        ("freshness", check_sync_freshness),
        ("immediate", alerts.send_immediate_alerts),
        ("digest", alerts.send_digests),
        ("metrics", refresh_metrics),
    ):
        try:
            report[name] = step()
        except Exception:  # noqa: BLE001 - logged; the next sweep tries again
            logger.exception("Health sweep step %s failed", name)
            report[name] = "failed"
    return report


@shared_task(name="vendorsync.tasks.sandbox_tick", ignore_result=True)
def sandbox_tick() -> str:
    """Live demo: move the simulated clock one day and run both simulators' day (sandbox only).

    Beat calls this every ``SANDBOX_DAY_SECONDS``; Amazon publishes the day's POs (and applies
    its changes), the NetSuite warehouse ships open sales orders, and the sync flows pick it all
    up on their own schedule. Outside sandbox mode it does nothing.
    """
    from django.conf import settings

    if not settings.SANDBOX or not settings.SANDBOX_DAY_SECONDS:
        return "off"
    from vendorsync.sandbox import netsuite
    from vendorsync.sandbox.amazon import AmazonSimulator
    from vendorsync.sandbox.clock import SimClock

    amazon = AmazonSimulator()
    if not amazon.seeded():
        return "not seeded"
    day = SimClock().advance(days=1).date()
    amazon.catch_up()
    amazon.simulate_day(day)
    netsuite.simulate_day(day)
    return day.isoformat()
