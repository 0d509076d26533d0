"""Disputes of Amazon's claims and the recoveries that pay them back (issue 12).

A dispute is finance telling Amazon "this claim is wrong" for one or more shortage or price-claim
lines. What comes back arrives on a later remittance: a reversal (``…SCR``, ``…PCR``), a revised
claim that takes part of it again (``…SCRSC``, negative), or a repayment line carrying the claim's
own document number. Those lines are ``DisputeRecovery`` rows, found by document number
(``reconciliation.disputes.services.dispute_recoveries_match``) or recorded by hand.

Invariants held by the database: a remittance line is disputed at most once, and a line pays back
at most one disputed line. Amounts are positive sizes (a claim of −120.00 is disputed as 120.00);
a recovery's amount is signed: positive pays back, negative (a revised claim) takes back again.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

MONEY = {"max_digits": 14, "decimal_places": 2}


class DisputeKind(models.TextChoices):
    SHORTAGE = "shortage", "Shortage claim"
    PRICE_CLAIM = "price_claim", "Price claim"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    PARTIALLY_WON = "partially_won", "Partially won"
    LOST = "lost", "Lost"


# Statuses whose outcome is known (the win rate's denominator).
DECIDED_STATUSES = (DisputeStatus.WON, DisputeStatus.PARTIALLY_WON, DisputeStatus.LOST)


class Dispute(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=20, choices=DisputeKind.choices)
    reference = models.CharField(
        max_length=100, blank=True, help_text="Amazon's case or dispute id, once Amazon gives one."
    )
    status = models.CharField(
        max_length=20, choices=DisputeStatus.choices, default=DisputeStatus.OPEN, db_index=True
    )
    disputed_amount = models.DecimalField(**MONEY)
    recovered_amount = models.DecimalField(**MONEY, default=Decimal("0"))
    # The payment date of the earliest claim disputed: "days to recovery" counts from when Amazon
    # kept the money, not from when someone clicked.
    claimed_on = models.DateField()
    recovered_on = models.DateField(null=True, blank=True, help_text="Payment date of the last recovery.")
    note = models.TextField(blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(disputed_amount__gt=0), name="dispute_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.reference or f"Dispute {str(self.public_id)[:8]}"

    def get_absolute_url(self) -> str:
        return reverse("reconciliation:dispute_detail", args=[self.public_id])

    @property
    def outstanding(self) -> Decimal:
        return max(self.disputed_amount - self.recovered_amount, Decimal("0"))


class DisputeLine(models.Model):
    """One claim line within a dispute; ``amount`` is the claim's size, ``recovered`` what came back."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="lines")
    line = models.OneToOneField(
        "reconciliation.RemittanceLine", on_delete=models.PROTECT, related_name="dispute_line"
    )
    amount = models.DecimalField(**MONEY)
    recovered = models.DecimalField(**MONEY, default=Decimal("0"))

    class Meta:
        ordering = ["dispute_id", "id"]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.amount}"


class RecoverySource(models.TextChoices):
    AUTO = "auto", "Matched by document number"
    MANUAL = "manual", "Recorded by hand"


class DisputeRecovery(models.Model):
    """A later remittance line that pays back (or, negative, re-claims) a disputed line."""

    dispute_line = models.ForeignKey(DisputeLine, on_delete=models.CASCADE, related_name="recoveries")
    line = models.OneToOneField(
        "reconciliation.RemittanceLine", on_delete=models.PROTECT, related_name="recovery_of"
    )
    amount = models.DecimalField(**MONEY)
    paid_on = models.DateField()
    source = models.CharField(max_length=10, choices=RecoverySource.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["paid_on", "id"]

    def __str__(self) -> str:
        return f"{self.line_id} → {self.dispute_line_id}: {self.amount}"
