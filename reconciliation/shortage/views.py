"""Finance pages for shortage claims: the list, one claim's evidence, the workbench panel, the pack.

Parse → read → render; nothing here writes (verdicts are stored by ``services.shortage_refresh``,
which runs after imports, auto-match and the orders-out syncs). The claim page and the workbench
panel show the evidence as it is now (``evidence.gather``: a fixed number of queries).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig

from reconciliation.models import RemittanceLine, RemittanceStatus
from reconciliation.shortage import evidence as ev
from reconciliation.shortage.filters import ShortageFilter
from reconciliation.shortage.pack import pack_response
from reconciliation.shortage.tables import ShortageTable
from reconciliation.shortage_models import ShortageClaim, ShortageVerdict
from vendorsync.access import require_perm
from vendorsync.exports import register_export, table_xlsx_response

PAGE_SIZE = 50
PACK_MAX_CLAIMS = 1000  # one pack, built in the request (three sheets, a few rows per claim)


def claims() -> QuerySet[ShortageClaim]:
    """Claims of live remittances, with what the list shows (one query per page)."""
    return ShortageClaim.objects.exclude(line__remittance__status=RemittanceStatus.SUPERSEDED).select_related(
        "line__remittance", "shipment"
    )


def _filtered(query: QueryDict) -> tuple[ShortageFilter, QuerySet[ShortageClaim]]:
    filterset = ShortageFilter(query or None, queryset=claims())
    qs = filterset.queryset.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
    return filterset, qs


def _table(user: Any, query: QueryDict) -> ShortageTable:
    return ShortageTable(_filtered(query)[1])


register_export("shortage-claims", _table, perms=("view_reconciliation",), title="Shortage claims")


def _totals(qs: QuerySet[ShortageClaim]) -> dict[str, Any]:
    row = qs.aggregate(
        claims=Count("id"),
        claimed=Sum("claimed_amount"),
        disputable=Count("id", filter=Q(verdict=ShortageVerdict.DISPUTABLE)),
        at_risk=Sum("amount_at_risk"),
    )
    return {k: v if v is not None else 0 for k, v in row.items()}


@require_perm("view_reconciliation")
@vary_on_headers("HX-Request")
def shortages(request: HttpRequest) -> HttpResponse:
    filterset, qs = _filtered(request.GET)
    table = ShortageTable(qs)
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, table, "shortage-claims")
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    context = {"filter": filterset, "table": table, "totals": _totals(qs)}
    partial = request.htmx and not request.htmx.history_restore_request
    template = "reconciliation/shortage/list.html"
    return render(request, f"{template}#results" if partial else template, context)


@require_perm("view_reconciliation")
def shortage_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    claim = get_object_or_404(claims(), public_id=public_id)
    (evidence,) = ev.gather([claim.line_id]) or (None,)
    return render(
        request, "reconciliation/shortage/detail.html", {"claim": claim, "e": evidence, "line": claim.line}
    )


@require_perm("view_reconciliation")
def line_evidence(request: HttpRequest, public_id: str, sequence: int) -> HttpResponse:
    """The workbench's evidence panel for a shortage-claim line (an htmx partial)."""
    line = get_object_or_404(
        RemittanceLine.objects.select_related("remittance", "shortage"),
        remittance__public_id=public_id,
        sequence=sequence,
        line_type__in=ev.SHORTAGE_TYPES,
    )
    (evidence,) = ev.gather([line.pk]) or (None,)
    claim = getattr(line, "shortage", None)
    return render(
        request, "reconciliation/shortage/_evidence.html", {"e": evidence, "claim": claim, "line": line}
    )


@require_perm("view_reconciliation")
def pack(request: HttpRequest) -> HttpResponse:
    """The XLSX evidence pack: the ticked claims (``claims=<id>``), else every claim the filters show."""
    chosen = request.GET.getlist("claims")
    if chosen:
        qs = claims().filter(public_id__in=[c for c in chosen if _is_uuid(c)])
    else:
        qs = _filtered(request.GET)[1]
    line_ids = list(qs.order_by("claim_date", "id").values_list("line_id", flat=True)[: PACK_MAX_CLAIMS + 1])
    if not line_ids:
        messages.error(request, "No shortage claims to put in the pack: tick some, or widen the filter.")
        return redirect("reconciliation:shortages")
    if len(line_ids) > PACK_MAX_CLAIMS:
        messages.error(
            request, f"More than {PACK_MAX_CLAIMS:,} claims: narrow the filter (a verdict, an FC or dates)."
        )
        return redirect("reconciliation:shortages")
    order = {pk: n for n, pk in enumerate(line_ids)}
    evidence = sorted(ev.gather(line_ids), key=lambda e: order[e.line_id])
    return pack_response(evidence)


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
