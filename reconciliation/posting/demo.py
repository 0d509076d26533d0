"""The live demo's posting batches (sandbox only): something for finance to submit and something
for the approver to approve, without anyone typing a command.

After each auto-match run the sandbox keeps one draft batch (built as the demo ``finance`` user)
and one batch pending approval (built and submitted as ``finance``) from remittances with no
blocker. Nothing is ever approved here: approval stays with a second person (the demo
``approver``). Every step goes through the posting services, so it is audited like a person's.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from reconciliation.posting import selectors, services
from reconciliation.posting_models import BatchStatus, PostingBatch
from vendorsync.services import audit_record

DEMO_PREPARER = "finance"
CANDIDATES = 20  # most recent unbatched remittances tried per run


def _clean_batch(remittance, user) -> PostingBatch | None:  # noqa: ANN001
    """A draft for ``remittance`` if it has no blocker; otherwise nothing is written."""
    with transaction.atomic():
        try:
            batch = services.batch_build(remittances=[remittance], user=user)
        except (ValidationError, PermissionDenied):
            return None
        if services.batch_blockers(batch):
            transaction.set_rollback(True)
            return None
    return batch


def demo_batches() -> list[str]:
    """Top up the demo's draft and pending-approval batches; returns what it did."""
    if not settings.SANDBOX:
        return []
    preparer = get_user_model().objects.filter(username=DEMO_PREPARER, is_active=True).first()
    if preparer is None or not services.may_prepare(preparer):
        return []
    live = PostingBatch.objects.filter(prepared_by=preparer)
    wanted = [
        status
        for status in (BatchStatus.PENDING_APPROVAL, BatchStatus.DRAFT)
        if not live.filter(status=status).exists()
    ]
    done: list[str] = []
    for remittance in selectors.unbatched_remittances().order_by("-payment_date", "-pk")[:CANDIDATES]:
        if not wanted:
            break
        batch = _clean_batch(remittance, preparer)
        if batch is None:
            continue
        status = wanted.pop(0)
        if status == BatchStatus.PENDING_APPROVAL:
            services.batch_submit(batch=batch, user=preparer)
        audit_record(
            actor=None,
            action="posting_batch.demo",
            subject=batch,
            reason=f"sandbox demo: built{' and submitted' if status == BatchStatus.PENDING_APPROVAL else ''} "
            f"as {preparer.get_username()}",
        )
        done.append(f"{batch.number} {status}")
    return done
