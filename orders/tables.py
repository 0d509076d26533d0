"""Tables of the orders pages (django-tables2): sortable, paginated, exportable to XLSX."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_tables2 as tables

from orders.models import Item, ItemCrossReference, PurchaseOrder
from vendorsync.tables import DATETIME_FORMAT

CENT = Decimal("0.01")


class PurchaseOrderTable(tables.Table):
    number = tables.Column(linkify=lambda record: record.get_absolute_url(), verbose_name="PO")
    vendor_code = tables.Column(accessor="vendor_code__code", verbose_name="Vendor code")
    ship_to = tables.Column(verbose_name="FC")
    ship_window_start = tables.DateTimeColumn(verbose_name="Ship from", format="Y-m-d")
    ship_window_end = tables.DateTimeColumn(verbose_name="Ship by", format="Y-m-d")
    ordered_at = tables.DateTimeColumn(verbose_name="Ordered", format=DATETIME_FORMAT)
    line_count = tables.Column(verbose_name="Lines")
    sales_order_state = tables.Column(verbose_name="Sales order")
    open_exceptions = tables.Column(
        verbose_name="Open exceptions", empty_values=(), orderable=False, exclude_from_export=True
    )

    class Meta:
        model = PurchaseOrder
        fields = (
            "number",
            "vendor_code",
            "status",
            "amazon_state",
            "ship_to",
            "ship_window_start",
            "ship_window_end",
            "ordered_at",
            "line_count",
            "source",
            "sales_order_state",
            "open_exceptions",
        )
        order_by = ("-ordered_at",)
        empty_text = "No purchase orders match."

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exception_counts: dict[str, int] = {}

    def render_open_exceptions(self, record: PurchaseOrder) -> Any:
        return self.exception_counts.get(str(record.public_id), 0) or "—"


class ItemTable(tables.Table):
    sku = tables.Column(verbose_name="SKU")
    upc = tables.Column(verbose_name="UPC / EAN")
    asin = tables.Column(verbose_name="ASIN")
    cost = tables.Column(verbose_name="Cost")
    netsuite_id = tables.Column(verbose_name="NetSuite id")

    class Meta:
        model = Item
        fields = (
            "sku",
            "description",
            "upc",
            "asin",
            "cost",
            "case_pack",
            "available",
            "inactive",
            "netsuite_id",
        )
        order_by = ("sku",)
        empty_text = "No items yet: run the items sync."

    def render_cost(self, value: Decimal) -> str:
        # Stored with NetSuite's six decimals; show cents unless the cost really has more.
        cents = value.quantize(CENT)
        return str(cents if cents == value else value.normalize())


class CrossReferenceTable(tables.Table):
    vendor_code = tables.Column(accessor="vendor_code__code", verbose_name="Vendor code")
    item = tables.Column(accessor="item__sku", verbose_name="Item SKU")
    created_by = tables.Column(accessor="created_by__username", verbose_name="Added by", default="system")
    actions = tables.TemplateColumn(
        template_name="orders/_xref_actions.html", verbose_name="", orderable=False, exclude_from_export=True
    )
    created_at = tables.DateTimeColumn(verbose_name="Added at", format=DATETIME_FORMAT)

    class Meta:
        model = ItemCrossReference
        fields = ("vendor_code", "kind", "value", "item", "note", "created_by", "created_at")
        order_by = ("vendor_code", "kind", "value")
        empty_text = "No cross-references yet."
