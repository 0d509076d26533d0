"""The reconciliation app's figures for the health dashboard and its integration-audit checks.

Registered from ``ReconciliationConfig.ready()`` (:func:`register`). Each figure is one aggregate
query whatever the volume (the dashboard's budget is 12 queries in all) and links to the rows
behind it in the finance lists.

* ``unexplained_variance`` — live payments whose lines do not add up to the payment (drift, the
  ``settlement_drift`` cause): their count and Σ |drift| now, and per payment month (6 months).
* ``deductions_by_type`` — Σ deduction lines of live payments per payment month (6 months), and
  by type for the latest month.
* ``unmapped_deduction_codes`` — (type, adjustment code) pairs on live lines with no GL mapping.
* ``gl_accounts_missing`` — GL accounts that a mapping in force (today or later) points to but
  NetSuite reports inactive: deductions would be coded to an account that cannot be posted to.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Abs, TruncMonth
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.text import format_lazy

from reconciliation.models import (
    DEDUCTION_TYPES,
    DeductionMapping,
    LineStatus,
    LineType,
    RemittanceLine,
)
from reconciliation.selectors import live_remittances
from vendorsync.health import MetricValue, register_metric
from vendorsync.integration_audit import AuditResult, register_audit_check
from vendorsync.models import Team

MONTHS = 6
ZERO = Decimal("0.00")


def _months_back(today: date, months: int) -> date:
    """The first day of the month ``months - 1`` before today's (6 → this month and the 5 before)."""
    year, month = today.year, today.month - (months - 1)
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, 1)


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def unexplained_variance(today: date | None = None) -> MetricValue:
    """One grouped query over live payments with drift, by payment month."""
    today = today or timezone.localdate()
    months = list(
        live_remittances()
        .exclude(drift=0)
        .annotate(month=TruncMonth("payment_date"))
        .values("month")
        .annotate(n=Count("pk"), amount=Sum(Abs("drift")))
        .order_by("month")
    )
    count = sum(m["n"] for m in months)
    amount = sum((m["amount"] for m in months), ZERO)
    first = _months_back(today, MONTHS)
    by_month = {_as_date(m["month"]): m for m in months}
    series: list[tuple[str, Decimal | int]] = []
    rows: list[tuple[str, str]] = []
    for month in _month_starts(first, today):
        found = by_month.get(month)
        series.append((f"{month:%b}", found["amount"] if found else ZERO))
        if found:
            rows.append((f"{month:%b %Y}", f"{found['n']} payment(s), {_money(found['amount'])}"))
    detail = (
        f"{count:,} payment(s) whose lines do not add up to the payment; goal: zero."
        if count
        else "Every live payment adds up to its lines."
    )
    return MetricValue(
        value=_money(amount),
        detail=detail,
        series=series,
        rows=rows,
        link=f"{reverse('reconciliation:remittances')}?drift=true",
    )


def deductions_by_type(today: date | None = None) -> MetricValue:
    """One grouped query: Σ deductions of live payments by payment month and type (6 months)."""
    today = today or timezone.localdate()
    first = _months_back(today, MONTHS)
    groups = (
        RemittanceLine.objects.filter(
            line_type__in=DEDUCTION_TYPES,
            remittance__payment_date__gte=first,
            remittance__in=live_remittances(),
        )
        .annotate(month=TruncMonth("remittance__payment_date"))
        .values("month", "line_type")
        .annotate(n=Count("pk"), amount=Sum("amount_paid"))
        .order_by("month", "line_type")
    )
    per_month: defaultdict[date, Decimal] = defaultdict(lambda: ZERO)
    by_type: defaultdict[date, list[tuple[str, int, Decimal]]] = defaultdict(list)
    for group in groups:
        month = _as_date(group["month"])
        per_month[month] += group["amount"]
        by_type[month].append((group["line_type"], group["n"], group["amount"]))
    series: list[tuple[str, Decimal | int]] = [
        (f"{month:%b}", abs(per_month.get(month, ZERO))) for month in _month_starts(first, today)
    ]
    link = reverse("reconciliation:deductions")
    if not per_month:
        return MetricValue(value="0.00", detail="No deductions in the last six months.", series=series)
    latest = max(per_month)
    rows = [
        (f"{LineType(line_type).label}", f"{n:,} line(s), {_money(abs(amount))}")
        for line_type, n, amount in sorted(by_type[latest], key=lambda t: t[2])
    ]
    return MetricValue(
        value=_money(abs(per_month[latest])),
        detail=f"Deducted by Amazon in {latest:%B %Y} (by type below; the chart is six months).",
        series=series,
        rows=rows,
        link=link,
    )


def _as_date(value: Any) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _month_starts(first: date, today: date) -> list[date]:
    months, current = [], first
    while current <= today:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


# --- Integration audit checks ---------------------------------------------------------------------


def unmapped_deduction_codes() -> AuditResult:
    """One grouped query: the (type, code) pairs of live lines that no mapping codes."""
    pairs = list(
        RemittanceLine.objects.filter(status=LineStatus.UNMAPPED, remittance__in=live_remittances())
        .values("line_type", "adjustment_code")
        .annotate(n=Count("pk"), amount=Sum("amount_paid"))
        .order_by("-n", "line_type", "adjustment_code")
    )
    examples = [
        f"{LineType(p['line_type']).label}"
        + (f" code {p['adjustment_code']}" if p["adjustment_code"] else "")
        + f": {p['n']:,} line(s), {_money(p['amount'])}"
        for p in pairs[:5]
    ]
    return AuditResult(
        count=len(pairs),
        examples=examples,
        link=f"{reverse('reconciliation:deductions')}?status={LineStatus.UNMAPPED.value}",
    )


def gl_accounts_missing(today: date | None = None) -> AuditResult:
    """One query: inactive accounts that a mapping in force today or later points to."""
    today = today or timezone.localdate()
    accounts = list(
        DeductionMapping.objects.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=today))
        .filter(gl_account__active=False)
        .values("gl_account__number", "gl_account__name")
        .annotate(mappings=Count("pk"))
        .order_by("gl_account__number")
    )
    return AuditResult(
        count=len(accounts),
        examples=[
            f"{a['gl_account__number']} {a['gl_account__name']}: inactive in NetSuite, "
            f"{a['mappings']} mapping(s) point to it"
            for a in accounts[:5]
        ],
    )


def register() -> None:
    deductions = reverse_lazy("reconciliation:deductions")
    register_metric(
        "unexplained_variance",
        label="Unexplained variance",
        fn=unexplained_variance,
        link=format_lazy("{}?drift=true", reverse_lazy("reconciliation:remittances")),
    )
    register_metric(
        "deductions_by_type", label="Deductions by type per month", fn=deductions_by_type, link=deductions
    )
    register_audit_check(
        "unmapped_deduction_codes",
        label="Deduction codes seen with no GL mapping",
        owner_team=Team.FINANCE,
        fn=unmapped_deduction_codes,
        link=format_lazy("{}?status={}", deductions, LineStatus.UNMAPPED.value),
        fix="Add a mapping for the type (or the type and code) on Mappings; saving it recodes the open lines "
        "and resolves their cases.",
        order=60,
    )
    register_audit_check(
        "gl_accounts_missing",
        label="GL accounts referenced but missing in NetSuite",
        owner_team=Team.FINANCE,
        fn=gl_accounts_missing,
        link=reverse_lazy("reconciliation:mappings"),
        fix="Reactivate the account in NetSuite (then run Sync GL accounts), or map the type to an active "
        "account from a date.",
        order=70,
    )
