"""Big XLSX exports run as jobs in a worker: the request returns at once, the owner alone downloads.

The worker's task body is called directly here (``tasks.build_export``); a real worker process over
Redis builds one in ``tests/test_celery_worker.py``.
"""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from vendorsync import services, tasks
from vendorsync.export_jobs import storage_name
from vendorsync.exports import table_xlsx_response
from vendorsync.middleware import NoStoreMiddleware
from vendorsync.models import AuditEvent, ExportJob, ExportStatus
from vendorsync.tables import ExceptionTable


@pytest.fixture
def export_settings(settings, tmp_path):
    settings.EXPORT_INLINE_ROWS = 5
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def cases(db):
    return [
        services.exception_raise(kind="sku_asin_gap", dedupe_key=f"gap{i}", message=f"=cmd|{i:02d}")[0]
        for i in range(12)
    ]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _request_export(client: Client, **params: str) -> HttpResponse:
    return client.get(reverse("exceptions"), {"export": "xlsx", "kind": "sku_asin_gap", **params})


def _rows(content: bytes) -> list[tuple]:
    return list(load_workbook(BytesIO(content), read_only=True).active.iter_rows(values_only=True))


def test_a_big_export_answers_at_once_with_a_job_and_reads_no_row(
    personas, cases, export_settings, django_capture_on_commit_callbacks
):
    client = _client(personas["ops"])
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as callbacks:
        response = _request_export(client, sort="last_seen_at", page="3")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == ExportStatus.QUEUED and job.rows_total == 12 and job.user == personas["ops"]
    assert job.params == "kind=sku_asin_gap&sort=last_seen_at"  # filters and sort; no page, no export
    assert len(callbacks) == 1  # the worker is sent the job once the transaction commits
    # The request counted the rows and read none of them: every query on the cases is a COUNT.
    case_queries = [q["sql"] for q in queries.captured_queries if "vendorsync_exceptioncase" in q["sql"]]
    assert case_queries and all("COUNT(" in sql for sql in case_queries), case_queries
    assert list(export_settings.iterdir()) == []
    assert AuditEvent.objects.filter(action="export.requested", actor=personas["ops"]).count() == 1


