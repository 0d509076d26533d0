"""``{% po_shipments po %}``: the PO's ASNs and its predicted shortages (invoiced > received)."""

from __future__ import annotations

from typing import Any

from django import template

from orders.outbound.selectors import purchase_order_shortages
from orders.outbound_models import Shipment

register = template.Library()


@register.inclusion_tag("orders/_po_shipments.html")
def po_shipments(po: Any) -> dict[str, Any]:
    shipments = list(Shipment.objects.filter(purchase_order=po).order_by("created_at"))
    return {
        "shipments": shipments,
        "shortages": purchase_order_shortages(po.pk) if shipments else [],
    }
