"""The month-end close page: a period's figures, what stands between it and its close (each item
linking to where it is fixed), the lock, and the auditors' workbook."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from reconciliation.close import services
from reconciliation.close.selectors import close_report
from reconciliation.close.workbook import close_workbook
from reconciliation.posting.periods import may_lock_periods
from reconciliation.posting_models import AccountingPeriod
from reconciliation.reporting import latest_activity
from vendorsync.access import require_perm
from vendorsync.exports import XLSX_CONTENT_TYPE

PERIODS_SHOWN = 24


@require_perm("view_reconciliation")
def close_index(request: HttpRequest) -> HttpResponse:
    """The period holding the latest payment or invoice (the one being closed), else the newest."""
    period = AccountingPeriod.objects.for_date(latest_activity()) or AccountingPeriod.objects.first()
    if period is None:
        return render(request, "reconciliation/close/page.html", {"report": None, "periods": []})
    return redirect("reconciliation:close", public_id=period.public_id)


@require_perm("view_reconciliation")
def close_page(request: HttpRequest, public_id: str) -> HttpResponse:
    period = get_object_or_404(AccountingPeriod.objects.select_related("locked_by"), public_id=public_id)
    report = close_report(services.period_span(period), period)
    if request.GET.get("export") == "xlsx":
        response = HttpResponse(close_workbook(report), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="close-{period.start_date:%Y-%m}.xlsx"'
        return response
    return render(
        request,
        "reconciliation/close/page.html",
        {
            "report": report,
            "period": period,
            # Periods that have begun (NetSuite lists a year ahead; nothing can be closed there yet).
            "periods": AccountingPeriod.objects.filter(
                start_date__lte=max(latest_activity(), timezone.localdate(), period.start_date)
            )[:PERIODS_SHOWN],
            "can_lock": may_lock_periods(request.user),
        },
    )


@require_POST
@require_perm("approve_postings")
def close_lock(request: HttpRequest, public_id: str) -> HttpResponse:
    period = get_object_or_404(AccountingPeriod, public_id=public_id)
    try:
        services.close_lock(period=period, user=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or "Your role cannot lock periods.")
    else:
        messages.success(request, f"{period.name} is locked: nothing more posts into it.")
    return redirect("reconciliation:close", public_id=period.public_id)
