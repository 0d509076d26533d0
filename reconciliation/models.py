"""Reconciliation data: remittances and their lines, the import batches that brought them, the
editable tables that read and classify them, and the ledger data pulled from NetSuite.

Invariants held by the database: one live (not superseded) remittance per payment number; one
imported file per checksum; one open-ended deduction mapping per (type, adjustment code); unique
NetSuite ids for accounts and invoices. Amounts are ``Decimal`` with two places.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

MONEY = {"max_digits": 14, "decimal_places": 2}


class LineType(models.TextChoices):
    INVOICE = "invoice", "Invoice payment"
    TERMS_DISCOUNT = "terms_discount", "Terms discount"
    SHORTAGE = "shortage", "Shortage claim (SC)"
    SHORTAGE_REVERSAL = "shortage_reversal", "Shortage claim reversal (SCR)"
    SHORTAGE_REVISED = "shortage_revised", "Revised shortage claim (SCRSC)"
    PRICE_CLAIM = "price_claim", "Price claim (PC)"
    PRICE_CLAIM_REVERSAL = "price_claim_reversal", "Price claim reversal (PCR)"
    CHARGEBACK = "chargeback", "Chargeback (VCBSINV)"
    COOP = "coop", "Co-op / agreement invoice"
    PRICE_PROTECTION = "price_protection", "Price protection (IPAPUS)"
    PROVISION = "provision", "Provision for receivables"
    PROVISION_REVERSAL = "provision_reversal", "Provision reversal"
    RETURN = "return", "Return"
    UNKNOWN = "unknown", "Unknown"
    # Not a line type of any remittance: the key of the GL mapping for residuals written off
    # within tolerance by matching (issue 10), so admins map it like any deduction.
    WRITE_OFF = "write_off", "Write-off (residual within tolerance)"


# Lines that are not a payment of one of our invoices: each is coded to a GL account.
DEDUCTION_TYPES = frozenset(LineType.values) - {LineType.INVOICE, LineType.UNKNOWN}


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"
    EDI820 = "edi820", "EDI 820"
    API = "api", "Amazon API"


class ImportDoor(models.TextChoices):
    UPLOAD = "upload", "Browser upload"
    COMMAND = "command", "Command"
    FOLDER = "folder", "Inbound folder"
    API = "api", "Amazon API"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    IMPORTED = "imported", "Imported"
    ALREADY_IMPORTED = "already_imported", "Already imported"
    REFUSED = "refused", "Refused"
    FAILED = "failed", "Failed"


class ImportBatch(models.Model):
    """One file (or one API payment) brought in through one door; the record of the attempt.

    A refused import keeps its batch row (with the errors) and nothing else: no remittance, no line.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=255)
    format = models.CharField(max_length=10, choices=ImportFormat.choices, blank=True)
    door = models.CharField(max_length=10, choices=ImportDoor.choices)
    checksum = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(default=0)
    revision = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    # The uploaded bytes, kept until the worker has read them (the worker may run on another host).
    content = models.BinaryField(null=True, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["checksum"], condition=Q(status="imported"), name="one_import_per_file_checksum"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("reconciliation:import_detail", args=[self.public_id])

    @property
    def done(self) -> bool:
        return self.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING)


class RemittanceStatus(models.TextChoices):
    IMPORTED = "imported", "Imported"
    SUPERSEDED = "superseded", "Superseded by a revision"
    POSTED = "posted", "Posted"  # set by posting batches (a later issue)


