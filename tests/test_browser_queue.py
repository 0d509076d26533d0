"""In a real browser: the header at phone and tablet widths, Back on the queue, and working a case."""

from __future__ import annotations

import pytest

from tests import test_browser, test_queue

CHROMIUM = test_browser.CHROMIUM
# Fixtures shared with the other browser test and the queue tests (pytest finds them by name here).
browser_page = test_browser.browser_page
eager_celery = test_queue.eager_celery
fixing_flow = test_queue.fixing_flow

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]

PASSWORD = "correct-horse-battery"


def _log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _inside(inner: dict, outer: dict) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


@pytest.fixture
def people_and_cases(make_user):
    from vendorsync import services

    make_user("alice", "admin")
    make_user("olive", "ops")
    make_user("bob", "ops")
    make_user("fiona", "finance")
    for i in range(3):
        services.exception_raise(
            kind="asn_blocked", dedupe_key=f"asn:{i}", message=f"Carton {i} has no weight"
        )
    services.exception_raise(kind="settlement_drift", dedupe_key="drift:1", message="Lines sum to 10.00 less")
    services.exception_raise(
        kind="asn_blocked",
        dedupe_key="asn:fixable",
        message="SSCC 00012345 fails its check digit",
        details={"rerun_flow": "t-fix"},
    )


@pytest.mark.parametrize("width", [390, 768])
@pytest.mark.django_db(transaction=True)
def test_the_whole_navigation_is_reachable_and_readable(live_server, people_and_cases, browser_page, width):
    page, errors = browser_page
    page.set_viewport_size({"width": width, "height": 844})
    _log_in(page, live_server, "alice")
    page.goto(f"{live_server.url}/exceptions/?status=resolved&owner_team=finance")
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    header = page.locator("header.topbar").bounding_box()
    background = page.evaluate("getComputedStyle(document.querySelector('header.topbar')).backgroundColor")
    assert background == "rgb(21, 35, 63)"  # the dark band every header item sits on
    items = [
        page.locator("nav.mainnav a", has_text=name)
        for name in ("Dashboard", "Orders", "Exceptions", "Reconciliation", "Settings")
    ]
    items += [
        page.locator(".account .who"),
        page.locator(".account a", has_text="Password"),
        page.locator("button", has_text="Log out"),
    ]
    for item in items:
        assert item.is_visible()
        box = item.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, item
        assert _inside(box, header), item  # light text on the dark header, never on the light page
    assert "Admin" in page.locator(".account .who").inner_text()  # roles in words
    page.locator("nav.mainnav a", has_text="Settings").click()
    page.wait_for_url(f"{live_server.url}/settings/")
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_back_restores_the_filter_controls(live_server, people_and_cases, browser_page):
    page, errors = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    _log_in(page, live_server, "olive")
    page.wait_for_url("**/exceptions/?status=unresolved&owner_team=ops")
    assert page.input_value("#id_status") == "unresolved" and page.input_value("#id_owner_team") == "ops"

    page.select_option("#id_status", "resolved")
    page.wait_for_url("**status=resolved**")
    page.select_option("#id_owner_team", "finance")
    page.wait_for_url("**owner_team=finance**")
    page.locator("#results", has_text="queue is clear").wait_for()

    # Filtering again with the same values adds no history entry.
    length = page.evaluate("history.length")
    page.click(".filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("history.length") == length

    page.go_back()
    page.wait_for_url("**status=resolved&owner_team=ops**")
    assert page.input_value("#id_status") == "resolved" and page.input_value("#id_owner_team") == "ops"
    page.go_back()
    page.wait_for_url("**status=unresolved&owner_team=ops")
    assert page.input_value("#id_status") == "unresolved" and page.input_value("#id_owner_team") == "ops"
    page.locator("#results", has_text="Carton 1 has no weight").wait_for()

    # Enter in Search sends one request.
    requests: list[str] = []
    page.on(
        "request", lambda request: requests.append(request.url) if "/exceptions/" in request.url else None
    )
    page.fill("#id_q", "Carton 2")
    with page.expect_response(lambda response: "q=Carton" in response.url):
        page.press("#id_q", "Enter")
    page.locator("#results", has_text="Carton 2 has no weight").wait_for()
    page.wait_for_load_state("networkidle")
    assert len(requests) == 1, requests
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_ops_filters_assigns_re_runs_and_sees_the_case_resolve(
    live_server, people_and_cases, fixing_flow, eager_celery, browser_page
):
    page, errors = browser_page
    _log_in(page, live_server, "olive")
    page.wait_for_url("**/exceptions/?status=unresolved&owner_team=ops")
    assert "Lines sum to" not in page.locator("#results").inner_text()  # the finance case is not theirs

    page.select_option("#id_kind", "asn_blocked")
    page.wait_for_url("**kind=asn_blocked**")
    page.fill("#id_q", "SSCC")
    page.press("#id_q", "Enter")
    page.wait_for_url("**q=SSCC**")
    page.locator("#results", has_not_text="Carton 1").wait_for()
    assert "SSCC 00012345" in page.locator("#results").inner_text()
    page.locator("#results a", has_text="ASN blocked").click()
    page.wait_for_url("**/exceptions/*-*/")
    assert "Runbook: ASN blocked" in page.locator("main").inner_text()

    assert page.locator("#assign-to option", has_text="fiona").count() == 0  # finance cannot work it
    page.select_option("#assign-to", "bob")
    page.click('button[type=submit]:text-is("Assign")')
    page.locator(".message", has_text="Assigned to bob").wait_for()
    assert "bob" in page.locator(".facts").first.inner_text()

    page.click("text=Re-run: Test shipments sync")
    page.locator("#case-status", has_text="Resolved").wait_for()
    main = page.locator("main").inner_text()
    assert "by itself, when its cause cleared: Fulfilment corrected; ASN valid." in main
    assert "Re-run of the failed step requested" in main and "Assigned to bob" in main
    assert errors == []
