"""In a real browser: ops see a blocked ASN naming the carton and the rule, the warehouse corrects
the fulfilment in the NetSuite simulator, ops re-run the step and the ASN goes out."""

from __future__ import annotations

import pytest

from tests import test_queue
from tests.test_browser import CHROMIUM, browser_page  # noqa: F401 - the shared Playwright fixture

eager_celery = test_queue.eager_celery

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def blocked_asn(sandbox, relay, make_user):
    """A synced sandbox whose warehouse shipped cartons without weights (database work before Playwright)."""
    from orders.outbound_models import ShipmentStatus
    from tests.orders.test_order_flow import full_cycle, run
    from tests.orders.test_orders_out import ours, ship
    from vendorsync.models import ExceptionCase

    make_user("olga", "ops")
    full_cycle(relay)
    ship(missing_weight_share=1.0, invoice=False)
    run("fulfilments")
    shipment = next(s for s in ours() if s.status == ShipmentStatus.BLOCKED)
    case = ExceptionCase.objects.open().get(dedupe_key=f"asn_blocked:{shipment.shipment_identifier}")
    return {"shipment": shipment, "case": case}


@pytest.mark.django_db(transaction=True)
def test_ops_see_the_blocked_asn_fix_it_in_netsuite_rerun_and_it_goes_out(
    live_server,
    blocked_asn,
    browser_page,  # noqa: F811 - the imported fixture
    eager_celery,
    relay,
):
    from django.db import connections as db_connections

    from orders.outbound_models import ShipmentStatus
    from vendorsync import connections

    page, errors = browser_page
    shipment, case = blocked_asn["shipment"], blocked_asn["case"]
    carton = shipment.containers.order_by("sequence").first()
    page.goto(f"{live_server.url}/exceptions/{case.public_id}/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/exceptions/{case.public_id}/")
    main = page.locator("main").inner_text()
    assert f"Carton {carton.sequence} SSCC {carton.sscc}" in main and "weight_missing" in main

    # The shipment page shows the container tree and the failing rule.
    page.goto(f"{live_server.url}{shipment.get_absolute_url()}")
    assert "weight_missing" in page.locator("#validation-problems").inner_text()
    assert carton.sscc in page.locator("main").inner_text()
    assert "Blocked" in page.locator("#shipment-status").inner_text()

    # The warehouse weighs the cartons and corrects the fulfilment in NetSuite.
    with connections.netsuite_client() as client:
        record = client.get("itemFulfillment", shipment.netsuite_fulfilment_id, expand_sub_resources=True)
        packages = [
            {k: v for k, v in p.items() if k.startswith("package")} | {"packageWeight": "11.5"}
            for p in record["package"]["items"]
        ]
        client.patch(
            "itemFulfillment",
            shipment.netsuite_fulfilment_id,
            {"package": {"items": packages}},
            replace=["package"],
        )

    # Ops re-run the step from the case; the case closes by itself and the ASN is queued.
    page.goto(f"{live_server.url}/exceptions/{case.public_id}/")
    page.click("text=Re-run:")
    page.locator("#case-status", has_text="Resolved").wait_for()
    db_connections.close_all()
    relay()  # the worker delivers the ASN
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SUBMITTED and shipment.transaction_id
    page.goto(f"{live_server.url}{shipment.get_absolute_url()}")
    assert "Submitted" in page.locator("#shipment-status").inner_text()
    assert "Every check passed" in page.locator("main").inner_text()
    assert errors == []
