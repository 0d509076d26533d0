"""In a real browser: a finance user reconciles a remittance with the keyboard only."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from reconciliation.models import LineMatchStatus, Match, MatchStatus, Remittance
from tests.test_browser import CHROMIUM, browser_page  # noqa: F401 - the shared browser fixture

from .test_matching_services import invoice, world  # noqa: F401 - the shared scenario

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture
def remittance_to_reconcile(make_user, world):  # noqa: F811
    # Database work here, before Playwright starts (see tests/test_browser.py).
    from reconciliation import matching_services as ms

    make_user("fiona", "finance")
    # INV-9's 20.00 belongs to N-55021, whose number it does not name and whose date is far off:
    # no rule may place it; finance matches it by hand.
    invoice("N-55021", "20.00", when=date(2026, 6, 1))
    remittance, _ = world
    ms.remittance_automatch(remittances=[remittance])
    return remittance


@pytest.mark.django_db(transaction=True)
def test_finance_reconciles_a_remittance_with_the_keyboard(
    live_server,
    remittance_to_reconcile,
    browser_page,  # noqa: F811
):
    page, errors = browser_page
    remittance = remittance_to_reconcile
    page.goto(f"{live_server.url}/reconciliation/remittances/{remittance.public_id}/workbench/")
    page.fill("#id_username", "fiona")
    page.fill("#id_password", "correct-horse-battery")
    page.keyboard.press("Enter")
    page.locator("h1", has_text="Match payment P200").wait_for()
    unexplained = page.locator('#wb-header [data-total="unexplained"]')
    assert unexplained.inner_text() == "70.00"

    keys = page.keyboard
    keys.press("?")
    page.locator("#wb-help").wait_for(state="visible")
    keys.press("Escape")
    page.locator("#wb-help").wait_for(state="hidden")

    for _ in range(4):  # down to line 4, REF-77: two invoices of its amount, neither named
        keys.press("j")
    page.locator("#wb-panel h2", has_text="Line 4").wait_for()
    expect(page.locator("#line-4")).to_have_attribute("aria-current", "true")
    keys.press("r")  # not INV-3 ...
    expect(page.locator("#wb-panel .wb-match.suggested")).to_have_count(1)  # (no eval: the CSP forbids it)
    expect(page.locator("#wb-header")).to_have_count(1)
    keys.press("a")  # ... but INV-4
    page.locator("#wb-panel .wb-match.accepted", has_text="INV-4").wait_for()
    expect(unexplained).to_have_text("20.00")
    expect(page.locator("#line-4 .badge")).to_have_text("Matched")

    keys.press("j")  # line 5, INV-9: nothing suggested; select it and N-55021, match by hand
    page.locator("#wb-panel h2", has_text="Line 5").wait_for()
    keys.press("x")
    keys.press("i")
    keys.press("Space")
    keys.press("Escape")
    assert page.locator("#wb-diff").inner_text() == "0.00"
    keys.press("m")
    expect(page.locator("#wb-panel .message")).to_have_text("Matched.")
    expect(unexplained).to_have_text("0.00")
    expect(page.locator("#line-5 .badge")).to_have_text("Matched")

    # Undo it and do it again: the totals follow, the place in the list is kept.
    keys.press("u")
    expect(unexplained).to_have_text("20.00")
    expect(page.locator("#line-5")).to_have_attribute("aria-current", "true")
    keys.press("x")
    keys.press("i")
    keys.press("Space")
    keys.press("Escape")
    keys.press("m")
    expect(unexplained).to_have_text("0.00")

    keys.press("/")
    keys.type("INV-1")
    keys.press("Enter")
    expect(page.locator("#wb-lines tr[data-line]")).to_have_count(2)
    assert errors == []

    remittance.refresh_from_db()
    assert remittance.unexplained_amount == 0
    assert not remittance.lines.exclude(match_status=LineMatchStatus.MATCHED).exists()
    assert Match.objects.filter(status=MatchStatus.REJECTED).count() == 1
    assert Remittance.objects.get(pk=remittance.pk).matched_pct == 100
