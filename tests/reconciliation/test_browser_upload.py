"""In a real browser: finance uploads a remittance, sees the result, and opens the payment."""

from __future__ import annotations

import pytest

from tests.test_browser import CHROMIUM, browser_page  # noqa: F401 - the shared browser fixture

from .test_import import GOOD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def finance_user(make_user, gl, monkeypatch):
    from reconciliation.tasks import import_remittance

    make_user("fiona", "finance")
    # No worker in this test: the queued import runs when the upload's transaction commits.
    monkeypatch.setattr(import_remittance, "delay", lambda *args: import_remittance(*args))


@pytest.mark.django_db(transaction=True)
def test_finance_uploads_a_remittance_and_opens_the_payment(live_server, finance_user, browser_page):  # noqa: F811
    page, errors = browser_page
    page.goto(f"{live_server.url}/reconciliation/imports/")
    page.fill("#id_username", "fiona")
    page.fill("#id_password", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/reconciliation/imports/")
    page.set_input_files("#id_file", files=[{"name": "pay.csv", "mimeType": "text/csv", "buffer": GOOD}])
    page.click("form.card button[type=submit]")
    page.locator("#import-status", has_text="Imported").wait_for()
    assert "1180.00" in page.locator("#import-status").inner_text()
    page.click("#import-status >> text=P100")
    page.locator("h1", has_text="Payment P100").wait_for()
    assert "Shortage claim (SC)" in page.locator("main").inner_text()
    page.click("nav.subnav >> text=Deductions")
    page.locator("#results", has_text="INV-A1SC").wait_for()
    assert errors == []
