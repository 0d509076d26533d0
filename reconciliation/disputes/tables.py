"""Dispute tables: the disputes and the claim lines one may still dispute."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html

from reconciliation.close_models import Dispute
from reconciliation.models import RemittanceLine
from vendorsync.tables import DATETIME_FORMAT


def line_key(line: RemittanceLine) -> str:
    """A line's public handle in forms: its payment's public id and its sequence."""
    return f"{line.remittance.public_id}:{line.sequence}"


class DisputeTable(tables.Table):
    reference = tables.Column(
        linkify=lambda record: record.get_absolute_url(), empty_values=(), verbose_name="Dispute"
    )
    disputed_amount = tables.Column(verbose_name="Disputed")
    recovered_amount = tables.Column(verbose_name="Recovered")
    opened_by = tables.Column(accessor="opened_by__username", verbose_name="Opened by", default="system")
    opened_at = tables.DateTimeColumn(verbose_name="Opened", format=DATETIME_FORMAT)

    class Meta:
        model = Dispute
        fields = (
            "reference",
            "kind",
            "status",
            "disputed_amount",
            "recovered_amount",
            "claimed_on",
            "recovered_on",
            "opened_by",
            "opened_at",
        )
        order_by = ("-opened_at",)
        empty_text = "No disputes yet. Choose claim lines below and open one."

    def render_reference(self, record: Dispute) -> str:
        return str(record)

    def value_reference(self, record: Dispute) -> str:
        return record.reference


class DisputableLineTable(tables.Table):
    pick = tables.Column(empty_values=(), orderable=False, verbose_name="", exclude_from_export=True)
    payment = tables.Column(
        accessor="remittance__payment_number",
        verbose_name="Payment",
        linkify=lambda record: record.get_absolute_url(),
    )
    payment_date = tables.Column(accessor="remittance__payment_date", verbose_name="Paid on")

    class Meta:
        model = RemittanceLine
        fields = (
            "pick",
            "payment",
            "payment_date",
            "document_number",
            "line_type",
            "base_invoice_number",
            "purchase_order",
            "amount_paid",
        )
        order_by = ("-payment_date",)
        empty_text = "No undisputed shortage or price claims."

    def render_pick(self, record: RemittanceLine) -> str:
        return format_html(
            '<input type="checkbox" name="line" value="{}" aria-label="Dispute {}">',
            line_key(record),
            record.document_number,
        )
