"""Filter sets of the exception queue and the audit log (django-filter)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone

from vendorsync.models import (
    OPEN_STATUSES,
    AuditEvent,
    ExceptionCase,
    ExceptionKind,
    ExceptionStatus,
    Team,
)
from vendorsync.words import AUDIT_ACTION_LABELS

UNRESOLVED = "unresolved"
STATUS_CHOICES = [(UNRESOLVED, "Open or in progress"), *ExceptionStatus.choices]

# Age buckets (by first seen), shared by the queue's filter and the dashboard's kind × age table.
AGE_BUCKETS: list[tuple[str, str, int, int | None]] = [
    ("lt1d", "Under a day", 0, 1),
    ("1to3d", "1 to 3 days", 1, 3),
    ("3to7d", "3 to 7 days", 3, 7),
    ("gt7d", "Over 7 days", 7, None),
]
AGE_CHOICES = [(key, label) for key, label, _, _ in AGE_BUCKETS]


def age_bounds(key: str, now: Any = None) -> tuple[Any, Any]:
    """(first seen after, first seen at or before) for an age bucket; None where open-ended."""
    now = now or timezone.now()
    for bucket, _, low, high in AGE_BUCKETS:
        if bucket == key:
            newest = now - timedelta(days=low)
            oldest = now - timedelta(days=high) if high is not None else None
            return oldest, newest
    raise KeyError(key)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class ExceptionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, empty_label="Any status", method="filter_status"
    )
    owner_team = django_filters.ChoiceFilter(choices=Team.choices, empty_label="Both teams", label="Team")
    kind = django_filters.ChoiceFilter(choices=ExceptionKind.choices, empty_label="Any kind")
    assignee = django_filters.ChoiceFilter(
        choices=[], empty_label="Anyone", label="Assignee", method="filter_assignee"
    )
    age = django_filters.ChoiceFilter(
        choices=AGE_CHOICES, empty_label="Any age", label="Age", method="filter_age"
    )
    amount_min = django_filters.NumberFilter(
        field_name="amount_at_risk", lookup_expr="gte", label="Amount at risk from"
    )
    opened_from = django_filters.DateFilter(label="Opened from", method="filter_opened_from")
    opened_to = django_filters.DateFilter(label="Opened until", method="filter_opened_to")
    q = django_filters.CharFilter(field_name="message", lookup_expr="icontains", label="Search")

    class Meta:
        model = ExceptionCase
        fields = (
            "status",
            "owner_team",
            "kind",
            "assignee",
            "age",
            "amount_min",
            "opened_from",
            "opened_to",
            "q",
        )

    def __init__(self, *args: Any, user: Any = None, colleagues: list[str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.user = user
        choices = [("me", "Me"), ("none", "Nobody")]
        choices += [(name, name) for name in colleagues or [] if not user or name != user.get_username()]
        self.filters["assignee"].extra["choices"] = choices
        self.form.fields["q"].widget.input_type = "search"
        self.form.fields["amount_min"].widget.attrs.update({"min": "0", "step": "0.01"})
        for name in ("opened_from", "opened_to"):
            self.form.fields[name].widget.input_type = "date"

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == UNRESOLVED:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def filter_assignee(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value == "me":
            return queryset.filter(assignee=self.user) if self.user else queryset.none()
        return queryset.filter(assignee__username=value)

    # Local calendar days, compared as time-zone-aware datetimes so the first-seen index is used.
    def filter_opened_from(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(first_seen_at__gte=_day_start(value))

    def filter_opened_to(self, queryset: QuerySet, name: str, value: date) -> QuerySet:
        return queryset.filter(first_seen_at__lt=_day_start(value + timedelta(days=1)))

    def filter_age(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        oldest, newest = age_bounds(value)
        queryset = queryset.filter(first_seen_at__lte=newest)
        return queryset.filter(first_seen_at__gt=oldest) if oldest is not None else queryset


# Families match every action of an area (``orders.`` covers actions the orders app adds later).
ACTION_FAMILIES = [
    ("exception.", "Exceptions: any action"),
    ("outbox.", "Deliveries: any action"),
    ("sync.", "Sync runs: any action"),
    ("user.", "Users: any action"),
    ("orders.", "Orders: any action"),
    ("reconciliation.", "Reconciliation: any action"),
]


class AuditFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(
        choices=ACTION_FAMILIES + sorted(AUDIT_ACTION_LABELS.items(), key=lambda item: item[1]),
        empty_label="Any action",
        label="Action",
        method="filter_action",
    )
    actor_label = django_filters.CharFilter(lookup_expr="iexact", label="Who (user name or system)")
    subject_id = django_filters.CharFilter(lookup_expr="exact", label="Subject id")

    class Meta:
        model = AuditEvent
        fields = ("action", "actor_label", "subject_id")

    def filter_action(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value.endswith("."):
            return queryset.filter(action__startswith=value)
        return queryset.filter(action=value)
