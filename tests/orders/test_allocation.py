"""Acknowledgements from real stock: shared stock, zero stock, partial, cases, back orders, cost."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orders import allocation, validation
from orders.models import PurchaseOrder, SalesOrderState
from tests.orders.factories import import_po, line, make_item, po_payload
from vendorsync.models import OutboxMessage

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def ready(number: str, items: list, **kwargs) -> PurchaseOrder:
    po = import_po(po_payload(number, items, **kwargs)).purchase_order
    validation.validate_purchase_order(po, resolver=validation.ItemResolver(), now=NOW)
    return po


def buckets(po: PurchaseOrder) -> dict[str, dict[str, int]]:
    ack = po.acknowledgements.order_by("-created_at", "-id").first()
    out: dict[str, dict[str, int]] = {}
    for bucket in ack.lines.select_related("po_line"):
        out.setdefault(bucket.po_line.sequence, {})[bucket.code] = bucket.quantity
    return out


def test_stock_shared_by_two_pos_goes_to_the_earliest_ship_window_first():
    make_item("NW-1", asin="B0SHARED01", available=10)
    late = ready(
        "POLATE01",
        [line("1", "B0SHARED01", "x", 8, "10.00")],
        ship_window="2026-11-28T07:00:00Z--2026-11-30T07:00:00Z",
    )
    early = ready(
        "POEARLY1",
        [line("1", "B0SHARED01", "x", 8, "10.00")],
        ship_window="2026-11-22T07:00:00Z--2026-11-24T07:00:00Z",
    )
    counts = allocation.plan_open_orders()
    assert counts["planned"] == 2
    assert buckets(early) == {"1": {"Accepted": 8}}
    assert buckets(late) == {"1": {"Accepted": 2, "Rejected": 6}}


def test_zero_stock_rejects_temporarily_unavailable_or_backorders_when_amazon_allows():
    make_item("NW-2", asin="B0NOSTOCK1", available=0)
    rejected = ready("POZERO01", [line("1", "B0NOSTOCK1", "x", 5, "10.00")])
    backordered = ready("POZERO02", [line("1", "B0NOSTOCK1", "x", 5, "10.00", backorder=True)])
    allocation.plan_open_orders()
    assert buckets(rejected) == {"1": {"Rejected": 5}}
    assert rejected.acknowledgements.get().lines.get().rejection_reason == "TemporarilyUnavailable"
    assert buckets(backordered) == {"1": {"Backordered": 5}}
    bucket = backordered.acknowledgements.get().lines.get()
    assert bucket.scheduled_ship_date > backordered.ship_window_end  # a date outside the PO window
    # Nothing to ship: no sales order for the rejected PO.
    assert not OutboxMessage.objects.filter(external_key="AMZ-PO-POZERO01").exists()
    assert OutboxMessage.objects.filter(external_key="AMZ-PO-POZERO02").exists()


def test_partial_stock_splits_a_line_and_never_acknowledges_more_than_ordered():
    make_item("NW-3", asin="B0PARTIAL1", available=7)
    make_item("NW-4", asin="B0PLENTY01", available=10_000)
    po = ready(
        "POPART01",
        [
            line("1", "B0PARTIAL1", "x", 10, "10.00", backorder=True),
            line("2", "B0PLENTY01", "y", 4, "3.00", backorder=True),
        ],
    )
    allocation.plan_open_orders()
    assert buckets(po) == {"1": {"Accepted": 7, "Backordered": 3}, "2": {"Accepted": 4}}
    for po_line in po.lines.all():
        assert (
            po_line.accepted_quantity + po_line.backordered_quantity + po_line.rejected_quantity
            == po_line.ordered_quantity
        )


def test_cases_need_their_unit_size_in_eaches_and_the_acknowledged_cost_is_netsuites():
    make_item("NW-5", asin="B0CASES001", available=25, cost="2.50")
    po = ready("POCASE01", [line("1", "B0CASES001", "x", 3, "29.00", uom="Cases", unit_size=10)])
    allocation.plan_open_orders()
    assert buckets(po) == {"1": {"Accepted": 2, "Rejected": 1}}  # 25 eaches = 2 whole cases
    bucket = po.acknowledgements.get().lines.filter(code="Accepted").get()
    assert bucket.net_cost == Decimal("25.00")  # NetSuite's 2.50 per each × 10, not Amazon's 29.00
    message = OutboxMessage.objects.get(external_key="AMZ-PO-POCASE01")
    [so_line] = message.payload["record"]["item"]["items"]
    assert so_line["quantity"] == 20 and Decimal(so_line["rate"]) == Decimal("2.5")
    po.refresh_from_db()
    assert po.sales_order_state == SalesOrderState.QUEUED


def test_stock_promised_since_the_last_items_sync_is_not_promised_twice():
    make_item("NW-6", asin="B0RESERVE1", available=6)
    first = ready("PORES001", [line("1", "B0RESERVE1", "x", 4, "10.00")])
    allocation.plan_open_orders()
    second = ready("PORES002", [line("1", "B0RESERVE1", "x", 4, "10.00")])
    allocation.plan_open_orders()
    assert buckets(first) == {"1": {"Accepted": 4}}
    assert buckets(second) == {"1": {"Accepted": 2, "Rejected": 2}}


def test_a_blocked_po_is_not_decided():
    ready("POBLOCK1", [line("1", "B0NOITEM01", "x", 4, "10.00")])
    assert allocation.plan_open_orders() == {"selected": 0, "planned": 0}
