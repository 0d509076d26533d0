"""The core's set-based helpers write exactly what their one-at-a-time counterparts write.

``audit_record_many``, ``exceptions_raise_many``, ``exceptions_clear_many`` and
``outbox_enqueue_many`` exist so a page of POs costs a handful of statements; each test compares
them with ``audit_record`` / ``exception_raise`` / ``exception_clear`` / ``outbox_enqueue`` and
holds them to a statement budget that does not grow with the batch.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError

from vendorsync.models import AuditEvent, ExceptionCase, ExceptionStatus, OutboxMessage
from vendorsync.outbox import services as outbox
from vendorsync.services import (
    CaseRaise,
    audit_event,
    audit_record,
    audit_record_many,
    exception_clear,
    exception_raise,
    exceptions_clear_many,
    exceptions_raise_many,
    outbox_enqueue,
    outbox_enqueue_many,
)

FIELDS = ("actor_id", "actor_label", "action", "subject_type", "subject_id", "before", "after", "reason")


def _row(event: AuditEvent) -> tuple:
    event.refresh_from_db()
    return tuple(getattr(event, name) for name in FIELDS)


@pytest.mark.django_db
def test_audit_record_many_writes_the_rows_audit_record_writes_in_one_insert(django_assert_num_queries):
    case, _ = exception_raise(kind="sync_failed", dedupe_key="bulk:audit", message="m")
    kwargs = [
        {"actor": None, "action": f"thing.{n}", "subject": case, "before": {"n": n}, "after": {"n": n + 1}}
        for n in range(30)
    ]
    singles = [audit_record(**k) for k in kwargs]
    with django_assert_num_queries(1):
        many = audit_record_many(events=[audit_event(**k) for k in kwargs])
    assert [_row(e) for e in many] == [_row(e) for e in singles]
    assert len({e.public_id for e in [*singles, *many]}) == 60
    with pytest.raises(PermissionError):  # append-only: a written event is never written again
        audit_record_many(events=[many[0]])
    assert audit_record_many(events=[]) == []


def _spec(key: str, message: str = "problem", **extra) -> CaseRaise:
    return CaseRaise(kind="price_discrepancy", dedupe_key=key, message=message, **extra)


@pytest.mark.django_db
def test_raise_many_opens_new_cases_and_touches_open_ones_like_exception_raise(django_assert_max_num_queries):
    touched, _ = exception_raise(kind="price_discrepancy", dedupe_key="k:0", message="old", details={"a": 1})
    closed, _ = exception_raise(kind="price_discrepancy", dedupe_key="k:1", message="old")
    exception_clear(dedupe_key="k:1", note="fixed")
    last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    specs = [_spec(f"k:{n}", f"now {n}", amount_at_risk=Decimal("1.50"), details={"n": n}) for n in range(40)]
    # Whatever the batch size: lock+read, touch, INSERT cases, INSERT audit, savepoints around them.
    with django_assert_max_num_queries(8):
        counts = exceptions_raise_many(raises=specs)
    assert counts == {"opened": 39, "touched": 1}
    touched.refresh_from_db()
    assert (touched.occurrences, touched.message, touched.details) == (2, "now 0", {"n": 0})
    assert touched.amount_at_risk == Decimal("1.50")
    # A closed case stays closed; the key opens a new one (one open case per key).
    assert ExceptionCase.objects.filter(dedupe_key="k:1").count() == 2
    assert ExceptionCase.objects.open().filter(dedupe_key="k:1").exclude(pk=closed.pk).count() == 1
    fresh = ExceptionCase.objects.open().get(dedupe_key="k:7")
    assert (fresh.kind, fresh.owner_team, fresh.severity, fresh.message) == (
        "price_discrepancy",
        "ops",
        "medium",
        "now 7",
    )
    # One exception.raised row per opened case, none for a touch (as exception_raise).
    new_events = AuditEvent.objects.filter(pk__gt=last_event)
    assert {e.action for e in new_events} == {"exception.raised"}
    assert sorted(e.after["dedupe_key"] for e in new_events) == sorted(f"k:{n}" for n in range(1, 40))


@pytest.mark.django_db
def test_raise_many_run_again_only_touches_and_a_repeated_key_counts_twice():
    specs = [_spec(f"r:{n}") for n in range(5)] + [_spec("r:2", "again")]
    assert exceptions_raise_many(raises=specs) == {"opened": 5, "touched": 1}
    assert ExceptionCase.objects.open().get(dedupe_key="r:2").occurrences == 2
    assert ExceptionCase.objects.open().get(dedupe_key="r:2").message == "again"
    assert exceptions_raise_many(raises=specs[:5]) == {"opened": 0, "touched": 5}
    assert ExceptionCase.objects.filter(dedupe_key__startswith="r:").count() == 5
    assert exceptions_raise_many(raises=[]) == {"opened": 0, "touched": 0}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_raise_many_leave_one_open_case_per_key():
    """Batches racing on the same keys: the partial unique index refuses the losers' INSERT, and
    they fall back to raising one by one, which touches the winner's cases."""
    threads_count, keys = 6, [f"race:{n}" for n in range(20)]
    barrier = threading.Barrier(threads_count)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def raise_them(order: int) -> None:
        try:
            barrier.wait()
            batch = keys if order % 2 else list(reversed(keys))  # other pages, other orders
            results.append(exceptions_raise_many(raises=[_spec(key) for key in batch]))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=raise_them, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r["opened"] for r in results) == len(keys)
    assert sum(r["touched"] for r in results) == len(keys) * (threads_count - 1)
    for key in keys:
        [case] = ExceptionCase.objects.filter(dedupe_key=key)
        assert case.occurrences == threads_count


