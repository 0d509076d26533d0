"""Rehearse outbox relay failures: the NetSuite simulator on a local port, counting what reaches it,
and Celery worker processes running the real relay with the real ``NetSuiteClient`` against it.

Used by ``tests/test_outbox_faults.py`` and ``bench/relay_faults.py``. Workers start with
``celery -A vendorsync.sandbox.relaylab_worker``: the project's Celery app plus the lab's handler,
``netsuite`` / :data:`LAB_OPERATION`, which is the reusable ``netsuite_upsert_handler("salesOrder")``.
The caller's process registers the same handler (:func:`register_lab_handler`) so its own reads
(owner, lookup) agree with the workers'.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from wsgiref.simple_server import make_server

from vendorsync.sandbox import catalog
from vendorsync.sandbox import netsuite as simulator
from vendorsync.sandbox.netsuite.auth import Credentials, TbaVerifier

ROOT = Path(__file__).resolve().parents[2]
LAB_OPERATION = "lab.salesorder.upsert"
RELAY_TASK = "vendorsync.tasks.relay_outbox"
# Short leases and backoff so a rehearsal takes seconds; the write budget stays the default (8).
WORKER_SETTINGS = {
    "VENDORSYNC_OUTBOX_LEASE_SECONDS": "3",
    "VENDORSYNC_OUTBOX_BACKOFF_SECONDS": "0.2",
    "VENDORSYNC_OUTBOX_BATCH_SIZE": "10",
    "VENDORSYNC_HTTP_TIMEOUT_SECONDS": "5",
}


def register_lab_handler() -> None:
    from vendorsync.outbox.netsuite import register_netsuite_upsert

    register_netsuite_upsert(LAB_OPERATION, "salesOrder")


def order_body(key: str) -> dict[str, Any]:
    """A valid sales order for the simulator (Amazon customer, one line of the first item)."""
    return {
        "entity": {"id": catalog.AMAZON_CUSTOMER_ID},
        "otherRefNum": key,
        "item": {"items": [{"item": {"id": "5000"}, "quantity": 2, "rate": 10.25}]},
    }


class ServedNetSuite:
    """The NetSuite simulator served over HTTP in a thread; counts requests and writes per external id.

    ``write_requests[key]``: PUTs that reached the simulator (refused ones too); ``writes_ran[key]``:
    upserts it actually performed. Faults (``.faults``) can be switched while it runs.
    """

    def __init__(self, store_path: Path) -> None:
        from vendorsync.management.commands.sandbox import QuietHandler, ThreadingWSGIServer

        self.app = simulator.make_app(store_path)
        self.faults = self.app.faults
        self.write_requests: Counter[str] = Counter()
        self.writes_ran: Counter[str] = Counter()
        self._lock = threading.Lock()
        handle, upsert = self.app.handle, self.app.records.upsert

        def counting_handle(environ: dict[str, Any]) -> Any:
            if environ["REQUEST_METHOD"] == "PUT":
                key = environ.get("PATH_INFO", "").rsplit("eid:", 1)[-1]
                with self._lock:
                    self.write_requests[key] += 1
            return handle(environ)

        def counting_upsert(rtype: str, eid: str, payload: dict[str, Any]) -> int:
            with self._lock:
                self.writes_ran[eid] += 1
            return upsert(rtype, eid, payload)

        self.app.handle = counting_handle  # type: ignore[method-assign]
        self.app.records.upsert = counting_upsert  # type: ignore[method-assign]
        self.server = make_server("127.0.0.1", 0, self.app, ThreadingWSGIServer, QuietHandler)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name="netsuite-sim", daemon=True)
        self._thread.start()

    def env(self) -> dict[str, str]:
        """What points a worker's real NetSuite client at this simulator."""
        return {
            "VENDORSYNC_SANDBOX": "0",
            "NETSUITE_BASE_URL": self.base_url,
            "NETSUITE_ACCOUNT_ID": simulator.ACCOUNT_ID,
            "NETSUITE_CONSUMER_KEY": simulator.CONSUMER_KEY,
            "NETSUITE_CONSUMER_SECRET": simulator.CONSUMER_SECRET,
            "NETSUITE_TOKEN_ID": simulator.TOKEN_ID,
            "NETSUITE_TOKEN_SECRET": simulator.TOKEN_SECRET,
        }

    def reset(self) -> None:
        """No faults, valid credentials, counters at zero (the records stay)."""
        for name, value in simulator.Faults().__dict__.items():
            setattr(self.faults, name, value)
        self.accept_credentials(True)
        with self._lock:
            self.write_requests.clear()
            self.writes_ran.clear()

    def accept_credentials(self, valid: bool) -> None:
        """False: the token was revoked on NetSuite's side, so every request gets 401 INVALID_LOGIN."""
        self.app.verifier = TbaVerifier(Credentials() if valid else Credentials(token_secret="revoked"))  # noqa: S106 - a wrong one on purpose

    def records_per_key(self, keys: list[str]) -> dict[str, int]:
        store = self.app.store
        with store.lock:
            rows = store.conn.execute(
                "SELECT externalid, COUNT(*) FROM record WHERE type = 'salesOrder' GROUP BY externalid"
            ).fetchall()
        counts = {row[0]: row[1] for row in rows}
        return {key: counts.get(key, 0) for key in keys}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Worker:
    """One Celery worker process (solo pool) on its own queue, running the lab's handler."""

    def __init__(self, env: dict[str, str], name: str = "") -> None:
        # A fresh queue per worker, so no other worker (say, one left over by an aborted run) shares it.
        self.queue = f"relaylab-{name}-{uuid.uuid4().hex[:8]}" if name else f"relaylab-{uuid.uuid4().hex[:8]}"
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "vendorsync.sandbox.relaylab_worker",
                "worker",
                "-Q",
                self.queue,
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=WARNING",
                f"--hostname={self.queue}@%h",
            ],
            cwd=ROOT,
            env={**os.environ, **WORKER_SETTINGS, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def nudge(self) -> None:
        from celery import current_app

        current_app.send_task(RELAY_TASK, queue=self.queue)

    def kill9(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        out = self.process.stdout.read() if self.process.stdout else b""
        return out.decode(errors="replace")


def purge(queue: str) -> None:
    from celery import current_app

    with current_app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)


@dataclass
class Outcome:
    """Where a scenario's messages ended and what the simulator saw."""

    name: str
    messages: int
    states: dict[str, int]
    cases: int  # review cases its messages were filed under (one per cause)
    open_cases: int
    write_requests_max: int
    writes_ran_max: int
    repeat_writes: int  # upserts beyond the first for one key (a no-op for an upsert, but a write)
    duplicate_records: int  # records beyond one per external id
    missing_records: int  # sent, yet NetSuite holds nothing under the key
    recovery_seconds: float | None = None  # from the kill to the last stranded message sent
    stranded: int = 0  # messages left in ``sending`` by a killed worker
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def stuck(self) -> int:
        return sum(n for state, n in self.states.items() if state not in ("sent", "needs_review", "dead"))


def enqueue(keys: list[str]) -> None:
    from django.db import transaction

    from vendorsync.services import outbox_enqueue

    with transaction.atomic():
        for key in keys:
            outbox_enqueue(
                target="netsuite", operation=LAB_OPERATION, external_key=key, payload=order_body(key)
            )


def states(keys: list[str]) -> dict[str, int]:
    from django.db.models import Count

    from vendorsync.models import OutboxMessage

    rows = OutboxMessage.objects.filter(external_key__in=keys).values_list("state").annotate(n=Count("id"))
    return dict(rows.order_by())


def settled(keys: list[str]) -> bool:
    from vendorsync.models import OutboxMessage, OutboxState

    waiting = (OutboxState.PENDING, OutboxState.RETRY, OutboxState.SENDING)
    return not OutboxMessage.objects.filter(external_key__in=keys, state__in=waiting).exists()


def drive(workers: list[Worker], until: Callable[[], bool], *, timeout: float, every: float = 0.3) -> bool:
    """Play beat: nudge every worker's relay every ``every`` seconds until ``until()`` or the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if until():
            return True
        for worker in workers:
            worker.nudge()
        time.sleep(every)
    return until()


def outcome(name: str, keys: list[str], lab: ServedNetSuite, started: float) -> Outcome:
    from vendorsync.models import ExceptionCase, OutboxMessage

    records = lab.records_per_key(keys)
    sent = set(
        OutboxMessage.objects.filter(external_key__in=keys, state="sent").values_list(
            "external_key", flat=True
        )
    )
    cases = ExceptionCase.objects.filter(outbox_messages__external_key__in=keys).distinct()
    return Outcome(
        name=name,
        messages=len(keys),
        states=states(keys),
        cases=cases.count(),
        open_cases=cases.filter(status__in=("open", "in_progress")).count(),
        write_requests_max=max((lab.write_requests[k] for k in keys), default=0),
        writes_ran_max=max((lab.writes_ran[k] for k in keys), default=0),
        repeat_writes=sum(max(0, lab.writes_ran[k] - 1) for k in keys),
        duplicate_records=sum(max(0, n - 1) for n in records.values()),
        missing_records=sum(1 for k in sent if records[k] == 0),
        seconds=time.monotonic() - started,
    )


# --- Scenarios ------------------------------------------------------------------------------------


def kill_worker_mid_batch(
    lab: ServedNetSuite, rescuer: Worker, env: dict[str, str], n: int = 30, rescue_every: float = 0.3
) -> Outcome:
    """``kill -9`` of a worker while it delivers a batch; another worker must pick the batch up.

    The rescuer is nudged every ``rescue_every`` seconds (beat's sweep in production: 30 s).
    """
    from django.utils import timezone

    from vendorsync.models import OutboxMessage, OutboxState

    keys = [f"KILL-{i}" for i in range(n)]
    started = time.monotonic()
    lab.faults.latency_seconds = 0.05  # each request takes a while, so the kill lands mid-batch
    victim = Worker(env, name="victim")
    try:
        enqueue(keys)
        sent_some = OutboxMessage.objects.filter(external_key__in=keys, state=OutboxState.SENT)
        drive([victim], lambda: sent_some.count() >= 3, timeout=30, every=0.5)
        victim.kill9()
        killed_at = timezone.now()
    finally:
        victim.stop()
        purge(victim.queue)
    stranded = list(
        OutboxMessage.objects.filter(external_key__in=keys, state=OutboxState.SENDING).values_list(
            "pk", flat=True
        )
    )
    drive([rescuer], lambda: settled(keys), timeout=60 + 3 * rescue_every, every=rescue_every)
    result = outcome("worker kill -9 mid-batch", keys, lab, started)
    last = OutboxMessage.objects.filter(pk__in=stranded, state=OutboxState.SENT).order_by("-sent_at").first()
    if stranded and last is not None:
        result.recovery_seconds = (last.sent_at - killed_at).total_seconds()
    result.stranded = len(stranded)
    return result


def write_then_504(lab: ServedNetSuite, worker: Worker, n: int = 10) -> Outcome:
    """Every write succeeds but its answer is a 504 (left on): the lookup must settle each one."""
    keys = [f"T504-{i}" for i in range(n)]
    started = time.monotonic()
    lab.faults.timeout = lab.faults.timeout_writes_only = True
    enqueue(keys)
    drive([worker], lambda: settled(keys), timeout=60)
    return outcome("write succeeds, answer 504", keys, lab, started)


def throttled_bursts(lab: ServedNetSuite, worker: Worker, n: int = 20) -> Outcome:
    """429 CONCURRENCY_LIMIT_EXCEEDED bursts: refused before running, so retried without a lookup."""
    keys = [f"T429-{i}" for i in range(n)]
    started = time.monotonic()
    lab.faults.burst_429 = 15
    enqueue(keys)
    drive([worker], lambda: settled(keys), timeout=60)
    return outcome("429 bursts", keys, lab, started)


def server_errors(lab: ServedNetSuite, worker: Worker, n: int = 20) -> Outcome:
    """30 % of requests answer 503 before doing anything."""
    keys = [f"T5XX-{i}" for i in range(n)]
    started = time.monotonic()
    lab.faults.error_rate = 0.3
    lab.faults.seed = 11
    enqueue(keys)
    drive([worker], lambda: settled(keys), timeout=60)
    return outcome("5xx (30 % of requests)", keys, lab, started)


def wrong_credentials(
    lab: ServedNetSuite, worker: Worker, n: int = 10, *, fix: bool = True, prefix: str = "AUTH"
) -> Outcome:
    """Revoked token: every message to review under one case; fixed, then resent in one action."""
    from vendorsync.models import OutboxMessage
    from vendorsync.outbox.services import outbox_resend

    keys = [f"{prefix}-{i}" for i in range(n)]
    started = time.monotonic()
    lab.accept_credentials(False)
    enqueue(keys)
    drive([worker], lambda: settled(keys), timeout=60)
    before = outcome("wrong credentials", keys, lab, started)
    if not fix:
        return before
    lab.accept_credentials(True)
    outbox_resend(
        messages=OutboxMessage.objects.filter(external_key__in=keys), actor=None, reason="Token replaced."
    )
    drive([worker], lambda: settled(keys), timeout=60)
    after = outcome("wrong credentials, then fixed and resent", keys, lab, started)
    after.notes.append(f"before the fix: {before.states}, {before.cases} case(s)")
    return after


def two_relays(lab: ServedNetSuite, workers: list[Worker], n: int = 40) -> Outcome:
    """Two worker processes relaying the same queue at once."""
    keys = [f"PAIR-{i}" for i in range(n)]
    started = time.monotonic()
    lab.faults.latency_seconds = 0.01
    enqueue(keys)
    drive(workers, lambda: settled(keys), timeout=60, every=0.2)
    return outcome("two relays at once", keys, lab, started)