class Remittance(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payment_number = models.CharField(max_length=64)
    revision = models.PositiveIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    unique_payment_id = models.CharField(max_length=64, blank=True)
    payment_date = models.DateField(db_index=True)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="USD")
    payment_method = models.CharField(max_length=20, blank=True)
    payee_code = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=10, choices=ImportFormat.choices)
    batch = models.ForeignKey(ImportBatch, on_delete=models.PROTECT, related_name="remittances")
    file_checksum = models.CharField(max_length=64)
    status = models.CharField(
        max_length=20, choices=RemittanceStatus.choices, default=RemittanceStatus.IMPORTED, db_index=True
    )
    line_count = models.PositiveIntegerField(default=0)
    lines_total = models.DecimalField(**MONEY, default=Decimal("0"))
    drift = models.DecimalField(**MONEY, default=Decimal("0"), help_text="Payment amount − Σ lines.")
    imported_at = models.DateTimeField(default=timezone.now)
    # Matching totals (issue 10), refreshed by every match change: payment = matched + deductions
    # + unexplained. ``matched_pct`` is the share of lines explained (matched or coded deductions).
    matched_amount = models.DecimalField(**MONEY, default=Decimal("0"), db_default=Decimal("0"))
    deductions_amount = models.DecimalField(**MONEY, default=Decimal("0"), db_default=Decimal("0"))
    unexplained_amount = models.DecimalField(**MONEY, default=Decimal("0"), db_default=Decimal("0"))
    written_off_amount = models.DecimalField(**MONEY, default=Decimal("0"), db_default=Decimal("0"))
    matched_pct = models.DecimalField(
        max_digits=5, decimal_places=1, default=Decimal("0"), db_default=Decimal("0")
    )
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-payment_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["payment_number", "revision"], name="remittance_revision_unique"),
            models.UniqueConstraint(
                fields=["payment_number"],
                condition=~Q(status="superseded"),
                name="one_live_remittance_per_payment_number",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.payment_number}"

    def get_absolute_url(self) -> str:
        return reverse("reconciliation:remittance_detail", args=[self.public_id])


class LineStatus(models.TextChoices):
    OK = "ok", "OK"
    CODED = "coded", "Coded"
    UNMAPPED = "unmapped", "Unmapped deduction code"
    UNKNOWN = "unknown", "Unknown line"
    OVERPAID = "overpaid", "Pays more than the invoice"
    POSTED = "posted", "Posted"


class LineMatchStatus(models.TextChoices):
    """Where matching has got with a line (separate from ``LineStatus``, which is about coding)."""

    UNMATCHED = "unmatched", "Unmatched"
    SUGGESTED = "suggested", "Suggested"
    MATCHED = "matched", "Matched"
    DEDUCTION = "deduction", "Deduction (coded by type)"


