"""Dispute pages: the list with its figures and the claims one may dispute; one dispute.

Parse → service → render. Lines travel in forms as ``<payment public id>:<sequence>`` (remittance
lines have no public id of their own).
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig

from reconciliation.close_models import Dispute, DisputeKind, DisputeLine, DisputeRecovery, DisputeStatus
from reconciliation.disputes import selectors, services
from reconciliation.disputes.tables import DisputableLineTable, DisputeTable
from reconciliation.models import RemittanceLine
from vendorsync.access import require_perm
from vendorsync.exports import table_xlsx_response
from vendorsync.roles import perm

PAGE_SIZE = 50


def _lines_from(keys: list[str]) -> list[RemittanceLine]:
    """The lines named ``<payment public id>:<sequence>``; a malformed or unknown key is an error."""
    wanted = Q(pk__in=[])
    for key in keys:
        public_id, _, sequence = key.partition(":")
        try:
            wanted |= Q(remittance__public_id=UUID(public_id), sequence=int(sequence))
        except ValueError as exc:
            raise ValidationError(f"{key!r} does not name a remittance line.") from exc
    lines = list(RemittanceLine.objects.filter(wanted).select_related("remittance"))
    if len(lines) != len(set(keys)):
        raise ValidationError("One of the chosen lines no longer exists; reload the page.")
    return lines


@require_perm("view_reconciliation")
@vary_on_headers("HX-Request")
def dispute_list(request: HttpRequest) -> HttpResponse:
    queryset = selectors.disputes()
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    if status in DisputeStatus.values:
        queryset = queryset.filter(status=status)
    if kind in DisputeKind.values:
        queryset = queryset.filter(kind=kind)
    table = DisputeTable(queryset)
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, table, "disputes")
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    claims = DisputableLineTable(selectors.disputable_lines(), prefix="c-")
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(claims)
    return render(
        request,
        "reconciliation/disputes/list.html",
        {
            "table": table,
            "claims": claims,
            "figures": selectors.dispute_figures(),
            "statuses": DisputeStatus.choices,
            "kinds": DisputeKind.choices,
            "status": status,
            "kind": kind,
            "can_dispute": request.user.has_perm(perm("prepare_postings")),
        },
    )


@require_POST
@require_perm("prepare_postings")
def dispute_open(request: HttpRequest) -> HttpResponse:
    try:
        lines = _lines_from(request.POST.getlist("line"))
        dispute = services.dispute_open(
            lines=lines,
            user=request.user,
            reference=request.POST.get("reference", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(request.POST.get("next") or "reconciliation:disputes")
    messages.success(request, f"Dispute opened for {dispute.disputed_amount} over {len(lines)} line(s).")
    return redirect(dispute.get_absolute_url())


@require_perm("view_reconciliation")
def dispute_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    dispute = get_object_or_404(
        Dispute.objects.select_related("opened_by").prefetch_related(
            Prefetch(
                "lines",
                DisputeLine.objects.select_related("line__remittance").prefetch_related(
                    Prefetch("recoveries", DisputeRecovery.objects.select_related("line__remittance"))
                ),
            )
        ),
        public_id=public_id,
    )
    return render(
        request,
        "reconciliation/disputes/detail.html",
        {
            "dispute": dispute,
            "statuses": DisputeStatus.choices,
            "can_dispute": request.user.has_perm(perm("prepare_postings")),
        },
    )


@require_POST
@require_perm("prepare_postings")
def dispute_update(request: HttpRequest, public_id: str) -> HttpResponse:
    dispute = get_object_or_404(Dispute, public_id=public_id)
    try:
        services.dispute_update(
            dispute=dispute,
            user=request.user,
            reference=request.POST.get("reference"),
            status=request.POST.get("status") or None,
            note=request.POST.get("note"),
        )
        messages.success(request, "Dispute updated.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(dispute.get_absolute_url())


@require_POST
@require_perm("prepare_postings")
def dispute_match(request: HttpRequest) -> HttpResponse:
    found = services.dispute_recoveries_match()
    messages.success(request, f"{found} recovery line(s) found." if found else "No new recovery lines.")
    return redirect("reconciliation:disputes")


@require_POST
@require_perm("prepare_postings")
def dispute_recovery_add(request: HttpRequest, public_id: str) -> HttpResponse:
    """Record by hand a later line that pays a disputed claim back (its numbers do not tie)."""
    dispute = get_object_or_404(Dispute, public_id=public_id)
    claim = get_object_or_404(DisputeLine, dispute=dispute, pk=request.POST.get("claim") or 0)
    payment = request.POST.get("payment_number", "").strip()
    document = request.POST.get("document_number", "").strip()
    line = (
        RemittanceLine.objects.select_related("remittance")
        .filter(remittance__payment_number=payment, document_number=document)
        .exclude(remittance__status="superseded")
        .first()
    )
    if line is None:
        messages.error(request, f"Payment {payment or '?'} has no line {document or '?'}.")
        return redirect(dispute.get_absolute_url())
    try:
        services.dispute_recovery_record(dispute_line=claim, line=line, user=request.user)
        messages.success(request, f"{document} ({line.amount_paid}) recorded as a recovery.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(dispute.get_absolute_url())
