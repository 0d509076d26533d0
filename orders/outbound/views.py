"""Shipments and invoices pages: ops work them (send, re-check), finance reads them.

Lists are django-tables2 + django-filter with XLSX export (registered to run in the worker); the
shipment page shows the container tree with SSCCs and weights, every validation result, the
transmission status and shipped vs received per line.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig

from orders.outbound import selectors, services
from orders.outbound.tables import (
    InvoiceFilter,
    InvoiceTable,
    ShipmentFilter,
    ShipmentTable,
    invoices_queryset,
    shipments_queryset,
)
from orders.outbound_models import Invoice, Shipment, ShipmentStatus
from vendorsync.access import require_perm
from vendorsync.exports import register_export, table_xlsx_response
from vendorsync.roles import perm

PAGE_SIZE = 50


def _filtered(filterset: Any) -> Any:
    if filterset.is_bound and not filterset.is_valid():
        return filterset.queryset.none()
    return filterset.qs


def _shipment_table(user: Any, query: QueryDict) -> ShipmentTable:
    return ShipmentTable(_filtered(ShipmentFilter(query or None, queryset=shipments_queryset())))


def _invoice_table(user: Any, query: QueryDict) -> InvoiceTable:
    return InvoiceTable(_filtered(InvoiceFilter(query or None, queryset=invoices_queryset())))


register_export("shipments", _shipment_table, perms=("view_orders",), title="Shipments")
register_export("invoices", _invoice_table, perms=("view_orders",), title="Invoices")


def _list(request: HttpRequest, template: str, table: Any, filterset: Any, export: str) -> HttpResponse:
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, table, export)
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    partial = request.htmx and not request.htmx.history_restore_request
    return render(
        request, f"{template}#results" if partial else template, {"filter": filterset, "table": table}
    )


@require_perm("view_orders")
@vary_on_headers("HX-Request")
def shipment_list(request: HttpRequest) -> HttpResponse:
    filterset = ShipmentFilter(request.GET or None, queryset=shipments_queryset())
    return _list(
        request, "orders/shipment_list.html", ShipmentTable(_filtered(filterset)), filterset, "shipments"
    )


@require_perm("view_orders")
def shipment_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    shipment = get_object_or_404(
        Shipment.objects.select_related("purchase_order", "vendor_code"), public_id=public_id
    )
    context = selectors.shipment_detail(shipment)
    context["can_work"] = request.user.has_perm(perm("work_orders"))
    context["rerunnable"] = shipment.status in (
        ShipmentStatus.BLOCKED,
        ShipmentStatus.PICKED,
        ShipmentStatus.REJECTED,
    )
    return render(request, "orders/shipment_detail.html", context)


@require_POST
@require_perm("work_orders")
def shipment_recheck(request: HttpRequest, public_id: str) -> HttpResponse:
    """Queue the shipments step (re-read the fulfilment from NetSuite, validate, send if valid)."""
    shipment = get_object_or_404(Shipment, public_id=public_id)
    if shipment.status == ShipmentStatus.REJECTED:
        services.shipment_retry(shipment=shipment, actor=request.user)
    from vendorsync.tasks import run_flow

    run_flow.delay("shipments", request.user.pk)
    messages.success(
        request,
        "The shipments step is queued: it re-reads the fulfilment from NetSuite and sends the ASN if it passes.",
    )
    return redirect(shipment.get_absolute_url())


@require_perm("view_orders")
@vary_on_headers("HX-Request")
def invoice_list(request: HttpRequest) -> HttpResponse:
    filterset = InvoiceFilter(request.GET or None, queryset=invoices_queryset())
    return _list(
        request, "orders/invoice_list.html", InvoiceTable(_filtered(filterset)), filterset, "invoices"
    )


@require_perm("view_orders")
def invoice_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    invoice = get_object_or_404(
        Invoice.objects.select_related("purchase_order", "shipment"), public_id=public_id
    )
    lines = list(invoice.lines.select_related("po_line").order_by("sequence"))
    return render(request, "orders/invoice_detail.html", {"invoice": invoice, "lines": lines})
