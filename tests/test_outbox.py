"""The outbox relay's state machine against a remote target that succeeds, fails, times out and rejects.

respx stands in for a generic remote system here; the handler is a small idempotent HTTP writer
(PUT …/eid:<external key>), so the relay and services under test are the real ones. The relay with
the real NetSuite client and simulator is in ``test_outbox_netsuite.py`` (in process) and
``test_outbox_faults.py`` (over HTTP, with a worker process).
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import httpx
import pytest
import respx
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vendorsync import outbox, services
from vendorsync.errors import AmbiguousWriteError, AuthError, DeliveryResult, RejectedError, RetryableError
from vendorsync.models import AuditEvent, ExceptionCase, OutboxMessage, OutboxState
from vendorsync.outbox import services as outbox_services

REMOTE = "https://remote.test/records"


def _put(message: OutboxMessage) -> DeliveryResult:
    """An idempotent write, classified the way the real connectors classify responses."""
    response = httpx.put(f"{REMOTE}/eid:{message.external_key}", json=message.payload, timeout=2)
    if response.status_code == 429 or response.status_code >= 500:
        raise RetryableError(
            "remote unavailable",
            status=response.status_code,
            retry_after=float(response.headers.get("Retry-After", 0)) or None,
        )
    if response.status_code == 401:
        raise AuthError("invalid login", status=401)
    if response.status_code >= 400:
        raise RejectedError(response.json()["message"], status=response.status_code)
    return DeliveryResult(remote_id=response.json()["id"], response_excerpt=response.text[:200])


@pytest.fixture(autouse=True)
def remote_handler():
    outbox.register_handler("test", "put")(_put)
    yield
    outbox.unregister_handler("test", "put")


def _enqueue(key: str = "K1") -> OutboxMessage:
    with transaction.atomic():
        return services.outbox_enqueue(
            target="test", operation="put", external_key=key, payload={"amount": "10.00"}
        )


def _due_now(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


@respx.mock
def test_a_successful_delivery_is_marked_sent_with_the_remote_id(db):
    route = respx.put(f"{REMOTE}/eid:K1").respond(200, json={"id": "987"})
    message = _enqueue()
    report = outbox.relay_once()
    message.refresh_from_db()
    assert report.sent == 1 and route.call_count == 1
    assert message.state == OutboxState.SENT and message.remote_id == "987" and message.attempts == 1
    assert list(
        AuditEvent.objects.filter(subject_id=str(message.public_id))
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["outbox.enqueued", "outbox.sending", "outbox.sent"]


@respx.mock
@pytest.mark.parametrize(
    ("status", "final"),
    [
        (429, OutboxState.DEAD),  # refused before it ran: the remote does not hold it
        (503, OutboxState.NEEDS_REVIEW),  # may have written, and no lookup can tell: never "dead"
    ],
)
def test_a_failing_target_is_retried_with_growing_delays_then_given_up(db, settings, status, final):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    respx.put(f"{REMOTE}/eid:K1").respond(status, json={"message": "down"})
    message = _enqueue()
    delays = []
    for attempt in (1, 2):
        before = timezone.now()
        outbox.relay_once()
        message.refresh_from_db()
        assert message.state == OutboxState.RETRY and message.attempts == attempt
        assert str(status) in message.last_error
        delays.append(message.next_attempt_at - before)
        assert outbox.relay_once().claimed == 0  # not due yet
        _due_now(message)
    assert delays[1] > delays[0] > timedelta(seconds=0)
    outbox.relay_once()
    message.refresh_from_db()
    assert message.state == final and message.attempts == 3
    assert message.outcome_unknown is (status == 503)


@respx.mock
def test_a_timeout_is_retried_and_then_delivered(db):
    route = respx.put(f"{REMOTE}/eid:K1")
    route.side_effect = [httpx.ReadTimeout("timed out"), httpx.Response(200, json={"id": "5"})]
    message = _enqueue()
    outbox.relay_once()
    message.refresh_from_db()
    assert message.state == OutboxState.RETRY and "ReadTimeout" in message.last_error
    _due_now(message)
    outbox.relay_once()
    message.refresh_from_db()
    assert message.state == OutboxState.SENT and message.attempts == 2 and route.call_count == 2


@respx.mock
def test_retry_after_from_the_remote_sets_the_next_attempt(db):
    respx.put(f"{REMOTE}/eid:K1").respond(429, headers={"Retry-After": "7200"}, json={"message": "slow down"})
    message = _enqueue()
    outbox.relay_once()
    message.refresh_from_db()
    assert message.next_attempt_at - timezone.now() > timedelta(seconds=7000)


@respx.mock
@pytest.mark.parametrize(("status", "body"), [(400, {"message": "Invalid field value: amount"}), (401, {})])
def test_a_refusal_needs_review_after_one_attempt(db, status, body):
    route = respx.put(f"{REMOTE}/eid:K1").respond(status, json=body)
    message = _enqueue()
    outbox.relay_once()
    message.refresh_from_db()
    assert message.state == OutboxState.NEEDS_REVIEW and message.attempts == 1
    assert outbox.relay_once().claimed == 0
    assert route.call_count == 1
    if status == 400:
        assert "Invalid field value: amount" in message.last_error


@pytest.fixture
def handler_raising():
    def install(exc: BaseException) -> None:
        def handler(message: OutboxMessage) -> DeliveryResult:
            raise exc

        outbox.register_handler("test", "raise")(handler)

    yield install
    outbox.unregister_handler("test", "raise")


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (AmbiguousWriteError("HTTP 502 after POST salesOrder", status=502), "check for A1"),
        (ValueError("SSCC 00123 has check digit 3, expected 7"), "Invalid payload"),
        (TypeError("floats are not money"), "Invalid payload"),
    ],
)
def test_writes_that_may_have_happened_or_cannot_succeed_go_to_review(db, handler_raising, exc, words):
    handler_raising(exc)
    with transaction.atomic():
        message = services.outbox_enqueue(target="test", operation="raise", external_key="A1", payload={})
    outbox.relay_once()
    message.refresh_from_db()
    assert message.state == OutboxState.NEEDS_REVIEW and message.attempts == 1
    assert words in message.last_error


def _enqueue_many(n: int, operation: str = "echo") -> list[OutboxMessage]:
    with transaction.atomic():
        return [
            services.outbox_enqueue(target="test", operation=operation, external_key=f"M{i}", payload={})
            for i in range(n)
        ]


def test_a_relay_out_of_budget_puts_the_claimed_rest_back_uncounted(db):
    _enqueue_many(3)
    report = outbox.relay_once(budget_seconds=0)
    assert report.claimed == 3 and report.released == 3 and report.sent == 0
    states = set(OutboxMessage.objects.values_list("state", "attempts"))
    assert states == {(OutboxState.RETRY, 0)}
    assert outbox.relay_once().sent == 3  # due again at once


def test_one_relay_run_drains_a_backlog_batch_after_batch(db):
    _enqueue_many(7)
    report = outbox.relay_once(limit=3)
    assert report.claimed == report.sent == 7
    assert set(OutboxMessage.objects.values_list("state", flat=True)) == {OutboxState.SENT}


def test_a_soft_time_limit_leaves_nothing_stranded_in_sending(db, handler_raising):
    handler_raising(SoftTimeLimitExceeded())
    _enqueue_many(3, operation="raise")
    with pytest.raises(SoftTimeLimitExceeded):
        outbox.relay_once()
    rows = dict(OutboxMessage.objects.values_list("external_key", "attempts"))
    assert not OutboxMessage.objects.filter(state=OutboxState.SENDING).exists()
    assert rows == {"M0": 1, "M1": 0, "M2": 0}  # the one in flight counts as an attempt


def test_a_message_nobody_can_deliver_needs_review(db):
    with transaction.atomic():
        message = services.outbox_enqueue(target="test", operation="unknown", external_key="U1", payload={})
    outbox.relay_once()
    message.refresh_from_db()
    assert message.state == OutboxState.NEEDS_REVIEW and "No handler" in message.last_error


def _expire_lease(message: OutboxMessage) -> None:
    """What a relay that died looks like once its lease has run out."""
    OutboxMessage.objects.filter(pk=message.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


@respx.mock
def test_a_send_interrupted_by_a_crash_is_reclaimed_and_sent_again_to_the_same_key(db, settings):
    route = respx.put(f"{REMOTE}/eid:K1").respond(200, json={"id": "42"})
    message = _enqueue()
    # A relay claims the message, the remote write succeeds, then the worker dies before recording it.
    [claimed] = outbox_services.outbox_claim_due(limit=10)
    assert claimed.lease_expires_at - timezone.now() <= timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
    _put(claimed)
    assert outbox.relay_once().reclaimed == 0  # the lease still holds: nobody else takes it
    _expire_lease(message)
    report = outbox.relay_once()
    message.refresh_from_db()
    assert report.reclaimed == 1 and message.state == OutboxState.SENT
    assert route.call_count == 2  # no lookup registered: the idempotent write is repeated
    assert {str(call.request.url) for call in route.calls} == {f"{REMOTE}/eid:K1"}  # idempotent key


def test_a_person_can_send_a_reviewed_message_again(personas):
    with transaction.atomic():
        message = services.outbox_enqueue(target="test", operation="unknown", external_key="U2", payload={})
    outbox.relay_once()
    message.refresh_from_db()
    with pytest.raises(PermissionDenied, match="Only Operations may send this delivery again"):
        outbox_services.outbox_requeue(message=message, actor=personas["outsider"], reason="retry")
    with pytest.raises(PermissionDenied):
        outbox_services.outbox_requeue(message=message, actor=personas["finance"], reason="not ours")
    outbox_services.outbox_requeue(message=message, actor=personas["ops"], reason="handler deployed")
    message.refresh_from_db()
    assert message.state == OutboxState.PENDING and message.attempts == 0


def test_the_relay_is_nudged_only_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                services.outbox_enqueue(target="test", operation="put", external_key="R1", payload={})
                raise RuntimeError("business change failed")
        except RuntimeError:
            pass
    assert callbacks == [] and not OutboxMessage.objects.exists()
    with django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            for key in ("R2", "R3", "R4"):
                services.outbox_enqueue(target="test", operation="put", external_key=key, payload={})
    assert len(callbacks) == 1  # one nudge per transaction, not per message
    assert OutboxMessage.objects.count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_relays_deliver_each_message_exactly_once():
    delivered: Counter[str] = Counter()
    lock = threading.Lock()

    def count(message: OutboxMessage) -> DeliveryResult:
        with lock:
            delivered[message.external_key] += 1
        return DeliveryResult(remote_id=message.external_key)

    outbox.register_handler("test", "count")(count)
    try:
        with transaction.atomic():
            for i in range(40):
                services.outbox_enqueue(target="test", operation="count", external_key=f"C{i}", payload={})
        barrier = threading.Barrier(4)

        def relay() -> None:
            barrier.wait()
            try:
                for _ in range(5):
                    outbox.relay_once(limit=5)
            finally:
                connection.close()

        threads = [threading.Thread(target=relay) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        outbox.unregister_handler("test", "count")
    assert len(delivered) == 40 and set(delivered.values()) == {1}
    assert OutboxMessage.objects.filter(state=OutboxState.SENT).count() == 40


def test_a_delivery_that_needs_review_opens_a_case_for_its_team_which_closes_once_sent(personas):
    attempts = iter([RejectedError("Invalid reference key 5999 for item", status=400)])

    def flaky(message: OutboxMessage) -> DeliveryResult:
        exc = next(attempts, None)
        if exc is not None:
            raise exc
        return DeliveryResult(remote_id="77")

    outbox.register_handler("test", "posting", owner_team="finance")(flaky)
    try:
        with transaction.atomic():
            message = services.outbox_enqueue(
                target="test", operation="posting", external_key="P1", payload={}
            )
        outbox.relay_once()
        case = ExceptionCase.objects.get(outbox_messages=message)
        assert case.kind == "outbox_needs_review" and case.owner_team == "finance" and case.is_open
        assert "Invalid reference key 5999" in case.message

        client = Client()
        client.force_login(personas["finance"])
        page = client.get(reverse("sync_runs"))
        assert reverse("outbox_requeue", args=[message.public_id]).encode() in page.content
        assert client.get(reverse("outbox_requeue", args=[message.public_id])).status_code == 200
        response = client.post(reverse("outbox_requeue", args=[message.public_id]), {"reason": "item fixed"})
        assert response.status_code == 302
        assert outbox.relay_once().sent == 1
    finally:
        outbox.unregister_handler("test", "posting")
    case.refresh_from_db()
    assert case.status == "resolved" and case.auto_resolved
    assert AuditEvent.objects.filter(
        action="outbox.requeued", actor=personas["finance"], reason="item fixed"
    ).exists()


def test_a_message_that_keeps_killing_the_worker_ends_dead_for_its_owner_not_redelivered_for_ever(
    db, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    outbox.register_handler("test", "crash", owner_team="finance")(lambda message: DeliveryResult())
    try:
        [message] = _enqueue_many(1, operation="crash")
        for _ in range(2):  # each time the worker dies after claiming it
            outbox_services.outbox_claim_due(limit=1)
            _expire_lease(message)
            outbox_services.outbox_reclaim_expired()
    finally:
        outbox.unregister_handler("test", "crash")
    message.refresh_from_db()
    assert message.state == OutboxState.DEAD and message.attempts == 2
    case = ExceptionCase.objects.open().get(outbox_messages=message)
    assert case.owner_team == "finance"  # the handler's team, not ops by default
    assert outbox.relay_once().claimed == 0


def test_a_relay_that_lost_its_claim_does_not_overwrite_the_new_one(db):
    [message] = _enqueue_many(1)
    [stale_copy] = outbox_services.outbox_claim_due(limit=1)
    # The first relay stalls; the message is reclaimed and claimed again by another relay.
    _expire_lease(message)
    outbox_services.outbox_reclaim_expired()
    [current] = outbox_services.outbox_claim_due(limit=1)
    assert (
        outbox_services.outbox_mark_failed(message=stale_copy, error="late timeout", retryable=False) is None
    )
    message.refresh_from_db()
    assert message.state == OutboxState.SENDING and message.claim_id == current.claim_id
    outbox_services.outbox_mark_sent(message=current, remote_id="9")
    message.refresh_from_db()
    assert message.state == OutboxState.SENT


def test_a_relay_that_lost_its_claim_and_then_fails_counts_it_and_finishes_its_batch(db, handler_raising):
    """The lost claim used to crash the relay's bookkeeping (``setattr(report, "sending", …)``)."""
    handler_raising(RetryableError("HTTP 503", status=503))
    _enqueue_many(2, operation="raise")
    claimed = outbox_services.outbox_claim_due(limit=2)
    first = claimed[0]
    _expire_lease(first)
    outbox_services.outbox_reclaim_expired()
    [taken_over] = outbox_services.outbox_claim_due(limit=1)
    report = outbox.RelayReport()
    for message in claimed:
        outbox.deliver(message, report)
    assert report.lost_claims == 1 and report.retry == 1
    assert OutboxMessage.objects.get(pk=taken_over.pk).claim_id == taken_over.claim_id
    assert not OutboxMessage.objects.filter(state=OutboxState.SENDING).exclude(pk=taken_over.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_enqueue_refuses_to_run_outside_a_transaction():
    from django.db.transaction import TransactionManagementError

    with pytest.raises(TransactionManagementError, match="inside the transaction"):
        services.outbox_enqueue(target="test", operation="echo", external_key="X1", payload={})
    assert not OutboxMessage.objects.exists()


def test_the_deliveries_list_filters_and_keeps_to_a_query_budget(personas, django_assert_max_num_queries):
    with transaction.atomic():
        for i in range(60):
            services.outbox_enqueue(target="test", operation="unknown", external_key=f"Q{i}", payload={})
    outbox.relay_once(limit=100)  # no handler: all need review, under one case
    assert ExceptionCase.objects.count() == 1
    client = Client()
    client.force_login(personas["ops"])
    client.get(reverse("sync_runs"))  # warm the session and permission caches
    with django_assert_max_num_queries(16):
        page = client.get(reverse("sync_runs"), {"state": "needs_review", "key": "Q1"})
    assert page.status_code == 200
    assert b"Send 11 again" in page.content  # Q1, Q10..Q19
    assert page.content.count(b"Send again") == 11
    partial = client.get(
        reverse("sync_runs"), {"part": "deliveries", "state": "sent"}, HTTP_HX_REQUEST="true"
    )
    assert b"<html" not in partial.content and b"Send again" not in partial.content


def test_services_and_the_outbox_do_not_import_the_tasks():
    """The relay is nudged by task name: ``outbox → services → tasks → outbox`` was an import circle."""
    import subprocess
    import sys

    code = (
        "import os, sys; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'vendorsync.settings');"
        "import django; django.setup();"
        "import vendorsync.services, vendorsync.outbox, vendorsync.outbox.services, vendorsync.outbox.views;"
        "print('vendorsync.tasks' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "False", out.stderr


def test_a_lease_renewal_extends_only_its_own_claims_unfinished_rows(db, settings):
    settings.OUTBOX_LEASE_SECONDS = 30
    _enqueue_many(3)
    mine = outbox_services.outbox_claim_due(limit=2)
    [other] = outbox_services.outbox_claim_due(limit=1)
    outbox_services.outbox_mark_sent(message=mine[1], remote_id="done")
    later = timezone.now() + timedelta(minutes=5)
    assert outbox_services.outbox_renew_lease(claim_id=mine[0].claim_id, now=later) == 1
    leases = dict(OutboxMessage.objects.values_list("pk", "lease_expires_at"))
    assert leases[mine[0].pk] == later + timedelta(seconds=30)
    assert leases[mine[1].pk] is None  # finished: no lease to keep
    assert leases[other.pk] < later  # another relay's claim is its own business
