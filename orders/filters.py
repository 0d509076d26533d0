"""Filters of the orders lists; every list filters by vendor code."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from orders.models import (
    IdentifierKind,
    Item,
    ItemCrossReference,
    PurchaseOrder,
    PurchaseOrderStatus,
    VendorCode,
)


class PurchaseOrderFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="PO, ASIN or SKU")
    vendor_code = django_filters.ModelChoiceFilter(
        queryset=VendorCode.objects.all(), empty_label="All vendor codes", label="Vendor code"
    )
    status = django_filters.ChoiceFilter(choices=PurchaseOrderStatus.choices, empty_label="Any status")
    ship_to = django_filters.CharFilter(lookup_expr="iexact", label="FC")
    # The rows behind the health dashboard's and the integration audit's order figures.
    gap = django_filters.ChoiceFilter(
        choices=[
            ("ack_late", "Not acknowledged within 24 h (30 days)"),
            ("no_xref", "Lines with no cross-reference (30 days)"),
            ("closing", "Window closing with open lines"),
        ],
        empty_label="Any",
        method="by_gap",
        label="Gap",
    )

    class Meta:
        model = PurchaseOrder
        fields = ("q", "vendor_code", "status", "ship_to", "gap")

    def by_gap(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        from orders import health

        if value == "ack_late":
            return queryset.filter(pk__in=health.acks_late().values("pk"))
        if value == "no_xref":
            return queryset.filter(pk__in=health.lines_without_item().values("purchase_order"))
        if value == "closing":
            return queryset.filter(pk__in=health.pos_closing_with_open_lines().values("pk"))
        return queryset

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        # A subquery, not a join: a PO matching on several lines is listed once, without DISTINCT.
        lines = PurchaseOrder.objects.filter(
            Q(lines__asin__iexact=value)
            | Q(lines__vendor_product_id__iexact=value)
            | Q(lines__item__sku__iexact=value)
        ).values("pk")
        return queryset.filter(Q(number__iexact=value) | Q(pk__in=lines))


class ItemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="SKU, UPC, ASIN or name")

    class Meta:
        model = Item
        fields = ("q",)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(
            Q(sku__icontains=value)
            | Q(upc__icontains=value)
            | Q(asin__iexact=value)
            | Q(description__icontains=value)
        )


class CrossReferenceFilter(django_filters.FilterSet):
    vendor_code = django_filters.ModelChoiceFilter(
        queryset=VendorCode.objects.all(), empty_label="All vendor codes", label="Vendor code"
    )
    kind = django_filters.ChoiceFilter(choices=IdentifierKind.choices, empty_label="Any kind")
    q = django_filters.CharFilter(method="search", label="Identifier or SKU")

    class Meta:
        model = ItemCrossReference
        fields = ("vendor_code", "kind", "q")

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        return queryset.filter(Q(value__icontains=value) | Q(item__sku__iexact=value))
