"""The matching workbench (issue 10): one remittance, lines on the left, the focused line's
matches and candidate invoices on the right, live totals on top.

Every mutation is a POST (CSRF via the body's ``hx-headers``) that returns only what changed: the
right-hand panel, plus the changed line rows and the header as htmx out-of-band swaps, so the
user keeps their place in a 5,000-line remittance. The keyboard lives in ``static/js/workbench.js``
(no inline script: the CSP forbids it). A page of lines costs a fixed number of queries.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from reconciliation import matching_services as ms
from reconciliation import selectors
from reconciliation.models import Match, OpenInvoice, Remittance, RemittanceLine
from vendorsync.access import require_perm
from vendorsync.roles import perm

LINES_PER_PAGE = 200
TEMPLATE = "reconciliation/workbench.html"


def _remittance(public_id: str) -> Remittance:
    return get_object_or_404(Remittance, public_id=public_id)


def _lines_context(request: HttpRequest, remittance: Remittance) -> dict:
    params = request.GET if request.method == "GET" else request.POST  # POSTs include the filter form
    show = params.get("show", "all")
    if show not in selectors.WORKBENCH_FILTERS:
        show = "all"
    q = params.get("q", "").strip()[:100]
    page = Paginator(selectors.workbench_lines(remittance, show=show, q=q), LINES_PER_PAGE).get_page(
        params.get("page")
    )
    lines = list(page.object_list)
    best = selectors.best_suggestions(remittance, [line.pk for line in lines])
    for line in lines:
        line.best = best.get(line.pk)
    return {
        "remittance": remittance,
        "lines": lines,
        "page": page,
        "show": show,
        "q": q,
        "filters": [(k, label) for k, (label, _) in selectors.WORKBENCH_FILTERS.items()],
        "can_match": request.user.has_perm(perm("prepare_postings")),
        "auto_accept": ms.engine_config().auto_accept_threshold,
    }


@require_perm("view_reconciliation")
@vary_on_headers("HX-Request")
def workbench(request: HttpRequest, public_id: str) -> HttpResponse:
    remittance = _remittance(public_id)
    context = _lines_context(request, remittance)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, f"{TEMPLATE}#lines", context)
    context["totals"] = selectors.workbench_totals(remittance)
    return render(request, TEMPLATE, context)


@require_perm("view_reconciliation")
def line_panel(request: HttpRequest, public_id: str, sequence: int) -> HttpResponse:
    remittance = _remittance(public_id)
    line = get_object_or_404(RemittanceLine, remittance=remittance, sequence=sequence)
    return _panel(request, remittance, line)


def _panel(
    request: HttpRequest,
    remittance: Remittance,
    line: RemittanceLine | None,
    *,
    changed: list[RemittanceLine] | None = None,
    error: str = "",
    notice: str = "",
) -> HttpResponse:
    context = {
        "remittance": remittance,
        "line": line,
        "error": error,
        "notice": notice,
        "can_match": request.user.has_perm(perm("prepare_postings")),
    }
    if line is not None:
        context |= selectors.line_panel(line, invoice_query=request.GET.get("iq", "").strip()[:100])
    if changed is not None:
        remittance.refresh_from_db()
        rows = list(selectors.workbench_lines(remittance).filter(pk__in=[c.pk for c in changed]))
        best = selectors.best_suggestions(remittance, [row.pk for row in rows])
        for row in rows:
            row.best = best.get(row.pk)
        context |= {"changed": rows, "totals": selectors.workbench_totals(remittance), "oob": True}
    return render(request, f"{TEMPLATE}#changes", context)


def _act(request: HttpRequest, match: Match, action) -> HttpResponse:  # noqa: ANN001 - a service
    """Run ``action`` on ``match``; answer with the panel of the focused line and the changed rows."""
    remittance = match.remittance
    line_ids = list(match.allocations.values_list("line_id", flat=True))
    focus = _focused_line(request, remittance) or RemittanceLine.objects.filter(pk__in=line_ids[:1]).first()
    error = ""
    try:
        action()
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if focus is not None:
        focus.refresh_from_db()
    changed = list(RemittanceLine.objects.filter(pk__in=line_ids).only("id"))
    return _panel(request, remittance, focus, changed=changed, error=error)


def _focused_line(request: HttpRequest, remittance: Remittance) -> RemittanceLine | None:
    sequence = request.POST.get("focus", "")
    if not sequence.isdigit():
        return None
    return RemittanceLine.objects.filter(remittance=remittance, sequence=int(sequence)).first()


def _match(public_id: str) -> Match:
    return get_object_or_404(Match.objects.select_related("remittance"), public_id=public_id)


@require_POST
@require_perm("prepare_postings")
def match_accept(request: HttpRequest, public_id: str) -> HttpResponse:
    match = _match(public_id)
    return _act(request, match, lambda: ms.match_accept(match=match, actor=request.user))


@require_POST
@require_perm("prepare_postings")
def match_reject(request: HttpRequest, public_id: str) -> HttpResponse:
    match = _match(public_id)
    reason = request.POST.get("reason", "")[:200]
    return _act(request, match, lambda: ms.match_reject(match=match, actor=request.user, reason=reason))


@require_POST
@require_perm("prepare_postings")
def match_undo(request: HttpRequest, public_id: str) -> HttpResponse:
    match = _match(public_id)
    return _act(request, match, lambda: ms.match_undo(match=match, actor=request.user))


@require_POST
@require_perm("prepare_postings")
def match_write_off(request: HttpRequest, public_id: str) -> HttpResponse:
    match = _match(public_id)
    return _act(request, match, lambda: ms.match_write_off(match=match, actor=request.user))


@require_POST
@require_perm("prepare_postings")
def manual_match(request: HttpRequest, public_id: str) -> HttpResponse:
    """Selected lines (sequences) + selected invoices (NetSuite ids); ``amount_<id>`` splits one line."""
    remittance = _remittance(public_id)
    sequences = [int(s) for s in request.POST.getlist("lines") if s.isdigit()]
    lines = list(
        RemittanceLine.objects.filter(remittance=remittance, sequence__in=sequences).order_by("sequence")
    )
    chosen = request.POST.getlist("invoices")
    by_id = {inv.netsuite_id: inv for inv in OpenInvoice.objects.filter(netsuite_id__in=chosen)}
    invoices = [by_id[i] for i in dict.fromkeys(chosen) if i in by_id]
    focus = _focused_line(request, remittance) or (lines[0] if lines else None)
    error = ""
    amounts: dict[int, Decimal] | None = None
    try:
        typed = {inv.pk: request.POST.get(f"amount_{inv.netsuite_id}", "").strip() for inv in invoices}
        if any(typed.values()):
            amounts = {}
            for inv in invoices:
                try:
                    amounts[inv.pk] = Decimal(typed[inv.pk].replace(",", "") or "0").quantize(Decimal("0.01"))
                except InvalidOperation:
                    raise ValidationError(
                        f"Invoice {inv.number}: {typed[inv.pk]!r} is not an amount."
                    ) from None
        ms.match_manual(
            remittance=remittance, lines=lines, invoices=invoices, amounts=amounts, actor=request.user
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if focus is not None:
        focus.refresh_from_db()
    notice = "" if error else "Matched."
    return _panel(request, remittance, focus, changed=lines, error=error, notice=notice)


@require_POST
@require_perm("prepare_postings")
def bulk_accept(request: HttpRequest, public_id: str) -> HttpResponse:
    remittance = _remittance(public_id)
    error = notice = ""
    try:
        threshold = Decimal(request.POST.get("min_confidence", ""))
        if not Decimal("0") <= threshold <= Decimal("1"):
            raise InvalidOperation
    except InvalidOperation:
        error = "Give a confidence between 0 and 1."
    else:
        try:
            count = ms.matches_bulk_accept(
                remittance=remittance, min_confidence=threshold, actor=request.user
            )
            notice = f"{count} suggestion(s) at or above {threshold} accepted."
        except ValidationError as exc:
            error = " ".join(exc.messages)
    return _reload(request, remittance, error=error, notice=notice)


@require_POST
@require_perm("prepare_postings")
def rerun(request: HttpRequest, public_id: str) -> HttpResponse:
    remittance = _remittance(public_id)
    error = notice = ""
    try:
        result = ms.remittance_automatch(remittances=[remittance], actor=request.user)
        notice = f"Auto-match: {result.auto} matched, {result.suggested} suggestion(s), {result.unmatched} unmatched."
    except ValidationError as exc:
        error = " ".join(exc.messages)
    return _reload(request, remittance, error=error, notice=notice)


def _reload(request: HttpRequest, remittance: Remittance, *, error: str, notice: str) -> HttpResponse:
    """After a change to many lines: the lines region again, the header out of band."""
    remittance.refresh_from_db()
    context = _lines_context(request, remittance) | {
        "totals": selectors.workbench_totals(remittance),
        "oob": True,
        "error": error,
        "notice": notice,
    }
    return render(request, f"{TEMPLATE}#reload", context)
