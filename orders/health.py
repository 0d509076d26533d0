"""The orders app's figures for the health dashboard and its checks for the integration audit.

Registered when imported (``OrdersConfig.ready()`` imports it; :func:`register` again restores it). Each figure is one aggregate query
whatever the volume (the dashboard has a budget of 12 queries in all), and each links to the rows
behind it: the purchase-order list filtered by ``gap=`` (``orders.filters.PurchaseOrderFilter``),
which uses the same querysets as the figures below, so the count and the list always agree.

* ``ack_on_time_rate`` — of the POs ordered in the last 30 days that have had their 24 hours,
  the share with an acknowledgement submitted within 24 h of the order (Amazon's rule, reference
  §7); a weekly trend over 8 weeks.
* ``items_without_xref`` — distinct Amazon identifiers (vendor code + ASIN / vendor product id)
  on PO lines ordered in the last 30 days that resolve to no NetSuite item.
* ``pos_closing_with_open_lines`` — live POs whose ship window has closed or closes within 3 days
  while a line still has quantity neither shipped, rejected nor closed.

ASN acceptance (shipments) and auto-match (matching) are provided by the apps that build them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, Exists, F, OuterRef, QuerySet, Value, When
from django.db.models.functions import TruncWeek
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.text import format_lazy

from orders.models import (
    Acknowledgement,
    AcknowledgementStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)
from vendorsync.health import MetricValue, register_metric
from vendorsync.integration_audit import AuditResult, register_audit_check
from vendorsync.models import Team

ACK_DEADLINE = timedelta(hours=24)  # Amazon: acknowledge within 24 h (reference §7)
RECENT = timedelta(days=30)
CLOSING_WITHIN = timedelta(days=3)
TREND_WEEKS = 8
# A PO in these states has nothing left to ship.
FINISHED = (PurchaseOrderStatus.CANCELLED, PurchaseOrderStatus.CLOSED, PurchaseOrderStatus.REJECTED)


def _po_list(gap: str) -> str:
    return f"{reverse('orders:index')}?gap={gap}"


def _lazy_po_list(gap: str) -> Any:
    # Resolved when shown: ``ready()`` runs before the URLconf can be imported.
    return format_lazy("{}?gap={}", reverse_lazy("orders:index"), gap)


# --- The rows behind each figure (also the PO list's ``gap`` filter) -------------------------------


def lines_without_item(now: datetime | None = None) -> QuerySet[PurchaseOrderLine]:
    """Live lines of POs ordered in the last 30 days that map to no NetSuite item."""
    now = now or timezone.now()
    return PurchaseOrderLine.objects.filter(
        item__isnull=True,
        cancelled=False,
        purchase_order__ordered_at__gte=now - RECENT,
    ).exclude(purchase_order__status=PurchaseOrderStatus.CANCELLED)


def pos_closing_with_open_lines(now: datetime | None = None) -> QuerySet[PurchaseOrder]:
    now = now or timezone.now()
    open_lines = PurchaseOrderLine.objects.filter(
        purchase_order=OuterRef("pk"),
        cancelled=False,
        ordered_quantity__gt=F("shipped_quantity") + F("rejected_quantity") + F("closed_quantity"),
    )
    return PurchaseOrder.objects.filter(
        Exists(open_lines), ship_window_end__lte=now + CLOSING_WITHIN
    ).exclude(status__in=FINISHED)


def _on_time_ack() -> Exists:
    return Exists(
        Acknowledgement.objects.filter(
            purchase_order=OuterRef("pk"),
            status__in=[AcknowledgementStatus.SUBMITTED, AcknowledgementStatus.ACCEPTED],
            submitted_at__lte=OuterRef("ordered_at") + ACK_DEADLINE,
        )
    )


def ack_measured(now: datetime | None = None, *, since: timedelta = RECENT) -> QuerySet[PurchaseOrder]:
    """POs that have had their 24 hours, ordered within ``since``; cancelled ones are not counted."""
    now = now or timezone.now()
    return PurchaseOrder.objects.filter(
        ordered_at__gte=now - since, ordered_at__lte=now - ACK_DEADLINE
    ).exclude(status=PurchaseOrderStatus.CANCELLED)


def acks_late(now: datetime | None = None) -> QuerySet[PurchaseOrder]:
    """The POs behind the rate that were not acknowledged within 24 h."""
    return ack_measured(now).exclude(_on_time_ack())


# --- Dashboard metric -------------------------------------------------------------------------------


def ack_on_time_rate(now: datetime | None = None) -> MetricValue:
    """One grouped query: per week (8 weeks) and inside/outside the last 30 days, POs measured and
    POs acknowledged in time; the tile sums the last-30-days groups, the chart the weeks."""
    now = now or timezone.now()
    cutoff = now - RECENT
    groups = (
        ack_measured(now, since=timedelta(weeks=TREND_WEEKS))
        .annotate(
            week=TruncWeek("ordered_at"),
            recent=Case(When(ordered_at__gte=cutoff, then=Value(True)), default=Value(False)),
        )
        .values("week", "recent")
        .annotate(total=Count("pk"), on_time=Count("pk", filter=_on_time_ack()))
        .order_by("week")
    )
    weeks: dict[datetime, list[int]] = {}
    total = on_time = 0
    for group in groups:
        counts = weeks.setdefault(group["week"], [0, 0])
        counts[0] += group["total"]
        counts[1] += group["on_time"]
        if group["recent"]:
            total += group["total"]
            on_time += group["on_time"]
    series: list[tuple[str, Decimal | int]] = [
        (f"{week:%d %b}", _percent(counts[1], counts[0])) for week, counts in weeks.items() if counts[0]
    ]
    if not total:
        return MetricValue(
            value="—", detail="No PO has been due for acknowledgement in the last 30 days.", series=series
        )
    return MetricValue(
        value=f"{_percent(on_time, total)} %",
        detail=(
            f"{on_time:,} of {total:,} POs acknowledged within 24 h (last 30 days); "
            f"{total - on_time:,} late or not acknowledged."
        ),
        series=series,
        link=_po_list("ack_late"),
    )


def _percent(part: int, whole: int) -> Decimal:
    return (Decimal(100) * part / whole).quantize(Decimal("0.1"))


# --- Integration audit checks ---------------------------------------------------------------------


def items_without_xref() -> AuditResult:
    """Distinct identifiers (one aggregate query, plus a few examples)."""
    identifiers = (
        lines_without_item()
        .values("purchase_order__vendor_code__code", "asin", "vendor_product_id")
        .annotate(lines=Count("pk"))
        .order_by("-lines", "asin", "vendor_product_id")
    )
    rows = list(identifiers[:5])
    count = len(rows) if len(rows) < 5 else identifiers.count()
    examples = [
        f"{row['purchase_order__vendor_code__code']} "
        + " / ".join(v for v in (row["asin"] and f"ASIN {row['asin']}", row["vendor_product_id"]) if v)
        + f" ({row['lines']} line{'s' if row['lines'] != 1 else ''})"
        for row in rows
    ]
    return AuditResult(count=count, examples=examples, link=_po_list("no_xref"))


def closing_with_open_lines() -> AuditResult:
    now = timezone.now()
    pos = pos_closing_with_open_lines(now).order_by("ship_window_end")
    rows = list(pos.values_list("number", "ship_window_end")[:5])
    count = len(rows) if len(rows) < 5 else pos.count()
    examples = [
        f"PO {number}: ship window {'closed' if end <= now else 'closes'} {end:%Y-%m-%d %H:%M %Z}"
        for number, end in rows
    ]
    return AuditResult(count=count, examples=examples, link=_po_list("closing"))


def register() -> None:
    register_metric(
        "ack_on_time_rate",
        label="Acknowledgement on-time rate",
        fn=ack_on_time_rate,
        link=_lazy_po_list("ack_late"),
    )
    register_audit_check(
        "items_without_xref",
        label="Items ordered recently with no cross-reference",
        owner_team=Team.OPS,
        fn=items_without_xref,
        link=_lazy_po_list("no_xref"),
        fix="Add the ASIN or vendor SKU cross-reference for each identifier (Orders → Cross-references); "
        "the blocked POs revalidate by themselves.",
        order=40,
    )
    register_audit_check(
        "pos_closing_with_open_lines",
        label="POs whose windows close with open lines",
        owner_team=Team.OPS,
        fn=closing_with_open_lines,
        link=_lazy_po_list("closing"),
        fix="Ship the open quantity before the window closes, or ask Amazon to cancel it and close the line.",
        order=50,
    )


register()  # importing registers (from OrdersConfig.ready(), like the flows)
