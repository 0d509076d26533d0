"""Posting (issue 11): accounting periods, posting batches and the NetSuite records they write.

A batch is what finance signs off: the records built from reconciled remittances (one per charge,
then the customer payment), who prepared them and who approved them. Maker-checker is held by the
database, not only by the service: a batch can never carry an approver (or a rejecter) who is its
preparer, and an approved (or later) batch always names its approver — a direct UPDATE that breaks
either fails. Entries carry external ids built from our own ids, so NetSuite de-duplicates a record
sent twice. Imported by ``reconciliation.models`` (the way ``orders.outbound_models`` is).
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

MONEY = {"max_digits": 14, "decimal_places": 2}


class PeriodSource(models.TextChoices):
    NETSUITE = "netsuite", "Synced from NetSuite"
    CONFIGURED = "configured", "Configured by finance"


class AccountingPeriodQuerySet(models.QuerySet):
    def for_date(self, date: datetime.date) -> AccountingPeriod | None:
        """The period holding ``date`` (periods never overlap: ``periods.period_save`` refuses it)."""
        return self.filter(start_date__lte=date, end_date__gte=date).order_by("start_date").first()


class AccountingPeriod(models.Model):
    """A month of the ledger. Only monthly (posting) periods are kept: NetSuite's quarters and years
    overlap their months and nothing posts to them."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=60)
    start_date = models.DateField()
    end_date = models.DateField()
    netsuite_id = models.CharField(max_length=20, blank=True)
    source = models.CharField(max_length=12, choices=PeriodSource.choices, default=PeriodSource.CONFIGURED)
    locked = models.BooleanField(default=False)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    lock_reason = models.TextField(blank=True)
    closed_in_netsuite = models.BooleanField(default=False)
    # NetSuite's A/R lock (``arlocked``/``alllocked``): NetSuite itself refuses A/R postings then.
    ar_locked_in_netsuite = models.BooleanField(default=False)
    synced_at = models.DateTimeField(null=True, blank=True)

    objects = AccountingPeriodQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(fields=["start_date", "end_date"], name="accounting_period_dates_unique"),
            models.UniqueConstraint(
                fields=["netsuite_id"],
                condition=~Q(netsuite_id=""),
                name="accounting_period_netsuite_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="accounting_period_not_reversed"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("reconciliation:posting_periods") + f"#period-{self.public_id}"

    @property
    def closed(self) -> bool:
        """Nothing may post into it: locked here, or closed / A/R-locked in NetSuite."""
        return self.locked or self.closed_in_netsuite or self.ar_locked_in_netsuite


class BatchKind(models.TextChoices):
    POSTING = "posting", "Posting"
    REVERSAL = "reversal", "Reversal"


class BatchStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved"
    POSTING = "posting", "Posting"
    POSTED = "posted", "Posted"
    FAILED = "failed", "Failed"
    REVERSED = "reversed", "Reversed"


# A batch in one of these holds its remittances: no other batch may take them.
LIVE_BATCH_STATUSES = (
    BatchStatus.DRAFT,
    BatchStatus.PENDING_APPROVAL,
    BatchStatus.APPROVED,
    BatchStatus.POSTING,
    BatchStatus.POSTED,
    BatchStatus.FAILED,
)
# Statuses that exist only after a second person approved the batch.
APPROVED_STATUSES = (
    BatchStatus.APPROVED,
    BatchStatus.POSTING,
    BatchStatus.POSTED,
    BatchStatus.FAILED,
    BatchStatus.REVERSED,
)


class PostingStyle(models.TextChoices):
    CREDIT_MEMO = "credit_memo", "Credit memo per deduction"
    JOURNAL = "journal", "A/R journal entry per deduction"


class PostingBatch(models.Model):
    """The NetSuite records for one or more reconciled remittances, and their approval."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=BatchKind.choices, default=BatchKind.POSTING)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    status = models.CharField(
        max_length=20, choices=BatchStatus.choices, default=BatchStatus.DRAFT, db_index=True
    )
    style = models.CharField(max_length=12, choices=PostingStyle.choices, default=PostingStyle.CREDIT_MEMO)
    remittances = models.ManyToManyField("reconciliation.Remittance", related_name="posting_batches")
    period = models.ForeignKey(
        AccountingPeriod, null=True, blank=True, on_delete=models.PROTECT, related_name="batches"
    )
    posting_date = models.DateField()
    # The NetSuite customer every record of the batch books to, and the currency of its amounts.
    customer_id = models.CharField(max_length=30, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    payment_total = models.DecimalField(**MONEY, default=Decimal("0"))
    applied_total = models.DecimalField(**MONEY, default=Decimal("0"))
    credits_total = models.DecimalField(**MONEY, default=Decimal("0"))
    discount_total = models.DecimalField(**MONEY, default=Decimal("0"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Maker-checker, held by the database: no UPDATE can make the preparer the approver.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("prepared_by")),
                name="posting_batch_approver_not_preparer",
            ),
            models.CheckConstraint(
                condition=Q(rejected_by__isnull=True) | ~Q(rejected_by=F("prepared_by")),
                name="posting_batch_rejecter_not_preparer",
            ),
            # An approved (or later) batch names who approved it.
            models.CheckConstraint(
                condition=~Q(status__in=list(APPROVED_STATUSES)) | Q(approved_by__isnull=False),
                name="posting_batch_approved_has_approver",
            ),
            models.CheckConstraint(
                condition=Q(kind=BatchKind.POSTING, reverses__isnull=True)
                | Q(kind=BatchKind.REVERSAL, reverses__isnull=False),
                name="posting_batch_reversal_names_its_batch",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("reconciliation:posting_batch_detail", args=[self.public_id])

    @property
    def number(self) -> str:
        prefix = "RB" if self.kind == BatchKind.REVERSAL else "PB"
        return f"{prefix}-{self.pk or 'new'}"


class RecordType(models.TextChoices):
    CREDIT_MEMO = "creditMemo", "Credit memo"
    JOURNAL_ENTRY = "journalEntry", "Journal entry"
    CUSTOMER_PAYMENT = "customerPayment", "Customer payment"
    # A claim Amazon reverses and pays back (SCR, provision reversal) is re-billed with the
    # deduction account's item and applied by the payment (NetSuite reference §13.1).
    INVOICE = "invoice", "Invoice (re-bill of a reversed claim)"


class EntryPurpose(models.TextChoices):
    DEDUCTION = "deduction", "Deduction"
    DISCOUNT = "discount", "Terms discount"
    WRITE_OFF = "write_off", "Residual written off"
    PAYMENT = "payment", "Payment"
    REVERSAL = "reversal", "Reversal"


class EntryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    QUEUED = "queued", "Queued"
    POSTED = "posted", "Posted"
    NEEDS_REVIEW = "needs_review", "Needs review"
    VOIDED = "voided", "Voided"


class PostingEntry(models.Model):
    """One NetSuite record of a batch. ``payload`` is the record body as sent; ``external_id``
    (unique, from our ids) is the ``eid:`` NetSuite de-duplicates on."""

    batch = models.ForeignKey(PostingBatch, on_delete=models.CASCADE, related_name="entries")
    sequence = models.PositiveIntegerField()
    record_type = models.CharField(max_length=20, choices=RecordType.choices)
    purpose = models.CharField(max_length=12, choices=EntryPurpose.choices)
    external_id = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255, blank=True)
    payload = models.JSONField()
    amount = models.DecimalField(**MONEY)
    remittance_line = models.ForeignKey(
        "reconciliation.RemittanceLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    gl_account = models.ForeignKey(
        "reconciliation.GLAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=15, choices=EntryStatus.choices, default=EntryStatus.PENDING)
    netsuite_id = models.CharField(max_length=30, blank=True)
    outbox_message = models.ForeignKey(
        "vendorsync.OutboxMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "sequence"], name="posting_entry_sequence_unique"),
        ]

    def __str__(self) -> str:
        return self.external_id
