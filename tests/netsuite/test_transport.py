"""The ``transport`` contract and the per-account concurrency cap.

The sandbox wires its NetSuite simulator in through ``transport=httpx.WSGITransport(app)``;
these tests do the same with a tiny WSGI app that verifies signatures the way the simulator
must (``verify_authorization`` on the URL it was called with).
"""

from __future__ import annotations

import json
import threading
import time

import httpx

from vendorsync.netsuite import NetSuiteClient, NetSuiteConfig, verify_authorization
from vendorsync.netsuite.concurrency import account_semaphore_size

SANDBOX = "http://netsuite.sandbox"


def make_config(**overrides) -> NetSuiteConfig:
    values = dict(account_id="1234567_SB1", consumer_key="ck", consumer_secret="cs", token_id="tid",
                  token_secret="ts", base_url=SANDBOX, timeout=5.0)  # fmt: skip
    values.update(overrides)
    return NetSuiteConfig(**values)


def test_a_wsgi_simulator_behind_the_transport_can_verify_every_signature():
    config = make_config()
    seen: list[tuple[str, str, bool]] = []

    def simulator(environ, start_response):
        query = environ.get("QUERY_STRING", "")
        url = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}{environ['PATH_INFO']}" + (
            f"?{query}" if query else ""
        )
        ok = verify_authorization(
            config.credentials, environ["REQUEST_METHOD"], url, environ["HTTP_AUTHORIZATION"]
        )
        seen.append((environ["REQUEST_METHOD"], url, ok))
        if not ok:
            body = {
                "status": 401,
                "o:errorDetails": [{"detail": "Invalid login attempt.", "o:errorCode": "INVALID_LOGIN"}],
            }
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [json.dumps(body).encode()]
        if environ["PATH_INFO"].endswith("/suiteql"):
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({"items": [{"id": "1", "total": "9.99"}], "hasMore": False}).encode()]
        if environ["REQUEST_METHOD"] == "GET":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"id": "42", "total": 10.50}']
        start_response("204 No Content", [("Location", f"{SANDBOX}/services/rest/record/v1/salesOrder/42")])
        return [b""]

    with NetSuiteClient(config, transport=httpx.WSGITransport(app=simulator)) as client:
        assert client.create("salesOrder", {"externalId": "AMZPO-1"}) == "42"
        assert list(client.suiteql("SELECT id, total FROM transaction ORDER BY id")) == [
            {"id": "1", "total": "9.99"}
        ]
        assert client.upsert_by_external_id("salesOrder", "AMZPO-1", {"memo": "m"}) == "42"
        assert client.transform("salesOrder", 42, "invoice") == "42"
        assert client.get("salesOrder", 42, expand_sub_resources=True, fields=["total", "item"])["id"] == "42"

    assert [(method, ok) for method, _, ok in seen] == [
        ("POST", True), ("POST", True), ("PUT", True), ("POST", True), ("GET", True)
    ]  # fmt: skip
    record = f"{SANDBOX}/services/rest/record/v1/salesOrder"
    assert [url for _, url, _ in seen] == [
        record,
        f"{SANDBOX}/services/rest/query/v1/suiteql?limit=1000&offset=0",
        f"{record}/eid:AMZPO-1",
        f"{record}/42/!transform/invoice",
        f"{record}/42?expandSubResources=true&fields=total%2Citem",
    ]


class SlowCountingTransport(httpx.BaseTransport):
    """Answers every request after a short pause and records how many were in flight at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.calls = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.in_flight += 1
            self.calls += 1
            self.peak = max(self.peak, self.in_flight)
        time.sleep(0.05)
        with self.lock:
            self.in_flight -= 1
        return httpx.Response(200, json={"id": "1"})


def test_threads_of_a_worker_share_one_concurrency_budget_per_account():
    transport = SlowCountingTransport()
    config = make_config(max_concurrency=2)
    # One client per thread, as Celery threads would have: the cap must still hold across them.
    clients = [NetSuiteClient(config, transport=transport) for _ in range(6)]
    threads = [threading.Thread(target=c.get, args=("item", "1")) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert transport.calls == 6
    assert transport.peak == 2
    assert account_semaphore_size("1234567_SB1") == 2
    for c in clients:
        c.close()
