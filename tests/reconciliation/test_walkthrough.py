"""What a new user reads on the finance pages (found walking the demo): sums of money in cents
(SQLite's SUM of a decimal comes back with float-like digits) and times with their zone."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from reconciliation import selectors, services
from reconciliation.models import ImportDoor

from .test_import import GOOD

pytestmark = pytest.mark.django_db

ZONELESS = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?(?! UTC)\b")


def test_deduction_totals_are_cents_and_lists_give_times_their_zone(gl, personas, client):
    for n in range(3):
        data = GOOD.replace(b"P100", f"P{n}".encode()).replace(b"(20.00)", b"(20.10)")
        services.remittance_import(data=data, name=f"{n}.csv", door=ImportDoor.COMMAND)
    totals = selectors.deduction_totals(selectors.deductions())
    assert [str(row["total"]) for row in totals["by_type"]] == ["-60.30"]
    assert all(row["total"].as_tuple().exponent == -2 for row in totals["aging"])
    client.force_login(personas["finance"])
    page = client.get(reverse("reconciliation:deductions")).content.decode()
    assert "<td>-60.30</td>" in page
    for name in ("imports", "mappings"):
        body = client.get(reverse(f"reconciliation:{name}")).content.decode()
        assert " UTC" in body and ZONELESS.findall(body) == [], name


def test_a_deduction_dated_after_today_ages_as_new_not_into_no_bucket(gl, personas, client):
    """The live demo's clock runs ahead: the aging table summed less than the totals by type."""
    from datetime import timedelta

    from django.utils import timezone

    tomorrow = timezone.localdate() + timedelta(days=1)
    data = GOOD.replace(b"11/30/2026", f"{tomorrow:%m/%d/%Y}".encode())
    services.remittance_import(data=data, name="ahead.csv", door=ImportDoor.COMMAND)
    totals = selectors.deduction_totals(selectors.deductions())
    aging = {row["bucket"]: row["total"] for row in totals["aging"]}
    assert str(aging["0-30"]) == "-20.00"
    assert sum(aging.values()) == sum(row["total"] for row in totals["by_type"])
    client.force_login(personas["finance"])
    page = client.get(reverse("reconciliation:deductions") + "?age=0-30").content.decode()
    assert "INV-A1SC" in page


def test_the_variance_filter_reads_any_yes_no_and_filters(gl, personas, client):
    services.remittance_import(data=GOOD, name="g.csv", door=ImportDoor.COMMAND)
    client.force_login(personas["finance"])
    page = client.get(reverse("reconciliation:remittances")).content.decode()
    assert '<option value="" selected>Any</option>' in page and "Unknown" not in page
    without = client.get(reverse("reconciliation:remittances") + "?drift=false").content.decode()
    with_drift = client.get(reverse("reconciliation:remittances") + "?drift=true").content.decode()
    assert "P100" in without and "P100" not in with_drift  # GOOD ties out: no variance