@pytest.mark.django_db
def test_clear_many_resolves_open_cases_like_exception_clear(django_assert_max_num_queries):
    for n in range(20):
        exception_raise(kind="sku_asin_gap", dedupe_key=f"c:{n}", message="gap")
    exception_clear(dedupe_key="c:3", note="earlier")
    before = AuditEvent.objects.filter(action="exception.resolved").count()
    with django_assert_max_num_queries(5):  # savepoint, lock+read, UPDATE, INSERT audit, release
        cleared = exceptions_clear_many(clears=[(f"c:{n}", f"fixed {n}") for n in range(25)])
    assert cleared == 19  # c:3 was no longer open; c:20..24 never were
    case = ExceptionCase.objects.get(dedupe_key="c:7")
    assert (case.status, case.auto_resolved, case.resolution_note, case.resolved_by) == (
        ExceptionStatus.RESOLVED,
        True,
        "fixed 7",
        None,
    )
    assert case.resolved_at is not None
    events = AuditEvent.objects.filter(action="exception.resolved")
    assert events.count() - before == 19
    event = events.get(subject_id=str(case.public_id))
    assert (event.before, event.after, event.reason) == (
        {"status": "open"},
        {"status": "resolved"},
        "fixed 7",
    )
    assert exceptions_clear_many(clears=[(f"c:{n}", "again") for n in range(25)]) == 0
    assert exceptions_clear_many(clears=[]) == 0


@pytest.mark.django_db
def test_enqueue_many_writes_what_enqueue_writes_and_nudges_once(
    django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        single = outbox_enqueue(
            target="netsuite", operation="salesorder.upsert", external_key="K-0", payload={"n": 0}
        )
        with django_assert_max_num_queries(2):
            many = outbox_enqueue_many(
                target="netsuite",
                operation="salesorder.upsert",
                messages=[(f"K-{n}", {"n": n}) for n in range(1, 30)],
            )
    assert [c.__name__ for c in callbacks] == ["nudge_relay"]  # one nudge per transaction
    assert callbacks[0] is outbox.nudge_relay
    assert len(many) == 29 and OutboxMessage.objects.count() == 30
    first = OutboxMessage.objects.get(external_key="K-1")
    single.refresh_from_db()
    assert (first.state, first.target, first.operation, first.attempts, first.payload) == (
        single.state,
        "netsuite",
        "salesorder.upsert",
        0,
        {"n": 1},
    )
    audit = AuditEvent.objects.get(action="outbox.enqueued", subject_id=str(first.public_id))
    assert audit.after == {"operation": "salesorder.upsert", "key": "K-1"}
    # The unique external key still makes a delivery happen once.
    with pytest.raises(IntegrityError), transaction.atomic():
        outbox_enqueue_many(target="netsuite", operation="salesorder.upsert", messages=[("K-5", {})])
    assert OutboxMessage.objects.count() == 30


@pytest.mark.django_db(transaction=True)
def test_enqueue_many_refuses_to_run_outside_a_transaction():
    with pytest.raises(TransactionManagementError):
        outbox_enqueue_many(target="netsuite", operation="salesorder.upsert", messages=[("K-0", {})])
    assert not OutboxMessage.objects.exists()


def test_new_object_builds_what_keyword_construction_builds():
    from vendorsync.bulk import new_object

    values = {
        "actor_label": "system",
        "action": "a.b",
        "subject_type": "x",
        "subject_id": "1",
        "after": {"k": 1},
    }
    built, keyword = new_object(AuditEvent, values), AuditEvent(**values)
    for field in AuditEvent._meta.concrete_fields:
        if field.name not in ("public_id", "at"):  # fresh defaults: a new uuid, the time now
            assert getattr(built, field.attname) == getattr(keyword, field.attname), field.name
    assert built.public_id != keyword.public_id and built.at is not None and built._state.adding
    with pytest.raises(TypeError):
        new_object(AuditEvent, {"actor": None})  # attnames only: a typo must not pass silently
