from __future__ import annotations

import django_filters

from vendorsync.models import AuditEvent, ExceptionCase, ExceptionKind, ExceptionStatus, Team


class ExceptionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ExceptionStatus.choices, empty_label="Any status")
    owner_team = django_filters.ChoiceFilter(choices=Team.choices, empty_label="Both teams", label="Team")
    kind = django_filters.ChoiceFilter(choices=ExceptionKind.choices, empty_label="Any kind")
    q = django_filters.CharFilter(field_name="message", lookup_expr="icontains", label="Search")

    class Meta:
        model = ExceptionCase
        fields = ("status", "owner_team", "kind", "q")


class AuditFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(lookup_expr="istartswith", label="Action")
    actor_label = django_filters.CharFilter(lookup_expr="iexact", label="Actor")
    subject_id = django_filters.CharFilter(lookup_expr="exact", label="Subject id")

    class Meta:
        model = AuditEvent
        fields = ("action", "actor_label", "subject_id")
