"""Tables (django-tables2) of the core pages: exception queue, sync runs, deliveries, audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import django_tables2 as tables
from django.db.models import DecimalField, F, QuerySet, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html

from vendorsync import words
from vendorsync.exports import export_title
from vendorsync.models import NO_AMOUNT_SORT_KEY, AuditEvent, ExceptionCase, ExportJob, OutboxMessage, SyncRun

# Times always carry their zone ("2026-12-01 14:05 UTC").
DATETIME_FORMAT = "Y-m-d H:i T"


class ExceptionTable(tables.Table):
    """The queue. Every column a person reads is words; the checkbox feeds the bulk actions.

    The body rows are written by ``vendorsync/_exception_table.html`` (see there); the columns here
    give the header, the sorting and the XLSX export.
    """

    select = tables.CheckBoxColumn(
        accessor="public_id",
        attrs={"th__input": {"aria-label": "Select all on this page", "data-select-all": "case"}},
        exclude_from_export=True,
    )
    kind = tables.Column()
    message = tables.Column(orderable=False, attrs={"td": {"class": "wrap"}})
    owner_team = tables.Column(verbose_name="Team")
    amount_at_risk = tables.Column(
        verbose_name="At risk", attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    # Sorting "Age" ascending shows the youngest first: the newest first-seen time.
    age = tables.Column(accessor="first_seen_at", verbose_name="Age", order_by=("-first_seen_at",))
    last_seen_at = tables.Column(verbose_name="Last seen")
    assignee = tables.Column(accessor="assignee__username", verbose_name="Assignee", default="—")

    class Meta:
        model = ExceptionCase
        fields = (
            "select",
            "kind",
            "owner_team",
            "severity",
            "status",
            "message",
            "amount_at_risk",
            "age",
            "occurrences",
            "last_seen_at",
            "assignee",
        )
        order_by = ("-last_seen_at",)
        empty_text = "No exceptions match. The queue is clear."
        template_name = "vendorsync/_exception_table.html"

    def value_age(self, value: datetime) -> datetime:
        return value  # the export keeps the first-seen time itself

    def order_amount_at_risk(self, queryset: QuerySet, is_descending: bool) -> tuple[QuerySet, bool]:
        # Cases without an amount sort last either way. Descending (the common sort) matches the
        # partial index exception_open_amount_idx, so the first page reads 50 index entries.
        if is_descending:
            key = Coalesce("amount_at_risk", Value(NO_AMOUNT_SORT_KEY), output_field=DecimalField()).desc()
            return queryset.order_by(key, F("id").desc()), True
        return queryset.order_by(F("amount_at_risk").asc(nulls_last=True), "id"), True


class SyncRunTable(tables.Table):
    flow = tables.Column(verbose_name="Flow")
    started_at = tables.DateTimeColumn(format=DATETIME_FORMAT)
    finished_at = tables.DateTimeColumn(format=DATETIME_FORMAT)
    counts = tables.Column(accessor="counts_summary", verbose_name="Counts", orderable=False)

    class Meta:
        model = SyncRun
        fields = ("flow", "started_at", "finished_at", "outcome", "counts", "error")
        order_by = ("-started_at",)
        empty_text = "No sync has run yet."

    def render_flow(self, value: str) -> str:
        return words.flow_label(value)


class OutboxTable(tables.Table):
    """Deliveries; the "Send again" link shows only to the team that owns the delivery's handler."""

    team = tables.Column(empty_values=(), orderable=False, verbose_name="Team", exclude_from_export=True)
    outcome_unknown = tables.BooleanColumn(verbose_name="May have reached", yesno="yes,")
    actions = tables.Column(empty_values=(), verbose_name="", orderable=False, exclude_from_export=True)

    class Meta:
        model = OutboxMessage
        fields = (
            "target",
            "operation",
            "external_key",
            "state",
            "attempts",
            "next_attempt_at",
            "error_class",
            "last_error",
            "outcome_unknown",
            "remote_id",
        )
        sequence = (*fields[:4], "team", *fields[4:], "actions")
        order_by = ("-created_at",)
        empty_text = "Nothing has been queued for delivery."
        attrs = {"id": "outbox-table"}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def render_team(self, record: OutboxMessage) -> str:
        from vendorsync.models import Team
        from vendorsync.outbox.registry import owner_of

        return Team(owner_of(record)).label

    def render_last_error(self, value: str) -> str:
        return value[:200]

    def render_actions(self, record: OutboxMessage) -> str:
        from vendorsync.outbox.services import may_resend

        if self.user is None or not may_resend(self.user, record):
            return ""
        url = reverse("outbox_requeue", args=[record.public_id])
        return format_html('<a class="button" href="{}">Send again…</a>', url)


class AuditTable(tables.Table):
    at = tables.DateTimeColumn(verbose_name="When", format=DATETIME_FORMAT)
    actor_label = tables.Column(verbose_name="Who")
    action = tables.Column(verbose_name="What")
    subject_type = tables.Column(verbose_name="Subject")

    class Meta:
        model = AuditEvent
        fields = ("at", "actor_label", "action", "subject_type", "subject_id", "reason", "request_id")
        order_by = ("-at",)
        empty_text = "No audit events yet."

    def render_action(self, value: str) -> str:
        return words.audit_action_label(value)

    def render_subject_type(self, value: str) -> str:
        return words.subject_label(value)


class ExportJobTable(tables.Table):
    name = tables.Column(verbose_name="Export", linkify=lambda record: record.get_absolute_url())
    rows_total = tables.Column(verbose_name="Rows", attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    status = tables.TemplateColumn(
        '<span class="badge {{ record.status }}">{{ record.get_status_display }}</span>',
        verbose_name="Status",
    )
    created_at = tables.DateTimeColumn(verbose_name="Requested", format=DATETIME_FORMAT)
    finished_at = tables.DateTimeColumn(verbose_name="Finished", format=DATETIME_FORMAT)
    expires_at = tables.DateTimeColumn(verbose_name="File kept until", format=DATETIME_FORMAT)
    download = tables.TemplateColumn(
        '{% if record.status == "done" %}<a href="{% url "export_download" record.public_id %}">Download</a>'
        "{% endif %}",
        verbose_name="",
        orderable=False,
        exclude_from_export=True,
    )

    class Meta:
        model = ExportJob
        fields = ("name", "created_at", "status", "rows_total", "finished_at", "expires_at", "download")
        order_by = ("-created_at",)
        empty_text = "You have not exported anything large yet. Lists export from their Export XLSX button."

    def render_name(self, record: ExportJob) -> str:
        return export_title(record.name)
