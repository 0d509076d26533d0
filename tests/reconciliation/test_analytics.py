"""Deduction analytics: figures by type, month, FC, ASIN, reason and age, drawn as SVG on the
server (no script), each bar a link that lists exactly the lines behind it."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape

from django.test import Client
from django.urls import reverse

from reconciliation.analytics.compute import deduction_analytics

from .test_profitability import november  # noqa: F401 - the fixture

D = Decimal


def test_figures_by_type_fc_reason_and_asin(november):  # noqa: F811
    data = deduction_analytics(date(2026, 11, 1), date(2026, 11, 30))
    by_type = {b.label: b.value for b in data.by_type}
    assert by_type["Shortage claim (SC)"] == D("32.00")  # INV-ASC 25 + INV-XSC 7
    assert by_type["Shortage claim reversal (SCR)"] == D("-25.00")
    by_fc = {b.label: b.value for b in data.by_fc}
    assert by_fc["ABE2"] == D("0.00")  # INV-ASC 25 then reversed by INV-ASCR
    assert by_fc["PHX6"] == D("3.00")
    assert by_fc["No invoice of ours"] == D("21.00")  # XSC 7 + chargeback 10 + provision 4
    reasons = {b.label: b.value for b in data.reasons}
    assert reasons["Line"] == data.total  # the test files' description
    assert data.total == D("24.00")
    assert {b.label for b in data.by_month} == {"2026-11"}
    asins = {b.label: b.value for b in data.by_asin}
    assert asins["B03"] == D("3.00") + D("2.86")  # its price claim and its share of the chargeback


def test_the_page_draws_svg_and_every_bar_lists_its_lines(november, personas, django_assert_max_num_queries):  # noqa: F811
    client = Client()
    client.force_login(personas["finance"])
    with django_assert_max_num_queries(20):
        page = client.get(reverse("reconciliation:analytics"), {"start": "2026-11-01", "end": "2026-11-30"})
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "<script" not in html.split("<main")[-1]
    links = [unescape(u) for u in re.findall(r'<a href="([^"]*fc=PHX6[^"]*)"', html)]
    assert links, "the FC bar links to its lines"
    lines = client.get(links[0]).content.decode()
    assert "INV-BPC" in lines and "INV-ASC" not in lines
    no_invoice = client.get(reverse("reconciliation:deductions"), {"fc": "NONE", "month": "2026-11"}).content
    assert b"1234VCBSINV" in no_invoice and b"INV-BPC" not in no_invoice


def test_a_bad_span_says_which_field(personas):
    client = Client()
    client.force_login(personas["finance"])
    response = client.get(reverse("reconciliation:analytics"), {"start": "yesterday", "end": "2026-11-30"})
    assert response.status_code == 400 and b"YYYY-MM-DD" in response.content
