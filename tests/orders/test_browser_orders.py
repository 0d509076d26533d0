"""In a real browser: ops open an sku_asin_gap case, add the cross-reference, and the PO goes on."""

from __future__ import annotations

import pytest

from tests.test_browser import CHROMIUM, browser_page  # noqa: F401 - the shared Playwright fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def blocked_po(sandbox, relay, make_user):
    """A synced sandbox with a PO blocked by an unmapped ASIN (database work before Playwright starts)."""
    from orders.models import Item, PurchaseOrder, PurchaseOrderStatus
    from vendorsync import flows
    from vendorsync.models import ExceptionCase

    make_user("olga", "ops")
    flows.run_flow("items")
    flows.run_flow("orders")
    relay()
    case = (
        ExceptionCase.objects.open()
        .filter(kind="sku_asin_gap", message__contains="1 line(s)")
        .order_by("-first_seen_at")
        .first()
    )
    po = PurchaseOrder.objects.get(public_id=case.subject_id)
    assert po.status == PurchaseOrderStatus.BLOCKED
    item = Item.objects.filter(available__gt=1000).order_by("sku").first()
    return {"case": case, "po": po, "sku": item.sku}


@pytest.mark.django_db(transaction=True)
def test_ops_fix_a_mapping_gap_and_see_the_po_reach_its_sales_order_and_acknowledgement(
    live_server,
    blocked_po,
    browser_page,  # noqa: F811 - the imported fixture
    relay,
):
    from django.db import connections

    from vendorsync import flows
    from vendorsync.sandbox.clock import SimClock

    page, errors = browser_page
    case, po, sku = blocked_po["case"], blocked_po["po"], blocked_po["sku"]
    page.goto(f"{live_server.url}/exceptions/{case.public_id}/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/exceptions/{case.public_id}/")
    assert po.number in page.locator("main").inner_text()

    # From the case to the PO: search the PO list by the number the case names.
    page.click("nav.mainnav >> text=Orders")
    page.fill("#id_q", po.number)
    page.locator("#results a", has_text=po.number).wait_for()
    page.click(f"#results >> text={po.number}")
    page.wait_for_url(f"{live_server.url}/orders/po/{po.public_id}/")
    assert "unmapped" in page.locator("#lines").inner_text()

    page.fill("input[name=item_sku]", sku)
    page.click("text=Add cross-reference")
    page.locator(".messages, main", has_text="went on to sales order and acknowledgement").first.wait_for()
    assert "Awaiting" in page.locator("h1").inner_text() or "Ready" in page.locator("h1").inner_text()

    # What the worker does next: deliver the sales order, send the acknowledgement, read Amazon's verdict.
    relay()
    flows.run_flow("acknowledgements")
    relay()
    SimClock().advance(seconds=60)
    flows.run_flow("transactions")
    connections.close_all()

    page.reload()
    assert "Acknowledged" in page.locator("h1").inner_text()
    assert "NetSuite" in page.locator("#sales-order").inner_text()
    assert "Accepted" in page.locator("#acknowledgements").inner_text()
    assert "unmapped" not in page.locator("#lines").inner_text()
    page.goto(f"{live_server.url}/exceptions/{case.public_id}/")
    assert "Resolved" in page.locator("h1").inner_text()
    assert errors == []
