"""The delivery region of a batch page: per-record status for those who may see reconciliation,
retry and reverse only for finance preparers (POST + CSRF), a bounded number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reconciliation.models import (
    BatchStatus,
    EntryPurpose,
    EntryStatus,
    PostingBatch,
    PostingEntry,
    RecordType,
)
from tests.reconciliation.test_posting_delivery import DAY
from vendorsync.models import OutboxMessage, OutboxState
from vendorsync.outbox.services import outbox_enqueue

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def failed_batch(personas) -> PostingBatch:
    """A batch whose first credit memo NetSuite refused (in review) and whose other records posted."""
    batch = PostingBatch.objects.create(
        prepared_by=personas["finance"],
        posting_date=DAY,
        status=BatchStatus.FAILED,
        approved_by=personas["approver"],
        approved_at=timezone.now(),
    )
    for sequence in range(1, 31):
        entry = PostingEntry.objects.create(
            batch=batch,
            sequence=sequence,
            record_type=RecordType.CREDIT_MEMO,
            purpose=EntryPurpose.DEDUCTION,
            external_id=f"VS-PB{batch.pk}-{sequence}",
            payload={"memo": f"line {sequence}"},
            amount=Decimal("1.25"),
            status=EntryStatus.NEEDS_REVIEW if sequence == 1 else EntryStatus.POSTED,
            netsuite_id="" if sequence == 1 else str(900 + sequence),
            error="HTTP 400: Invalid Field Name: disc" if sequence == 1 else "",
        )
        with transaction.atomic():
            entry.outbox_message = outbox_enqueue(
                target="netsuite", operation="posting.credit_memo", external_key=entry.external_id, payload={}
            )
        entry.save(update_fields=["outbox_message"])
    OutboxMessage.objects.filter(external_key=f"VS-PB{batch.pk}-1").update(state=OutboxState.NEEDS_REVIEW)
    OutboxMessage.objects.exclude(external_key=f"VS-PB{batch.pk}-1").update(state=OutboxState.SENT)
    return batch


def _client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _csrf(client: Client, batch: PostingBatch) -> str:
    client.get(reverse("reconciliation:posting_batch_delivery", args=[batch.public_id]), **HX)
    return client.cookies["csrftoken"].value


def test_the_region_shows_each_record_and_its_delivery_in_bounded_queries(
    personas, failed_batch, django_assert_max_num_queries
):
    client = _client(personas["finance"])
    url = reverse("reconciliation:posting_batch_delivery", args=[failed_batch.public_id])
    with django_assert_max_num_queries(12):
        page = client.get(url, **HX)
    html = page.content.decode()
    assert page.status_code == 200 and "29 of 30 records posted" in html
    assert f'id="entry-VS-PB{failed_batch.pk}-1" data-status="needs_review"' in html
    assert "Invalid Field Name: disc" in html and "Retry what is not posted" in html
    assert "Prepare reversal" not in html  # only a posted batch can be reversed


@pytest.mark.parametrize(("persona", "status"), [("ops", 403), ("outsider", 403), ("admin", 200)])
def test_who_may_see_the_region(personas, failed_batch, persona, status):
    page = _client(personas[persona]).get(
        reverse("reconciliation:posting_batch_delivery", args=[failed_batch.public_id]), **HX
    )
    assert page.status_code == status
    if persona == "admin":  # sees it, may not act
        assert "Retry what is not posted" not in page.content.decode()


@pytest.mark.parametrize("persona", ["ops", "admin", "outsider"])
def test_retry_and_reverse_are_refused_to_roles_without_the_prepare_duty(personas, failed_batch, persona):
    client = _client(personas[persona])
    for name in ("posting_batch_retry", "posting_batch_reverse"):
        response = client.post(
            reverse(f"reconciliation:{name}", args=[failed_batch.public_id]), {"reason": "x"}
        )
        assert response.status_code == 403
    assert failed_batch.entries.get(sequence=1).status == EntryStatus.NEEDS_REVIEW


def test_a_preparer_retries_the_failed_record_only(personas, failed_batch):
    client = _client(personas["finance"])
    token = _csrf(client, failed_batch)
    response = client.post(
        reverse("reconciliation:posting_batch_retry", args=[failed_batch.public_id]),
        {"reason": "field removed", "csrfmiddlewaretoken": token},
        **HX,
    )
    assert response.status_code == 200
    failed_batch.refresh_from_db()
    assert failed_batch.status == BatchStatus.POSTING
    assert 'hx-trigger="every 2s"' in response.content.decode()  # now live: it refreshes itself
    assert list(
        OutboxMessage.objects.filter(state=OutboxState.PENDING).values_list("external_key", flat=True)
    ) == [f"VS-PB{failed_batch.pk}-1"]
    assert failed_batch.entries.filter(status=EntryStatus.POSTED).count() == 29


def test_a_post_without_the_csrf_token_is_refused(personas, failed_batch):
    response = _client(personas["finance"]).post(
        reverse("reconciliation:posting_batch_retry", args=[failed_batch.public_id]), {"reason": "x"}, **HX
    )
    assert response.status_code == 403
    assert failed_batch.entries.get(sequence=1).status == EntryStatus.NEEDS_REVIEW


def test_reversing_a_batch_that_is_not_posted_says_why(personas, failed_batch):
    client = _client(personas["finance"])
    token = _csrf(client, failed_batch)
    response = client.post(
        reverse("reconciliation:posting_batch_reverse", args=[failed_batch.public_id]),
        {"reason": "wrong invoice", "csrfmiddlewaretoken": token},
        **HX,
    )
    assert response.status_code == 200
    assert "Only a posted batch can be reversed" in response.content.decode()
    assert not PostingBatch.objects.filter(reverses=failed_batch).exists()


@pytest.fixture
def posted_batch(failed_batch) -> PostingBatch:
    PostingEntry.objects.filter(batch=failed_batch).update(
        status=EntryStatus.POSTED, netsuite_id="901", error=""
    )
    PostingBatch.objects.filter(pk=failed_batch.pk).update(status=BatchStatus.POSTED, customer_id="1001")
    failed_batch.refresh_from_db()
    return failed_batch


def test_the_batch_page_shows_the_delivery_region_and_a_preparer_reverses_from_it(
    personas, posted_batch, make_user
):
    from reconciliation.models import GLAccount

    PostingEntry.objects.filter(batch=posted_batch).update(
        gl_account=GLAccount.objects.create(netsuite_id="452", number="4520", name="Shortage Claims")
    )
    client = _client(personas["finance"])
    page = client.get(posted_batch.get_absolute_url()).content.decode()
    assert 'id="batch-delivery"' in page and "Prepare reversal" in page and "every 2s" not in page
    approver_only = _client(make_user("checker", "finance_approver"))
    assert "Prepare reversal" not in approver_only.get(posted_batch.get_absolute_url()).content.decode()

    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("reconciliation:posting_batch_reverse", args=[posted_batch.public_id]),
        {"reason": "wrong customer", "csrfmiddlewaretoken": token},
        **HX,
    )
    reversal = PostingBatch.objects.get(reverses=posted_batch)
    assert response.status_code == 204 and response["HX-Redirect"] == reversal.get_absolute_url()
    assert reversal.entries.count() == 30 and reversal.status == BatchStatus.DRAFT
    page = client.get(reversal.get_absolute_url()).content.decode()
    assert "Submit for approval" in page and f"of {posted_batch.number}" in page  # Reversal of PB-n
