"""Exception cases: one open case per dedupe key, raise/touch/resolve/dismiss, role checks in services."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from vendorsync import services
from vendorsync.models import AuditEvent, ExceptionCase


def test_raising_the_same_problem_twice_touches_the_open_case(db):
    first, created = services.exception_raise(
        kind="price_discrepancy", dedupe_key="po:1:line:1:price", message="cost 10.00 vs 9.50"
    )
    again, created_again = services.exception_raise(
        kind="price_discrepancy", dedupe_key="po:1:line:1:price", message="cost 10.00 vs 9.40"
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert again.occurrences == 2 and again.message == "cost 10.00 vs 9.40"
    assert again.last_seen_at >= first.last_seen_at
    assert first.owner_team == "ops"


def test_the_database_admits_one_open_case_per_key(db):
    services.exception_raise(kind="sku_asin_gap", dedupe_key="dup", message="m")
    with pytest.raises(IntegrityError), transaction.atomic():
        ExceptionCase.objects.create(kind="sku_asin_gap", owner_team="ops", dedupe_key="dup", message="m")


def test_a_resolved_problem_that_comes_back_opens_a_new_case(db):
    case, _ = services.exception_raise(kind="settlement_drift", dedupe_key="rem:7", message="drift 1.00")
    services.exception_resolve(case=case, actor=None, note="explained", auto=True)
    again, created = services.exception_raise(
        kind="settlement_drift", dedupe_key="rem:7", message="drift 2.00"
    )
    assert created and again.pk != case.pk
    case.refresh_from_db()
    assert case.status == "resolved" and case.auto_resolved and case.owner_team == "finance"


def test_dismissing_needs_a_reason_and_is_audited(personas):
    case, _ = services.exception_raise(kind="unmapped_deduction_code", dedupe_key="code:XYZ", message="m")
    with pytest.raises(ValidationError):
        services.exception_dismiss(case=case, actor=personas["finance"], reason="  ")
    services.exception_dismiss(case=case, actor=personas["finance"], reason="code retired by Amazon")
    case.refresh_from_db()
    assert case.status == "dismissed" and case.resolved_by == personas["finance"]
    event = AuditEvent.objects.get(action="exception.dismissed")
    assert event.reason == "code retired by Amazon" and event.before == {"status": "open"}


def test_services_refuse_a_role_that_does_not_own_the_case(personas):
    ops_case, _ = services.exception_raise(kind="asn_blocked", dedupe_key="asn:1", message="bad SSCC")
    finance_case, _ = services.exception_raise(kind="posting_failed", dedupe_key="post:1", message="rejected")
    with pytest.raises(PermissionDenied):
        services.exception_resolve(case=ops_case, actor=personas["finance"], note="")
    with pytest.raises(PermissionDenied):
        services.exception_assign(case=finance_case, actor=personas["ops"], assignee=personas["ops"])
    with pytest.raises(PermissionDenied):
        services.exception_resolve(case=ops_case, actor=personas["admin"], note="")
    services.exception_assign(case=ops_case, actor=personas["ops"], assignee=personas["ops"])
    assert ExceptionCase.objects.get(pk=ops_case.pk).status == "in_progress"


def test_a_closed_case_cannot_be_closed_again(personas):
    case, _ = services.exception_raise(kind="asn_blocked", dedupe_key="asn:2", message="m")
    services.exception_resolve(case=case, actor=personas["ops"], note="fixed")
    with pytest.raises(ValidationError):
        services.exception_dismiss(case=case, actor=personas["ops"], reason="again")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_raises_leave_one_open_case_per_key():
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    results: list[bool] = []
    errors: list[BaseException] = []

    def raise_it() -> None:
        try:
            barrier.wait()
            _, created = services.exception_raise(
                kind="ack_overdue", dedupe_key="po:RACE:ack", message="no acknowledgement after 24 h"
            )
            results.append(created)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=raise_it) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert results.count(True) == 1
    case = ExceptionCase.objects.get(dedupe_key="po:RACE:ack")
    assert case.occurrences == threads_count


@pytest.mark.django_db
def test_a_flow_that_sees_the_cause_gone_resolves_the_case_and_says_so():
    from decimal import Decimal

    from vendorsync import services
    from vendorsync.models import ExceptionStatus

    case, _ = services.exception_raise(
        kind="sku_asin_gap",
        dedupe_key="gap:PO1:1",
        message="ASIN B0 maps to no item",
        amount_at_risk=Decimal("12.50"),
    )
    assert case.amount_at_risk == Decimal("12.50")
    resolved = services.exception_clear(dedupe_key="gap:PO1:1", note="Cross-reference added; PO revalidated.")
    assert resolved.status == ExceptionStatus.RESOLVED and resolved.auto_resolved
    assert resolved.resolution_note == "Cross-reference added; PO revalidated."
    assert services.exception_clear(dedupe_key="gap:PO1:1", note="again") is None
