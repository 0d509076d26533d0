"""Core pages: home (role landing), dashboard, exception queue, sync runs and outbox, audit log, settings."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldError, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig

from vendorsync import flows, health, runbook, selectors, services, words
from vendorsync.access import can_work, get_exception_for, require_perm
from vendorsync.exports import register_export, table_xlsx_response
from vendorsync.filters import UNRESOLVED, AuditFilter, ExceptionFilter
from vendorsync.integration_audit import run_audit
from vendorsync.models import (
    AuditEvent,
    ExceptionCase,
    ExceptionKind,
    SyncOutcome,
    SyncRun,
    Team,
)
from vendorsync.outbox.views import deliveries_context
from vendorsync.roles import FINANCE, FINANCE_APPROVER, OPS, has_any_role, perm, roles_of
from vendorsync.services import BULK_ACTIONS
from vendorsync.tables import AuditTable, ExceptionTable, SyncRunTable
from vendorsync.words import team_label

PAGE_SIZE = 50
MAX_BULK = 500  # more than a page; a bulk action never touches an unbounded set


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _default_queue_query(user: Any) -> dict[str, str]:
    """The queue a person starts from: their team's unresolved cases (both teams when they work both)."""
    ops = user.has_perm(perm("work_ops_exceptions"))
    finance = user.has_perm(perm("work_finance_exceptions"))
    query = {"status": UNRESOLVED}
    if ops != finance:
        query["owner_team"] = Team.OPS if ops else Team.FINANCE
    return query


def _default_queue_url(user: Any) -> str:
    return f"{reverse('exceptions')}?{urlencode(_default_queue_query(user))}"


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says.

    The static URL is looked up per request: at import time the production manifest may not exist yet
    (``check --deploy`` and ``collectstatic`` import the URLs before any file is collected), and a
    temporary redirect lets the hashed name change with the file.
    """
    return redirect(static("favicon.svg"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to the page their work starts on."""
    roles = roles_of(request.user)
    if not has_any_role(request.user):
        return render(request, "vendorsync/no_role.html", status=403)
    if FINANCE in roles or FINANCE_APPROVER in roles:
        return redirect("reconciliation:index")
    if OPS in roles:
        return redirect(_default_queue_url(request.user))
    return redirect("dashboard")  # admin (and superusers)


