"""Reconciliation tasks: thin, by id. The upload's import runs here, in the worker."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import transaction

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


@shared_task(name="reconciliation.tasks.automatch_remittance", ignore_result=True, acks_late=True)
def automatch_remittance(remittance_id: int) -> str:
    """Auto-match one imported remittance (queued when its import commits); a re-run is harmless."""
    from reconciliation.matching_services import remittance_automatch
    from reconciliation.models import Remittance

    remittance = Remittance.objects.filter(pk=remittance_id).first()
    if remittance is None:
        return "nothing to do"
    run = remittance_automatch(remittances=[remittance])
    from reconciliation.posting.demo import demo_batches

    demo = demo_batches()  # sandbox only: batches for the demo's finance and approver to act on
    return f"{run.auto} auto, {run.suggested} suggested, {run.unmatched} unmatched" + (
        f"; demo batches {', '.join(demo)}" if demo else ""
    )


def queue_automatch(batch: ImportBatch) -> None:
    """After an import commits, queue auto-match for every payment it brought in (the worker runs it)."""
    if batch.status != ImportStatus.IMPORTED:
        return
    from reconciliation.models import Remittance

    public_ids = [p["public_id"] for p in (batch.summary or {}).get("payments", []) if p.get("public_id")]
    for pk in Remittance.objects.filter(public_id__in=public_ids).values_list("pk", flat=True):
        transaction.on_commit(lambda pk=pk: automatch_remittance.delay(pk))
