"""Maker-checker held by the database itself: whatever the code path (a service bug, a shell, a raw
UPDATE), a posting batch can never name its preparer as approver or rejecter, and an approved batch
always names who approved it. Runs on SQLite and, with DATABASE_URL=postgres://..., on PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from reconciliation.models import AccountingPeriod, BatchStatus, PostingBatch


@pytest.fixture
def batch(personas):
    return PostingBatch.objects.create(prepared_by=personas["finance"], posting_date=date(2026, 11, 30))


def _raw_update(sql: str, params: list) -> None:
    table = PostingBatch._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.format(table=connection.ops.quote_name(table)), params)


def test_a_direct_update_making_the_preparer_the_approver_fails(batch):
    with pytest.raises(IntegrityError):
        _raw_update(
            "UPDATE {table} SET approved_by_id = prepared_by_id, status = 'approved' WHERE id = %s",
            [batch.pk],
        )
    batch.refresh_from_db()
    assert batch.approved_by_id is None and batch.status == BatchStatus.DRAFT


def test_a_direct_update_making_the_preparer_the_rejecter_fails(batch):
    with pytest.raises(IntegrityError):
        _raw_update("UPDATE {table} SET rejected_by_id = prepared_by_id WHERE id = %s", [batch.pk])


def test_an_orm_save_with_the_preparer_as_approver_fails(batch):
    batch.approved_by = batch.prepared_by
    batch.status = BatchStatus.APPROVED
    with pytest.raises(IntegrityError), transaction.atomic():
        batch.save()


def test_another_user_may_be_the_approver(batch, personas):
    _raw_update(
        "UPDATE {table} SET approved_by_id = %s, status = 'approved' WHERE id = %s",
        [personas["approver"].pk, batch.pk],
    )
    batch.refresh_from_db()
    assert batch.approved_by == personas["approver"]


def test_an_approved_batch_without_an_approver_fails(batch):
    with pytest.raises(IntegrityError):
        _raw_update("UPDATE {table} SET status = 'posted' WHERE id = %s", [batch.pk])


def test_a_reversal_must_name_the_batch_it_reverses(personas):
    with pytest.raises(IntegrityError), transaction.atomic():
        PostingBatch.objects.create(
            prepared_by=personas["finance"], posting_date=date(2026, 11, 30), kind="reversal"
        )


def test_a_period_cannot_end_before_it_starts(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountingPeriod.objects.create(name="bad", start_date=date(2026, 11, 30), end_date=date(2026, 11, 1))


def test_period_for_date(db):
    nov = AccountingPeriod.objects.create(
        name="Nov 2026", start_date=date(2026, 11, 1), end_date=date(2026, 11, 30)
    )
    assert AccountingPeriod.objects.for_date(date(2026, 11, 30)) == nov
    assert AccountingPeriod.objects.for_date(date(2026, 12, 1)) is None
