"""Dashboard metric of orders out (registered in ``OrdersConfig.ready()``).

- ``asn_acceptance_rate``: of the ASNs Amazon answered in the last 30 days, the share it accepted
  (one aggregate query).

The audit check of POs whose windows close with open lines is ``orders.health``'s.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Q
from django.urls import reverse_lazy
from django.utils import timezone

from orders.outbound_models import Shipment, ShipmentStatus
from vendorsync.health import MetricValue, register_metric


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


def register() -> None:
    register_metric(
        "asn_acceptance_rate",
        label="ASN acceptance rate",
        fn=asn_acceptance_rate,
        link=reverse_lazy("orders:shipments"),
    )
