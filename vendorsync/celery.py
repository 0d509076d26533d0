"""Celery application. Tasks are thin: ids in, rows loaded, services called."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorsync.settings")

app = Celery("vendorsync")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _prepare(sender: Celery, **kwargs: object) -> None:
    from django.conf import settings

    # The filesystem transport needs its folders before the first message.
    if str(settings.CELERY_BROKER_URL).startswith("filesystem://"):
        for key in ("data_folder_in", "processed_folder", "control_folder"):
            Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key]).mkdir(parents=True, exist_ok=True)
    sender.conf.beat_schedule = {
        "outbox-relay-sweep": {
            "task": "vendorsync.tasks.relay_outbox",
            "schedule": float(settings.OUTBOX_SWEEP_SECONDS),
        },
        # One entry for every sync flow: the task asks the flow registry which flows are due.
        "sync-due-flows": {
            "task": "vendorsync.tasks.sync_due",
            "schedule": float(settings.SYNC_SWEEP_SECONDS),
        },
        # Expired export files are deleted within ten minutes of their expiry.
        "exports-sweep": {"task": "vendorsync.tasks.sweep_exports", "schedule": 600.0},
        # Sync freshness (sync_failed cases) and alerts: immediate ones and the hourly team digests.
        "health-sweep": {
            "task": "vendorsync.tasks.health_sweep",
            "schedule": float(settings.HEALTH_SWEEP_SECONDS),
        },
    }
    if settings.SANDBOX and settings.SANDBOX_DAY_SECONDS:
        # Live demo: a simulated day passes every SANDBOX_DAY_SECONDS (new POs, shipments, payments).
        sender.conf.beat_schedule["sandbox-day"] = {
            "task": "vendorsync.tasks.sandbox_tick",
            "schedule": float(settings.SANDBOX_DAY_SECONDS),
        }


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(**kwargs: object) -> None:
    # A worker lives for days; drop connections the database closed (restart, idle timeout).
    from django.db import close_old_connections

    close_old_connections()
