"""Shipments and invoices pages: query budgets that do not grow with rows, the container tree and
validation results on the detail page, finance reads but cannot re-run, XLSX exports."""

from __future__ import annotations

import io
from dataclasses import replace
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from orders.outbound import services
from orders.outbound.services import Package
from orders.outbound_models import Shipment, ShipmentStatus
from tests.orders import test_outbound_model as model
from tests.orders.test_outbound_model import NOW, build, fulfilment, item_id, sscc

po = model.po  # the fixture: one PO with two accepted lines

pytestmark = pytest.mark.django_db


def many(po, count: int) -> list[Shipment]:
    shipments = []
    for n in range(count):
        f = fulfilment(
            netsuite_id=str(10_000 + n),
            lines=((1, item_id("SKU-A"), "1", 1),),
            packages=(
                Package(1, sscc(100 + n), Decimal(2), "SKU-A x 1", contents=(("SKU-A", 1, "", None),)),
            ),
        )
        shipments.append(build(po, f)[0])
    return shipments


@pytest.mark.parametrize("rows", [3, 10])
def test_shipment_list_keeps_its_query_budget(client, personas, django_assert_max_num_queries, po, rows):
    po.lines.update(accepted_quantity=100)
    many(po, rows)
    client.force_login(personas["ops"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("orders:shipments"))
    assert response.status_code == 200
    assert response.content.decode().count("/orders/shipments/") - 1 >= rows


def test_shipment_detail_shows_tree_ssccs_weights_and_problems(
    client, personas, django_assert_max_num_queries, po
):
    packages = list(fulfilment().packages)
    packages[3] = replace(packages[3], weight=None)
    shipment, _ = build(po, fulfilment(packages=tuple(packages)))
    client.force_login(personas["finance"])
    with django_assert_max_num_queries(14):
        response = client.get(shipment.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    for n in (1, 2, 3, 4):
        assert sscc(n) in body
    assert "weight_missing" in body and "Carton 4 SSCC" in body
    assert "Re-check against NetSuite" not in body  # finance reads only
    denied = client.post(reverse("orders:shipment_recheck", args=[shipment.public_id]))
    assert denied.status_code == 403


def test_shipments_and_invoices_export_to_xlsx(client, personas, po):
    shipment, _ = build(po)
    Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.ACCEPTED)
    invoice = services.invoice_create(shipment=shipment, invoice_date=NOW.date(), source="netsuite")
    services.invoice_netsuite_created(invoice=invoice, netsuite_id="9", number="INV9")
    client.force_login(personas["ops"])
    response = client.get(reverse("orders:shipments") + "?export=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == shipment.shipment_identifier
    response = client.get(reverse("orders:invoices") + "?export=xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == "INV9" and Decimal(str(rows[1][4])) == Decimal("65.00")
    detail = client.get(invoice.get_absolute_url())
    assert b"65.00" in detail.content and b"INV9" in detail.content


def test_po_and_shipment_pages_predict_the_shortage_from_receipts(client, personas, po):
    shipment, _ = build(po)
    Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.ACCEPTED)
    invoice = services.invoice_create(shipment=shipment, invoice_date=NOW.date(), source="netsuite")
    assert invoice is not None
    services.po_lines_received(po=po, received={"1": 8, "2": 6})
    client.force_login(personas["finance"])
    body = client.get(po.get_absolute_url()).content.decode()
    assert "Predicted shortage claims" in body and shipment.shipment_identifier in body
    assert "<td>10</td><td>8</td><td>2</td>" in body.replace("\n", "")
    detail = client.get(shipment.get_absolute_url()).content.decode()
    assert '<span class="status-bad">2</span>' in detail
