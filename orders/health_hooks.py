"""The orders app's figures for the dashboard and gaps for the integration audit (issue 13 hooks).

Each is one or two aggregate queries whatever the volume. Without them the dashboard and the audit
told every new user "not available yet" / "not checked yet" for the order flow.
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from orders.models import OPEN_PO_STATUSES, PurchaseOrder, PurchaseOrderLine, PurchaseOrderStatus
from vendorsync.health import MetricValue, register_metric
from vendorsync.integration_audit import AuditResult, register_audit_check
from vendorsync.models import ExceptionCase, ExceptionKind, Team

PO_SUBJECT = "orders.purchaseorder"
WINDOW_DAYS = 30
WINDOW_KINDS = (ExceptionKind.PO_EXPIRING, ExceptionKind.PO_EXPIRED_OPEN_LINES)


def ack_on_time_rate() -> MetricValue:
    """POs of the last 30 days (Amazon's clock) whose 24 h acknowledgement deadline has passed:
    the share that never had an ``ack_overdue`` case."""
    from orders.flows import ACK_DEADLINE, amazon_now

    now = amazon_now()
    # Two queries; the ids are compared in Python because a UUID cast to text differs by database
    # (SQLite stores it without dashes) while cases store str(public_id).
    due_ids = {
        str(public_id)
        for public_id in PurchaseOrder.objects.filter(
            ordered_at__gte=now - timedelta(days=WINDOW_DAYS), ordered_at__lte=now - ACK_DEADLINE
        )
        .exclude(status=PurchaseOrderStatus.CANCELLED)
        .values_list("public_id", flat=True)
    }
    late_ids = set(
        ExceptionCase.objects.filter(
            kind=ExceptionKind.ACK_OVERDUE, subject_type=PO_SUBJECT, subject_id__in=sorted(due_ids)
        ).values_list("subject_id", flat=True)
    )
    figures = {"due": len(due_ids), "late": len(due_ids & late_ids)}
    due, late = figures["due"], figures["late"]
    if not due:
        return MetricValue(
            value="—", detail=f"No PO of the last {WINDOW_DAYS} days is past its 24 h deadline yet."
        )
    rate = 100 * (due - late) / due
    return MetricValue(
        value=f"{rate:.1f} %",
        detail=f"{due - late} of {due} POs acknowledged within 24 h (last {WINDOW_DAYS} days, Amazon's clock).",
        link=f"{reverse('exceptions')}?kind={ExceptionKind.ACK_OVERDUE}&status=",
    )


def items_without_xref() -> AuditResult:
    """Distinct ASINs on open PO lines that map to no NetSuite item."""
    unmapped = PurchaseOrderLine.objects.filter(
        item__isnull=True, cancelled=False, purchase_order__status__in=OPEN_PO_STATUSES
    )
    asins = list(unmapped.order_by("asin").values_list("asin", flat=True).distinct()[:5])
    count = unmapped.values("asin").distinct().count()
    return AuditResult(
        count=count,
        examples=[f"ASIN {asin}" for asin in asins if asin],
        link=f"{reverse('orders:index')}?status={PurchaseOrderStatus.BLOCKED}",
    )


def pos_closing_with_open_lines() -> AuditResult:
    """Open "PO window closing" / "PO expired with open lines" cases."""
    cases = ExceptionCase.objects.open().filter(kind__in=WINDOW_KINDS)
    examples = list(cases.order_by("-last_seen_at").values_list("message", flat=True)[:5])
    return AuditResult(
        count=cases.count(),
        examples=examples,
        link=f"{reverse('exceptions')}?kind={ExceptionKind.PO_EXPIRING}&status=unresolved",
    )


def register() -> None:
    register_metric(
        "ack_on_time_rate", label="Acknowledgement on-time rate", fn=ack_on_time_rate, link="/orders/"
    )
    register_audit_check(
        "items_without_xref",
        label="Items ordered recently with no cross-reference",
        owner_team=Team.OPS,
        fn=items_without_xref,
        link="/orders/cross-references/",
        fix="Add the ASIN or vendor SKU cross-reference for each item (Orders → Cross-references); "
        "the blocked POs go on by themselves.",
        order=40,
    )
    register_audit_check(
        "pos_closing_with_open_lines",
        label="POs whose windows close with open lines",
        owner_team=Team.OPS,
        fn=pos_closing_with_open_lines,
        link="/exceptions/",
        fix="Acknowledge, ship or close the open lines before the ship window ends (see each case).",
        order=41,
    )
