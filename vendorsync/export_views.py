"""Export jobs seen by their owner: "My exports", one job's progress (polled by htmx), the download."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect
from django_tables2 import RequestConfig

from vendorsync.export_jobs import export_job_for, exports_storage
from vendorsync.exports import XLSX_CONTENT_TYPE, export_title, get_export, may_export
from vendorsync.models import ExportJob, ExportStatus
from vendorsync.tables import ExportJobTable

PAGE_SIZE = 50


@require_GET
@login_required
def my_exports(request: HttpRequest) -> HttpResponse:
    table = ExportJobTable(ExportJob.objects.filter(user=request.user))
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    return render(
        request, "vendorsync/exports.html", {"table": table, "ttl_hours": settings.EXPORT_TTL_HOURS}
    )


@require_GET
@vary_on_headers("HX-Request")
def export_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    if not request.user.is_authenticated:
        # A session that expires while the page polls: send the whole page to the login, instead of
        # letting htmx swap the login form into the progress region.
        login = redirect_to_login(request.get_full_path())
        return HttpResponseClientRedirect(login["Location"]) if request.htmx else login
    job = export_job_for(request.user, public_id)
    # htmx polls the status region every second while the job is queued or running.
    template = "vendorsync/export_detail.html#status" if request.htmx else "vendorsync/export_detail.html"
    # The filter as "field: value" pairs, not the raw querystring the worker replays.
    filters = [(key, ", ".join(values)) for key, values in QueryDict(job.params).lists()]
    return render(request, template, {"job": job, "title": export_title(job.name), "filters": filters})


@require_GET
@login_required
def export_download(request: HttpRequest, public_id: str) -> HttpResponse:
    job = export_job_for(request.user, public_id)
    spec = get_export(job.name)
    if spec is None or not may_export(request.user, spec):
        raise Http404("This export is not available to you.")
    if job.status != ExportStatus.DONE or not job.file_name:
        messages.warning(request, "This export has no file to download (it is not ready, or it expired).")
        return redirect(job)
    try:
        handle = exports_storage().open(job.file_name, "rb")
    except FileNotFoundError as exc:
        raise Http404("The export file is gone; export again.") from exc
    stamp = (job.finished_at or job.created_at).strftime("%Y-%m-%d-%H%M")
    return FileResponse(
        handle, as_attachment=True, filename=f"{job.name}-{stamp}.xlsx", content_type=XLSX_CONTENT_TYPE
    )
