"""Export jobs: every state change of an ``ExportJob`` (each audited) and the build a worker runs.

Like the outbox, exports are a small subsystem that owns its state changes here rather than in
``vendorsync/services.py``. Life of a job::

    queued --(worker picks it up)--> running --> done --(after EXPORT_TTL_HOURS)--> expired
                                             \\-> failed

A job is rebuilt in the worker from its registered export, its stored querystring and its user,
whose permission is checked again there (a role removed after the request stops the export). At
most one queued/running job per user (partial unique index); a job whose worker vanished is failed
by the sweep (or by the user's next request) so it cannot block that user for ever.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone

from vendorsync.exports import (
    apply_sort,
    count_rows,
    get_export,
    may_export,
    table_rows,
    write_workbook,
)
from vendorsync.models import ACTIVE_EXPORT_STATUSES, ExportJob, ExportStatus
from vendorsync.services import audit_record

logger = logging.getLogger(__name__)

# A queued job no worker has started in this long was lost (a broker restart, a killed worker on the
# filesystem broker) or the workers are down: fail it so its user can ask again.
QUEUED_TIMEOUT = timedelta(minutes=15)
# Progress is written every this many rows (~0.2 s of work): frequent enough for a 1 s poll, cheap.
PROGRESS_EVERY = 1_000


class ExportRefused(Exception):
    """The worker will not build this export; the message is shown to the user as is."""


def exports_storage() -> Storage:
    return storages["exports"]


def _running_timeout() -> timedelta:
    # Past the task's hard time limit the worker process has been killed: the job cannot finish.
    return timedelta(seconds=settings.TASK_TIME_LIMIT + 60)


def _is_stale(job: ExportJob, now: Any) -> bool:
    if job.status == ExportStatus.QUEUED:
        return job.created_at < now - QUEUED_TIMEOUT
    if job.status == ExportStatus.RUNNING:
        return (job.started_at or job.created_at) < now - _running_timeout()
    return False


_STALE_ERROR = "The export did not finish (its worker stopped or never started it). Export again."


def export_job_request(*, user: Any, name: str, params: str, rows_total: int) -> tuple[ExportJob, bool]:
    """Queue an export for ``user``, or return the one already queued/running (``created`` False).

    The worker is sent the job after the transaction commits.
    """
    spec = get_export(name)
    if spec is None:
        raise ValueError(f"No export is registered under {name!r}.")
    if not may_export(user, spec):
        raise PermissionDenied("Your role does not include this export.")
    for _attempt in range(3):
        try:
            with transaction.atomic():
                active = ExportJob.objects.select_for_update().filter(
                    user=user, status__in=ACTIVE_EXPORT_STATUSES
                )
                now = timezone.now()
                for job in active:
                    if not _is_stale(job, now):
                        return job, False
                    _fail_locked(job, _STALE_ERROR)
                job = ExportJob.objects.create(user=user, name=name, params=params, rows_total=rows_total)
                audit_record(
                    actor=user,
                    action="export.requested",
                    subject=job,
                    after={"name": name, "params": params, "rows": rows_total},
                )
                transaction.on_commit(partial(_enqueue, job.pk))
                return job, True
        except IntegrityError:
            # A concurrent request of the same user created the active job first: show that one.
            continue
    return ExportJob.objects.get(user=user, status__in=ACTIVE_EXPORT_STATUSES), False


def _enqueue(job_id: int) -> None:
    from vendorsync.tasks import build_export

    try:
        build_export.apply_async(args=[job_id], queue=settings.EXPORT_QUEUE)
    except Exception:  # noqa: BLE001 - a broker outage must fail the job visibly, not the request
        logger.exception("Could not queue export job %s.", job_id)
        job = ExportJob.objects.get(pk=job_id)
        export_job_fail(job=job, error="The task queue could not be reached. Export again in a minute.")


def export_job_start(*, job_id: int) -> ExportJob | None:
    """queued → running. None when the job is not queued (already built, failed or expired)."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != ExportStatus.QUEUED:
            return None
        job.status = ExportStatus.RUNNING
        job.started_at = timezone.now()
        job.rows_done = 0
        job.save(update_fields=["status", "started_at", "rows_done"])
        audit_record(actor=None, action="export.started", subject=job)
        return job


def export_job_progress(*, job_id: int, rows_done: int) -> None:
    """Progress counter only: not a state change, so no audit row (it is written ~100 times a job)."""
    ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING).update(rows_done=rows_done)


