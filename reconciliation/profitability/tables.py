"""Profitability tables: one row per product (each figure links to its lines) and the drill-down."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from reconciliation.profitability.compute import ProductRow, Share


class FigureColumn(tables.Column):
    """A money figure that links to the lines behind it (``figure`` names it in the drill-down)."""

    def __init__(self, figure: str, **kwargs) -> None:  # noqa: ANN003
        self.figure = figure
        kwargs.setdefault("attrs", {"td": {"class": "num"}})
        super().__init__(**kwargs)

    def render(self, value: Decimal, record: ProductRow, table: tables.Table) -> str:  # type: ignore[override]
        query = urlencode({"product": record.asin, "figure": self.figure}) + "&" + table.span_query
        return format_html(
            '<a href="{}?{}">{}</a>', reverse("reconciliation:profitability_lines"), query, value
        )


class ProductTable(tables.Table):
    asin = tables.Column(verbose_name="ASIN")
    sku = tables.Column(verbose_name="SKU")
    description = tables.Column()
    units = tables.Column(verbose_name="Units invoiced", attrs={"td": {"class": "num"}})
    revenue = FigureColumn("revenue", verbose_name="Invoiced revenue")
    claims = FigureColumn("claims", verbose_name="Shortage & price claims")
    discounts = FigureColumn("discounts", verbose_name="Terms discounts")
    prorata = FigureColumn("prorata", verbose_name="Co-op, chargebacks, price protection (pro rata)")
    recoveries = FigureColumn("recoveries", verbose_name="Recoveries")
    net = tables.Column(verbose_name="Net realised", attrs={"td": {"class": "num"}})
    rate = tables.Column(verbose_name="Net %", attrs={"td": {"class": "num"}}, default="—")
    basis = tables.Column(verbose_name="Pro-rata basis (received × cost)", attrs={"td": {"class": "num"}})

    class Meta:
        order_by = ("net",)
        empty_text = "No invoices or deductions in this period."

    def __init__(self, data, *, span_query: str, **kwargs) -> None:  # noqa: ANN001, ANN003
        self.span_query = span_query
        super().__init__(data, **kwargs)


class ShareTable(tables.Table):
    document = tables.Column(linkify=lambda record: record.url, verbose_name="Document")
    line_type = tables.Column(verbose_name="Type")
    payment = tables.Column(verbose_name="Payment", default="—")
    line_amount = tables.Column(verbose_name="Whole line / invoice", attrs={"td": {"class": "num"}})
    amount = tables.Column(verbose_name="Attributed to this product", attrs={"td": {"class": "num"}})
    basis = tables.Column(verbose_name="Basis of the split")

    class Meta:
        order_by = ("document",)
        empty_text = "No lines behind this figure."

    def render_line_type(self, value: str, record: Share) -> str:
        from reconciliation.models import LineType

        return LineType(value).label if value in LineType.values else value
