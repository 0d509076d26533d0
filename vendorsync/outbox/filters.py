"""The deliveries list's filter; bulk resend acts on exactly the set it selects."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from vendorsync.models import OutboxMessage, OutboxState, OutboxTarget, Team
from vendorsync.outbox.registry import owned_by


class OutboxFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=OutboxState.choices, empty_label="Any state")
    team = django_filters.ChoiceFilter(
        choices=Team.choices, empty_label="Both teams", label="Team", method="filter_team"
    )
    target = django_filters.ChoiceFilter(
        choices=OutboxTarget.choices, empty_label="Any system", label="System"
    )
    operation = django_filters.CharFilter(lookup_expr="iexact", label="Operation")
    error_class = django_filters.CharFilter(lookup_expr="istartswith", label="Error")
    key = django_filters.CharFilter(field_name="external_key", lookup_expr="icontains", label="Key")

    class Meta:
        model = OutboxMessage
        fields = ("state", "team", "target", "operation", "error_class", "key")

    def filter_team(
        self, queryset: QuerySet[OutboxMessage], name: str, value: str
    ) -> QuerySet[OutboxMessage]:
        return queryset.filter(owned_by(value)) if value else queryset
