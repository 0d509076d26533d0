"""The set-based PO import: nothing lost across pages, repeats and re-syncs change nothing.

A page of POs we never saw is created in three INSERTs (``purchase_orders_create``); POs we hold
are upserted one by one unless their payload is exactly what we stored. These tests pin what a
set-based create once got wrong (a 5,000-PO run lost a page of 100): every PO Amazon lists is
imported exactly once whatever the paging, a PO repeated within a page or in a later page is one
PO, and a re-run writes nothing.
"""

from __future__ import annotations

import copy
import random
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction

from orders import flows, services, validation
from orders.flows import amazon_now
from orders.models import PurchaseOrder, PurchaseOrderLine, VendorCode
from tests.orders.factories import VENDOR, import_po, line, make_item, po_payload
from vendorsync import flows as core_flows
from vendorsync.amazon.codec import parse_purchase_order
from vendorsync.models import AuditEvent, ExceptionCase, OutboxMessage, SyncOutcome

pytestmark = pytest.mark.django_db


def _orders(*payloads):
    return [parse_purchase_order(p) for p in payloads]


def _page(orders, resolver=None):
    counts = dict.fromkeys(("fetched", "created", "changed", "unchanged", "failed"), 0)
    touched, errors = [], []
    with transaction.atomic():
        flows._import_page(orders, touched, counts, errors, resolver or validation.ItemResolver())
    return counts, touched, errors


def test_a_page_of_new_pos_is_created_as_the_single_upsert_creates_it(django_assert_max_num_queries):
    make_item("BULK-1", asin="B0BULK0001", cost="10.00")
    payloads = [
        po_payload(
            f"BULK{n:04d}",
            [line("1", "B0BULK0001", "x", 3, "10.00"), line("2", "B0NOTKNOWN", "y", 1, "5.00")],
        )
        for n in range(50)
    ]
    services.vendor_code_ensure(code=VENDOR)
    orders, resolver = _orders(*payloads), validation.ItemResolver()
    with django_assert_max_num_queries(11):  # vendor, existing, 3 INSERTs, savepoints: not per PO
        counts, touched, errors = _page(orders, resolver)
    assert (counts["fetched"], counts["created"], counts["failed"], errors) == (50, 50, 0, [])
    assert len(touched) == 50 and PurchaseOrderLine.objects.count() == 100
    # The same PO through the one-at-a-time path, for comparison.
    single = import_po(po_payload("SINGLE01", payloads[0]["orderDetails"]["items"])).purchase_order
    validation.validate_many([single], now=single.ordered_at)
    validation.validate_many(touched, now=single.ordered_at)
    bulk = PurchaseOrder.objects.get(number="BULK0000")
    fields = ("status", "source", "ordered_at", "ship_window_start", "ship_to", "currency", "revision")
    assert [getattr(bulk, f) for f in fields] == [
        getattr(PurchaseOrder.objects.get(pk=single.pk), f) for f in fields
    ]
    line_fields = ("sequence", "position", "asin", "ordered_quantity", "net_cost", "net_cost_text", "item_id")
    assert list(bulk.lines.order_by("position").values_list(*line_fields)) == list(
        single.lines.order_by("position").values_list(*line_fields)
    )

    def actions(po):
        return sorted(AuditEvent.objects.filter(subject_id=str(po.public_id)).values_list("action", "after"))

    assert [a for a, _ in actions(bulk)] == [a for a, _ in actions(single)]
    assert dict(actions(bulk))["purchase_order.lines_mapped"] == {"1": "BULK-1"}
    assert dict(actions(single))["purchase_order.lines_mapped"] == {"1": "BULK-1"}


def test_a_po_repeated_in_a_page_or_a_later_page_is_one_po_at_its_latest_version():
    make_item("REP-1", asin="B0REPEAT01", cost="10.00")
    first = po_payload("REPEAT01", [line("1", "B0REPEAT01", "x", 3, "10.00")])
    changed = copy.deepcopy(first)
    changed["orderDetails"]["items"][0]["orderedQuantity"]["amount"] = 2
    changed["orderDetails"]["purchaseOrderChangedDate"] = "2026-11-20T11:00:00Z"
    other = po_payload("OTHER001", [line("1", "B0REPEAT01", "x", 1, "10.00")])
    counts, touched, _ = _page(_orders(first, other, changed))
    assert (counts["created"], counts["changed"], counts["unchanged"]) == (2, 1, 0)
    po = PurchaseOrder.objects.get(number="REPEAT01")
    assert po.revision == 2 and po.lines.get().ordered_quantity == 2
    # The next page repeats both: nothing changes, nothing is written.
    audit = AuditEvent.objects.count()
    counts, touched, _ = _page(_orders(changed, other))
    assert (counts["created"], counts["changed"], counts["unchanged"], touched) == (0, 0, 2, [])
    assert AuditEvent.objects.count() == audit and PurchaseOrder.objects.count() == 2


def test_a_refused_po_is_named_and_the_rest_of_the_page_is_imported():
    good = po_payload("GOODPO01", [line("1", "B0ANY00001", "x", 1, "1.00")])
    bad = po_payload("BADPO001", [line("1", "B0ANY00001", "x", 1, "1.00")])
    del bad["orderDetails"]["sellingParty"]
    counts, _, errors = _page(_orders(bad, good))
    assert (counts["created"], counts["failed"]) == (1, 1)
    assert errors == ["PO BADPO001: no selling party (vendor code)."]
    assert list(PurchaseOrder.objects.values_list("number", flat=True)) == ["GOODPO01"]


