"""Orders pages: purchase orders (list, detail, approval), items, and SKU/ASIN cross-references.

Ops work these pages; finance (``view_orders``) reads them. Mutations are POST + CSRF and are
checked again in the services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig
from openpyxl import load_workbook

from orders import flows, selectors, services
from orders.filters import CrossReferenceFilter, ItemFilter, PurchaseOrderFilter
from orders.models import (
    Acknowledgement,
    IdentifierKind,
    Item,
    ItemCrossReference,
    PurchaseOrder,
    PurchaseOrderStatus,
    VendorCode,
)
from orders.tables import CrossReferenceTable, ItemTable, PurchaseOrderTable
from vendorsync.access import require_perm
from vendorsync.exports import table_xlsx_response, xlsx_response
from vendorsync.roles import perm

PAGE_SIZE = 50
MAX_IMPORT_ROWS = 5000


def _filtered(filterset: Any, queryset: Any) -> Any:
    if filterset.is_bound and not filterset.is_valid():
        return queryset.none()
    return filterset.qs


def _list_page(
    request: HttpRequest, template: str, table: Any, filterset: Any, extra: dict | None = None
) -> HttpResponse:
    partial = request.htmx and not request.htmx.history_restore_request
    return render(
        request,
        f"{template}#results" if partial else template,
        {"filter": filterset, "table": table, **(extra or {})},
    )


@require_perm("view_orders")
@vary_on_headers("HX-Request")
def index(request: HttpRequest) -> HttpResponse:
    """The purchase order list: status, FC, ship window and open exceptions; search by PO/ASIN/SKU."""
    queryset = selectors.purchase_orders()
    filterset = PurchaseOrderFilter(request.GET or None, queryset=queryset)
    table = PurchaseOrderTable(_filtered(filterset, queryset))
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, table, "purchase-orders")
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    table.exception_counts = selectors.open_exception_counts(
        row.record.public_id for row in table.page.object_list
    )
    return _list_page(request, "orders/po_list.html", table, filterset)


def _po_for(user: Any, public_id: Any) -> PurchaseOrder:
    return get_object_or_404(PurchaseOrder.objects.select_related("vendor_code"), public_id=public_id)


@require_perm("view_orders")
def po_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    po = _po_for(request.user, public_id)
    context = selectors.purchase_order_detail(po)
    context["can_work"] = request.user.has_perm(perm("work_orders"))
    context["kinds"] = IdentifierKind.choices
    return render(request, "orders/po_detail.html", context)


@require_POST
@require_perm("work_orders")
def ack_approve(request: HttpRequest, public_id: str) -> HttpResponse:
    ack = get_object_or_404(Acknowledgement.objects.select_related("purchase_order"), public_id=public_id)
    try:
        services.acknowledgement_approve(actor=request.user, ack=ack)
        messages.success(
            request,
            f"Acknowledgement of PO {ack.purchase_order.number} approved; it goes out with the next sync.",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(ack.purchase_order.get_absolute_url())


@require_POST
@require_perm("work_orders")
def po_redecide(request: HttpRequest, public_id: str) -> HttpResponse:
    po = _po_for(request.user, public_id)
    try:
        services.purchase_order_redecide(actor=request.user, po=po)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(po.get_absolute_url())
    flows.revalidate(PurchaseOrder.objects.filter(pk=po.pk))
    messages.success(
        request,
        f"PO {po.number} decided again from current stock; the acknowledgement goes out with the next sync.",
    )
    return redirect(po.get_absolute_url())


@require_perm("view_orders")
@vary_on_headers("HX-Request")
def items(request: HttpRequest) -> HttpResponse:
    queryset = Item.objects.all()
    filterset = ItemFilter(request.GET or None, queryset=queryset)
    table = ItemTable(_filtered(filterset, queryset))
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, table, "items")
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    return _list_page(request, "orders/items.html", table, filterset)


@require_perm("view_orders")
@vary_on_headers("HX-Request")
def cross_references(request: HttpRequest) -> HttpResponse:
    queryset = ItemCrossReference.objects.select_related("vendor_code", "item", "created_by")
    filterset = CrossReferenceFilter(request.GET or None, queryset=queryset)
    table = CrossReferenceTable(_filtered(filterset, queryset))
    if request.GET.get("export") == "xlsx":
        rows = (
            (x.vendor_code.code, x.kind, x.value, x.item.sku, x.note)
            for x in _filtered(filterset, queryset).order_by("vendor_code__code", "kind", "value")
        )
        return xlsx_response("cross-references", list(services.IMPORT_COLUMNS), rows)
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    extra = {
        "vendor_codes": VendorCode.objects.all(),
        "kinds": IdentifierKind.choices,
        "can_work": request.user.has_perm(perm("work_orders")),
        "columns": services.IMPORT_COLUMNS,
    }
    return _list_page(request, "orders/cross_references.html", table, filterset, extra)


def _revalidate_unblocked(vendor_code: VendorCode) -> dict[str, int]:
    """A new mapping may unblock POs of its vendor code: validate them again and decide them."""
    return flows.revalidate(
        PurchaseOrder.objects.filter(vendor_code=vendor_code, status=PurchaseOrderStatus.BLOCKED)
    )


@require_POST
@require_perm("work_orders")
def cross_reference_add(request: HttpRequest) -> HttpResponse:
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("orders:cross_references")
    vendor = VendorCode.objects.filter(code=request.POST.get("vendor_code", "").strip()).first()
    sku = request.POST.get("item_sku", "").strip()
    item = Item.objects.filter(sku=sku).first()
    if vendor is None:
        messages.error(request, "Vendor code: choose a known vendor code.")
        return redirect(back)
    if item is None:
        messages.error(request, f"Item SKU: no NetSuite item has SKU {sku!r}.")
        return redirect(back)
    try:
        xref = services.cross_reference_add(
            actor=request.user,
            vendor_code=vendor,
            kind=request.POST.get("kind", ""),
            value=request.POST.get("value", ""),
            item=item,
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect(back)
    result = _revalidate_unblocked(vendor)
    messages.success(
        request,
        f"{xref.get_kind_display()} {xref.value} now maps to {item.sku}. "
        f"{result['revalidated']} blocked PO(s) revalidated, {result['planned']} went on to sales order and acknowledgement.",
    )
    return redirect(back)


@require_POST
@require_perm("work_orders")
def cross_reference_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    xref = get_object_or_404(
        ItemCrossReference.objects.select_related("vendor_code", "item"), public_id=public_id
    )
    services.cross_reference_delete(actor=request.user, xref=xref)
    messages.success(request, f"Mapping {xref.value} → {xref.item.sku} removed.")
    return redirect("orders:cross_references")


def _rows_from_workbook(upload: Any) -> list[dict[str, Any]]:
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a file that is not XLSX
        raise ValidationError(f"The file is not a readable XLSX workbook ({type(exc).__name__}).") from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h or "").strip().lower() for h in next(rows, ())]
    missing = [c for c in ("vendor_code", "identifier", "item_sku") if c not in header]
    if missing:
        raise ValidationError(
            f"Row 1: missing column(s) {', '.join(missing)} (expected {', '.join(services.IMPORT_COLUMNS)})."
        )
    out = []
    for number, values in enumerate(rows, start=2):
        if not any(v not in (None, "") for v in values):
            continue
        if len(out) >= MAX_IMPORT_ROWS:
            raise ValidationError(f"More than {MAX_IMPORT_ROWS} rows: split the file.")
        record = {header[i]: values[i] for i in range(min(len(header), len(values)))}
        record["row"] = number
        out.append(record)
    return out


@require_POST
@require_perm("work_orders")
def cross_reference_import(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose an XLSX file to import.")
        return redirect("orders:cross_references")
    try:
        created = services.cross_references_import(actor=request.user, rows=_rows_from_workbook(upload))
    except ValidationError as exc:
        for message in exc.messages[:20]:
            messages.error(request, message)
        messages.error(request, "Nothing was imported: fix the rows above and import the file again.")
        return redirect("orders:cross_references")
    revalidated = 0
    for vendor in {x.vendor_code for x in created}:
        revalidated += _revalidate_unblocked(vendor)["revalidated"]
    messages.success(
        request, f"{len(created)} cross-reference(s) imported; {revalidated} blocked PO(s) revalidated."
    )
    return redirect("orders:cross_references")
