"""Reads shared by the orders pages (bounded query counts whatever the number of rows)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from orders.models import Acknowledgement, AcknowledgementLine, PurchaseOrder
from vendorsync.models import AuditEvent, ExceptionCase

PO_SUBJECT = "orders.purchaseorder"


def purchase_orders() -> QuerySet[PurchaseOrder]:
    return PurchaseOrder.objects.select_related("vendor_code").annotate(line_count=Count("lines"))


def open_exception_counts(public_ids: Iterable[Any]) -> dict[str, int]:
    ids = [str(p) for p in public_ids]
    rows = (
        ExceptionCase.objects.open()
        .filter(subject_type=PO_SUBJECT, subject_id__in=ids)
        .values("subject_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["subject_id"]: row["n"] for row in rows}


def purchase_order_detail(po: PurchaseOrder) -> dict[str, Any]:
    lines = list(po.lines.select_related("item").order_by("position"))
    acks = list(
        Acknowledgement.objects.filter(purchase_order=po)
        .select_related("approved_by")
        .prefetch_related(Prefetch("lines", queryset=AcknowledgementLine.objects.select_related("po_line")))
    )
    cases = list(
        ExceptionCase.objects.filter(subject_type=PO_SUBJECT, subject_id=str(po.public_id)).order_by(
            "-last_seen_at"
        )[:50]
    )
    timeline = list(AuditEvent.objects.filter(subject_type=PO_SUBJECT, subject_id=str(po.public_id))[:100])
    return {
        "po": po,
        "lines": lines,
        "unmapped": [line for line in lines if line.item_id is None and not line.cancelled],
        "acknowledgements": acks,
        "open_cases": [case for case in cases if case.is_open],
        "closed_cases": [case for case in cases if not case.is_open],
        "timeline": timeline,
    }
