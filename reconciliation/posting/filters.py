"""The postings list's filters: status, period, preparer."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model

from reconciliation.posting_models import AccountingPeriod, BatchStatus, PostingBatch


def _preparers(request):  # noqa: ANN001, ANN202 - django-filter's queryset callable
    return (
        get_user_model()
        .objects.filter(pk__in=PostingBatch.objects.values("prepared_by"))
        .order_by("username")
    )


class BatchFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=BatchStatus.choices, empty_label="Any status")
    period = django_filters.ModelChoiceFilter(
        queryset=AccountingPeriod.objects.order_by("-start_date"), empty_label="Any period"
    )
    prepared_by = django_filters.ModelChoiceFilter(
        queryset=_preparers, label="Preparer", empty_label="Anyone"
    )

    class Meta:
        model = PostingBatch
        fields = ("status", "period", "prepared_by")