def test_the_worker_builds_the_file_sorted_escaped_and_only_its_owner_downloads_it(
    personas, cases, export_settings
):
    owner = _client(personas["ops"])
    _request_export(owner, sort="last_seen_at")
    job = ExportJob.objects.get()

    tasks.build_export(job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.rows_done == job.rows_total == 12
    assert job.expires_at - job.finished_at == timedelta(hours=24)
    response = owner.get(reverse("export_download", args=[job.public_id]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith('attachment; filename="exceptions-')
    rows = _rows(b"".join(response.streaming_content))
    assert rows[0][0] == "Kind" and len(rows) == 13
    # Sorted as asked (oldest first, the page's default is newest first) and no cell is a formula.
    assert [row[4] for row in rows[1:]] == [f"'=cmd|{i:02d}" for i in range(12)]

    colleague = _client(personas["approver"])  # can see the queue too, but it is not their export
    assert colleague.get(reverse("export_download", args=[job.public_id])).status_code == 404
    assert colleague.get(reverse("export_detail", args=[job.public_id])).status_code == 404
    assert str(job.public_id) in owner.get(reverse("my_exports")).content.decode()
    assert str(job.public_id) not in colleague.get(reverse("my_exports")).content.decode()


def test_a_second_export_while_one_runs_shows_the_running_one(personas, cases, export_settings):
    client = _client(personas["ops"])
    first = _request_export(client)
    second = client.get(reverse("exceptions"), {"export": "xlsx"}, follow=True)
    assert ExportJob.objects.count() == 1
    assert second.redirect_chain[0][0] == first["Location"]
    assert b"already have an export being prepared" in second.content

    tasks.build_export(ExportJob.objects.get().pk)  # once it is ready, the next one may start
    _request_export(client)
    assert ExportJob.objects.count() == 2


def test_the_worker_checks_the_permission_again(personas, cases, export_settings):
    user = personas["ops"]
    _request_export(_client(user))
    user.groups.set(Group.objects.none())  # the role was taken away before the worker ran

    tasks.build_export(ExportJob.objects.get().pk)

    job = ExportJob.objects.get()
    assert job.status == ExportStatus.FAILED and "role" in job.error
    assert list(export_settings.iterdir()) == []


def test_the_progress_region_polls_while_the_job_runs_and_stops_when_it_is_ready(
    personas, cases, export_settings
):
    client = _client(personas["ops"])
    _request_export(client)
    job = ExportJob.objects.get()
    url = reverse("export_detail", args=[job.public_id])

    page = client.get(url)
    assert b"<html" in page.content and b"being prepared" in page.content
    assert b"kind: sku_asin_gap" in page.content  # the filter the file will hold, in words
    partial = client.get(url, headers={"HX-Request": "true"})
    assert b"<html" not in partial.content and b'hx-trigger="every 1s"' in partial.content
    assert b"<script" not in partial.content  # CSP: polling is an htmx attribute, not inline code

    # The session ends while the page polls: the whole page goes to the login, not just the region.
    expired = Client().get(url, headers={"HX-Request": "true"})
    assert expired["HX-Redirect"].startswith(reverse("login") + "?next=")

    tasks.build_export(job.pk)
    done = client.get(url, headers={"HX-Request": "true"})
    assert b"hx-trigger" not in done.content
    assert reverse("export_download", args=[job.public_id]).encode() in done.content


def test_expired_exports_lose_their_file_and_stalled_jobs_are_failed(
    personas, cases, export_settings, django_capture_on_commit_callbacks
):
    client = _client(personas["ops"])
    _request_export(client)
    job = ExportJob.objects.get()
    tasks.build_export(job.pk)
    job.refresh_from_db()
    assert storages["exports"].exists(job.file_name)
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    stalled = ExportJob.objects.create(
        user=personas["finance"],
        name="exceptions",
        status=ExportStatus.RUNNING,
        started_at=timezone.now() - timedelta(hours=2),  # its worker was killed long ago
    )
    # ... after saving its file and before marking the job done: the file is an orphan.
    storages["exports"].save(storage_name(stalled), ContentFile(b"partial"))

    with django_capture_on_commit_callbacks(execute=True):
        report = tasks.sweep_exports()

    assert report == {"expired": 1, "failed_stale": 1}
    job.refresh_from_db()
    stalled.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED and list(export_settings.iterdir()) == []
    assert stalled.status == ExportStatus.FAILED and "did not finish" in stalled.error
    gone = client.get(reverse("export_download", args=[job.public_id]), follow=True)
    assert b"expired" in gone.content and gone["Content-Type"].startswith("text/html")


def test_a_stalled_job_does_not_block_its_user(personas, cases, export_settings):
    old = ExportJob.objects.create(
        user=personas["ops"],
        name="exceptions",
        status=ExportStatus.QUEUED,
        created_at=timezone.now() - timedelta(hours=1),
    )
    _request_export(_client(personas["ops"]))
    old.refresh_from_db()
    assert old.status == ExportStatus.FAILED
    assert ExportJob.objects.filter(user=personas["ops"], status=ExportStatus.QUEUED).count() == 1


def test_the_audit_log_exports_through_a_job_with_its_filter(personas, cases, export_settings):
    client = _client(personas["approver"])
    response = client.get(reverse("audit_log"), {"export": "xlsx", "action": "exception."})
    job = ExportJob.objects.get()
    assert response["Location"] == job.get_absolute_url()

    tasks.build_export(job.pk)

    rows = _rows(b"".join(client.get(reverse("export_download", args=[job.public_id])).streaming_content))
    actions = [row[2] for row in rows[1:]]
    assert len(actions) == 12 and set(actions) == {"exception.raised"}


def test_an_unregistered_table_above_the_inline_limit_is_refused(personas, cases, export_settings):
    request = RequestFactory().get("/orders/", {"export": "xlsx", "status": "open"})
    request.user = personas["ops"]
    request._messages = CookieStorage(request)
    response = table_xlsx_response(
        request, ExceptionTable(cases[0].__class__.objects.all()), "not-registered"
    )
    assert response.status_code == 302 and response["Location"] == "/orders/?status=open"
    assert "narrow the filter" in str(next(iter(get_messages(request))))
    assert not ExportJob.objects.exists()


def test_my_exports_lists_only_my_jobs_in_few_queries(
    personas, cases, export_settings, django_assert_max_num_queries
):
    for user in (personas["ops"], personas["finance"]):
        for status in (ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.EXPIRED):
            ExportJob.objects.create(user=user, name="exceptions", status=status, rows_total=7)
    client = _client(personas["ops"])
    with django_assert_max_num_queries(11):  # session, user, roles, count, one page of jobs
        response = client.get(reverse("my_exports"))
    assert response.content.count(b'class="badge ') == 3
    mine_done = ExportJob.objects.get(user=personas["ops"], status=ExportStatus.DONE)
    assert response.content.count(b"/download/") == 1  # only the ready one offers its file
    assert reverse("export_download", args=[mine_done.public_id]).encode() in response.content
    assert b"Expired" in response.content and b"Failed" in response.content


def test_pages_and_downloads_are_never_stored_by_caches_but_static_files_may_be(personas):
    client = _client(personas["ops"])
    assert "no-store" in client.get(reverse("exceptions"))["Cache-Control"]
    assert "no-store" in Client().get(reverse("login"))["Cache-Control"]
    middleware = NoStoreMiddleware(lambda request: HttpResponse("body{}"))
    static = middleware(RequestFactory().get("/static/css/app.css"))
    assert not static.has_header("Cache-Control")
