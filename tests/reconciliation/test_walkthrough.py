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
