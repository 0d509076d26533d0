"""In a real browser: a preparer builds and submits a posting batch, a second user approves it, the
worker posts it to the NetSuite simulator, and the batch page shows every record posted — which
the simulator holds exactly once.

The "worker" is the real outbox relay running in a thread of the test process (as a Celery worker
would run it), with the real NetSuite client against the sandbox simulator the live server uses.
PostgreSQL only: a worker writing while the page polls (each request saves its session) is what
production does on PostgreSQL; the SQLite *test* database is in memory with shared-cache table
locks, which refuse a second writer at once instead of waiting (the embedded app's file database
waits, with WAL and a busy timeout).
"""

from __future__ import annotations

import re
import threading

import pytest

from tests import test_browser
from tests.reconciliation.posting_world import build_world

CHROMIUM = test_browser.CHROMIUM
browser_page = test_browser.browser_page  # the shared fixture (pytest finds it by name here)
PASSWORD = "correct-horse-battery"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def posting_world(settings, tmp_path, make_user):
    # Database work happens here, before Playwright starts (see test_browser.admin_with_an_exception).
    settings.SANDBOX = True
    settings.VAR_DIR = tmp_path
    settings.OUTBOX_BACKOFF_SECONDS = 0.2
    make_user("fiona", "finance")
    make_user("arthur", "finance_approver")
    return build_world(tmp_path)


@pytest.fixture
def relay_worker(posting_world):
    """The outbox relay, every 0.3 s, until the test ends."""
    from django.db import connection

    from vendorsync import outbox

    stop = threading.Event()
    failures: list[BaseException] = []

    def loop() -> None:
        try:
            while not stop.is_set():
                outbox.relay_once()
                stop.wait(0.3)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=loop, name="relay-worker", daemon=True)
    thread.start()
    yield failures
    stop.set()
    thread.join(timeout=30)


def _log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.django_db(transaction=True)
def test_a_batch_is_built_submitted_approved_by_another_and_posted_once(
    live_server, posting_world, relay_worker, browser_page
):
    page, errors = browser_page
    remittance = posting_world.remittance

    _log_in(page, live_server, "fiona")
    page.goto(f"{live_server.url}{remittance.get_absolute_url()}")
    page.click("#build-batch button")
    page.wait_for_url(re.compile(r".*/postings/[0-9a-f-]{36}/$"))
    batch_url = page.url
    assert "ties" in page.locator("#tie-out").inner_text()
    page.click("text=Submit for approval")
    page.locator("h1 .badge", has_text="Pending approval").wait_for()
    assert page.locator("text=Approve version").count() == 0  # not the preparer's to approve
    page.click("text=Log out")

    _log_in(page, live_server, "arthur")
    page.goto(batch_url)
    page.click("text=Approve version 1 and post")
    # The delivery region refreshes itself while the worker posts: credits first, then the payment.
    page.locator('#batch-delivery [data-batch-status="posted"]').wait_for(timeout=60_000)
    rows = page.locator("#delivery-records tbody tr")
    statuses = [rows.nth(i).get_attribute("data-status") for i in range(rows.count())]
    assert rows.count() >= 5 and set(statuses) == {"posted"}, statuses
    assert "Prepare reversal" not in page.locator("#batch-delivery").inner_text()  # approver: not a preparer

    from django.db import connections

    from reconciliation.models import BatchStatus, PostingBatch

    try:
        batch = PostingBatch.objects.select_related("approved_by").get()
        keys = set(batch.entries.values_list("external_id", flat=True))
    finally:
        connections.close_all()  # this greenlet's own connection: nothing else closes it
    assert batch.status == BatchStatus.POSTED and batch.approved_by.username == "arthur"
    assert posting_world.records(f"VS-PB{batch.pk}-") == dict.fromkeys(keys, 1)  # each exactly once
    assert posting_world.remaining("INV-1") == 0 and posting_world.remaining("INV-2") == 0
    assert relay_worker == []
    assert errors == []  # no CSP violations or script errors
