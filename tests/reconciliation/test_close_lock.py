"""Locking a period from the close page: only a finance approver; with items open only with a
reason (recorded with what was left open); and a locked period refuses postings (issue 11's
refusal, reached through the close)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from reconciliation.close.services import close_lock
from reconciliation.posting import services as posting
from vendorsync.models import AuditEvent

from .posting_fixtures import items, november, reconciled  # noqa: F401 - fixtures


def test_only_a_finance_approver_locks(november, personas):  # noqa: F811
    for persona in ("finance", "admin", "ops"):
        with pytest.raises(PermissionDenied):
            close_lock(period=november, user=personas[persona])
    november.refresh_from_db()
    assert not november.locked
    client = Client()
    client.force_login(personas["finance"])
    assert client.post(reverse("reconciliation:close_lock", args=[november.public_id])).status_code == 403


def test_a_clear_period_locks_without_a_reason(november, personas):  # noqa: F811
    period = close_lock(period=november, user=personas["approver"])
    assert period.locked and period.locked_by == personas["approver"]
    event = AuditEvent.objects.get(action="close.locked")
    assert event.after == {"open_items": []}


def test_with_items_open_it_needs_a_reason_and_records_them(reconciled, november, personas):  # noqa: F811
    batch = posting.batch_build(remittances=[reconciled], user=personas["finance"])
    posting.batch_submit(batch=batch, user=personas["finance"])  # awaits approval: an open item
    with pytest.raises(ValidationError, match="1 item\\(s\\) stand between"):
        close_lock(period=november, user=personas["approver"])
    november.refresh_from_db()
    assert not november.locked  # nothing half-written
    period = close_lock(
        period=november, user=personas["approver"], reason="Auditor sign-off, batch next month"
    )
    assert period.locked and "locked with 1 open item(s)" in period.lock_reason
    event = AuditEvent.objects.get(action="close.locked")
    assert event.after["open_items"] == [f"Batch {batch.number} awaits approval"]


def test_a_period_locked_from_the_close_refuses_postings(reconciled, november, personas):  # noqa: F811
    batch = posting.batch_build(remittances=[reconciled], user=personas["finance"])
    client = Client()
    client.force_login(personas["approver"])
    response = client.post(
        reverse("reconciliation:close_lock", args=[november.public_id]),
        {"reason": "The draft batch goes into December"},  # the draft is still open
        follow=True,
    )
    assert b"is locked: nothing more posts into it" in response.content
    november.refresh_from_db()
    assert november.locked
    with pytest.raises(ValidationError, match="Nov 2026"):
        posting.batch_submit(batch=batch, user=personas["finance"])
    batch.refresh_from_db()
    assert batch.status == "draft"
