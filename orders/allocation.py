"""Acknowledgements from real stock: allocate NetSuite's available quantity across open POs.

Rules (DESIGN.md §4 step 5, reference §3.3):
- POs are served earliest ship window first (then oldest order), so stock goes to the order that
  must leave first; a PO's lines draw from one pool per item shared by every PO in the run.
- The pool of an item is NetSuite's available quantity at the last items sync minus what we
  accepted on acknowledgements planned since that sync (NetSuite cannot know those yet).
- Per line: accept what the pool covers (whole ordered units: a case needs ``unit_size`` eaches);
  the rest is backordered when Amazon allows back orders, else rejected ``TemporarilyUnavailable``.
  An inactive item is rejected ``ObsoleteProduct``. Never more than ordered.
- The acknowledged cost is NetSuite's cost for the unit — the cost we will invoice — not an echo
  of Amazon's price (the price difference, if any, is a ``price_discrepancy`` case).
- A PO Amazon changes after we acknowledged it is acknowledged again with reductions only: an
  accepted quantity never grows and a rejected line stays rejected (Amazon refuses the reverse).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum

from orders import services
from orders.models import (
    Acknowledgement,
    AcknowledgementLine,
    AcknowledgementStatus,
    Item,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    RejectionReason,
)

BACKORDER_DAYS = 7  # Backordered buckets need a ship date different from the PO window.


def needs_approval() -> bool:
    return settings.ORDERS_ACK_APPROVAL == "ops"


def channel() -> str:
    return settings.ORDERS_ACK_CHANNEL


def stock_pools(item_ids: Iterable[int]) -> dict[int, int]:
    """Available eaches per item: NetSuite's snapshot minus what we accepted since it was taken."""
    items = {item.pk: item for item in Item.objects.filter(pk__in=set(item_ids))}
    pools = {pk: max(item.available, 0) for pk, item in items.items()}
    reserved = (
        AcknowledgementLine.objects.filter(
            po_line__item__in=list(items),
            code__in=["Accepted"],
            acknowledgement__created_at__gt=F("po_line__item__synced_at"),
        )
        .exclude(acknowledgement__status__in=[AcknowledgementStatus.SUPERSEDED, AcknowledgementStatus.FAILED])
        .values("po_line__item")
        .annotate(eaches=Sum(F("quantity") * F("po_line__unit_size")))
        .order_by()
    )
    for row in reserved:
        pools[row["po_line__item"]] = max(pools[row["po_line__item"]] - int(row["eaches"] or 0), 0)
    return pools


def _cost(line: PurchaseOrderLine) -> Decimal | None:
    if line.item is not None and line.item.cost is not None:
        return line.item.cost * line.unit_size
    return line.net_cost


def decide_line(line: PurchaseOrderLine, pool: dict[int, int], po: PurchaseOrder) -> services.LineDecision:
    """Allocate one line from the shared pool (mutated) and split it into Amazon's buckets."""
    ordered = line.ordered_quantity
    cost = _cost(line)
    backorder_date = (po.ship_window_end or po.ordered_at) + timedelta(days=BACKORDER_DAYS)
    if line.item is None:
        return services.LineDecision(line, 0, 0, ordered, RejectionReason.INVALID_PRODUCT_IDENTIFIER, cost)
    if line.item.inactive:
        return services.LineDecision(line, 0, 0, ordered, RejectionReason.OBSOLETE_PRODUCT, cost)
    available_units = pool.get(line.item_id, 0) // line.unit_size
    accepted = min(ordered, available_units)
    pool[line.item_id] = pool.get(line.item_id, 0) - accepted * line.unit_size
    rest = ordered - accepted
    if rest and line.back_order_allowed:
        return services.LineDecision(line, accepted, rest, 0, "", cost, backorder_date)
    return services.LineDecision(
        line, accepted, 0, rest, RejectionReason.TEMPORARILY_UNAVAILABLE if rest else "", cost
    )


