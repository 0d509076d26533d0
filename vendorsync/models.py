"""Core models used by every app: exceptions, the audit trail, the outbox and sync runs.

Invariants live in the database where they can: one open exception per dedupe key (partial
unique index), unique outbox external keys, and audit rows that cannot be updated or deleted
(triggers on SQLite and PostgreSQL, plus refusals in the ORM for a clear message).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone


class Access(models.Model):
    """Holds the application's permissions (no table). Roles are groups granted these."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_dashboard", "Can see the dashboard"),
            ("view_orders", "Can see purchase orders, shipments and invoices"),
            ("work_orders", "Can act on purchase orders, acknowledgements and shipments"),
            ("view_exceptions", "Can see the exception queue"),
            ("work_ops_exceptions", "Can work operations exceptions"),
            ("work_finance_exceptions", "Can work finance exceptions"),
            ("view_reconciliation", "Can see remittances, matches and posting batches"),
            ("prepare_postings", "Can import remittances, match and prepare posting batches"),
            ("approve_postings", "Can approve posting batches prepared by someone else"),
            ("manage_mappings", "Can change deduction-code to GL-account mappings"),
            ("manage_settings", "Can see connection settings, users and roles"),
            ("view_audit", "Can read the audit log"),
            ("view_sync", "Can see sync runs and the outbox"),
        ]

    def __str__(self) -> str:
        return "access"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("Audit events are append-only; they cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only; they cannot be deleted.")


class AuditEvent(models.Model):
    """One row per state change. Written by services in the same transaction as the change."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, help_text="Username at the time, or 'system'.")
    action = models.CharField(max_length=100, db_index=True)
    subject_type = models.CharField(max_length=100)
    subject_id = models.CharField(max_length=100)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="audit_subject_idx")]

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.subject_type}:{self.subject_id}"
        )

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise PermissionError("Audit events are append-only; they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only; they cannot be deleted.")


class Team(models.TextChoices):
    OPS = "ops", "Operations"
    FINANCE = "finance", "Finance"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class ExceptionKind(models.TextChoices):
    SKU_ASIN_GAP = "sku_asin_gap", "SKU/ASIN mapping gap"
    PRICE_DISCREPANCY = "price_discrepancy", "Price discrepancy"
    PO_NOT_MAPPED = "po_not_mapped", "PO not mapped to sales order"
    ACK_FAILED = "ack_failed", "Acknowledgement failed"
    ACK_OVERDUE = "ack_overdue", "Acknowledgement overdue"
    ASN_BLOCKED = "asn_blocked", "ASN blocked"
    ASN_REJECTED = "asn_rejected", "ASN rejected"
    ASN_MANIFEST_DIVERGENCE = "asn_manifest_divergence", "ASN diverges from manifest"
    PO_EXPIRING = "po_expiring", "PO window closing"
    PO_EXPIRED_OPEN_LINES = "po_expired_open_lines", "PO expired with open lines"
    SETTLEMENT_DRIFT = "settlement_drift", "Settlement drift"
    UNMATCHED_REMITTANCE_LINE = "unmatched_remittance_line", "Unmatched remittance line"
    UNMAPPED_DEDUCTION_CODE = "unmapped_deduction_code", "Unmapped deduction code"
    POSTING_FAILED = "posting_failed", "Posting failed"
    DISPUTABLE_SHORTAGE = "disputable_shortage", "Disputable shortage"
    SYNC_FAILED = "sync_failed", "Sync failed"
    OUTBOX_NEEDS_REVIEW = "outbox_needs_review", "Delivery needs review"


# Owner team per kind (DESIGN.md §6). Sync and delivery failures belong to ops by default.
FINANCE_KINDS = frozenset(
    {
        ExceptionKind.SETTLEMENT_DRIFT,
        ExceptionKind.UNMATCHED_REMITTANCE_LINE,
        ExceptionKind.UNMAPPED_DEDUCTION_CODE,
        ExceptionKind.POSTING_FAILED,
        ExceptionKind.DISPUTABLE_SHORTAGE,
    }
)


def owner_for_kind(kind: str) -> str:
    return Team.FINANCE if kind in FINANCE_KINDS else Team.OPS


class ExceptionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


OPEN_STATUSES = (ExceptionStatus.OPEN, ExceptionStatus.IN_PROGRESS)
# Sorting by amount at risk puts cases without an amount after every real amount (never negative).
NO_AMOUNT_SORT_KEY = -1


class ExceptionCaseQuerySet(models.QuerySet):
    def open(self) -> ExceptionCaseQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class ExceptionCase(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=40, choices=ExceptionKind.choices, db_index=True)
    owner_team = models.CharField(max_length=20, choices=Team.choices, db_index=True)
    severity = models.CharField(max_length=20, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(
        max_length=20, choices=ExceptionStatus.choices, default=ExceptionStatus.OPEN, db_index=True
    )
    dedupe_key = models.CharField(max_length=255)
    subject_type = models.CharField(max_length=100, blank=True)
    subject_id = models.CharField(max_length=100, blank=True)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    # What the problem puts at risk (a chargeback, a claim, a line's value), for sorting the queue.
    amount_at_risk = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)
    occurrences = models.PositiveIntegerField(default=1)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    auto_resolved = models.BooleanField(default=False)
    # When this case went out in an alert (immediate or digest): a case never alerts twice.
    alerted_at = models.DateTimeField(null=True, blank=True)

    objects = ExceptionCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(status__in=["open", "in_progress"]),
                name="one_open_exception_per_dedupe_key",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "owner_team", "kind"], name="exception_queue_idx"),
            # Sorting the queue by age, the dashboard's age buckets and the weekly trend.
            models.Index(fields=["first_seen_at"], name="exception_first_seen_idx"),
            # The queue sorted by amount at risk (open cases, largest first, cases without one last).
            # (COALESCE rather than NULLS LAST: SQLite cannot index NULLS LAST.)
            models.Index(
                Coalesce(
                    "amount_at_risk", Value(NO_AMOUNT_SORT_KEY), output_field=models.DecimalField()
                ).desc(),
                models.F("id").desc(),
                condition=Q(status__in=["open", "in_progress"]),
                name="exception_open_amount_idx",
            ),
            # The alert sweeps look only at cases that have not alerted yet.
            models.Index(
                fields=["first_seen_at"], condition=Q(alerted_at__isnull=True), name="exception_unalerted_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message[:60]}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("exception_detail", args=[self.public_id])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class OutboxTarget(models.TextChoices):
    NETSUITE = "netsuite", "NetSuite"
    AMAZON = "amazon", "Amazon"
    TEST = "test", "Test"


class OutboxState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    RETRY = "retry", "Waiting to retry"
    NEEDS_REVIEW = "needs_review", "Needs review"
    DEAD = "dead", "Dead"


class OutboxMessage(models.Model):
    """A write to NetSuite or Amazon, created in the same transaction as the business change."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    target = models.CharField(max_length=20, choices=OutboxTarget.choices)
    operation = models.CharField(max_length=100)
    external_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField()
    state = models.CharField(
        max_length=20, choices=OutboxState.choices, default=OutboxState.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The claim: the relay run that holds a ``sending`` row, and until when. The relay renews the
    # lease while it runs; a row whose lease has expired belongs to a relay that died or stalled.
    claim_id = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # The last attempt may have reached the remote system (timeout, 5xx, crash mid-call): the next
    # attempt looks the record up by its external id before writing again.
    outcome_unknown = models.BooleanField(default=False)
    # What the last failure was ("NetSuiteAuthError", "NetSuiteRejectedError:INVALID_FLD_VALUE"…):
    # one review case per handler and error class.
    error_class = models.CharField(max_length=120, blank=True)
    review_case = models.ForeignKey(
        "ExceptionCase", null=True, blank=True, on_delete=models.SET_NULL, related_name="outbox_messages"
    )
    last_error = models.TextField(blank=True)
    remote_id = models.CharField(max_length=100, blank=True)
    response_excerpt = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.target}:{self.operation} {self.external_key} ({self.state})"

    def get_absolute_url(self) -> str:
        """The deliveries list narrowed to this message (exception cases link their subject here)."""
        from urllib.parse import urlencode

        from django.urls import reverse

        return f"{reverse('sync_runs')}?{urlencode({'key': self.external_key})}#deliveries"


class SyncOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partial"
    FAILED = "failed", "Failed"


class SyncRun(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    flow = models.CharField(max_length=100, db_index=True)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    cursor = models.CharField(max_length=255, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    outcome = models.CharField(max_length=20, choices=SyncOutcome.choices, default=SyncOutcome.RUNNING)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["flow", "outcome", "-started_at"], name="syncrun_flow_idx")]

    def __str__(self) -> str:
        return f"{self.flow} {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"

    @property
    def counts_summary(self) -> str:
        """The counts as words ("orders 12, lines 240"), for people rather than JSON."""
        return ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in self.counts.items())

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class Sequence(models.Model):
    """Persisted counters, e.g. X12 interchange/group/transaction control numbers."""

    name = models.CharField(max_length=100, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


ACTIVE_EXPORT_STATUSES = (ExportStatus.QUEUED, ExportStatus.RUNNING)


class ExportJob(models.Model):
    """An XLSX export too large for a request, built by a Celery worker (``vendorsync.export_jobs``).

    The worker rebuilds the table from ``name`` (a registered export) and ``params`` (the list's
    querystring: filters and sort), as ``user``, whose permission it checks again. One active
    (queued or running) job per user, enforced by a partial unique index.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100, help_text="The registered export (vendorsync.exports).")
    params = models.TextField(blank=True, help_text="The list's querystring: filters and sort.")
    status = models.CharField(
        max_length=20, choices=ExportStatus.choices, default=ExportStatus.QUEUED, db_index=True
    )
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file_name = models.CharField(max_length=255, blank=True, help_text="Name in the 'exports' storage.")
    file_size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_export_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} export {self.public_id} ({self.status})"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("export_detail", args=[self.public_id])

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_EXPORT_STATUSES

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, self.rows_done * 100 // self.rows_total)
