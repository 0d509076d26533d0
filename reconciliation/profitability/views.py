"""Profitability pages: products of a period net of deductions, and the lines behind each figure.

Parse → compute (``profitability.compute``: bounded queries) → render. Sorting and filtering
happen on the computed rows; XLSX exports the table as sorted and filtered.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_tables2 import RequestConfig

from reconciliation.profitability.compute import FIGURES, LEFT_OUT_TYPES, profitability
from reconciliation.profitability.tables import ProductTable, ShareTable
from reconciliation.reporting import latest_activity, recent_months, span_from_query
from vendorsync.access import require_perm
from vendorsync.exports import table_xlsx_response

FIGURE_LABELS = {
    "revenue": "Invoiced revenue",
    "claims": "Shortage & price claims",
    "discounts": "Terms discounts",
    "prorata": "Co-op, chargebacks, price protection (pro rata)",
    "recoveries": "Recoveries",
}


def _span_or_error(request: HttpRequest):  # noqa: ANN202
    try:
        return span_from_query(request.GET), None
    except ValidationError as exc:
        return None, " ".join(exc.messages)


@require_perm("view_reconciliation")
def profitability_page(request: HttpRequest) -> HttpResponse:
    span, error = _span_or_error(request)
    if span is None:
        return render(request, "reconciliation/profitability/page.html", {"error": error}, status=400)
    report = profitability(span.start, span.end)
    rows = report.rows
    search = request.GET.get("q", "").strip().lower()
    if search:
        rows = [r for r in rows if search in f"{r.asin} {r.sku} {r.description}".lower()]
    if request.GET.get("loss") == "1":
        rows = [r for r in rows if r.net < 0]
    table = ProductTable(rows, span_query=span.query())
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, table, f"profitability-{span.month}")
    RequestConfig(request, paginate={"per_page": 100}).configure(table)
    return render(
        request,
        "reconciliation/profitability/page.html",
        {
            "span": span,
            "months": recent_months(latest_activity()),
            "report": report,
            "totals": report.totals,
            "table": table,
            "search": request.GET.get("q", ""),
            "loss": request.GET.get("loss") == "1",
            "left_out_types": [t.label for t in LEFT_OUT_TYPES],
        },
    )


@require_perm("view_reconciliation")
def profitability_lines(request: HttpRequest) -> HttpResponse:
    span, error = _span_or_error(request)
    figure = request.GET.get("figure", "")
    product = request.GET.get("product", "")
    if span is None or figure not in FIGURES:
        error = error or f"Figure {figure!r} is not one of {', '.join(FIGURES)}."
        return render(request, "reconciliation/profitability/lines.html", {"error": error}, status=400)
    report = profitability(span.start, span.end)
    shares = [s for s in report.shares if s.figure == figure and (not product or s.product == product)]
    table = ShareTable(shares)
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, table, f"profitability-{span.month}-{figure}")
    RequestConfig(request, paginate={"per_page": 200}).configure(table)
    return render(
        request,
        "reconciliation/profitability/lines.html",
        {
            "span": span,
            "figure": FIGURE_LABELS[figure],
            "product": product,
            "table": table,
            "total": sum((s.amount for s in shares), start=0),
        },
    )
