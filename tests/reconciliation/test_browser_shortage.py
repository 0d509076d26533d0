"""In a real browser: finance finds a disputable shortage claim, sees its cartons, and meets the same
evidence in the workbench (loaded by htmx into the line's panel)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from reconciliation.shortage.services import shortage_refresh
from tests.test_browser import CHROMIUM, browser_page  # noqa: F401 - the shared browser fixture

from .shortage_world import claim, shipment

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def claims(make_user, gl):
    # Database work here, before Playwright starts (see tests/test_browser.py).
    make_user("fiona", "finance")
    ship = shipment("PW1", [("1", 24, "2.50")], received={"1": 22})
    lines = claim(("INV-PW1", "60.00"), ("INV-PW1SC", "-5.00"), ("INV-GONESC", "-3.00"), payment="P777")
    shortage_refresh()
    return ship, lines


@pytest.mark.django_db(transaction=True)
def test_finance_sees_why_a_shortage_claim_is_disputable(live_server, claims, browser_page):  # noqa: F811
    page, errors = browser_page
    ship, lines = claims
    page.goto(f"{live_server.url}/reconciliation/shortages/")
    page.fill("#id_username", "fiona")
    page.fill("#id_password", "correct-horse-battery")
    page.keyboard.press("Enter")
    page.locator("h1", has_text="Shortage claims").wait_for()
    page.select_option("#id_verdict", "disputable")  # htmx swaps the results on change
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#shortage-totals")).to_contain_text("5.00 at risk")
    page.locator("#results a", has_text="INV-PW1SC").click()
    page.locator("h1", has_text="Shortage claim INV-PW1SC").wait_for()
    first = ship.containers.order_by("sequence").first()
    expect(page.locator(".shortage-cartons")).to_contain_text(first.sscc)
    expect(page.locator('[data-verdict="disputable"]')).to_be_visible()

    page.locator("a", has_text="workbench").first.click()
    page.locator("h1", has_text="Match payment P777").wait_for()
    page.keyboard.press("j")
    page.keyboard.press("j")  # line 2, the claim: its panel loads the evidence by itself
    page.locator("#wb-panel h2", has_text="Line 2").wait_for()
    expect(page.locator("#wb-panel .shortage-evidence [data-verdict]")).to_have_attribute(
        "data-verdict", "disputable"
    )
    expect(page.locator("#wb-panel .shortage-cartons")).to_contain_text(first.sscc)
    assert not errors, errors
