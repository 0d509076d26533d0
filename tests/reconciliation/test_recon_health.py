"""The reconciliation app's dashboard figures and integration-audit checks, on imported remittances."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from reconciliation import health, services
from reconciliation.models import DeductionMapping, GLAccount, ImportDoor, LineStatus
from vendorsync import health as core_health
from vendorsync import integration_audit

pytestmark = pytest.mark.django_db

HEADER = (
    "Payment Number,Payment Date,Payment Amount,Payment Currency,Invoice Number,Invoice Date,"
    "Transaction Description,Invoice Amount,Terms Discount Taken,Amount Paid\n"
)
TODAY = date(2026, 12, 1)


def _import(name: str, *rows: str, revision: bool = False):
    data = (HEADER + "".join(r + "\n" for r in rows)).encode()
    batch = services.remittance_import(data=data, name=name, door=ImportDoor.COMMAND, revision=revision)
    assert batch.status == "imported", batch.errors
    return batch


def test_unexplained_variance_now_and_by_month(gl):
    _import(
        "a.csv", "P1,11/30/2026,100.00,USD,INV-A1,11/01/2026,Invoice payment,100.00,0.00,90.00"
    )  # drift 10
    _import("b.csv", "P2,10/15/2026,50.00,USD,INV-B1,10/01/2026,Invoice payment,55.00,0.00,55.00")  # drift -5
    _import("c.csv", "P3,11/20/2026,70.00,USD,INV-C1,11/01/2026,Invoice payment,70.00,0.00,70.00")  # adds up
    value = health.unexplained_variance(TODAY)
    assert value.value == "15.00" and value.detail.startswith("2 payment(s)")
    assert dict(value.series)["Nov"] == Decimal("10.00") and dict(value.series)["Oct"] == Decimal("5.00")
    assert [label for label, _ in value.series] == ["Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    assert value.link == "/reconciliation/remittances/?drift=true"

    # A revision that adds up replaces P1: its drift is no longer unexplained.
    _import(
        "a2.csv",
        "P1,11/30/2026,100.00,USD,INV-A1,11/01/2026,Invoice payment,100.00,0.00,100.00",
        revision=True,
    )
    assert health.unexplained_variance(TODAY).value == "5.00"


def test_deductions_by_type_per_month(gl):
    _import(
        "d.csv",
        "P4,11/30/2026,150.00,USD,INV-D1,11/01/2026,Invoice payment,200.00,0.00,200.00",
        "P4,11/30/2026,150.00,USD,INV-D1SC,11/20/2026,Shortage claim,(30.00),0.00,(30.00)",
        "P4,11/30/2026,150.00,USD,INV-D2SC,11/20/2026,Shortage claim,(5.00),0.00,(5.00)",
        "P4,11/30/2026,150.00,USD,12345678VCBSINV,11/20/2026,Chargeback,(15.00),0.00,(15.00)",
    )
    _import(
        "e.csv",
        "P5,09/30/2026,-7.00,USD,INV-E1PC,09/20/2026,Price claim,(7.00),0.00,(7.00)",
    )
    value = health.deductions_by_type(TODAY)
    assert value.value == "50.00"  # November, the latest month with deductions
    assert dict(value.series)["Nov"] == Decimal("50.00") and dict(value.series)["Sep"] == Decimal("7.00")
    assert value.rows == [
        ("Shortage claim (SC)", "2 line(s), 35.00"),
        ("Chargeback (VCBSINV)", "1 line(s), 15.00"),
    ]
    assert value.link == "/reconciliation/deductions/"


def test_unmapped_codes_and_inactive_accounts_are_audit_gaps(gl, personas):
    DeductionMapping.objects.filter(line_type="chargeback").delete()
    _import(
        "f.csv",
        "P6,11/30/2026,-25.00,USD,12345678VCBSINV,11/20/2026,Chargeback,(15.00),0.00,(15.00)",
        "P6,11/30/2026,-25.00,USD,87654321VCBSINV,11/20/2026,Chargeback,(10.00),0.00,(10.00)",
    )
    result = health.unmapped_deduction_codes()
    assert result.count == 1
    assert result.examples == ["Chargeback (VCBSINV): 2 line(s), -25.00"]
    assert result.link == f"/reconciliation/deductions/?status={LineStatus.UNMAPPED.value}"

    assert health.gl_accounts_missing(TODAY).count == 0
    GLAccount.objects.filter(number="4520").update(active=False)  # shortage claims' account
    missing = health.gl_accounts_missing(TODAY)
    assert missing.count == 1 and missing.examples[0].startswith("4520 Shortage Claims: inactive in NetSuite")
    # A mapping that ended before today no longer counts.
    DeductionMapping.objects.filter(gl_account__number="4520").update(
        effective_from=date(2020, 1, 1), effective_to=date(2021, 1, 1)
    )
    assert health.gl_accounts_missing(TODAY).count == 0

    client = Client()
    client.force_login(personas["finance"])
    page = client.get(result.link).content.decode()
    assert "12345678VCBSINV" in page


def test_the_reconciliation_app_registers_its_figures_and_checks():
    assert core_health._METRICS["unexplained_variance"].fn is health.unexplained_variance
    assert core_health._METRICS["deductions_by_type"].fn is health.deductions_by_type
    assert integration_audit._CHECKS["unmapped_deduction_codes"].owner_team == "finance"
    assert str(integration_audit._CHECKS["gl_accounts_missing"].link) == reverse("reconciliation:mappings")
