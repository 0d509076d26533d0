"""The outbox relay with the real NetSuite client against the NetSuite simulator (in process).

The handler is the reusable ``netsuite_upsert_handler`` (PUT salesOrder/eid:<key>, one HTTP attempt)
with its lookup (GET salesOrder/eid:<key>), built through ``vendorsync.connections`` as in
production sandbox mode. The simulator is only instrumented to count the requests and upserts it
receives. Over HTTP with a worker process: ``test_outbox_faults.py``.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vendorsync import connections, outbox
from vendorsync.models import ExceptionCase, OutboxMessage, OutboxState
from vendorsync.netsuite import NetSuiteClient, NetSuiteConfig
from vendorsync.netsuite.errors import NetSuiteRetryableError
from vendorsync.outbox import services as outbox_services
from vendorsync.outbox.netsuite import register_netsuite_upsert
from vendorsync.sandbox import catalog
from vendorsync.sandbox import netsuite as simulator
from vendorsync.sandbox.netsuite.auth import Credentials, TbaVerifier

OPERATION = "test.salesorder"


class Counted:
    """Counts what reaches the simulator: requests per method and upserts (writes that ran) per key."""

    def __init__(self, app: simulator.NetSuiteApp, monkeypatch: pytest.MonkeyPatch) -> None:
        self.app = app
        self.requests: Counter[str] = Counter()
        self.upserts: Counter[str] = Counter()
        handle, upsert = app.handle, app.records.upsert

        def counting_handle(environ: dict[str, Any]) -> Any:
            self.requests[environ["REQUEST_METHOD"]] += 1
            return handle(environ)

        def counting_upsert(rtype: str, eid: str, payload: dict[str, Any]) -> int:
            self.upserts[eid] += 1
            return upsert(rtype, eid, payload)

        monkeypatch.setattr(app, "handle", counting_handle)
        monkeypatch.setattr(app.records, "upsert", counting_upsert)

    def record(self, key: str) -> dict[str, Any] | None:
        with connections.netsuite_client() as client:
            return client.get_by_external_id("salesOrder", key, expand_sub_resources=True)


@pytest.fixture
def netsuite(settings, tmp_path, monkeypatch) -> Counted:
    settings.SANDBOX = True
    settings.VAR_DIR = tmp_path  # a fresh simulator store for this test
    register_netsuite_upsert(OPERATION, "salesOrder")
    counted = Counted(connections._netsuite_app(str(tmp_path / "sandbox")), monkeypatch)
    yield counted
    outbox.unregister_handler("netsuite", OPERATION)


def _order(key: str) -> dict[str, Any]:
    return {
        "entity": {"id": catalog.AMAZON_CUSTOMER_ID},
        "otherRefNum": key,
        "item": {"items": [{"item": {"id": "5000"}, "quantity": 3, "rate": 12.35}]},
    }


def _enqueue(*keys: str) -> list[OutboxMessage]:
    with transaction.atomic():
        return [
            outbox_services.outbox_enqueue(
                target="netsuite", operation=OPERATION, external_key=k, payload=_order(k)
            )
            for k in keys
        ]


def _due_now() -> None:
    OutboxMessage.objects.update(next_attempt_at=timezone.now())


def test_a_sales_order_is_upserted_once_with_exact_money(db, netsuite):
    [message] = _enqueue("AMZ-PO-1")
    report = outbox.relay_once()
    message.refresh_from_db()
    record = netsuite.record("AMZ-PO-1")
    assert report.sent == 1 and message.state == OutboxState.SENT
    assert message.remote_id == str(record["id"])
    assert record["item"]["items"][0]["rate"] == Decimal("12.35")  # not 12.3499999…
    assert netsuite.upserts == {"AMZ-PO-1": 1}


def test_write_then_504_is_found_by_external_id_and_not_written_again(db, netsuite):
    netsuite.app.faults.timeout = netsuite.app.faults.timeout_writes_only = True
    messages = _enqueue("AMZ-PO-1", "AMZ-PO-2")
    first = outbox.relay_once()
    assert first.retry == 2
    assert set(OutboxMessage.objects.values_list("state", "outcome_unknown")) == {(OutboxState.RETRY, True)}
    _due_now()
    second = outbox.relay_once()  # the fault is still on: only the lookup can settle it
    assert second.sent == second.found == 2
    for message in messages:
        message.refresh_from_db()
        assert message.state == OutboxState.SENT
        assert message.remote_id == str(netsuite.record(message.external_key)["id"])
    assert netsuite.requests["PUT"] == 2 and netsuite.upserts == {"AMZ-PO-1": 1, "AMZ-PO-2": 1}
    assert not ExceptionCase.objects.exists()


def test_a_5xx_before_the_write_is_looked_up_then_written(db, netsuite):
    netsuite.app.faults.error_rate = 1.0
    [message] = _enqueue("AMZ-PO-1")
    outbox.relay_once()
    message.refresh_from_db()
    assert message.state == OutboxState.RETRY and message.outcome_unknown
    assert message.error_class == "NetSuiteRetryableError:UNEXPECTED_ERROR"
    netsuite.app.faults.error_rate = 0.0
    _due_now()
    report = outbox.relay_once()
    message.refresh_from_db()
    assert report.sent == 1 and report.found == 0 and message.state == OutboxState.SENT
    assert netsuite.requests["PUT"] == 2 and netsuite.upserts == {"AMZ-PO-1": 1}


def test_a_crash_after_the_write_is_settled_by_the_lookup(db, netsuite):
    [message] = _enqueue("AMZ-PO-1")
    [claimed] = outbox_services.outbox_claim_due(limit=1)
    outbox.handler_for(claimed)(claimed)  # the write reaches NetSuite, then the worker dies
    OutboxMessage.objects.update(lease_expires_at=timezone.now())
    report = outbox.relay_once()
    message.refresh_from_db()
    assert report.reclaimed == 1 and report.found == 1 and message.state == OutboxState.SENT
    assert netsuite.upserts == {"AMZ-PO-1": 1}


@pytest.mark.parametrize("remote_holds_it", [True, False])
def test_with_the_write_budget_spent_only_a_lookup_decides(db, netsuite, settings, remote_holds_it):
    settings.OUTBOX_MAX_ATTEMPTS = 2
    [message] = _enqueue("AMZ-PO-1")
    if remote_holds_it:
        outbox.handler_for(message)(message)
    before = netsuite.requests["PUT"]
    # Both attempts ended ambiguously: the budget is spent, the outcome unknown.
    OutboxMessage.objects.update(
        state=OutboxState.RETRY, attempts=2, outcome_unknown=True, error_class="NetSuiteRetryableError"
    )
    outbox.relay_once()
    message.refresh_from_db()
    assert netsuite.requests["PUT"] == before  # no write beyond the budget
    if remote_holds_it:
        assert message.state == OutboxState.SENT and message.remote_id
    else:
        assert message.state == OutboxState.DEAD  # only once NetSuite was seen not to hold it
        assert ExceptionCase.objects.open().get(outbox_messages=message).owner_team == "ops"


def test_wrong_credentials_open_one_case_and_the_owning_team_resends_them_together(netsuite, personas):
    netsuite.app.verifier = TbaVerifier(Credentials(token_secret="rotated-elsewhere"))
    keys = [f"AMZ-PO-{n}" for n in range(4)]
    _enqueue(*keys)
    assert outbox.relay_once().needs_review == 4
    [case] = ExceptionCase.objects.open()
    assert case.occurrences == 4 and case.owner_team == "ops" and "NetSuiteAuthError" in case.message
    assert set(case.outbox_messages.values_list("external_key", flat=True)) == set(keys)
    netsuite.app.verifier = TbaVerifier(Credentials())  # the token is fixed

    finance, ops = Client(), Client()
    finance.force_login(personas["finance"])
    ops.force_login(personas["ops"])
    url = reverse("outbox_resend_filtered")
    finance.post(url, {"filter": "error_class=NetSuiteAuthError", "reason": "token fixed"})
    assert OutboxMessage.objects.filter(state=OutboxState.NEEDS_REVIEW).count() == 4  # not finance's
    page = ops.get(reverse("sync_runs"), {"error_class": "NetSuiteAuthError"})
    assert b"Send 4 again" in page.content
    ops.post(url, {"filter": "error_class=NetSuiteAuthError", "reason": "token fixed"})
    assert OutboxMessage.objects.filter(state=OutboxState.PENDING, attempts=0).count() == 4

    assert outbox.relay_once().sent == 4
    case.refresh_from_db()
    assert case.status == "resolved" and case.auto_resolved
    assert sum(netsuite.upserts.values()) == 4


def test_resending_one_that_may_have_arrived_needs_a_reason_and_looks_it_up_first(netsuite, personas):
    [message] = _enqueue("AMZ-PO-1")
    outbox.handler_for(message)(message)  # it did arrive
    OutboxMessage.objects.update(
        state=OutboxState.NEEDS_REVIEW, outcome_unknown=True, error_class="NetSuiteRetryableError"
    )
    message.refresh_from_db()
    with pytest.raises(ValidationError, match="may already have reached"):
        outbox_services.outbox_requeue(message=message, actor=personas["ops"], reason=" ")
    client = Client()
    client.force_login(personas["ops"])
    form = client.get(reverse("outbox_requeue", args=[message.public_id]))
    assert b"may already have reached NetSuite" in form.content and b"required" in form.content
    client.post(reverse("outbox_requeue", args=[message.public_id]), {"reason": "checked: 504 at 10:02"})
    report = outbox.relay_once()
    message.refresh_from_db()
    assert report.found == 1 and message.state == OutboxState.SENT
    assert netsuite.upserts == {"AMZ-PO-1": 1}  # looked up, not written again


@respx.mock
def test_a_client_without_write_retries_sends_a_write_once_and_reads_keep_retrying():
    config = NetSuiteConfig(
        account_id="123",
        consumer_key="k",
        consumer_secret="s",
        token_id="t",
        token_secret="u",
        base_url="https://ns.test",
    )
    put = respx.put("https://ns.test/services/rest/record/v1/salesOrder/eid:K1").respond(503)
    get = respx.get("https://ns.test/services/rest/record/v1/salesOrder/eid:K1")
    get.side_effect = [httpx.Response(503), httpx.Response(200, json={"id": "7"})]
    with NetSuiteClient(config, sleep=lambda seconds: None, retry_writes=False) as client:
        with pytest.raises(NetSuiteRetryableError):
            client.upsert_by_external_id("salesOrder", "K1", {"memo": "x"})
        assert client.get_by_external_id("salesOrder", "K1") == {"id": "7"}
    assert put.call_count == 1 and get.call_count == 2