class RemittanceLine(models.Model):
    """One line of a payment. No public id of its own: it is shown and linked within its remittance
    (``#line-<sequence>``); a random-UUID unique index was the costliest part of a large import."""

    # Indexed by the (remittance, sequence) unique constraint; no second index (it slows imports).
    # No database-level foreign keys on this table (db_constraint=False): PostgreSQL checks them
    # once per line at commit, which was the largest part of a 100,000-line import. The ORM's
    # on_delete rules (emulated by Django either way) are unchanged, and the import checks and locks
    # each referenced row once instead (``services._lock_line_references``).
    remittance = models.ForeignKey(
        Remittance, on_delete=models.CASCADE, related_name="lines", db_index=False, db_constraint=False
    )
    sequence = models.PositiveIntegerField()
    source_row = models.PositiveIntegerField(null=True, blank=True, help_text="Row or segment in the file.")
    document_number = models.CharField(
        max_length=100
    )  # indexed in Meta: no LIKE index (unused, slows imports)
    document_date = models.DateField(null=True, blank=True)
    invoice_amount = models.DecimalField(**MONEY, null=True, blank=True)
    discount = models.DecimalField(**MONEY, default=Decimal("0"))
    amount_paid = models.DecimalField(**MONEY)
    description = models.CharField(max_length=255, blank=True)
    purchase_order = models.CharField(max_length=40, blank=True)
    adjustment_code = models.CharField(max_length=10, blank=True)
    line_type = models.CharField(max_length=30, choices=LineType.choices)
    base_invoice_number = models.CharField(max_length=100, blank=True)
    rule = models.ForeignKey(
        "ClassificationRule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    status = models.CharField(max_length=20, choices=LineStatus.choices)
    gl_account = models.ForeignKey(
        "GLAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
        db_index=False,  # accounts are never deleted (NetSuite marks them inactive); nothing filters lines by it
        db_constraint=False,
    )
    mapping = models.ForeignKey(
        "DeductionMapping",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lines",
        db_index=False,
        db_constraint=False,
    )
    discount_gl_account = models.ForeignKey(
        "GLAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="discount_lines",
        db_index=False,
        db_constraint=False,
    )
    # Matching state (issue 10). Database defaults, so the import's COPY needs no new columns.
    match_status = models.CharField(
        max_length=12,
        choices=LineMatchStatus.choices,
        default=LineMatchStatus.UNMATCHED,
        db_default=LineMatchStatus.UNMATCHED,
    )
    applied = models.DecimalField(
        **MONEY, default=Decimal("0"), db_default=Decimal("0"), help_text="Cash applied to invoices."
    )

    class Meta:
        ordering = ["remittance_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["remittance", "sequence"], name="remittance_line_sequence_unique")
        ]
        indexes = [models.Index(fields=["document_number"], name="remittance_line_document")]

    def __str__(self) -> str:
        return self.document_number

    def get_absolute_url(self) -> str:
        return f"{self.remittance.get_absolute_url()}#line-{self.sequence}"

    @property
    def is_deduction(self) -> bool:
        return self.line_type in DEDUCTION_TYPES

    @property
    def remaining(self) -> Decimal:
        """Cash of this line not applied to any invoice yet (matching)."""
        return self.amount_paid - self.applied


class HeaderField(models.TextChoices):
    PAYMENT_NUMBER = "payment_number", "Payment number"
    PAYMENT_DATE = "payment_date", "Payment date"
    PAYMENT_AMOUNT = "payment_amount", "Payment amount"
    CURRENCY = "currency", "Currency"
    DOCUMENT_NUMBER = "document_number", "Invoice / document number"
    DOCUMENT_DATE = "document_date", "Invoice / document date"
    DESCRIPTION = "description", "Description"
    INVOICE_AMOUNT = "invoice_amount", "Invoice amount"
    DISCOUNT = "discount", "Terms discount"
    AMOUNT_PAID = "amount_paid", "Amount paid"
    PURCHASE_ORDER = "purchase_order", "Purchase order"
    ADJUSTMENT_CODE = "adjustment_code", "Adjustment code"
    IGNORE = "ignore", "(ignore this column)"


class HeaderMapping(models.Model):
    """A spreadsheet column header (compared case- and space-insensitively) and the field it fills."""

    header = models.CharField(
        max_length=120, unique=True, help_text="Stored normalised: lower case, single spaces."
    )
    field = models.CharField(max_length=30, choices=HeaderField.choices)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["field", "header"]

    def __str__(self) -> str:
        return f"{self.header} → {self.field}"


class RuleField(models.TextChoices):
    DOCUMENT_NUMBER = "document_number", "Document number"
    DESCRIPTION = "description", "Description"
    ADJUSTMENT_CODE = "adjustment_code", "Adjustment code (ADX)"
    KNOWN_INVOICE = "known_invoice", "Document number is a NetSuite invoice"


class ClassificationRule(models.Model):
    """``pattern`` (a regular expression, searched) on ``field`` → ``line_type``; lowest ``order`` wins.

    A named group ``base`` in the pattern gives the base invoice number (``^(?P<base>.+)SC$``).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.PositiveIntegerField()
    field = models.CharField(max_length=20, choices=RuleField.choices)
    pattern = models.CharField(max_length=200, blank=True)
    line_type = models.CharField(max_length=30, choices=LineType.choices)
    note = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.order}: {self.field} ~ {self.pattern} → {self.line_type}"


class GLAccount(models.Model):
    netsuite_id = models.CharField(max_length=20, unique=True)
    number = models.CharField(max_length=20)
    name = models.CharField(max_length=200)
    account_type = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)
    synced_at = models.DateTimeField(default=timezone.now)
    # The NetSuite other-charge item whose income account is this account (synced with the chart):
    # a credit memo books to an account only through an item line. Blank = no such item; a batch
    # in the credit memo style cannot code a deduction to this account (posting blocker).
    deduction_item_id = models.CharField(max_length=20, blank=True, default="", db_default="")

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class DeductionMapping(models.Model):
    """Line type (and optionally an adjustment code) → GL account, for a period of dates.

    Versioned: a change never edits a mapping in force; it ends the old version the day before the
    new one starts (``effective_to`` is inclusive; null = open-ended).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    line_type = models.CharField(max_length=30, choices=LineType.choices)
    adjustment_code = models.CharField(max_length=10, blank=True, help_text="Blank = any code.")
    gl_account = models.ForeignKey(GLAccount, on_delete=models.PROTECT, related_name="mappings")
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["line_type", "adjustment_code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["line_type", "adjustment_code"],
                condition=Q(effective_to__isnull=True),
                name="one_open_mapping_per_type_code",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=models.F("effective_from")),
                name="mapping_period_not_reversed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_type}/{self.adjustment_code or '*'} → {self.gl_account_id} from {self.effective_from}"


class NormalisedKeyField(models.CharField):
    """``matching.normalise`` of another field of the row, kept in step on every INSERT and save().

    Matching looks invoices up by the normalised form of the number a remittance wrote
    (``" inv-0001001"`` → ``INV1001``); an indexed column lets it load just those rows instead of
    every invoice. Written by ``pre_save`` (as ``auto_now`` is), so ``create``/``bulk_create``/
    ``save`` keep it; ``bulk_update`` and ``QuerySet.update`` of the source must name it too
    (``OpenInvoice.refresh_keys``).
    """

    def __init__(self, *args, source: str = "", **kwargs) -> None:
        self.source = source
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):  # noqa: ANN201 - Django's signature
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs.pop("editable", None)
        kwargs.pop("blank", None)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        from reconciliation.matching.numbers import normalise

        value = normalise(getattr(model_instance, self.source) or "")[: self.max_length]
        setattr(model_instance, self.attname, value)
        return value


