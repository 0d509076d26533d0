"""Reconciliation tasks: thin, by id. The upload's import runs here, in the worker."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model

from reconciliation import services
from reconciliation.models import ImportBatch, ImportStatus


@shared_task(name="reconciliation.tasks.import_remittance", ignore_result=True, acks_late=True)
def import_remittance(batch_id: int, fmt: str = "auto") -> str:
    """Import an uploaded file whose bytes wait on its batch row; idempotent (a done batch is left)."""
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if (
        batch is None
        or batch.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING)
        or batch.content is None
    ):
        return "nothing to do"
    actor = get_user_model().objects.filter(pk=batch.uploaded_by_id).first() if batch.uploaded_by_id else None
    result = services.remittance_import(
        data=bytes(batch.content),
        name=batch.name,
        door=batch.door,
        fmt=fmt,
        actor=actor,
        revision=batch.revision,
        batch=batch,
    )
    return result.status
