"""The reconciliation app's figures for the dashboard and gaps for the integration audit (issue 13).

Each is one or two aggregate queries whatever the volume. Without them the dashboard and the audit
told every new user "not available yet" / "not checked yet" for cash application. The matching
figures (auto-match rate, unexplained variance) come with the matching wiring (issue 10).
"""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from reconciliation import selectors
from reconciliation.models import DeductionMapping, LineStatus, LineType
from vendorsync.health import MetricValue, register_metric
from vendorsync.integration_audit import AuditResult, register_audit_check
from vendorsync.models import Team

CENT = Decimal("0.01")


def deductions_by_type() -> MetricValue:
    """Deductions of this calendar month (by the line's date, else its payment date), per type."""
    first = timezone.localdate().replace(day=1)
    dated = Q(document_date__gte=first) | Q(document_date__isnull=True, remittance__payment_date__gte=first)
    rows = list(
        selectors.deductions()
        .filter(dated)
        .order_by()
        .values("line_type")
        .annotate(n=Count("id"), total=Sum("amount_paid"))
        .order_by("total")
    )
    total = sum((row["total"] or Decimal("0") for row in rows), Decimal("0")).quantize(CENT)
    lines = sum(row["n"] for row in rows)
    return MetricValue(
        value=f"{total:,.2f}",
        detail=f"{lines} deduction line{'s' if lines != 1 else ''} since {first:%d %b %Y}.",
        rows=[
            (f"{LineType(row['line_type']).label} ({row['n']})", f"{(row['total'] or 0):,.2f}")
            for row in rows
        ],
        link=reverse("reconciliation:deductions"),
    )


def unmapped_deduction_codes() -> AuditResult:
    """Deduction (type, adjustment code) pairs seen on live remittances with no GL mapping."""
    pairs = (
        selectors.deductions()
        .filter(status=LineStatus.UNMAPPED)
        .order_by()
        .values("line_type", "adjustment_code")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    pairs = list(pairs[:200])
    return AuditResult(
        count=len(pairs),
        examples=[
            f"{LineType(p['line_type']).label}{' code ' + p['adjustment_code'] if p['adjustment_code'] else ''}: "
            f"{p['n']} line{'s' if p['n'] != 1 else ''}"
            for p in pairs[:5]
        ],
        link=f"{reverse('reconciliation:deductions')}?status={LineStatus.UNMAPPED}",
    )


def gl_accounts_missing() -> AuditResult:
    """Mappings in force whose GL account NetSuite marks inactive (as the last GL sync read it)."""
    today = timezone.localdate()
    in_force = DeductionMapping.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=today), gl_account__active=False
    ).select_related("gl_account")
    examples = [f"{m.get_line_type_display()} → {m.gl_account}" for m in in_force.order_by("line_type")[:5]]
    return AuditResult(count=in_force.count(), examples=examples)


def register() -> None:
    register_metric(
        "deductions_by_type",
        label="Deductions by type per month",
        fn=deductions_by_type,
        link="/reconciliation/deductions/",
    )
    register_audit_check(
        "unmapped_deduction_codes",
        label="Deduction codes seen with no GL mapping",
        owner_team=Team.FINANCE,
        fn=unmapped_deduction_codes,
        link="/reconciliation/mappings/",
        fix="An admin adds the mapping (Reconciliation → GL mappings); the lines are coded again.",
        order=50,
    )
    register_audit_check(
        "gl_accounts_missing",
        label="GL accounts referenced but missing in NetSuite",
        owner_team=Team.FINANCE,
        fn=gl_accounts_missing,
        link="/reconciliation/mappings/",
        fix="Map the deduction type to an active account, or reactivate the account in NetSuite.",
        order=51,
    )