class OpenInvoice(models.Model):
    """A NetSuite invoice of the Amazon customer (all of them, paid ones with a zero balance).

    ``number_key`` / ``po_key`` are the normalised number and PO, and ``amount`` / ``open_balance``
    are indexed, so auto-match loads only the invoices a run's lines can name (by number, PO or
    amount) — its cost follows the lines, not the size of the ledger.
    """

    netsuite_id = models.CharField(max_length=20, unique=True)
    number = models.CharField(max_length=100, db_index=True)
    number_key = NormalisedKeyField(max_length=100, source="number", db_index=True)
    date = models.DateField(null=True, blank=True, db_index=True)
    amount = models.DecimalField(**MONEY, db_index=True)
    open_balance = models.DecimalField(**MONEY, db_index=True)
    purchase_order = models.CharField(max_length=40, blank=True)
    po_key = NormalisedKeyField(max_length=40, source="purchase_order", db_index=True)
    customer_id = models.CharField(max_length=20)
    status = models.CharField(max_length=30, blank=True)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-date", "number"]

    def __str__(self) -> str:
        return self.number

    def refresh_keys(self) -> None:
        """Recompute the normalised keys (for ``bulk_update``, which skips ``pre_save``)."""
        for field in (self._meta.get_field("number_key"), self._meta.get_field("po_key")):
            field.pre_save(self, add=False)


class MatchStatus(models.TextChoices):
    SUGGESTED = "suggested", "Suggested"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    UNDONE = "undone", "Undone"


