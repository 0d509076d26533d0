from __future__ import annotations

import django_tables2 as tables

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
    actions = tables.TemplateColumn(
        template_name="vendorsync/_outbox_actions.html",
        verbose_name="",
        orderable=False,
        exclude_from_export=True,
    )

    class Meta:
        model = OutboxMessage
        fields = (
            "target",
            "operation",
            "external_key",
            "state",
            "attempts",
            "next_attempt_at",
            "last_error",
            "remote_id",
        )
        order_by = ("-created_at",)
        empty_text = "Nothing has been queued for delivery."


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
