"""The shortage-claims table (django-tables2; XLSX through ``vendorsync.exports``)."""

from __future__ import annotations

import django_tables2 as tables

from reconciliation.shortage_models import ShortageClaim


class ShortageTable(tables.Table):
    select = tables.CheckBoxColumn(
        accessor="public_id",
        attrs={"input": {"name": "claims", "form": "pack-form"}},
        exclude_from_export=True,
    )
    claim = tables.Column(
        accessor="line__document_number",
        verbose_name="Claim",
        linkify=lambda record: record.get_absolute_url(),
    )
    payment = tables.Column(accessor="line__remittance__payment_number", verbose_name="Payment")
    claim_date = tables.Column(verbose_name="Date")
    invoice_number = tables.Column(verbose_name="Invoice")
    purchase_order_number = tables.Column(verbose_name="PO")
    fc = tables.Column(verbose_name="FC")
    asn = tables.Column(accessor="shipment__shipment_identifier", verbose_name="ASN", default="—")
    claimed_amount = tables.Column(verbose_name="Claimed")
    claimed_units = tables.Column(verbose_name="Claimed units", default="—")
    shipped_units = tables.Column(verbose_name="Shipped (ASN)", default="—")
    received_units = tables.Column(verbose_name="Received", default="—")
    amount_at_risk = tables.Column(verbose_name="Disputable")
    verdict = tables.Column()
    reason = tables.Column(orderable=False, attrs={"td": {"class": "why"}})

    class Meta:
        model = ShortageClaim
        fields = ()
        sequence = (
            "select",
            "claim",
            "payment",
            "claim_date",
            "invoice_number",
            "purchase_order_number",
            "fc",
            "asn",
            "claimed_amount",
            "claimed_units",
            "shipped_units",
            "received_units",
            "amount_at_risk",
            "verdict",
            "reason",
        )
        order_by = ("-claim_date",)
        row_attrs = {"class": lambda record: f"verdict-{record.verdict}"}
        empty_text = "No shortage claims match."
