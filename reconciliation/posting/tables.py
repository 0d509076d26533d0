"""Posting tables (django-tables2): batches, and the reconciled remittances a batch can be built from."""

from __future__ import annotations

import django_tables2 as tables

from reconciliation.models import Remittance
from reconciliation.posting_models import PostingBatch
from vendorsync.tables import DATETIME_FORMAT


class BatchTable(tables.Table):
    number = tables.Column(
        verbose_name="Batch", accessor="pk", linkify=lambda record: record.get_absolute_url(), orderable=True
    )
    payments = tables.Column(verbose_name="Payments", empty_values=(), orderable=False)
    prepared_by = tables.Column(verbose_name="Prepared by")
    approved_by = tables.Column(verbose_name="Approved by", default="—")
    period = tables.Column(default="—")
    created_at = tables.DateTimeColumn(format=DATETIME_FORMAT, verbose_name="Built")

    class Meta:
        model = PostingBatch
        fields = (
            "number",
            "kind",
            "status",
            "payments",
            "posting_date",
            "period",
            "style",
            "payment_total",
            "credits_total",
            "prepared_by",
            "approved_by",
            "created_at",
        )
        order_by = ("-number",)
        empty_text = "No posting batches yet: build one from reconciled remittances."

    def render_number(self, record: PostingBatch) -> str:
        return record.number

    def value_number(self, record: PostingBatch) -> str:
        return record.number

    def render_payments(self, record: PostingBatch) -> str:
        return ", ".join(r.payment_number for r in record.remittances.all())

    def value_payments(self, record: PostingBatch) -> str:
        return self.render_payments(record)


class CandidateTable(tables.Table):
    """Live remittances no live batch holds, with a checkbox to build one batch from several."""

    # Named after the build form's field: the checked boxes post as ``remittances``.
    remittances = tables.CheckBoxColumn(
        accessor="public_id",
        attrs={
            "th__input": {"aria-label": "Select all"},
            "td__input": {"aria-label": "Include in the batch"},
        },
    )
    payment_number = tables.Column(linkify=lambda record: record.get_absolute_url())
    matched_pct = tables.Column(verbose_name="Explained %")
    unexplained_amount = tables.Column(verbose_name="Unexplained")

    class Meta:
        model = Remittance
        fields = (
            "select",
            "payment_number",
            "payment_date",
            "amount",
            "currency",
            "matched_pct",
            "unexplained_amount",
        )
        order_by = ("-payment_date",)
        empty_text = "Every live remittance is already in a batch."
