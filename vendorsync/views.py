"""Core pages: home (role landing), dashboard, exception queue, sync runs and outbox, audit log, settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig

from vendorsync import flows, services
from vendorsync.access import can_work, get_exception_for, require_perm
from vendorsync.exports import register_export, table_xlsx_response
from vendorsync.filters import AuditFilter, ExceptionFilter
from vendorsync.models import (
    AuditEvent,
    ExceptionCase,
    OutboxMessage,
    OutboxState,
    SyncOutcome,
    SyncRun,
    Team,
)
from vendorsync.outbox.views import deliveries_context
from vendorsync.roles import FINANCE, FINANCE_APPROVER, OPS, has_any_role, perm, roles_of
from vendorsync.tables import AuditTable, ExceptionTable, SyncRunTable

PAGE_SIZE = 50


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the page their work starts on."""
    roles = roles_of(request.user)
    if not has_any_role(request.user):
        return render(request, "vendorsync/no_role.html", status=403)
    if FINANCE in roles or FINANCE_APPROVER in roles:
        return redirect("reconciliation:index")
    if OPS in roles:
        return redirect(f"{reverse('exceptions')}?owner_team=ops&status=open")
    return redirect("dashboard")  # admin (and superusers)


@require_perm("view_dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    open_cases = ExceptionCase.objects.open()
    by_team = dict(open_cases.values_list("owner_team").annotate(n=Count("id")).order_by())
    by_kind = list(
        open_cases.values("kind", "owner_team")
        .annotate(n=Count("id"), last=Max("last_seen_at"))
        .order_by("-n")[:10]
    )
    latest_runs = _latest_runs_per_flow()
    outbox = dict(OutboxMessage.objects.values_list("state").annotate(n=Count("id")).order_by())
    context = {
        "open_ops": by_team.get(Team.OPS, 0),
        "open_finance": by_team.get(Team.FINANCE, 0),
        "by_kind": by_kind,
        "latest_runs": latest_runs,
        "outbox_waiting": sum(
            outbox.get(s, 0) for s in (OutboxState.PENDING, OutboxState.RETRY, OutboxState.SENDING)
        ),
        "outbox_attention": outbox.get(OutboxState.NEEDS_REVIEW, 0) + outbox.get(OutboxState.DEAD, 0),
        "kind_labels": dict(ExceptionCase._meta.get_field("kind").choices),
    }
    return render(request, "vendorsync/dashboard.html", context)


def _latest_runs_per_flow() -> list[dict[str, Any]]:
    """Last run and last success per flow, in two queries whatever the history length."""
    per_flow = list(
        SyncRun.objects.values("flow")
        .annotate(
            last_started=Max("started_at"),
            last_success=Max("finished_at", filter=Q(outcome=SyncOutcome.SUCCEEDED)),
        )
        .order_by("flow")
    )
    wanted = {(row["flow"], row["last_started"]) for row in per_flow}
    latest = {
        run.flow: run
        for run in SyncRun.objects.filter(started_at__in=[started for _, started in wanted])
        if (run.flow, run.started_at) in wanted
    }
    return [
        {"flow": row["flow"], "last": latest.get(row["flow"]), "last_success": row["last_success"]}
        for row in per_flow
    ]


def _exception_list(query: QueryDict) -> tuple[ExceptionFilter, ExceptionTable]:
    queryset = ExceptionCase.objects.select_related("assignee")
    filterset = ExceptionFilter(query or None, queryset=queryset)
    if filterset.is_bound and not filterset.is_valid():
        qs = queryset.none()
    else:
        qs = filterset.qs
    return filterset, ExceptionTable(qs)


# A worker rebuilds big exports from the same construction as the page (vendorsync.exports).
register_export("exceptions", lambda user, query: _exception_list(query)[1], perms=("view_exceptions",))


@require_perm("view_exceptions")
@vary_on_headers("HX-Request")
def exceptions(request: HttpRequest) -> HttpResponse:
    filterset, table = _exception_list(request.GET)
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, table, "exceptions")
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    # A history-restore request (Back after the cache expired) swaps the whole body: send the page.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "vendorsync/exceptions.html#results" if partial else "vendorsync/exceptions.html"
    return render(request, template, {"filter": filterset, "table": table})


@require_perm("view_exceptions")
def exception_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    case = get_exception_for(request.user, public_id)
    history = AuditEvent.objects.filter(
        subject_type="vendorsync.exceptioncase", subject_id=str(case.public_id)
    )
    return render(
        request,
        "vendorsync/exception_detail.html",
        {"case": case, "history": history[:50], "can_work": can_work(request.user, case)},
    )