class MatchRule(models.TextChoices):
    """The engine's rules (``reconciliation.matching.Rule``) and the workbench's own."""

    EXACT_NUMBER = "exact_number", "Exact document number"
    SUFFIX = "suffix", "Deduction suffix → base invoice"
    NORMALISED_NUMBER = "normalised_number", "Normalised number"
    NEAR_NUMBER = "near_number", "Near number, equal amount"
    PO_AMOUNT = "po_amount", "PO + amount"
    COMBINATION = "combination", "Combination of invoices"
    AMOUNT_DATE = "amount_date", "Amount + date window"
    MANUAL = "manual", "Matched by hand"
    SPLIT = "split", "Line split across invoices"


class Match(models.Model):
    """One decision linking remittance lines to invoices (many-to-many through ``MatchAllocation``).

    Only ``accepted`` matches count: they consume invoice balances and line cash. Suggestions wait
    for a person; rejected and undone matches stay as history (never deleted once decided).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Indexed by ``match_remittance_status`` (remittance first): a second index only slowed writes.
    remittance = models.ForeignKey(
        Remittance, on_delete=models.CASCADE, related_name="matches", db_index=False
    )
    rule = models.CharField(max_length=20, choices=MatchRule.choices)
    confidence = models.DecimalField(max_digits=3, decimal_places=2)
    status = models.CharField(max_length=10, choices=MatchStatus.choices)
    auto = models.BooleanField(default=False)
    explanation = models.TextField()
    flags = models.JSONField(default=list, blank=True)
    write_off_account = models.ForeignKey(
        GLAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["remittance_id", "-confidence", "id"]
        # The user columns are null on the matches auto-match writes (most rows): partial indexes
        # keep a user's deletion check fast while a run of 100,000 matches writes no entry in them.
        indexes = [
            models.Index(fields=["remittance", "status"], name="match_remittance_status"),
            models.Index(
                fields=["created_by"], name="match_created_by", condition=Q(created_by__isnull=False)
            ),
            models.Index(
                fields=["decided_by"], name="match_decided_by", condition=Q(decided_by__isnull=False)
            ),
            models.Index(fields=["undone_by"], name="match_undone_by", condition=Q(undone_by__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} ({self.confidence})"

    def get_absolute_url(self) -> str:
        return reverse("reconciliation:workbench", args=[self.remittance.public_id])


class MatchAllocation(models.Model):
    """How much of one line goes to one invoice within a match (see ``matching.Allocation``)."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="allocations")
    line = models.ForeignKey(RemittanceLine, on_delete=models.CASCADE, related_name="allocations")
    invoice = models.ForeignKey(OpenInvoice, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**MONEY, default=Decimal("0"))  # cash applied
    discount = models.DecimalField(**MONEY, default=Decimal("0"))  # terms discount taken
    write_off = models.DecimalField(**MONEY, default=Decimal("0"))  # residual closed within tolerance
    deduction = models.DecimalField(**MONEY, default=Decimal("0"))  # a deduction linked to its base

    class Meta:
        ordering = ["match_id", "id"]

    def __str__(self) -> str:
        return f"{self.line_id} → {self.invoice_id}: {self.amount}"

    @property
    def consumed(self) -> Decimal:
        return self.amount + self.discount + self.write_off


# Disputes and their recoveries (issue 12) live in their own module, registered with this app here.
from reconciliation.close_models import (  # noqa: E402, F401
    DECIDED_STATUSES,
    Dispute,
    DisputeKind,
    DisputeLine,
    DisputeRecovery,
    DisputeStatus,
    RecoverySource,
)

# Posting (issue 11): periods, batches and their NetSuite records live in their own module.
from reconciliation.posting_models import (  # noqa: E402, F401
    APPROVED_STATUSES,
    LIVE_BATCH_STATUSES,
    AccountingPeriod,
    BatchKind,
    BatchStatus,
    EntryPurpose,
    EntryStatus,
    PeriodSource,
    PostingBatch,
    PostingEntry,
    PostingStyle,
    RecordType,
)

# Shortage-claim evidence (issue 10 item 4) lives in its own module.
from reconciliation.shortage_models import ShortageClaim, ShortageVerdict  # noqa: E402, F401
