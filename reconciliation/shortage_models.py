"""Shortage-claim evidence (issue 10 item 4): one stored verdict per shortage-claim line.

A shortage claim (``…SC``, and the revised ``…SCRSC``) says Amazon received fewer units than we
invoiced. What we can hold against it is our own ASN: the cartons (SSCC-18, weights) that Amazon
accepted for the shipment behind the invoice. The verdict is recomputed from that evidence by
``reconciliation.shortage.services.shortage_refresh`` (idempotent: a row only changes when its
evidence does), and stored so lists can filter on it and ``disputable_shortage`` cases follow it.
Imported at the end of ``reconciliation.models``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.urls import reverse
from django.utils import timezone

MONEY = {"max_digits": 14, "decimal_places": 2}


class ShortageVerdict(models.TextChoices):
    DISPUTABLE = "disputable", "Disputable"
    ACCEPT = "accept", "Accept"
    INSUFFICIENT = "insufficient", "Insufficient evidence"


class ShortageClaim(models.Model):
    """The verdict on one shortage-claim line and the figures behind it.

    Invariants: one row per line; ``amount_at_risk`` > 0 exactly when the verdict is disputable
    and never more than ``claimed_amount``; units are eaches.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    line = models.OneToOneField(
        "reconciliation.RemittanceLine", on_delete=models.CASCADE, related_name="shortage"
    )
    verdict = models.CharField(max_length=20, choices=ShortageVerdict.choices, db_index=True)
    reason = models.TextField(help_text="The verdict's reason in one sentence.")
    invoice_number = models.CharField(max_length=100, blank=True, help_text="The claim's base invoice.")
    purchase_order_number = models.CharField(max_length=40, blank=True)
    fc = models.CharField(max_length=20, blank=True, db_index=True, help_text="Ship-to fulfilment centre.")
    claim_date = models.DateField(null=True, blank=True, db_index=True)
    claimed_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    claimed_units = models.PositiveIntegerField(null=True, blank=True, help_text="Claim ÷ unit cost.")
    invoiced_units = models.PositiveIntegerField(null=True, blank=True)
    shipped_units = models.PositiveIntegerField(null=True, blank=True, help_text="Per our ASN's cartons.")
    received_units = models.PositiveIntegerField(null=True, blank=True, help_text="Per Amazon's receipts.")
    disputable_units = models.PositiveIntegerField(null=True, blank=True)
    amount_at_risk = models.DecimalField(**MONEY, default=Decimal("0"))
    invoice = models.ForeignKey(
        "orders.Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shipment = models.ForeignKey(
        "orders.Shipment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fingerprint = models.CharField(max_length=64, help_text="Hash of the evidence the verdict rests on.")
    computed_at = models.DateTimeField(default=timezone.now)
    changed_at = models.DateTimeField(default=timezone.now, help_text="When the verdict last changed.")

    class Meta:
        ordering = ["-claim_date", "-id"]
        verbose_name = "shortage claim"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_at_risk__gte=0), name="shortage_amount_at_risk_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line.document_number} ({self.get_verdict_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("reconciliation:shortage_detail", args=[self.public_id])

    @property
    def case_key(self) -> str:
        """The dedupe key of this claim's ``disputable_shortage`` case (disputes resolve it by this)."""
        return disputable_shortage_key(self.public_id)


def disputable_shortage_key(public_id: uuid.UUID | str) -> str:
    return f"disputable_shortage:{public_id}"