def plan_open_orders(*, limit: int | None = None) -> dict[str, int]:
    """Decide every validated, undecided PO (status ``new``), earliest ship window first."""
    pos = list(
        PurchaseOrder.objects.filter(status=PurchaseOrderStatus.NEW)
        .select_related("vendor_code")
        .defer("raw")  # Amazon's payload is not needed to decide (and is the largest column)
        .order_by(F("ship_window_start").asc(nulls_last=True), "ordered_at", "id")[: limit or None]
    )
    if not pos:
        return {"selected": 0, "planned": 0}
    lines_by_po: dict[int, list[PurchaseOrderLine]] = defaultdict(list)
    lines = list(
        PurchaseOrderLine.objects.filter(purchase_order__in=pos, cancelled=False)
        .defer("product_ids")
        .order_by("purchase_order_id", "position")
    )
    # A few hundred items serve thousands of lines: one object per item, not one per line.
    items = Item.objects.in_bulk({line.item_id for line in lines if line.item_id})
    for line in lines:
        if line.item_id:
            line.item = items[line.item_id]
        lines_by_po[line.purchase_order_id].append(line)
    pool = stock_pools(items)
    counts = {
        "selected": len(pos),
        "planned": 0,
        "accepted_lines": 0,
        "backordered_lines": 0,
        "rejected_lines": 0,
    }
    plans = []
    for po in pos:
        decisions = [decide_line(line, pool, po) for line in lines_by_po[po.pk]]
        if not decisions:
            continue
        plans.append((po, decisions))
        counts["planned"] += 1
        counts["accepted_lines"] += sum(1 for d in decisions if d.accepted)
        counts["backordered_lines"] += sum(1 for d in decisions if d.backordered)
        counts["rejected_lines"] += sum(1 for d in decisions if d.rejected)
    # One set-based write for the chunk (the allocation above already ran in ship-window order).
    services.acknowledgements_plan(plans=plans, channel=channel(), needs_approval=needs_approval())
    return counts


def plan_all(*, chunk: int = 500) -> dict[str, int]:
    """``plan_open_orders`` in chunks (bounded memory); each chunk takes the earliest windows left."""
    total: dict[str, int] = {}
    while True:
        with transaction.atomic():  # one commit (and one relay nudge) per chunk
            counts = plan_open_orders(limit=chunk)
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
        if counts["selected"] < chunk or counts["planned"] == 0:
            return total


def replan_changed(po: PurchaseOrder) -> Acknowledgement | None:
    """Re-acknowledge a PO Amazon changed after our acknowledgement went out (reductions only)."""
    sent = (
        po.acknowledgements.filter(
            status__in=[
                AcknowledgementStatus.QUEUED,
                AcknowledgementStatus.SUBMITTED,
                AcknowledgementStatus.ACCEPTED,
            ]
        )
        .order_by("-created_at")
        .first()
    )
    if sent is None:
        return None
    previous: dict[int, dict[str, int]] = defaultdict(
        lambda: {"Accepted": 0, "Backordered": 0, "Rejected": 0}
    )
    for ack_line in sent.lines.all():
        previous[ack_line.po_line_id][ack_line.code] += ack_line.quantity
    decisions = []
    for line in po.lines.filter(cancelled=False).select_related("item"):
        before = previous[line.pk]
        accepted = min(before["Accepted"], line.ordered_quantity)
        backordered = min(before["Backordered"], line.ordered_quantity - accepted)
        rejected = line.ordered_quantity - accepted - backordered
        reason = RejectionReason.TEMPORARILY_UNAVAILABLE if rejected else ""
        if line.pk not in previous:  # a line Amazon added after our acknowledgement: nothing promised
            reason = RejectionReason.TEMPORARILY_UNAVAILABLE
        decisions.append(
            services.LineDecision(
                line,
                accepted,
                backordered,
                rejected,
                reason,
                _cost(line),
                (po.ship_window_end or po.ordered_at) + timedelta(days=BACKORDER_DAYS)
                if backordered
                else None,
            )
        )
    if not decisions:
        return None
    return services.acknowledgement_plan(
        po=po, decisions=decisions, channel=sent.channel, needs_approval=False
    )
