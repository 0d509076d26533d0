"""Audit events are append-only: the ORM refuses changes and so does the database itself."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from vendorsync import services
from vendorsync.models import AuditEvent


@pytest.fixture
def event(db):
    return services.audit_record(actor=None, action="test.happened", subject_type="thing", subject_id="1")


def test_it_refuses_to_update_an_audit_event_through_the_orm(event):
    event.action = "test.rewritten"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="test.rewritten")
    assert AuditEvent.objects.get(pk=event.pk).action == "test.happened"


def test_it_refuses_to_delete_an_audit_event_through_the_orm(event):
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_database_refuses_a_raw_update(event):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE vendorsync_auditevent SET action = 'forged' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.happened"


@pytest.mark.postgres
def test_postgres_refuses_a_raw_delete(event):
    sql = "DELETE FROM vendorsync_auditevent WHERE id = %s"
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.happened"


def test_audit_rows_carry_the_actor_and_request_id(personas, client):
    case, _ = services.exception_raise(kind="sku_asin_gap", dedupe_key="k", message="m")
    client.force_login(personas["ops"])
    response = client.post(f"/exceptions/{case.public_id}/take/", headers={"X-Request-ID": "forged"})
    event = AuditEvent.objects.get(action="exception.assigned")
    assert event.actor == personas["ops"] and event.actor_label == "op"
    assert event.request_id == response["X-Request-ID"] != "forged"  # our id, not the client's
    assert event.after == {"status": "in_progress", "assignee": "op"}
