"""Filters for the finance lists."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from reconciliation.models import (
    DEDUCTION_TYPES,
    LineStatus,
    LineType,
    Remittance,
    RemittanceLine,
    RemittanceStatus,
)

NO_FC = "NONE"  # the FC filter's value for deductions that name no invoice of ours
AGE_BUCKETS = {"0-30": (0, 30), "31-60": (31, 60), "61-90": (61, 90), "90+": (91, None)}


def age_filter(queryset: QuerySet, bucket: str) -> QuerySet:
    """Lines whose date (document date, else payment date) is ``bucket`` days old."""
    low, high = AGE_BUCKETS[bucket]
    today = timezone.localdate()
    newest = today - timedelta(days=low)
    # The youngest bucket has no newest date: a line dated after today (a clock or zone ahead of
    # ours, the live demo's simulated days) is 0 days old, not in no bucket at all.
    condition = Q()
    if low > 0:
        condition = Q(document_date__lte=newest) | Q(
            document_date__isnull=True, remittance__payment_date__lte=newest
        )
    if high is not None:
        oldest = today - timedelta(days=high)
        condition &= Q(document_date__gte=oldest) | Q(
            document_date__isnull=True, remittance__payment_date__gte=oldest
        )
    return queryset.filter(condition)


class RemittanceFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=RemittanceStatus.choices, empty_label="Live (not superseded)", method="by_status"
    )
    payment_number = django_filters.CharFilter(lookup_expr="icontains", label="Payment number")
    # Words for the three states: django-filter's default select reads "Unknown / Yes / No".
    drift = django_filters.BooleanFilter(
        method="with_drift",
        label="With variance",
        widget=forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")]),
    )

    class Meta:
        model = Remittance
        fields = ("status", "payment_number", "drift")

    def by_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(status=value)

    def with_drift(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.exclude(drift=0) if value else queryset.filter(drift=0)


class DeductionFilter(django_filters.FilterSet):
    line_type = django_filters.ChoiceFilter(
        choices=[(v, LineType(v).label) for v in LineType.values if v in DEDUCTION_TYPES],
        empty_label="Any type",
        label="Type",
    )
    status = django_filters.ChoiceFilter(choices=LineStatus.choices, empty_label="Any status")
    age = django_filters.ChoiceFilter(
        choices=[(k, f"{k} days") for k in AGE_BUCKETS], empty_label="Any age", method="by_age", label="Age"
    )
    min_amount = django_filters.NumberFilter(method="by_min", label="Amount at least")
    max_amount = django_filters.NumberFilter(method="by_max", label="Amount at most")
    # The analytics page's links (issue 12): a payment month or dates, an FC, a reason.
    month = django_filters.CharFilter(method="by_month", label="Paid in month (YYYY-MM)")
    start = django_filters.DateFilter(
        field_name="remittance__payment_date", lookup_expr="gte", label="Paid from"
    )
    end = django_filters.DateFilter(field_name="remittance__payment_date", lookup_expr="lte", label="Paid to")
    fc = django_filters.CharFilter(method="by_fc", label="FC of the invoice")
    reason = django_filters.CharFilter(field_name="description", lookup_expr="exact", label="Reason")
    gl = django_filters.CharFilter(method="by_gl", label="GL account number")

    class Meta:
        model = RemittanceLine
        fields = (
            "line_type",
            "status",
            "age",
            "min_amount",
            "max_amount",
            "month",
            "start",
            "end",
            "fc",
            "reason",
        )

    def by_month(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        try:
            year, month = (int(p) for p in value.split("-"))
        except ValueError:
            return queryset.none()
        return queryset.filter(remittance__payment_date__year=year, remittance__payment_date__month=month)

    def by_gl(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Lines coded to GL account number ``value``; ``NONE`` for the lines with no account."""
        if value == NO_FC:
            return queryset.filter(gl_account__isnull=True)
        return queryset.filter(gl_account__number=value)

    def by_fc(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Lines whose base invoice (or own number) is one of our invoices shipped to FC ``value``;
        ``NONE`` for the lines that name no invoice of ours."""
        from orders.models import Invoice

        numbers = Invoice.objects.exclude(number="").values("number")
        if value == NO_FC:
            return queryset.exclude(base_invoice_number__in=numbers)
        return queryset.filter(base_invoice_number__in=numbers.filter(shipment__ship_to=value))

    def by_age(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return age_filter(queryset, value)

    # Deductions are negative on the remittance; finance thinks of their size.
    def by_min(self, queryset: QuerySet, name: str, value) -> QuerySet:  # noqa: ANN001
        return queryset.filter(Q(amount_paid__lte=-value) | Q(amount_paid__gte=value))

    def by_max(self, queryset: QuerySet, name: str, value) -> QuerySet:  # noqa: ANN001
        return queryset.filter(amount_paid__gte=-value, amount_paid__lte=value)
