"""Fault rehearsals of the outbox relay: real PostgreSQL, Redis, Celery worker processes, and the
real ``NetSuiteClient`` talking HTTP to the NetSuite simulator (``vendorsync.sandbox.relaylab``).

Each scenario ends with every message either sent once (the simulator holds exactly one record
per external id, written once) or in review under one case: none stuck, none lost, and no message
used more than its write budget (``OUTBOX_MAX_ATTEMPTS`` write requests).
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection

from vendorsync import outbox
from vendorsync.models import ExceptionCase, OutboxMessage
from vendorsync.outbox.services import outbox_resend
from vendorsync.sandbox import relaylab

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, django_db_setup):
    served = relaylab.ServedNetSuite(tmp_path_factory.mktemp("relaylab") / "netsuite.sqlite3")
    relaylab.register_lab_handler()
    yield served
    outbox.unregister_handler("netsuite", relaylab.LAB_OPERATION)
    served.close()


@pytest.fixture(scope="module")
def worker_env(lab):
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    return {**lab.env(), "DATABASE_URL": f"{base}/{connection.settings_dict['NAME']}"}


@pytest.fixture(scope="module")
def workers(worker_env):
    started = [relaylab.Worker(worker_env), relaylab.Worker(worker_env)]
    yield started
    logs = [worker.stop() for worker in started]  # every worker stops before anything is asserted
    for worker in started:
        relaylab.purge(worker.queue)
    relaylab.purge("celery")  # the enqueue nudges nobody listens to here
    for log in logs:
        assert "Traceback" not in log, log


@pytest.fixture(autouse=True)
def clean_lab(lab):
    lab.reset()


def _delivered_once(result: relaylab.Outcome) -> None:
    assert result.stuck == 0, result
    assert result.duplicate_records == 0 and result.missing_records == 0, result
    assert result.repeat_writes == 0, result  # the lookup settled every ambiguous outcome
    assert result.write_requests_max <= settings.OUTBOX_MAX_ATTEMPTS, result


def test_a_worker_killed_mid_batch_leaves_nothing_stranded(lab, workers, worker_env):
    result = relaylab.kill_worker_mid_batch(lab, workers[0], worker_env, n=20)
    assert result.stranded > 0, "the kill did not land mid-batch"
    assert result.states == {"sent": result.messages}, result
    _delivered_once(result)
    # Lease 3 s in the rehearsal: the stranded batch is back well within seconds, not minutes.
    assert result.recovery_seconds is not None and result.recovery_seconds < 15, result


def test_write_then_504_is_settled_by_lookup_not_left_dead(lab, workers):
    result = relaylab.write_then_504(lab, workers[0])
    assert result.states == {"sent": result.messages}, result
    _delivered_once(result)
    assert result.write_requests_max == 1  # found by external id; never written again


def test_429_bursts_are_retried_without_lookups(lab, workers):
    result = relaylab.throttled_bursts(lab, workers[0])
    assert result.states == {"sent": result.messages}, result
    _delivered_once(result)


def test_5xx_are_retried_within_the_write_budget(lab, workers):
    result = relaylab.server_errors(lab, workers[0])
    assert result.states == {"sent": result.messages}, result
    _delivered_once(result)


def test_wrong_credentials_put_everything_in_review_under_one_case(lab, workers):
    result = relaylab.wrong_credentials(lab, workers[0], fix=False)
    assert result.states == {"needs_review": result.messages} and result.cases == 1, result
    [case] = ExceptionCase.objects.open()
    assert case.occurrences == result.messages and "NetSuiteAuthError" in case.message
    assert result.writes_ran_max == 0 and result.write_requests_max == 1
    # A new batch: it fails the same way, the token is fixed, then all are resent in one action.
    fixed = relaylab.wrong_credentials(lab, workers[0], prefix="AUTH-FIXED")
    assert fixed.states == {"sent": fixed.messages}, fixed
    assert fixed.cases == 1 and fixed.open_cases == 1  # the same case: the first batch still waits
    first = [f"AUTH-{i}" for i in range(result.messages)]
    resent = outbox_resend(
        messages=OutboxMessage.objects.filter(external_key__in=first), actor=None, reason="Fixed."
    )
    assert resent.resent == result.messages
    assert relaylab.drive(workers[:1], lambda: relaylab.settled(first), timeout=30)
    assert relaylab.states(first) == {"sent": result.messages}
    case.refresh_from_db()
    assert case.status == "resolved" and case.auto_resolved  # closed once all its deliveries were sent
    _delivered_once(fixed)


def test_two_relays_at_once_write_each_record_once(lab, workers):
    result = relaylab.two_relays(lab, workers)
    assert result.states == {"sent": result.messages}, result
    _delivered_once(result)
    assert result.writes_ran_max == 1
