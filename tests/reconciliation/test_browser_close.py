"""In a real browser: finance opens the close page for a period with open items, follows each to
the page where it is fixed (approving the waiting batch and explaining the drift on the way), and
locks the period with a reason for what is left."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from reconciliation.models import AccountingPeriod, DeductionMapping, OpenInvoice, PostingBatch
from tests.test_browser import CHROMIUM, browser_page  # noqa: F401 - the shared browser fixture

from .posting_fixtures import items, november, reconciled  # noqa: F401 - the shared scenario
from .test_import import csv_bytes, run

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def period_with_open_items(reconciled, personas):  # noqa: F811
    # Database work here, before Playwright starts (see tests/test_browser.py).
    from reconciliation import matching_services as ms
    from reconciliation.posting import services as posting

    batch = posting.batch_build(remittances=[reconciled], user=personas["finance"])
    posting.batch_submit(batch=batch, user=personas["finance"])  # 1. awaits approval
    run(
        csv_bytes("P2,11/12/2026,50.00,USD,REF-77,11/12/2026,Invoice payment,50.00,0.00,50.00"), name="p2.csv"
    )
    DeductionMapping.objects.filter(line_type="price_protection").delete()
    OpenInvoice.objects.create(
        netsuite_id="503",
        number="INV-3",
        amount=Decimal("60.00"),
        open_balance=Decimal("60.00"),
        customer_id="1001",
    )
    run(
        csv_bytes(
            "P3,11/14/2026,54.00,USD,INV-3,11/14/2026,Invoice payment,60.00,0.00,60.00",
            "P3,11/14/2026,54.00,USD,IPAPUS1234567,11/14/2026,Price protection,(6.00),0.00,(6.00)",
        ),
        name="p3.csv",
    )
    OpenInvoice.objects.create(
        netsuite_id="504",
        number="INV-4",
        amount=Decimal("40.00"),
        open_balance=Decimal("40.00"),
        customer_id="1001",
    )
    run(csv_bytes("P4,11/20/2026,45.00,USD,INV-4,11/20/2026,Invoice payment,40.00,0.00,40.00"), name="p4.csv")
    ms.remittance_automatch()
    return batch


@pytest.mark.django_db(transaction=True)
def test_finance_follows_each_open_item_to_its_fix_and_locks_the_period(
    live_server,
    period_with_open_items,
    browser_page,  # noqa: F811
):
    page, errors = browser_page
    batch = period_with_open_items
    page.goto(f"{live_server.url}/reconciliation/close/")
    page.fill("#id_username", "appr")  # finance + finance approver (the demo's "approver")
    page.fill("#id_password", "correct-horse-battery")
    page.keyboard.press("Enter")
    page.locator("h1", has_text="Month-end close — Nov 2026").wait_for()
    close_url = page.url
    items_ = page.locator("#outstanding li")
    # The batch awaiting approval, the three payments no batch holds yet, the drift, the unmatched
    # line and the unmapped code.
    expect(items_).to_have_count(7)

    # The batch waiting for a second person: approve it where it is approved.
    page.get_by_role("link", name=f"Batch {batch.number} awaits approval").click()
    page.get_by_role("button", name="Approve version 1 and post").click()
    page.goto(close_url)
    # Approved, it waits for NetSuite now (no worker runs the outbox in this test).
    expect(page.locator("#outstanding li.awaiting_approval")).to_have_count(0)
    expect(page.locator("#outstanding li.posting")).to_have_count(1)
    expect(items_).to_have_count(7)

    # The drift: explained on its exception.
    page.locator("#outstanding li.drift a").click()
    page.fill(
        "#resolve-note", "Amazon's remittance advice carried a 5.00 rounding credit; confirmed by email"
    )
    page.get_by_role("button", name="Mark resolved").click()
    page.goto(close_url)
    expect(items_).to_have_count(6)

    # The unmatched line opens its payment's workbench; the unmapped code the GL mappings.
    page.locator("#outstanding li.unmatched a").click()
    page.locator("h1", has_text="Match payment P2").wait_for()
    page.goto(close_url)
    page.locator("#outstanding li.unmapped a").click()
    assert page.url.endswith("/reconciliation/mappings/")
    page.goto(close_url)
    # A payment that no batch holds yet leads to where batches are built.
    page.locator("#outstanding li.not_batched a").first.click()
    page.locator("h1", has_text="Build a posting batch").wait_for()
    page.goto(close_url)

    # What is left waits for the admin and next month: lock with a reason.
    page.fill(
        "#lock-form input[name=reason]", "P2-P4 (REF-77, the price protection code) carried to December"
    )
    page.get_by_role("button", name="Lock Nov 2026").click()
    page.locator(".messages, .message", has_text="Nov 2026 is locked").first.wait_for()
    expect(page.locator("h1 .badge")).to_have_text("Locked")
    assert not errors, errors

    period = AccountingPeriod.objects.get(name="Nov 2026")
    assert period.locked and "carried to December" in period.lock_reason
    assert PostingBatch.objects.get(pk=batch.pk).status != "pending_approval"
    assert period.start_date == date(2026, 11, 1)
