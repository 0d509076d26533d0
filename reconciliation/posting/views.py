"""Posting pages: the batches list, building a batch, its preview and approval, accounting periods.

Parse → service → render; every mutation is a POST with CSRF. The preview proves the tie-out from
the stored record bodies (what will be sent), not from the totals columns. Who sees which button
follows the services' own rules (``may_prepare`` / ``may_approve`` / ``may_lock_periods``: group
membership, no superuser bypass); the services refuse regardless of what the page showed.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig

from reconciliation.models import Remittance, RemittanceStatus
from reconciliation.posting import delivery_views, periods, selectors, services
from reconciliation.posting.filters import BatchFilter
from reconciliation.posting.tables import BatchTable, CandidateTable
from reconciliation.posting_models import AccountingPeriod, PostingBatch, PostingStyle
from vendorsync.access import require_perm
from vendorsync.exports import table_xlsx_response

PAGE_SIZE = 50


def _partial(request: HttpRequest) -> bool:
    return bool(request.htmx and not request.htmx.history_restore_request)


def _errors(exc: ValidationError | PermissionDenied) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: f"{value!r} is not a date (YYYY-MM-DD)."}) from None


@require_perm("view_reconciliation")
@vary_on_headers("HX-Request")
def batches(request: HttpRequest) -> HttpResponse:
    queryset = PostingBatch.objects.select_related("prepared_by", "approved_by", "period").prefetch_related(
        Prefetch("remittances", queryset=Remittance.objects.only("pk", "payment_number"))
    )
    filterset = BatchFilter(request.GET or None, queryset=queryset)
    qs = queryset.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
    table = BatchTable(qs)
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, table, "posting-batches")
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    template = (
        "reconciliation/posting/batches.html#results"
        if _partial(request)
        else "reconciliation/posting/batches.html"
    )
    return render(
        request,
        template,
        {"filter": filterset, "table": table, "can_prepare": services.may_prepare(request.user)},
    )


@require_perm("view_reconciliation")
def candidates(request: HttpRequest) -> HttpResponse:
    """Reconciled remittances no live batch holds: choose several and build one batch."""
    table = CandidateTable(selectors.unbatched_remittances())
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    return render(
        request,
        "reconciliation/posting/candidates.html",
        {
            "table": table,
            "can_prepare": services.may_prepare(request.user),
            "styles": PostingStyle.choices,
            "default_style": services.default_style(),
        },
    )


@require_POST
@require_perm("prepare_postings")
def build(request: HttpRequest) -> HttpResponse:
    chosen = request.POST.getlist("remittances")
    remittances = list(
        Remittance.objects.filter(public_id__in=chosen).exclude(status=RemittanceStatus.SUPERSEDED)
    )
    back = request.POST.get("back", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("reconciliation:posting_candidates")
    try:
        if len(remittances) != len(set(chosen)):
            raise ValidationError("A chosen remittance no longer exists or was superseded: reload the page.")
        batch = services.batch_build(
            remittances=remittances,
            user=request.user,
            style=request.POST.get("style") or None,
            posting_date=_date(request.POST.get("posting_date"), "posting_date"),
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
        return redirect(back or reverse("reconciliation:posting_candidates"))
    messages.success(request, f"Batch {batch.number} built: check the preview, then submit it for approval.")
    return redirect(batch)


def _batch(public_id: str) -> PostingBatch:
    return get_object_or_404(
        PostingBatch.objects.select_related(
            "prepared_by", "approved_by", "rejected_by", "period", "period__locked_by", "reverses"
        ),
        public_id=public_id,
    )


@require_perm("view_reconciliation")
def batch_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    batch = _batch(public_id)
    preview = selectors.batch_preview(batch)
    editable = batch.status in services.EDITABLE
    return render(
        request,
        "reconciliation/posting/batch_detail.html",
        {
            "batch": batch,
            "preview": preview,
            "blockers": services.batch_blockers(batch) if editable else [],
            "can_prepare": editable and services.may_prepare(request.user),
            "can_submit": batch.status == "draft"
            and batch.prepared_by_id == request.user.pk
            and services.may_prepare(request.user),
            "can_approve": batch.status == "pending_approval" and services.may_approve(request.user, batch),
            "is_own": batch.prepared_by_id == request.user.pk,
            "styles": PostingStyle.choices,
            # The live delivery region (helper p2's partial), once the batch is approved.
            **(
                delivery_views.delivery_context(batch, request.user)
                if batch.status in delivery_views.SHOWN
                else {}
            ),
        },
    )


def _act(request: HttpRequest, batch: PostingBatch, action, done: str) -> HttpResponse:  # noqa: ANN001
    try:
        action()
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, done)
    return redirect(batch)


@require_POST
@require_perm("prepare_postings")
def batch_submit(request: HttpRequest, public_id: str) -> HttpResponse:
    batch = _batch(public_id)
    return _act(
        request,
        batch,
        lambda: services.batch_submit(batch=batch, user=request.user),
        f"Batch {batch.number} submitted for approval.",
    )


@require_POST
@require_perm("prepare_postings")
def batch_rebuild(request: HttpRequest, public_id: str) -> HttpResponse:
    batch = _batch(public_id)

    def rebuild() -> None:
        services.batch_rebuild(
            batch=batch,
            user=request.user,
            style=request.POST.get("style") or None,
            posting_date=_date(request.POST.get("posting_date"), "posting_date"),
        )

    return _act(request, batch, rebuild, f"Batch {batch.number} rebuilt from the current matches.")


def _version(request: HttpRequest) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


@require_POST
@require_perm("approve_postings")
def batch_approve(request: HttpRequest, public_id: str) -> HttpResponse:
    batch = _batch(public_id)
    return _act(
        request,
        batch,
        lambda: services.batch_approve(batch=batch, user=request.user, version=_version(request)),
        f"Batch {batch.number} approved: its records are queued for NetSuite.",
    )


@require_POST
@require_perm("approve_postings")
def batch_reject(request: HttpRequest, public_id: str) -> HttpResponse:
    batch = _batch(public_id)
    reason = request.POST.get("reason", "")[:1000]
    return _act(
        request,
        batch,
        lambda: services.batch_reject(batch=batch, user=request.user, reason=reason),
        f"Batch {batch.number} rejected and sent back to its preparer.",
    )


# --- Periods --------------------------------------------------------------------------------------


@require_perm("view_reconciliation")
def period_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reconciliation/posting/periods.html",
        {
            "periods": AccountingPeriod.objects.select_related("locked_by").order_by("-start_date"),
            "can_lock": periods.may_lock_periods(request.user),
        },
    )


def _period_act(request: HttpRequest, action, done: str) -> HttpResponse:  # noqa: ANN001
    try:
        action()
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, done)
    return redirect("reconciliation:posting_periods")


@require_POST
@require_perm("approve_postings")
def period_lock(request: HttpRequest, public_id: str) -> HttpResponse:
    period = get_object_or_404(AccountingPeriod, public_id=public_id)
    reason = request.POST.get("reason", "")[:1000]
    return _period_act(
        request,
        lambda: periods.period_lock(period=period, user=request.user, reason=reason),
        f"Period {period.name} locked: nothing posts into it.",
    )


@require_POST
@require_perm("approve_postings")
def period_unlock(request: HttpRequest, public_id: str) -> HttpResponse:
    period = get_object_or_404(AccountingPeriod, public_id=public_id)
    reason = request.POST.get("reason", "")[:1000]
    return _period_act(
        request,
        lambda: periods.period_unlock(period=period, user=request.user, reason=reason),
        f"Period {period.name} reopened.",
    )


@require_POST
@require_perm("approve_postings")
def period_configure(request: HttpRequest) -> HttpResponse:
    def configure() -> None:
        start = _date(request.POST.get("start_date"), "start_date")
        end = _date(request.POST.get("end_date"), "end_date")
        if start is None or end is None:
            raise ValidationError("Give the period's first and last day.")
        periods.period_configure(
            user=request.user, name=request.POST.get("name", ""), start_date=start, end_date=end
        )

    return _period_act(request, configure, "Period configured.")
