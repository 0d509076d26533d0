"""A task sent through Redis is executed by a real Celery worker process (not eager mode)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from io import BytesIO
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from vendorsync import services
from vendorsync.models import ExportJob, ExportStatus, OutboxMessage, OutboxState

ROOT = Path(__file__).resolve().parent.parent
RESULTS = "redis://127.0.0.1:6379/14"


def _start_worker(queue: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CELERY_RESULT_BACKEND": RESULTS, **(extra_env or {})}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "vendorsync",
            "worker",
            "-Q",
            queue,
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
            f"--hostname=test-{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop(worker: subprocess.Popen[bytes]) -> str:
    worker.terminate()
    try:
        out, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        out, _ = worker.communicate()
    return out.decode(errors="replace")


@pytest.fixture
def sender() -> Celery:
    return Celery("test-sender", broker=os.environ["CELERY_BROKER_URL"], backend=RESULTS)


@pytest.mark.redis
def test_a_task_sent_through_redis_runs_in_a_worker_process(sender):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = _start_worker(queue)
    try:
        result = sender.send_task("vendorsync.tasks.ping", args=["vendorsync"], queue=queue)
        assert result.get(timeout=60) == "cnysrodnev"
        assert worker.poll() is None  # it was the worker process, still running, that answered
    finally:
        log = _stop(worker)
    assert "Traceback" not in log, log


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_worker_process_relays_the_outbox(sender):
    with transaction.atomic():
        message = services.outbox_enqueue(target="test", operation="echo", external_key="E1", payload={})
    queue = f"test-{uuid.uuid4().hex[:8]}"
    test_db = connection.settings_dict["NAME"]
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    worker = _start_worker(queue, {"DATABASE_URL": f"{base}/{test_db}"})
    try:
        # ignore_result=False: this once, the worker stores the relay's report, so the test reads
        # what that worker process did rather than only what is in the database.
        result = sender.send_task("vendorsync.tasks.relay_outbox", queue=queue, ignore_result=False)
        report = result.get(timeout=60)
        message.refresh_from_db()
        assert message.state == OutboxState.SENT and message.remote_id == "E1"
        assert report["claimed"] == 1 and report["sent"] == 1, report
    finally:
        log = _stop(worker)
    assert OutboxMessage.objects.get(pk=message.pk).attempts == 1, log


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_big_export_is_built_by_the_worker_process_while_the_request_returns_a_job(
    personas, settings, tmp_path
):
    for i in range(30):
        services.exception_raise(kind="sku_asin_gap", dedupe_key=f"w{i}", message=f"=w{i}")
    queue = f"test-{uuid.uuid4().hex[:8]}"
    settings.EXPORT_INLINE_ROWS = 10
    settings.EXPORT_QUEUE = queue
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    test_db = connection.settings_dict["NAME"]
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    worker = _start_worker(
        queue, {"DATABASE_URL": f"{base}/{test_db}", "VENDORSYNC_EXPORT_DIR": str(tmp_path)}
    )
    client = Client()
    client.force_login(personas["ops"])
    try:
        response = client.get(reverse("exceptions"), {"export": "xlsx"})
        job = ExportJob.objects.get()
        assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
        deadline = time.monotonic() + 60
        while job.status in (ExportStatus.QUEUED, ExportStatus.RUNNING) and time.monotonic() < deadline:
            time.sleep(0.3)
            job.refresh_from_db()
        assert job.status == ExportStatus.DONE, job.error
        assert worker.poll() is None  # the worker process built it and is still serving
    finally:
        log = _stop(worker)
    download = client.get(reverse("export_download", args=[job.public_id]))
    rows = list(
        load_workbook(BytesIO(b"".join(download.streaming_content))).active.iter_rows(values_only=True)
    )
    assert len(rows) == 31 and rows[1][4].startswith("'=w"), log
