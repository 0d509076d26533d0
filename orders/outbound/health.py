"""Dashboard metric and audit check of orders out (registered in ``OrdersConfig.ready()``).

- ``asn_acceptance_rate``: of the ASNs Amazon answered in the last 30 days, the share it accepted
  (one aggregate query).
- ``pos_closing_with_open_lines``: POs whose ship window ends within the warning period (or has
  ended) with units accepted but neither shipped nor closed (one query).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, F, Q
from django.urls import reverse_lazy
from django.utils import timezone

from orders.models import PurchaseOrder, PurchaseOrderStatus
from orders.outbound_models import Shipment, ShipmentStatus
from vendorsync.health import MetricValue, register_metric
from vendorsync.integration_audit import AuditResult, register_audit_check
from vendorsync.models import Team


def asn_acceptance_rate() -> MetricValue:
    since = timezone.now() - timedelta(days=30)
    counts = Shipment.objects.filter(submitted_at__gte=since).aggregate(
        accepted=Count("pk", filter=Q(status=ShipmentStatus.ACCEPTED)),
        rejected=Count("pk", filter=Q(status=ShipmentStatus.REJECTED)),
    )
    answered = counts["accepted"] + counts["rejected"]
    if not answered:
        return MetricValue(value="—", detail="No ASN answered by Amazon in the last 30 days.")
    rate = 100 * counts["accepted"] / answered
    return MetricValue(
        value=f"{rate:.1f} %",
        detail=f"{counts['accepted']} of {answered} ASNs accepted by Amazon (30 days).",
    )


def pos_closing_with_open_lines() -> AuditResult:
    horizon = timezone.now() + timedelta(hours=settings.ORDERS_PO_EXPIRING_HOURS)
    pos = (
        PurchaseOrder.objects.filter(ship_window_end__lte=horizon)
        .exclude(
            status__in=(
                PurchaseOrderStatus.CANCELLED,
                PurchaseOrderStatus.REJECTED,
                PurchaseOrderStatus.CLOSED,
            )
        )
        .filter(
            lines__cancelled=False,
            lines__accepted_quantity__gt=F("lines__shipped_quantity") + F("lines__closed_quantity"),
        )
        .order_by("ship_window_end")
        .values_list("number", "ship_window_end")
        .distinct()
    )
    rows = list(pos[:200])
    return AuditResult(
        count=len(rows),
        examples=[f"PO {number}: window ends {end:%Y-%m-%d %H:%M} UTC" for number, end in rows[:5]],
    )


def register() -> None:
    register_metric(
        "asn_acceptance_rate",
        label="ASN acceptance rate",
        fn=asn_acceptance_rate,
        link=reverse_lazy("orders:shipments"),
    )
    register_audit_check(
        "pos_closing_with_open_lines",
        label="POs whose windows close with open lines",
        owner_team=Team.OPS,
        fn=pos_closing_with_open_lines,
        link=reverse_lazy("orders:index"),
        fix="Ship the open units or let the po-window step close them in NetSuite; decide POs with an unsent ASN.",
    )
