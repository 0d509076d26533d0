"""The orders app's dashboard figure and integration-audit checks, and the PO list rows behind them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders import health
from orders.models import (
    Acknowledgement,
    AcknowledgementStatus,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    VendorCode,
)
from vendorsync import health as core_health
from vendorsync import integration_audit

pytestmark = pytest.mark.django_db


def _po(number: str, *, ordered_ago: timedelta, status: str = PurchaseOrderStatus.NEW, window_in=None):
    vendor, _ = VendorCode.objects.get_or_create(code="VSYNC")
    now = timezone.now()
    return PurchaseOrder.objects.create(
        vendor_code=vendor,
        number=number,
        ordered_at=now - ordered_ago,
        ship_window_end=(now + window_in) if window_in is not None else None,
        source="api",
        status=status,
    )


def _line(
    po: PurchaseOrder, seq: str, *, asin: str = "B0TEST", quantity: int = 5, shipped: int = 0, item=None
):
    return PurchaseOrderLine.objects.create(
        purchase_order=po,
        position=int(seq),
        sequence=seq,
        asin=asin,
        ordered_quantity=quantity,
        ordered_eaches=quantity,
        shipped_quantity=shipped,
        item=item,
    )


def _ack(po: PurchaseOrder, *, after: timedelta, status: str = AcknowledgementStatus.ACCEPTED) -> None:
    Acknowledgement.objects.create(
        purchase_order=po, status=status, channel="api", submitted_at=po.ordered_at + after
    )


def test_ack_on_time_rate_counts_pos_that_had_their_24_hours():
    on_time = _po("A1", ordered_ago=timedelta(days=3))
    _ack(on_time, after=timedelta(hours=5))
    late = _po("A2", ordered_ago=timedelta(days=4))
    _ack(late, after=timedelta(hours=30))
    _po("A3", ordered_ago=timedelta(days=5))  # never acknowledged
    failed = _po("A4", ordered_ago=timedelta(days=6))
    _ack(failed, after=timedelta(hours=1), status=AcknowledgementStatus.FAILED)  # sent, refused: not on time
    _po("A5", ordered_ago=timedelta(hours=3))  # still within its 24 h: not measured yet
    _po("A6", ordered_ago=timedelta(days=2), status=PurchaseOrderStatus.CANCELLED)  # not measured
    old = _po("A7", ordered_ago=timedelta(days=40))  # outside the 30 days, inside the 8-week trend
    _ack(old, after=timedelta(hours=2))

    value = health.ack_on_time_rate()

    assert value.value == "25.0 %"
    assert value.detail.startswith("1 of 4 POs acknowledged within 24 h")
    assert value.link == "/orders/?gap=ack_late"
    assert sum(1 for _, v in value.series if v == Decimal("100.0")) >= 1  # the old week, all on time
    assert {po.number for po in health.acks_late()} == {"A2", "A3", "A4"}


def test_ack_rate_without_data_says_so():
    assert health.ack_on_time_rate().value == "—"


def test_items_without_xref_counts_identifiers_not_lines(personas):
    recent = _po("GAPRECENT1", ordered_ago=timedelta(days=2))
    _line(recent, "1", asin="B0MISSING")
    _line(recent, "2", asin="B0MISSING")  # same identifier twice: one gap
    _line(recent, "3", asin="B0OTHER")
    _line(_po("GAPOLD2", ordered_ago=timedelta(days=60)), "1", asin="B0OLD")  # not recent
    result = health.items_without_xref()
    assert result.count == 2
    assert result.examples[0] == "VSYNC ASIN B0MISSING (2 lines)"
    client = Client()
    client.force_login(personas["ops"])
    page = client.get(reverse("orders:index"), {"gap": "no_xref"}).content.decode()
    # Distinctive numbers: a two-character one can turn up in any random token of the page.
    assert "GAPRECENT1" in page and "GAPOLD2" not in page


def test_pos_closing_with_open_lines(personas):
    closing = _po("WINCLOSING1", ordered_ago=timedelta(days=5), window_in=timedelta(days=1))
    _line(closing, "1", quantity=5, shipped=2)
    shipped = _po("WINSHIPPED2", ordered_ago=timedelta(days=5), window_in=timedelta(days=1))
    _line(shipped, "1", quantity=5, shipped=5)  # nothing open
    later = _po("WINLATER3", ordered_ago=timedelta(days=5), window_in=timedelta(days=10))
    _line(later, "1")  # window not closing yet
    closed = _po("WINCLOSED4", ordered_ago=timedelta(days=9), window_in=-timedelta(days=2))
    _line(closed, "1")  # window already closed with the line open: a gap too
    done = _po(
        "WINDONE5",
        ordered_ago=timedelta(days=9),
        window_in=-timedelta(days=2),
        status=PurchaseOrderStatus.CLOSED,
    )
    _line(done, "1")
    result = health.closing_with_open_lines()
    assert result.count == 2
    assert result.examples[0].startswith("PO WINCLOSED4: ship window closed")
    client = Client()
    client.force_login(personas["ops"])
    page = client.get(reverse("orders:index"), {"gap": "closing"}).content.decode()
    assert (
        "WINCLOSING1" in page
        and "WINCLOSED4" in page
        and "WINSHIPPED2" not in page
        and "WINLATER3" not in page
    )


def test_the_orders_app_registers_its_figure_and_checks():
    assert core_health._METRICS["ack_on_time_rate"].fn is health.ack_on_time_rate
    assert integration_audit._CHECKS["items_without_xref"].fn is health.items_without_xref
    assert str(integration_audit._CHECKS["pos_closing_with_open_lines"].link) == "/orders/?gap=closing"
