"""Role × action matrix for posting: prepare / submit / approve / reject / post / reverse, for each
persona and for a superuser, through the services (the pages call the same services).

A superuser holds every permission (``has_perm`` is always true for them), so the services check
explicit group membership: a superuser without the role is refused like anyone else. Approving or
rejecting one's own batch is refused for everyone (and by the database, test_posting_constraints).

``post`` (send a failed batch's records again: ``batch_retry``) and ``reverse`` (``batch_reverse``)
belong to the delivery half (``reconciliation.posting.delivery``); they run on a batch NetSuite
refused a record of, and on a posted batch.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from reconciliation.posting import delivery, services
from reconciliation.posting_models import BatchStatus, EntryStatus, PostingBatch
from vendorsync.models import OutboxMessage, OutboxState

Y, N = True, False
PERSONAS = ("finance", "approver", "ops", "admin", "outsider", "superuser")

# action → persona → allowed
MATRIX = {
    "prepare": {"finance": Y, "approver": Y, "ops": N, "admin": N, "outsider": N, "superuser": N},
    "submit": {"finance": Y, "approver": Y, "ops": N, "admin": N, "outsider": N, "superuser": N},
    "approve": {"finance": N, "approver": Y, "ops": N, "admin": N, "outsider": N, "superuser": N},
    "approve_own": {"finance": N, "approver": N, "ops": N, "admin": N, "outsider": N, "superuser": N},
    "reject": {"finance": N, "approver": Y, "ops": N, "admin": N, "outsider": N, "superuser": N},
    "reject_own": {"finance": N, "approver": N, "ops": N, "admin": N, "outsider": N, "superuser": N},
    "post": {"finance": Y, "approver": Y, "ops": N, "admin": N, "outsider": N, "superuser": N},
    "reverse": {"finance": Y, "approver": Y, "ops": N, "admin": N, "outsider": N, "superuser": N},
}


@pytest.fixture
def people(personas, django_user_model, make_user):
    root = django_user_model.objects.create_superuser("root", password="correct-horse-battery")
    return {**personas, "superuser": root, "preparer": make_user("prep", "finance")}


def _draft(remittance, user) -> PostingBatch:
    """A draft prepared by ``user`` whatever their role (written directly: only the action is tested)."""
    batch = PostingBatch.objects.create(prepared_by=user, posting_date=date(2026, 11, 30), customer_id="1001")
    batch.remittances.add(remittance)
    services._write_entries(batch)
    batch.save()
    return batch


def _pending(remittance, user) -> PostingBatch:
    batch = _draft(remittance, user)
    PostingBatch.objects.filter(pk=batch.pk).update(
        status=BatchStatus.PENDING_APPROVAL, submitted_at=timezone.now()
    )
    batch.refresh_from_db()
    return batch


def _approved(remittance, people) -> PostingBatch:
    batch = _pending(remittance, people["preparer"])
    services.batch_approve(batch=batch, user=people["approver"])
    return batch


def _failed(remittance, people) -> PostingBatch:
    """Approved, then NetSuite refused its first record (in review, its delivery waiting for a person)."""
    batch = _approved(remittance, people)
    entry = batch.entries.exclude(outbox_message=None).order_by("sequence").first()
    OutboxMessage.objects.filter(pk=entry.outbox_message_id).update(state=OutboxState.NEEDS_REVIEW)
    delivery.entry_mark_failed(entry=entry, error="HTTP 400: USER_ERROR")
    batch.refresh_from_db()
    return batch


def _posted(remittance, people) -> PostingBatch:
    """Approved and every record posted (credits first, which sends the payment, then the payment)."""
    batch = _approved(remittance, people)
    for _round in range(2):
        for entry in batch.entries.filter(status=EntryStatus.QUEUED):
            delivery.entry_mark_posted(entry=entry, netsuite_id=str(7000 + entry.sequence))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.POSTED
    return batch


def run_action(action: str, user, remittance, people) -> None:
    if action == "prepare":
        services.batch_build(remittances=[remittance], user=user)
    elif action == "submit":
        services.batch_submit(batch=_draft(remittance, user), user=user)
    elif action == "approve":
        services.batch_approve(batch=_pending(remittance, people["preparer"]), user=user)
    elif action == "approve_own":
        services.batch_approve(batch=_pending(remittance, user), user=user)
    elif action == "reject":
        services.batch_reject(batch=_pending(remittance, people["preparer"]), user=user, reason="no")
    elif action == "reject_own":
        services.batch_reject(batch=_pending(remittance, user), user=user, reason="no")
    elif action == "post":
        delivery.batch_retry(batch=_failed(remittance, people), user=user)
    elif action == "reverse":
        delivery.batch_reverse(batch=_posted(remittance, people), user=user, reason="matrix")
    else:  # pragma: no cover - a typo in the matrix
        raise AssertionError(action)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", sorted(MATRIX))
def test_role_action_matrix(action, persona, people, reconciled):
    user = people[persona]
    if MATRIX[action][persona]:
        run_action(action, user, reconciled, people)
    else:
        with pytest.raises(PermissionDenied):
            run_action(action, user, reconciled, people)


def test_the_matrix_covers_every_action_and_persona():
    assert set(MATRIX) >= {"prepare", "submit", "approve", "reject", "post", "reverse"}
    assert all(set(row) == set(PERSONAS) for row in MATRIX.values())
