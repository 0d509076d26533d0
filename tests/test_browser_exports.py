"""In a real browser: a large export shows its progress, then its download link, with the strict CSP."""

from __future__ import annotations

import threading

import pytest

from tests.test_browser import CHROMIUM, browser_page  # noqa: F401 - the Playwright fixture, reused

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def queued_export(make_user, settings, tmp_path):
    # Database work happens before Playwright starts (see tests/test_browser.py). The job is created
    # as the request would create it, minus the broker message: the test plays the worker below.
    from vendorsync import services
    from vendorsync.models import ExportJob

    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    user = make_user("olive", "ops")
    for i in range(30):
        services.exception_raise(
            kind="asn_blocked", dedupe_key=f"asn:{i}", message=f"Carton {i} has no weight"
        )
    return ExportJob.objects.create(user=user, name="exceptions", params="kind=asn_blocked", rows_total=30)


def _build_in_a_thread(job_id: int) -> threading.Thread:
    """The worker's build, on a connection of its own (as the live server's thread has)."""
    from django.db import connection

    from vendorsync.export_jobs import export_job_build

    def build() -> None:
        try:
            export_job_build(job_id=job_id)
        finally:
            connection.close()

    thread = threading.Thread(target=build)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_the_export_page_polls_until_the_file_is_ready_then_downloads_it(
    live_server,
    queued_export,
    browser_page,  # noqa: F811 - pytest injects the imported fixture
):
    page, errors = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "olive")
    page.fill("#id_password", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/exceptions/**")

    page.goto(f"{live_server.url}{queued_export.get_absolute_url()}")
    assert "Waiting for a worker" in page.locator("#export-status").inner_text()
    _build_in_a_thread(queued_export.pk).join(timeout=30)

    # No reload: htmx's polling swaps the finished state in, and the link then downloads the file.
    page.locator("#export-status a", has_text="Download XLSX").wait_for(timeout=10_000)
    with page.expect_download() as download:
        page.click("text=Download XLSX")
    assert download.value.suggested_filename.startswith("exceptions-")
    page.click("text=My exports")
    assert "Ready" in page.locator("main table").inner_text()
    assert errors == []  # no CSP violation, no script error