@require_POST
@require_perm("work_ops_exceptions", "work_finance_exceptions")
def exception_action(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    case = get_exception_for(request.user, public_id)
    note = request.POST.get("note", "")
    try:
        if action == "resolve":
            services.exception_resolve(case=case, actor=request.user, note=note)
            messages.success(request, "Exception resolved.")
        elif action == "dismiss":
            services.exception_dismiss(case=case, actor=request.user, reason=note)
            messages.success(request, "Exception dismissed.")
        elif action == "take":
            services.exception_assign(case=case, actor=request.user, assignee=request.user)
            messages.success(request, "You now own this exception.")
        else:
            raise Http404("No such action.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(case.get_absolute_url())


def _may_run(user: Any, flow: flows.Flow) -> bool:
    return bool(user.has_perm(perm(flow.run_permission)) or user.has_perm(perm("manage_settings")))


def _flow_rows(user: Any) -> list[dict[str, Any]]:
    rows = flows.flow_status()
    for row in rows:
        row["may_run"] = _may_run(user, row["flow"])
    return rows


@require_perm("view_sync")
@vary_on_headers("HX-Request")
def sync_runs(request: HttpRequest) -> HttpResponse:
    if request.htmx and request.GET.get("part") == "flows":
        return render(request, "vendorsync/sync_runs.html#flows", {"flow_rows": _flow_rows(request.user)})
    deliveries = deliveries_context(request)
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, deliveries["outbox"], "deliveries")
    partial = request.htmx and not request.htmx.history_restore_request
    if partial and request.GET.get("part") == "deliveries":
        return render(request, "vendorsync/sync_runs.html#deliveries", deliveries)
    runs = SyncRunTable(SyncRun.objects.all(), prefix="runs-")
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(runs)
    return render(
        request,
        "vendorsync/sync_runs.html",
        {"runs": runs, "flow_rows": _flow_rows(request.user), **deliveries},
    )


@require_POST
@require_perm("work_orders", "prepare_postings", "manage_settings")
def sync_flow_now(request: HttpRequest, name: str) -> HttpResponse:
    """ "Sync now": queue the flow in the worker; the flows panel shows the run when it finishes."""
    try:
        flow = flows.get_flow(name)
    except KeyError:
        raise Http404("No such flow.") from None
    if not _may_run(request.user, flow):
        raise PermissionDenied(f"Your role cannot run the {flow.label} sync.")
    from vendorsync.tasks import run_flow

    run_flow.delay(flow.name, request.user.pk)
    messages.success(request, f"{flow.label} sync queued; its result appears below when it finishes.")
    return redirect("sync_runs")


def _audit_list(query: QueryDict) -> tuple[AuditFilter, AuditTable]:
    filterset = AuditFilter(query or None, queryset=AuditEvent.objects.all())
    table = AuditTable(
        filterset.qs if filterset.is_valid() or not filterset.is_bound else AuditEvent.objects.none()
    )
    return filterset, table


register_export(
    "audit-log", lambda user, query: _audit_list(query)[1], perms=("view_audit",), title="Audit log"
)


@require_perm("view_audit")
def audit_log(request: HttpRequest) -> HttpResponse:
    filterset, table = _audit_list(request.GET)
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, table, "audit-log")
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    return render(request, "vendorsync/audit_log.html", {"filter": filterset, "table": table})


@require_perm("manage_settings")
def settings_page(request: HttpRequest) -> HttpResponse:
    def secret(value: str | None) -> str:
        return "set" if value else "not set"

    connection = [
        ("Mode", "Sandbox (simulators)" if settings.SANDBOX else "Production"),
        ("Database", settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]),
        ("Task broker", str(settings.CELERY_BROKER_URL).split("://", 1)[0]),
        ("Amazon region", settings.AMAZON_REGION),
        ("Amazon SP-API endpoint", settings.AMAZON_SPAPI_ENDPOINT or "(regional default)"),
        ("Amazon LWA client id", secret(settings.AMAZON_LWA_CLIENT_ID)),
        ("Amazon LWA client secret", secret(settings.AMAZON_LWA_CLIENT_SECRET)),
        ("Amazon LWA refresh token", secret(settings.AMAZON_LWA_REFRESH_TOKEN)),
        ("NetSuite account", settings.NETSUITE_ACCOUNT_ID or "not set"),
        ("NetSuite base URL", settings.NETSUITE_BASE_URL or "(derived from account)"),
        (
            "NetSuite consumer key / secret",
            secret(settings.NETSUITE_CONSUMER_KEY and settings.NETSUITE_CONSUMER_SECRET),
        ),
        ("NetSuite token id / secret", secret(settings.NETSUITE_TOKEN_ID and settings.NETSUITE_TOKEN_SECRET)),
    ]
    users = get_user_model().objects.prefetch_related("groups").order_by("username")
    return render(
        request,
        "vendorsync/settings.html",
        {"connection": connection, "users": users, "can_audit": request.user.has_perm(perm("view_audit"))},
    )