def export_job_finish(*, job_id: int, file_name: str, rows: int, size: int) -> bool:
    """running → done with its file. False when the job stopped being ``running`` meanwhile."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().get(pk=job_id)
        if job.status != ExportStatus.RUNNING:
            return False
        now = timezone.now()
        job.status = ExportStatus.DONE
        job.file_name = file_name
        job.file_size = size
        job.rows_done = job.rows_total = rows
        job.finished_at = now
        job.expires_at = now + timedelta(hours=settings.EXPORT_TTL_HOURS)
        job.save(
            update_fields=[
                "status",
                "file_name",
                "file_size",
                "rows_done",
                "rows_total",
                "finished_at",
                "expires_at",
            ]
        )
        audit_record(actor=None, action="export.finished", subject=job, after={"rows": rows, "bytes": size})
        return True


def export_job_fail(*, job: ExportJob, error: str) -> bool:
    """queued/running → failed, with a message for the user. False if the job was no longer active."""
    with transaction.atomic():
        locked = ExportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status not in ACTIVE_EXPORT_STATUSES:
            return False
        _fail_locked(locked, error)
        return True


def _fail_locked(job: ExportJob, error: str) -> None:
    job.status = ExportStatus.FAILED
    job.error = error
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    audit_record(actor=None, action="export.failed", subject=job, reason=error)
    # A worker killed between saving the file and marking the job done leaves the file behind.
    transaction.on_commit(partial(_delete_file, storage_name(job)))


def storage_name(job: ExportJob) -> str:
    """Where a job's file is stored: unique per job, so a rebuild overwrites nothing of another's."""
    return f"{job.public_id}.xlsx"


def export_job_expire(*, job: ExportJob) -> bool:
    """done → expired; the file is deleted once the change has committed."""
    with transaction.atomic():
        locked = ExportJob.objects.select_for_update().get(pk=job.pk)
        if locked.status != ExportStatus.DONE:
            return False
        file_name = locked.file_name
        locked.status = ExportStatus.EXPIRED
        locked.file_name = ""
        locked.save(update_fields=["status", "file_name"])
        audit_record(actor=None, action="export.expired", subject=locked)
        if file_name:
            transaction.on_commit(partial(_delete_file, file_name))
        return True


def _delete_file(file_name: str) -> None:
    try:
        exports_storage().delete(file_name)
    except OSError:
        logger.exception("Could not delete the expired export file %s.", file_name)


@dataclass
class SweepReport:
    expired: int = 0
    failed_stale: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def export_jobs_sweep() -> SweepReport:
    """Beat task body: expire finished files past their time and fail jobs whose worker vanished."""
    report = SweepReport()
    now = timezone.now()
    for job in ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lte=now):
        report.expired += export_job_expire(job=job)
    for job in ExportJob.objects.filter(status__in=ACTIVE_EXPORT_STATUSES):
        if _is_stale(job, now):
            report.failed_stale += export_job_fail(job=job, error=_STALE_ERROR)
    return report


# --- The build (runs in a Celery worker) ----------------------------------------------------------


def _with_progress(rows: Iterable[Sequence[Any]], job_id: int, counter: list[int]) -> Iterator[Sequence[Any]]:
    for row in rows:
        counter[0] += 1
        if counter[0] % PROGRESS_EVERY == 0:
            export_job_progress(job_id=job_id, rows_done=counter[0])
        yield row


def export_job_build(*, job_id: int) -> ExportJob | None:
    """Build the file of a queued job as its user; the job ends ``done`` or ``failed``, never stuck."""
    job = export_job_start(job_id=job_id)
    if job is None:
        return None
    storage = exports_storage()
    stored = ""
    try:
        spec = get_export(job.name)
        if spec is None:
            raise ExportRefused("This list can no longer be exported.")
        if not may_export(job.user, spec):
            raise ExportRefused("Your role no longer includes this export.")
        query = QueryDict(job.params)
        table = spec.build_table(job.user, query)
        apply_sort(table, query)
        total = count_rows(table)
        if total > settings.EXPORT_MAX_ROWS:
            raise ExportRefused(
                f"{total:,} rows are more than one export can hold ({settings.EXPORT_MAX_ROWS:,}); "
                "narrow the filter and export again."
            )
        ExportJob.objects.filter(pk=job.pk).update(rows_total=total)
        headers, rows = table_rows(table)
        counter = [0]
        with tempfile.TemporaryFile() as tmp:
            write_workbook(tmp, headers, _with_progress(rows, job.pk, counter), title=spec.title)
            size = tmp.tell()
            tmp.seek(0)
            stored = storage.save(storage_name(job), File(tmp))
        if not export_job_finish(job_id=job.pk, file_name=stored, rows=counter[0], size=size):
            _delete_file(stored)
    except ExportRefused as exc:
        export_job_fail(job=job, error=str(exc))
    except Exception:  # noqa: BLE001 - any failure must end the job visibly; the traceback goes to the log
        logger.exception("Export job %s failed.", job.public_id)
        if stored:
            _delete_file(stored)
        export_job_fail(
            job=job,
            error=f"The export failed. Export again; if it fails again, quote reference {job.public_id}.",
        )
    job.refresh_from_db()
    return job


def export_job_for(user: Any, public_id: Any) -> ExportJob:
    """The job a user may see: only their own (anyone else's is a 404, not a 403: ids stay private)."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(ExportJob, public_id=public_id, user=user)