def test_set_based_create_of_a_po_that_exists_rolls_back_entirely():
    """What the flow relies on when a concurrent import created a PO of the page meanwhile."""
    import_po(po_payload("EXISTS01", [line("1", "B0ANY00001", "x", 1, "1.00")]))
    vendors = {VENDOR: VendorCode.objects.get(code=VENDOR)}
    orders = _orders(
        po_payload("NEWPO001", [line("1", "B0ANY00001", "x", 1, "1.00")]),
        po_payload("EXISTS01", [line("1", "B0ANY00001", "x", 1, "1.00")]),
    )
    with pytest.raises(IntegrityError), transaction.atomic():  # noqa: PT012
        services.purchase_orders_create(orders=orders, vendors=vendors, source="api")
    assert list(PurchaseOrder.objects.values_list("number", flat=True)) == ["EXISTS01"]
    assert not AuditEvent.objects.filter(action="purchase_order.imported", after__number="NEWPO001").exists()


def _give_amazon(count: int) -> set[str]:
    """``count`` POs of three catalogue lines in Amazon's simulator, created over the last 5 days."""
    from vendorsync.sandbox import catalog
    from vendorsync.sandbox.amazon import AmazonSimulator, GeneratedOrder
    from vendorsync.sandbox.amazon.generate import _line, _window

    amazon = AmazonSimulator()
    now, rng, items = amazon.now(), random.Random(7), catalog.items()
    numbers = set()
    with amazon.store.tx() as db:
        for index in range(count):
            created = now - timedelta(days=5) + timedelta(seconds=index * 600)
            details = {
                "purchaseOrderType": "RegularOrder",
                "paymentMethod": "Invoice",
                "buyingParty": {"partyId": "AMAZON"},
                "sellingParty": {"partyId": catalog.VENDOR_CODE},
                "shipToParty": {"partyId": "ABE8"},
                "billToParty": {"partyId": "AMAZON"},
                "shipWindow": _window(created + timedelta(days=2), 5),
                "items": [
                    _line(seq, rng, item, mismatch=False, beyond_stock=False)
                    for seq, item in enumerate(rng.sample(items, 3), 1)
                ],
            }
            number = f"ZB{index:06d}"
            numbers.add(number)
            order = {"purchaseOrderNumber": number, "purchaseOrderState": "New", "orderDetails": details}
            amazon._insert_po(db, GeneratedOrder(created, order, None))
    return numbers


def test_every_po_of_every_page_is_imported_once_and_a_re_sync_writes_nothing(
    sandbox, django_assert_max_num_queries
):
    """Over the real client and the simulator's keyset paging (pages of 100): 3 pages and a bit."""
    ours = _give_amazon(321)
    assert core_flows.run_flow("items").outcome == SyncOutcome.SUCCEEDED
    run = core_flows.run_flow("orders")
    assert run.outcome in (SyncOutcome.SUCCEEDED, SyncOutcome.PARTIAL), run.error
    imported = set(PurchaseOrder.objects.filter(number__startswith="ZB").values_list("number", flat=True))
    assert imported == ours  # not one missing, not one extra
    assert PurchaseOrderLine.objects.filter(purchase_order__number__startswith="ZB").count() == 3 * 321
    assert run.counts["created"] == PurchaseOrder.objects.count()
    assert run.counts["fetched"] == sum(run.counts[k] for k in ("created", "changed", "unchanged", "failed"))
    sales_orders = OutboxMessage.objects.filter(operation=services.SALES_ORDER_OPERATION).count()
    assert sales_orders > 0
    cases, audit = (
        ExceptionCase.objects.count(),
        AuditEvent.objects.exclude(action__startswith="sync.").count(),
    )

    # Re-sync the whole window (not just since the cursor): every PO comes back unchanged.
    again = core_flows.run_flow("orders", since=amazon_now() - timedelta(days=7))
    assert again.outcome == SyncOutcome.SUCCEEDED, again.error
    assert (again.counts["created"], again.counts["changed"], again.counts["failed"]) == (0, 0, 0)
    assert again.counts["unchanged"] == again.counts["fetched"] >= 321
    assert set(PurchaseOrder.objects.filter(number__startswith="ZB").values_list("number", flat=True)) == ours
    assert OutboxMessage.objects.filter(operation=services.SALES_ORDER_OPERATION).count() == sales_orders
    assert ExceptionCase.objects.count() == cases
    assert AuditEvent.objects.exclude(action__startswith="sync.").count() == audit


def test_a_held_po_sent_twice_in_a_page_ends_at_the_version_sent_last():
    first = po_payload("TWICE001", [line("1", "B0ANY00001", "x", 3, "1.00")])
    import_po(first)
    changed = copy.deepcopy(first)
    changed["orderDetails"]["items"][0]["orderedQuantity"]["amount"] = 2
    counts, _, _ = _page(_orders(changed, first))  # the stored version comes back after a change
    assert (counts["changed"], counts["unchanged"]) == (2, 0)
    po = PurchaseOrder.objects.get(number="TWICE001")
    assert (po.revision, po.lines.get().ordered_quantity) == (3, 3)