@require_perm("view_dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    """Integration health: open cases by kind × age, sync lag, deliveries, trends and app metrics.

    The aggregates are selectors (a fixed number of queries); the metrics that need the orders and
    reconciliation models come from providers those apps register (``vendorsync.health``).
    """
    by_kind = selectors.exception_health()
    metrics = health.dashboard_metrics()
    for metric in metrics:
        if metric.get("available") and metric["value"].series:
            metric["bars"] = [{"label": label, "value": value} for label, value in metric["value"].series]
    context = {
        "by_kind": by_kind,
        "open_ops": by_kind["by_team"].get(Team.OPS, 0),
        "open_finance": by_kind["by_team"].get(Team.FINANCE, 0),
        "flow_rows": selectors.sync_health(),
        "outbox": selectors.outbox_counts(),
        "metrics": metrics,
    }
    queue = reverse("exceptions")
    trend = by_kind["trend"]
    for key, caption in (("count", "trend_counts"), ("amount", "trend_amounts")):
        context[caption] = [
            {
                "label": week["label"],
                "value": week[key],
                "title": f"{week['first']:%d %b} – {week['last']:%d %b}: {week[key]}",
                "url": f"{queue}?status=&opened_from={week['first']:%Y-%m-%d}&opened_to={week['last']:%Y-%m-%d}",
            }
            for week in trend
        ]
    return render(request, "vendorsync/dashboard.html", context)


def _same_query(request: HttpRequest) -> bool:
    """Whether an htmx filter request asks for what the address bar already shows (ignoring blanks)."""
    current = request.htmx.current_url if request.htmx else None
    if not current:
        return False

    def normalised(query: str) -> list[tuple[str, str]]:
        return sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if v)

    parsed = urlsplit(current)
    return parsed.path == request.path and normalised(parsed.query) == normalised(
        request.META["QUERY_STRING"]
    )


def _exception_list(
    user: Any, query: QueryDict, colleagues: dict[str, list[str]] | None = None
) -> tuple[ExceptionFilter, ExceptionTable]:
    colleagues = selectors.colleagues_by_team() if colleagues is None else colleagues
    everyone = sorted({name for names in colleagues.values() for name in names})
    queryset = ExceptionCase.objects.select_related("assignee")
    filterset = ExceptionFilter(query, queryset=queryset, user=user, colleagues=everyone)
    qs = filterset.qs if filterset.is_valid() else queryset.none()
    return filterset, ExceptionTable(qs)


# A worker rebuilds big exports from the same construction as the page (vendorsync.exports).
register_export("exceptions", lambda user, query: _exception_list(user, query)[1], perms=("view_exceptions",))


@require_perm("view_exceptions")
@vary_on_headers("HX-Request")
def exceptions(request: HttpRequest) -> HttpResponse:
    """The queue: filters, sort by age or amount, bulk assign / resolve / dismiss, XLSX export."""
    if not request.GET:
        return redirect(_default_queue_url(request.user))
    colleagues = selectors.colleagues_by_team()
    filterset, table = _exception_list(request.user, request.GET, colleagues)
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, table, "exceptions")
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    # A history-restore request (Back after the cache expired) swaps the whole body: send the page.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "vendorsync/exceptions.html#results" if partial else "vendorsync/exceptions.html"
    may_work = [t for t in Team.values if request.user.has_perm(perm(f"work_{t}_exceptions"))]
    response = render(
        request,
        template,
        {
            "filter": filterset,
            "table": table,
            "may_work": bool(may_work),
            "assignable": [(team_label(t), colleagues[t]) for t in may_work],
            "bulk_actions": BULK_ACTIONS,
        },
    )
    if partial and _same_query(request):
        # Filtering with unchanged values must not add a history entry (Back would seem to do nothing).
        response["HX-Push-Url"] = "false"
    return response


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@require_POST
@require_perm("work_ops_exceptions", "work_finance_exceptions")
def exceptions_bulk(request: HttpRequest) -> HttpResponse:
    """Assign, resolve or dismiss the selected cases: all of them or none (the service decides)."""
    back = _safe_next(request, reverse("exceptions"))
    ids = request.POST.getlist("case")[:MAX_BULK]
    action = request.POST.get("action", "")
    try:
        valid_ids = [str(uuid.UUID(value)) for value in ids]
    except ValueError:
        messages.error(request, "The selection was not understood; nothing was changed.")
        return redirect(back)
    cases = list(ExceptionCase.objects.filter(public_id__in=valid_ids).order_by("id"))
    assignee = None
    if action == "assign":
        assignee = get_user_model().objects.filter(username=request.POST.get("assignee", "")).first()
    try:
        count = services.exceptions_bulk(
            cases=cases,
            actor=request.user,
            action=action,
            assignee=assignee,
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    done = {"assign": f"assigned to {assignee.get_username() if assignee else ''}", "resolve": "resolved"}
    messages.success(request, f"{count} exception{pluralize(count)} {done.get(action, 'dismissed')}.")
    return redirect(back)


def _subject_link(case: ExceptionCase) -> tuple[str, str]:
    """A label and a URL for the case's subject (model label + public id + get_absolute_url)."""
    if not case.subject_type or not case.subject_id:
        return "", ""
    label = words.subject_label(case.subject_type)
    if case.subject_type == "vendorsync.outboxmessage":
        return f"{label} {case.subject_id}", f"{reverse('sync_runs')}?message={case.subject_id}"
    try:
        model = apps.get_model(case.subject_type)
        subject = model._default_manager.filter(public_id=case.subject_id).first()
    except (LookupError, ValueError, ValidationError, FieldError):
        return f"{label} {case.subject_id}", ""
    if subject is None:
        return f"{label} {case.subject_id} (no longer exists)", ""
    url = subject.get_absolute_url() if hasattr(subject, "get_absolute_url") else ""
    return f"{model._meta.verbose_name.capitalize()} {subject}", url


def _rerun_state(case: ExceptionCase, history: list[AuditEvent]) -> dict[str, Any]:
    """The re-run button's flow and, when one was requested, how that run is going."""
    name = (case.details or {}).get("rerun_flow") or ""
    try:
        flow = flows.get_flow(name)
    except KeyError:
        return {"flow": None}
    requested = next((e for e in history if e.action == "exception.rerun_requested"), None)
    run = None
    if requested is not None:
        run = (
            SyncRun.objects.filter(flow=flow.name, started_at__gte=requested.at)
            .order_by("started_at")
            .first()
        )
    waiting = requested is not None and (run is None or run.outcome == SyncOutcome.RUNNING)
    return {
        "flow": flow,
        "requested": requested,
        "run": run,
        # Poll while the run is queued or running, for a while (a dead worker must not poll for ever).
        "polling": waiting and timezone.now() - requested.at < timedelta(minutes=15),
    }


def _detail_context(request: HttpRequest, case: ExceptionCase) -> dict[str, Any]:
    history = list(
        AuditEvent.objects.filter(subject_type="vendorsync.exceptioncase", subject_id=str(case.public_id))[
            :50
        ]
    )
    subject_label, subject_url = _subject_link(case)
    rerun = _rerun_state(case, history)
    may_work = can_work(request.user, case)
    may_rerun = bool(rerun["flow"] and may_work and case.is_open and _may_run(request.user, rerun["flow"]))
    colleagues = selectors.colleagues_by_team().get(case.owner_team, []) if may_work and case.is_open else []
    deliveries_url = ""
    if case.kind == ExceptionKind.OUTBOX_NEEDS_REVIEW:
        deliveries_url = subject_url or f"{reverse('sync_runs')}?state=needs_review"
    return {
        "case": case,
        "history": history,
        "can_work": may_work,
        "runbook": runbook.entry_for(case.kind),
        "subject_label": subject_label,
        "subject_url": subject_url,
        "rerun": rerun,
        "may_rerun": may_rerun,
        "colleagues": [name for name in colleagues if name != request.user.get_username()],
        "deliveries_url": deliveries_url,
    }


@require_perm("view_exceptions")
def exception_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    case = get_exception_for(request.user, public_id)
    return render(request, "vendorsync/exception_detail.html", _detail_context(request, case))


@require_perm("view_exceptions")
@vary_on_headers("HX-Request")
def exception_rerun_status(request: HttpRequest, public_id: str) -> HttpResponse:
    """The re-run panel alone, polled by htmx while the run is queued or running."""
    case = get_exception_for(request.user, public_id)
    if request.htmx and not case.is_open:
        # The run fixed it: reload the whole page so status, history and actions all agree.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "vendorsync/exception_detail.html#rerun", _detail_context(request, case))


@require_POST
@require_perm("work_ops_exceptions", "work_finance_exceptions")
def exception_rerun(request: HttpRequest, public_id: str) -> HttpResponse:
    """Re-run the failed step: queue the case's flow in the worker; the panel follows the run."""
    case = get_exception_for(request.user, public_id)
    try:
        name = services.exception_rerun_request(case=case, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(case.get_absolute_url())
    from vendorsync.tasks import rerun_case_step

    rerun_case_step.delay(str(case.public_id), request.user.pk)
    messages.success(request, f"The {flows.get_flow(name).label} sync is queued; its result appears below.")
    return redirect(case.get_absolute_url())


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
        elif action == "assign":
            username = request.POST.get("assignee", "")
            assignee = get_user_model().objects.filter(username=username).first()
            if assignee is None:
                raise ValidationError("Choose a colleague to assign this exception to.")
            services.exception_assign(case=case, actor=request.user, assignee=assignee)
            messages.success(request, f"Assigned to {assignee.get_username()}.")
        else:
            raise Http404("No such action.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(case.get_absolute_url())


@require_perm("view_dashboard")
def integration_audit(request: HttpRequest) -> HttpResponse:
    """The integration audit: configuration and data gaps with count, owner and a link to fix each."""
    findings = run_audit()
    return render(
        request,
        "vendorsync/integration_audit.html",
        {"findings": findings, "gaps": sum(f.count or 0 for f in findings), "ran_at": timezone.now()},
    )


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
