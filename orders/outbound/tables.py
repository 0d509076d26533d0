"""Tables of the shipments and invoices lists (sortable, paginated, exportable to XLSX)."""

from __future__ import annotations

import django_filters
import django_tables2 as tables
from django.db.models import Count, Q, QuerySet

from orders.models import VendorCode
from orders.outbound_models import Invoice, InvoiceStatus, Shipment, ShipmentStatus


class ShipmentTable(tables.Table):
    shipment_identifier = tables.Column(linkify=lambda record: record.get_absolute_url(), verbose_name="ASN")
    purchase_order = tables.Column(accessor="purchase_order__number", verbose_name="PO")
    ship_to = tables.Column(verbose_name="FC")
    netsuite_fulfilment_number = tables.Column(verbose_name="Fulfilment")
    shipped_at = tables.DateTimeColumn(verbose_name="Shipped", format="Y-m-d")
    container_count = tables.Column(verbose_name="Containers")
    problem_count = tables.Column(verbose_name="Problems", empty_values=(), orderable=False)
    transaction_status = tables.Column(verbose_name="Amazon")

    class Meta:
        model = Shipment
        fields = (
            "shipment_identifier",
            "purchase_order",
            "status",
            "channel",
            "ship_to",
            "netsuite_fulfilment_number",
            "shipped_at",
            "container_count",
            "problem_count",
            "transaction_status",
        )
        order_by = ("-shipped_at",)
        empty_text = "No shipments match."

    def render_problem_count(self, record: Shipment) -> int | str:
        return len(record.problems) or "—"

    def value_problem_count(self, record: Shipment) -> int:
        return len(record.problems)


class InvoiceTable(tables.Table):
    number = tables.Column(linkify=lambda record: record.get_absolute_url(), verbose_name="Invoice")
    purchase_order = tables.Column(accessor="purchase_order__number", verbose_name="PO")
    shipment = tables.Column(accessor="shipment__shipment_identifier", verbose_name="ASN")
    invoice_date = tables.DateColumn(verbose_name="Date", format="Y-m-d")
    total = tables.Column(verbose_name="Total")
    transaction_status = tables.Column(verbose_name="Amazon")

    class Meta:
        model = Invoice
        fields = ("number", "purchase_order", "shipment", "invoice_date", "total", "currency", "status",
                  "channel", "netsuite_id", "transaction_status")  # fmt: skip
        order_by = ("-invoice_date",)
        empty_text = "No invoices match."


def shipments_queryset() -> QuerySet:
    return Shipment.objects.select_related("purchase_order").annotate(container_count=Count("containers"))


def invoices_queryset() -> QuerySet:
    return Invoice.objects.select_related("purchase_order", "shipment")


class ShipmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="ASN, PO or SSCC")
    vendor_code = django_filters.ModelChoiceFilter(
        queryset=VendorCode.objects.all(), empty_label="All vendor codes", label="Vendor code"
    )
    status = django_filters.ChoiceFilter(choices=ShipmentStatus.choices, empty_label="Any status")

    class Meta:
        model = Shipment
        fields = ("q", "vendor_code", "status")

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        digits = value[2:] if len(value) == 20 and value.startswith("00") else value
        by_sscc = Shipment.objects.filter(containers__sscc__in=[value, digits]).values("pk")
        return queryset.filter(
            Q(shipment_identifier__iexact=value) | Q(purchase_order__number__iexact=value) | Q(pk__in=by_sscc)
        )


class InvoiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Invoice or PO")
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices, empty_label="Any status")

    class Meta:
        model = Invoice
        fields = ("q", "status")

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__iexact=value) | Q(purchase_order__number__iexact=value))
