"""The orders pages: query budgets that do not grow with rows, search, roles, mappings and XLSX."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from orders import allocation, validation
from orders.models import ItemCrossReference, PurchaseOrder, PurchaseOrderStatus
from tests.orders.factories import import_po, line, make_item, po_payload
from vendorsync.models import ExceptionCase, ExceptionStatus

pytestmark = pytest.mark.django_db


def make_pos(count: int, start: int = 0) -> None:
    make_item("NW-STOCK", asin="B0STOCK001", available=100_000)
    for n in range(start, start + count):
        po = import_po(
            po_payload(
                f"PO{n:06d}",
                [line("1", "B0STOCK001", "x", 2, "10.00"), line("2", f"B0GAP{n:05d}", "y", 1, "5.00")],
            )
        ).purchase_order
        validation.validate_purchase_order(po, resolver=validation.ItemResolver(), now=po.ordered_at)


@pytest.mark.parametrize("rows", [3, 30])
def test_po_list_query_count_does_not_grow_with_rows(client, personas, django_assert_max_num_queries, rows):
    make_pos(rows)
    client.force_login(personas["ops"])
    # Session, user, permissions, count, page, open exceptions of the page, filter choices, session save.
    with django_assert_max_num_queries(14):
        response = client.get(reverse("orders:index"))
    assert response.status_code == 200
    assert response.content.count(b"/orders/po/") == rows
    # Every listed PO shows its open exception (the sku_asin_gap of line 2).
    assert b"PO000000" in response.content


def test_po_detail_query_count_does_not_grow_with_lines(client, personas, django_assert_max_num_queries):
    make_item("NW-STOCK", asin="B0STOCK001", available=100_000)
    po = import_po(
        po_payload("PODETAIL", [line(str(n), "B0STOCK001", "x", 2, "10.00") for n in range(1, 41)])
    ).purchase_order
    validation.validate_purchase_order(po, resolver=validation.ItemResolver(), now=po.ordered_at)
    allocation.plan_open_orders()
    client.force_login(personas["finance"])  # finance reads
    # +1 for the PO's shipments (orders out); shortages are only read when there are shipments.
    with django_assert_max_num_queries(15):
        response = client.get(po.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<tr") >= 40 and "Acknowledgement decided" in body and "Accepted 2" in body
    assert "Add cross-reference" not in body  # finance cannot change mappings


def test_search_finds_a_po_by_number_asin_or_sku_and_filters_by_vendor_code(client, personas):
    make_pos(3)
    client.force_login(personas["ops"])
    by_number = client.get(reverse("orders:index"), {"q": "PO000001"}).content.decode()
    assert "PO000001" in by_number and "PO000002" not in by_number
    by_asin = client.get(reverse("orders:index"), {"q": "B0GAP00002"}).content.decode()
    assert "PO000002" in by_asin and "PO000001" not in by_asin
    by_sku = client.get(reverse("orders:index"), {"q": "NW-STOCK"}).content.decode()
    assert by_sku.count("/orders/po/") == 3
    vendor = PurchaseOrder.objects.first().vendor_code
    assert (
        client.get(reverse("orders:index"), {"vendor_code": vendor.pk}).content.decode().count("/orders/po/")
        == 3
    )
    partial = client.get(reverse("orders:index"), {"q": "PO000001"}, headers={"HX-Request": "true"})
    assert b"<html" not in partial.content and b"PO000001" in partial.content


def test_po_list_exports_xlsx(client, personas):
    make_pos(2)
    client.force_login(personas["ops"])
    response = client.get(reverse("orders:index"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "PO" and {r[0] for r in rows[1:]} == {"PO000000", "PO000001"}


def test_adding_a_cross_reference_in_the_browser_unblocks_the_po(client, personas):
    make_pos(1)
    item = make_item("NW-GAP", available=50)
    po = PurchaseOrder.objects.get()
    assert po.status == PurchaseOrderStatus.BLOCKED
    client.force_login(personas["ops"])
    response = client.post(
        reverse("orders:cross_reference_add"),
        {
            "vendor_code": "VSYNC",
            "kind": "asin",
            "value": "B0GAP00000",
            "item_sku": item.sku,
            "next": po.get_absolute_url(),
        },
        follow=True,
    )
    assert "went on to sales order and acknowledgement" in response.content.decode()
    po.refresh_from_db()
    assert po.status == PurchaseOrderStatus.READY
    assert ExceptionCase.objects.get(kind="sku_asin_gap").status == ExceptionStatus.RESOLVED


def test_finance_cannot_add_cross_references(client, personas):
    make_item("NW-1")
    client.force_login(personas["finance"])
    response = client.post(
        reverse("orders:cross_reference_add"), {"vendor_code": "VSYNC", "value": "B0X", "item_sku": "NW-1"}
    )
    assert response.status_code == 403
    assert not ItemCrossReference.objects.exists()


def _workbook(rows: list[tuple]) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append(("vendor_code", "kind", "identifier", "item_sku", "note"))
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    data.name = "xrefs.xlsx"
    return data


def test_xlsx_import_is_all_or_nothing_with_errors_naming_the_row(client, personas):
    make_pos(1)
    make_item("NW-GAP")
    client.force_login(personas["ops"])
    bad = _workbook(
        [("VSYNC", "asin", "B0GAP00000", "NW-GAP", ""), ("VSYNC", "gtin", "036000291453", "NW-GAP", "")]
    )
    response = client.post(reverse("orders:cross_reference_import"), {"file": bad}, follow=True)
    body = response.content.decode()
    assert "Row 3, identifier" in body and "Nothing was imported" in body
    assert not ItemCrossReference.objects.exists()
    good = _workbook(
        [
            ("VSYNC", "asin", "B0GAP00000", "NW-GAP", "from Vendor Central"),
            ("VSYNC", "", "036000291452", "NW-GAP", ""),
        ]
    )
    response = client.post(reverse("orders:cross_reference_import"), {"file": good}, follow=True)
    assert "2 cross-reference(s) imported; 1 blocked PO(s) revalidated" in response.content.decode()
    assert set(ItemCrossReference.objects.values_list("kind", "value")) == {
        ("asin", "B0GAP00000"),
        ("gtin", "00036000291452"),
    }
    export = client.get(reverse("orders:cross_references"), {"export": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert rows[0] == ("vendor_code", "kind", "identifier", "item_sku", "note") and len(rows) == 3


def test_items_and_cross_reference_pages_keep_a_query_budget(client, personas, django_assert_max_num_queries):
    for n in range(25):
        make_item(f"NW-{n:03d}", upc="")
    client.force_login(personas["ops"])
    with django_assert_max_num_queries(12):
        assert client.get(reverse("orders:items")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("orders:cross_references")).status_code == 200


def test_the_return_address_after_adding_a_mapping_stays_on_this_site(client, personas):
    make_item("NW-1")
    VendorCode = PurchaseOrder._meta.get_field("vendor_code").related_model
    VendorCode.objects.create(code="VSYNC")
    client.force_login(personas["ops"])
    response = client.post(
        reverse("orders:cross_reference_add"),
        {
            "vendor_code": "VSYNC",
            "kind": "asin",
            "value": "B0REDIRECT",
            "item_sku": "NW-1",
            "next": "//evil.example/",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("orders:cross_references")
