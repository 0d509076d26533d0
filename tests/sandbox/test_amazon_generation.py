"""Amazon's daily POs: reproducible per day, and every day carries the problems the demo shows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from vendorsync.sandbox import catalog
from vendorsync.sandbox.amazon import generate_day

DAY = date(2026, 11, 2)


def test_daily_generation_is_deterministic_for_a_given_day():
    first, again = generate_day(DAY), generate_day(DAY)
    assert [g.order for g in first] == [g.order for g in again]
    assert [g.change for g in first] == [g.change for g in again]
    assert [g.order for g in generate_day(DAY + timedelta(days=1))] != [g.order for g in first]


def test_each_day_has_unmapped_asins_price_mismatches_and_realistic_pos():
    unmapped = set(catalog.unmapped_asins())
    for offset in range(10):
        orders = generate_day(DAY + timedelta(days=offset))
        assert 3 <= len(orders) <= 7
        lines = [line for g in orders for line in g.order["orderDetails"]["items"]]
        assert any(line["amazonProductIdentifier"] in unmapped for line in lines)
        assert any(
            (item := catalog.item_by_asin(line["amazonProductIdentifier"])) is not None
            and Decimal(line["netCost"]["amount"]) != item.cost
            for line in lines
        )
        for generated in orders:
            details = generated.order["orderDetails"]
            assert len(generated.order["purchaseOrderNumber"]) == 8
            assert 1 <= len(details["items"]) <= 15
            assert details["sellingParty"]["partyId"] == catalog.VENDOR_CODE
            assert details["shipToParty"]["partyId"] in catalog.FULFILMENT_CENTRES
            assert "--" in details["shipWindow"] and "--" in details["deliveryWindow"]
            assert generated.created_at.date() == DAY + timedelta(days=offset)


def test_some_pos_are_planned_to_change_or_be_cancelled_later():
    changes = [
        g.change for offset in range(60) for g in generate_day(DAY + timedelta(days=offset)) if g.change
    ]
    assert {c.kind for c in changes} == {"quantity", "cancel_line", "cancel_po"}
