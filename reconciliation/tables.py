"""Finance tables (django-tables2): remittances, their lines, deductions, imports, mappings."""

from __future__ import annotations

import django_tables2 as tables

from reconciliation.models import DeductionMapping, ImportBatch, Remittance, RemittanceLine
from vendorsync.tables import DATETIME_FORMAT


class RemittanceTable(tables.Table):
    payment_number = tables.Column(linkify=lambda record: record.get_absolute_url())
    line_count = tables.Column(verbose_name="Lines")
    # Matching arrives with the matching engine (a later issue); until then nothing is matched.
    matched = tables.Column(verbose_name="Matched %", empty_values=(), orderable=False)
    drift = tables.Column(verbose_name="Unexplained variance")

    class Meta:
        model = Remittance
        fields = (
            "payment_number",
            "payment_date",
            "amount",
            "currency",
            "line_count",
            "matched",
            "drift",
            "status",
            "source",
            "revision",
        )
        order_by = ("-payment_date",)
        empty_text = "No remittances yet. Upload one, or run the remittance syncs."

    def render_matched(self, record: Remittance) -> str:
        return "0%"

    def value_matched(self, record: Remittance) -> int:
        return 0


class LineTable(tables.Table):
    gl_account = tables.Column(accessor="gl_account", verbose_name="GL account", default="—")
    discount_gl_account = tables.Column(verbose_name="Discount GL", default="—")

    class Meta:
        model = RemittanceLine
        fields = (
            "sequence",
            "document_number",
            "document_date",
            "line_type",
            "base_invoice_number",
            "purchase_order",
            "invoice_amount",
            "discount",
            "amount_paid",
            "gl_account",
            "discount_gl_account",
            "status",
        )
        order_by = ("sequence",)
        row_attrs = {"id": lambda record: f"line-{record.sequence}"}


class DeductionTable(tables.Table):
    payment = tables.Column(
        accessor="remittance__payment_number",
        verbose_name="Payment",
        linkify=lambda record: record.remittance.get_absolute_url(),
    )
    gl_account = tables.Column(verbose_name="GL account", default="—")

    class Meta:
        model = RemittanceLine
        fields = (
            "payment",
            "document_number",
            "document_date",
            "line_type",
            "base_invoice_number",
            "amount_paid",
            "adjustment_code",
            "gl_account",
            "status",
        )
        order_by = ("-document_date",)
        empty_text = "No deductions match."


class ImportTable(tables.Table):
    name = tables.Column(linkify=lambda record: record.get_absolute_url())
    uploaded_by = tables.Column(accessor="uploaded_by__username", verbose_name="By", default="system")
    created_at = tables.DateTimeColumn(verbose_name="Received", format=DATETIME_FORMAT)

    class Meta:
        model = ImportBatch
        fields = ("name", "door", "format", "status", "created_at", "uploaded_by")
        order_by = ("-created_at",)
        empty_text = "Nothing imported yet."


class MappingTable(tables.Table):
    gl_account = tables.Column(verbose_name="GL account")
    changed_by = tables.Column(accessor="changed_by__username", verbose_name="Changed by", default="system")
    changed_at = tables.DateTimeColumn(verbose_name="Changed at", format=DATETIME_FORMAT)

    class Meta:
        model = DeductionMapping
        fields = (
            "line_type",
            "adjustment_code",
            "gl_account",
            "effective_from",
            "effective_to",
            "changed_by",
            "changed_at",
            "note",
        )
        order_by = ("line_type", "-effective_from")
        empty_text = "No mappings: every deduction is unmapped until one is added."
