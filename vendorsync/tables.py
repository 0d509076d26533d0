from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html

from vendorsync.exports import export_title
from vendorsync.models import AuditEvent, ExceptionCase, ExportJob, OutboxMessage, SyncRun


class ExceptionTable(tables.Table):
    kind = tables.Column(linkify=lambda record: record.get_absolute_url())
    message = tables.Column(orderable=False, attrs={"td": {"class": "wrap"}})
    owner_team = tables.Column(verbose_name="Team")
    last_seen_at = tables.DateTimeColumn(verbose_name="Last seen")
    assignee = tables.Column(accessor="assignee__username", verbose_name="Assignee", default="—")

    class Meta:
        model = ExceptionCase
        fields = (
            "kind",
            "owner_team",
            "severity",
            "status",
            "message",
            "occurrences",
            "last_seen_at",
            "assignee",
        )
        order_by = ("-last_seen_at",)
        empty_text = "No exceptions match. The queue is clear."


class SyncRunTable(tables.Table):
    class Meta:
        model = SyncRun
        fields = ("flow", "started_at", "finished_at", "outcome", "counts", "error")
        order_by = ("-started_at",)
        empty_text = "No sync has run yet."


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
    class Meta:
        model = AuditEvent
        fields = ("at", "actor_label", "action", "subject_type", "subject_id", "reason", "request_id")
        order_by = ("-at",)
        empty_text = "No audit events yet."


class ExportJobTable(tables.Table):
    name = tables.Column(verbose_name="Export", linkify=lambda record: record.get_absolute_url())
    rows_total = tables.Column(verbose_name="Rows", attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    status = tables.TemplateColumn(
        '<span class="badge {{ record.status }}">{{ record.get_status_display }}</span>',
        verbose_name="Status",
    )
    created_at = tables.DateTimeColumn(verbose_name="Requested")
    finished_at = tables.DateTimeColumn(verbose_name="Finished")
    expires_at = tables.DateTimeColumn(verbose_name="File kept until")
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
