"""Purchase orders as Amazon sends them: exact values, changes, cancellations, mapping and validation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from orders import allocation, identifiers, services, validation
from orders.models import (
    AcknowledgementStatus,
    IdentifierKind,
    PurchaseOrderStatus,
    VendorCode,
)
from tests.orders.factories import import_po, line, make_item, po_payload
from vendorsync.models import AuditEvent, ExceptionCase, ExceptionStatus

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def validate(po):
    return validation.validate_purchase_order(po, resolver=validation.ItemResolver(), now=NOW)


def test_amazon_values_are_kept_exactly_as_sent():
    payload = po_payload(
        "2JK3S9VC",
        [
            line("00001", "B07DFVDRAB", "8806098286500", 5, "3.333", uom="Cases", unit_size=12),
            line("00002", "B07DFYF5AB", "SKU-77", 2, "1.2E2"),
        ],
    )
    po = import_po(payload).purchase_order
    first, second = po.lines.order_by("position")
    assert (first.sequence, first.asin, first.vendor_product_id) == ("00001", "B07DFVDRAB", "8806098286500")
    assert (first.ordered_quantity, first.unit_of_measure, first.unit_size, first.ordered_eaches) == (
        5,
        "Cases",
        12,
        60,
    )
    assert first.net_cost == Decimal("3.333") and first.net_cost_text == "3.333"
    assert second.net_cost == Decimal("120") and second.net_cost_text == "1.2E2"
    assert po.raw == payload and po.ship_to == "ABE8" and po.vendor_code.code == "VSYNC"
    assert po.ship_window_end == datetime(2026, 11, 27, 7, tzinfo=UTC)


def test_re_importing_the_same_po_changes_nothing_and_audits_nothing():
    payload = po_payload("PO000001", [line("1", "B000000001", "SKU-1", 4, "5.00")])
    import_po(payload)
    events = AuditEvent.objects.count()
    result = import_po(payload)
    assert (result.created, result.changed) == (False, False)
    assert AuditEvent.objects.count() == events
    assert result.purchase_order.revision == 1


def test_a_changed_po_updates_its_lines_and_cancelled_lines_are_marked_not_deleted():
    import_po(
        po_payload(
            "PO000002",
            [line("1", "B000000001", "SKU-1", 4, "5.00"), line("2", "B000000002", "SKU-2", 6, "7.00")],
        )
    )
    changed = po_payload(
        "PO000002",
        [line("1", "B000000001", "SKU-1", 10, "5.00"), line("2", "B000000002", "SKU-2", 0, "7.00")],
        changed="2026-11-21T08:00:00Z",
    )
    result = import_po(changed)
    po = result.purchase_order
    assert result.changed and po.revision == 2
    first, second = po.lines.order_by("position")
    assert first.ordered_quantity == 10 and not first.cancelled
    assert second.cancelled and second.ordered_quantity == 0
    assert po.lines.count() == 2
    assert AuditEvent.objects.filter(action="purchase_order.changed", subject_id=str(po.public_id)).exists()


def test_a_po_amazon_cancels_is_marked_cancelled_and_its_cases_resolve():
    result = import_po(po_payload("PO000003", [line("1", "B0ZZZZZZZ1", "877674121306", 4, "5.00")]))
    validate(result.purchase_order)
    assert ExceptionCase.objects.open().filter(kind="sku_asin_gap").count() == 1
    closed = import_po(
        po_payload("PO000003", [line("1", "B0ZZZZZZZ1", "877674121306", 0, "5.00")], state="Closed")
    )
    po = closed.purchase_order
    assert po.status == PurchaseOrderStatus.CANCELLED
    validate(po)
    case = ExceptionCase.objects.get(kind="sku_asin_gap")
    assert case.status == ExceptionStatus.RESOLVED and case.auto_resolved
    assert po.lines.count() == 1


@pytest.mark.parametrize("sent", ["036000291452", "0036000291452", "00036000291452"])
def test_a_gtin_maps_whatever_its_length(sent):
    item = make_item("NW-1", upc="036000291452")
    po = import_po(po_payload("PO000004", [line("1", "B0UNKNOWN1", sent, 3, "10.00")])).purchase_order
    outcome = validate(po)
    assert not outcome.blocked
    assert po.lines.get().item == item


def test_gtin_normalisation_uses_the_check_digit():
    assert identifiers.gtin14("036000291452") == "00036000291452"
    assert identifiers.gtin14("036000291453") is None  # wrong check digit
    assert identifiers.gtin14("NW-MUG") is None


def test_a_cross_reference_maps_an_asin_per_vendor_code(personas):
    item = make_item("NW-2")
    po = import_po(
        po_payload("PO000005", [line("1", "B0ZZZZZZZ2", "SKU-NOT-OURS", 3, "10.00")])
    ).purchase_order
    assert validate(po).blocked
    services.cross_reference_add(
        actor=personas["ops"],
        vendor_code=po.vendor_code,
        kind=IdentifierKind.ASIN,
        value="b0zzzzzzz2",
        item=item,
    )
    assert not validate(po).blocked
    assert ExceptionCase.objects.get(kind="sku_asin_gap").status == ExceptionStatus.RESOLVED
    other = VendorCode.objects.create(code="OTHER")
    with pytest.raises(ValidationError, match="already mapped"):
        services.cross_reference_add(
            actor=personas["ops"],
            vendor_code=po.vendor_code,
            kind=IdentifierKind.ASIN,
            value="B0ZZZZZZZ2",
            item=item,
        )
    services.cross_reference_add(
        actor=personas["ops"], vendor_code=other, kind=IdentifierKind.ASIN, value="B0ZZZZZZZ2", item=item
    )


def test_a_bad_gtin_cross_reference_is_refused_naming_the_field(personas):
    item = make_item("NW-3")
    vendor = VendorCode.objects.create(code="VSYNC")
    with pytest.raises(ValidationError) as info:
        services.cross_reference_add(
            actor=personas["ops"],
            vendor_code=vendor,
            kind=IdentifierKind.GTIN,
            value="036000291453",
            item=item,
        )
    assert "check digit" in str(info.value.message_dict["value"])
    with pytest.raises(Exception, match="cannot change orders"):
        services.cross_reference_add(
            actor=personas["finance"],
            vendor_code=vendor,
            kind=IdentifierKind.ASIN,
            value="B0ZZZZZZZ3",
            item=item,
        )


def test_price_discrepancy_respects_the_tolerance(settings):
    settings.ORDERS_PRICE_TOLERANCE_PERCENT = Decimal("1")
    make_item("NW-4", asin="B0PRICE001", cost="10.00")
    po = import_po(po_payload("PO000006", [line("1", "B0PRICE001", "x", 3, "10.05")])).purchase_order
    validate(po)
    assert not ExceptionCase.objects.filter(kind="price_discrepancy").exists()
    import_po(
        po_payload("PO000006", [line("1", "B0PRICE001", "x", 3, "9.50")], changed="2026-11-20T11:00:00Z")
    )
    po.refresh_from_db()
    validate(po)
    case = ExceptionCase.objects.get(kind="price_discrepancy")
    assert case.amount_at_risk == Decimal("1.50") and case.details["rerun_flow"] == "items"


def test_window_problems_are_raised_and_cleared():
    make_item("NW-5", asin="B0WINDOW01")
    po = import_po(
        po_payload(
            "PO000007",
            [line("1", "B0WINDOW01", "x", 1, "10.00")],
            ship_window="2026-11-25T07:00:00Z--2026-11-22T07:00:00Z",
        )
    ).purchase_order
    validate(po)
    case = ExceptionCase.objects.get(kind="po_expiring")
    assert "before it starts" in case.message
    import_po(
        po_payload("PO000007", [line("1", "B0WINDOW01", "x", 1, "10.00")], changed="2026-11-20T11:00:00Z")
    )
    po.refresh_from_db()
    validate(po)
    case.refresh_from_db()
    assert case.status == ExceptionStatus.RESOLVED


def test_a_change_after_acknowledgement_only_reduces_what_was_accepted():
    make_item("NW-6", asin="B0CHANGE01", available=5)
    po = import_po(po_payload("PO000008", [line("1", "B0CHANGE01", "x", 8, "10.00")])).purchase_order
    validate(po)
    allocation.plan_open_orders()
    ack = po.acknowledgements.get()
    services.acknowledgement_queue(ack=ack)
    services.acknowledgement_submitted(ack=ack, transaction_id="t-1")
    # Amazon doubles the quantity after our acknowledgement (5 accepted, 3 rejected).
    import_po(
        po_payload("PO000008", [line("1", "B0CHANGE01", "x", 16, "10.00")], changed="2026-11-21T08:00:00Z")
    )
    newest = po.acknowledgements.order_by("-created_at", "-id").first()
    buckets = {b.code: b.quantity for b in newest.lines.all()}
    assert buckets == {"Accepted": 5, "Rejected": 11}
    assert newest.status == AcknowledgementStatus.READY and newest.purchase_order_revision == 2
