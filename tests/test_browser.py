"""In a real browser (system Chromium through Playwright): log in, see the dashboard, log out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("VENDORSYNC_CHROMIUM", "/usr/bin/chromium"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures
    # before and after are ordinary synchronous calls.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page()
        errors: list[str] = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page, errors
        browser.close()


@pytest.fixture
def admin_with_an_exception(make_user):
    # Database work happens here, before Playwright starts: code running inside Playwright's
    # greenlet gets a database connection of its own that nothing closes.
    from vendorsync import services

    make_user("alice", "admin")
    services.exception_raise(kind="asn_blocked", dedupe_key="asn:b1", message="Carton 3 has no weight")


@pytest.mark.django_db(transaction=True)
def test_log_in_see_the_dashboard_and_log_out(live_server, admin_with_an_exception, browser_page):
    page, errors = browser_page

    page.goto(f"{live_server.url}/dashboard/")
    assert "/login/" in page.url  # anonymous → login
    page.fill("#id_username", "alice")
    page.fill("#id_password", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/dashboard/")
    assert page.locator("h1").inner_text() == "Dashboard"
    assert page.locator(".mode").inner_text() == "Sandbox"
    assert "ASN blocked" in page.locator("main").inner_text()
    assert page.locator("nav.mainnav a", has_text="Settings").count() == 1

    # The htmx filter swaps the results in place without a full reload.
    page.click("nav.mainnav >> text=Exceptions")
    page.wait_for_url(f"{live_server.url}/exceptions/?status=unresolved")  # an admin works no team
    page.select_option("#id_kind", "sku_asin_gap")
    page.locator("#results", has_text="queue is clear").wait_for()  # (no eval: the CSP forbids it)
    assert "kind=sku_asin_gap" in page.url

    # The export link follows the filter and downloads a file (htmx must not swap it into the page).
    with page.expect_download() as download:
        page.click("text=Export XLSX")
    assert download.value.suggested_filename == "exceptions.xlsx"
    assert "kind=sku_asin_gap" in download.value.url and "export=xlsx" in download.value.url
    assert page.locator("#results").count() == 1

    page.click("text=Log out")
    page.wait_for_url(f"{live_server.url}/login/")
    page.goto(f"{live_server.url}/dashboard/")
    assert "/login/" in page.url
    assert errors == []  # no CSP violations or script errors
