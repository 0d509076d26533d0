"""The shortage-claims list's filters: verdict, fulfilment centre, claim date, and a search."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from reconciliation.shortage_models import ShortageClaim, ShortageVerdict


class ShortageFilter(django_filters.FilterSet):
    verdict = django_filters.ChoiceFilter(choices=ShortageVerdict.choices, empty_label="Any verdict")
    fc = django_filters.CharFilter(lookup_expr="iexact", label="FC")
    claim_from = django_filters.DateFilter(
        field_name="claim_date",
        lookup_expr="gte",
        label="Claimed from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    claim_to = django_filters.DateFilter(
        field_name="claim_date",
        lookup_expr="lte",
        label="Claimed to",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    q = django_filters.CharFilter(method="search", label="Claim, invoice or PO")

    class Meta:
        model = ShortageClaim
        fields = ("verdict", "fc", "claim_from", "claim_to", "q")

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(line__document_number__icontains=value)
            | Q(invoice_number__icontains=value)
            | Q(purchase_order_number__icontains=value)
        )
