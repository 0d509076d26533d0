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
