"""Celery tasks of the core: thin wrappers that call services and the relay."""

from __future__ import annotations

from celery import shared_task

from vendorsync.export_jobs import export_job_build, export_jobs_sweep
from vendorsync.outbox import relay_once


@shared_task(name="vendorsync.tasks.relay_outbox", ignore_result=True)
def relay_outbox() -> dict[str, int]:
    return relay_once().as_dict()


@shared_task(name="vendorsync.tasks.ping")
def ping(value: str) -> str:
    """Health check of the broker and a worker: returns what it was given, reversed."""
    return value[::-1]


@shared_task(name="vendorsync.tasks.build_export", ignore_result=True)
def build_export(job_id: int) -> None:
    """Build one XLSX export job (idempotent: a job that is no longer queued is left alone)."""
    export_job_build(job_id=job_id)


@shared_task(name="vendorsync.tasks.sweep_exports", ignore_result=True)
def sweep_exports() -> dict[str, int]:
    """Delete expired export files and fail export jobs whose worker vanished."""
    return export_jobs_sweep().as_dict()
