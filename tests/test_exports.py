"""The XLSX export keeps amounts numeric and never lets text become a formula."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from vendorsync import services
from vendorsync.exports import build_workbook


def test_text_that_looks_like_a_formula_is_written_as_text_and_amounts_stay_numbers():
    data = build_workbook(
        ["Document", "Amount", "Note"],
        [
            ['=HYPERLINK("http://evil")', Decimal("-12.34"), "+1 call me"],
            ["INV-1", Decimal("1000.00"), "@SUM(A1)"],
        ],
    )
    sheet = load_workbook(BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Document", "Amount", "Note")
    assert rows[1][0] == '\'=HYPERLINK("http://evil")' and rows[1][2] == "'+1 call me"
    assert rows[2][2] == "'@SUM(A1)"
    assert isinstance(rows[1][1], float | int) and rows[1][1] == -12.34 and rows[2][1] == 1000
    assert sheet.cell(row=2, column=1).data_type == "s"


def test_the_exception_queue_exports_every_row_not_just_a_page(personas):
    for i in range(60):
        services.exception_raise(kind="sku_asin_gap", dedupe_key=f"x{i}", message=f"=cmd|{i}")
    client = Client()
    client.force_login(personas["ops"])
    response = client.get(reverse("exceptions"), {"export": "xlsx", "kind": "sku_asin_gap"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 61
    assert rows[0][0] == "Kind" and rows[1][0] == "SKU/ASIN mapping gap"
    assert all(str(row[4]).startswith("'=cmd|") for row in rows[1:])


def test_an_export_too_large_for_one_request_asks_for_a_narrower_filter(personas, settings):
    settings.EXPORT_MAX_ROWS = 5
    for i in range(6):
        services.exception_raise(kind="sku_asin_gap", dedupe_key=f"big{i}", message="m")
    client = Client()
    client.force_login(personas["ops"])
    response = client.get(reverse("exceptions"), {"export": "xlsx", "kind": "sku_asin_gap"}, follow=True)
    assert response.redirect_chain[0][0] == "/exceptions/?kind=sku_asin_gap"
    assert b"narrow the filter" in response.content
    assert response["Content-Type"].startswith("text/html")
