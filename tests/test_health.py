"""The health dashboard, sync freshness (sync_failed) and the integration audit."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vendorsync import flows, health, integration_audit, services
from vendorsync.models import ExceptionCase, OutboxMessage, SyncRun, Team


@pytest.fixture
def two_flows():
    """Only these two flows are registered during the test (the apps' real flows are set aside)."""
    saved = dict(flows._FLOWS)
    flows._FLOWS.clear()

    def ok(context):
        return flows.FlowResult(counts={"orders": 2})

    def broken(context):
        raise RuntimeError("NetSuite said 401: invalid token")

    flows.register_flow(
        "t-ok", label="Test orders", description="", every_seconds=60, freshness_seconds=3600
    )(ok)
    flows.register_flow(
        "t-broken",
        label="Test remittances",
        description="",
        owner_team=Team.FINANCE,
        every_seconds=60,
        freshness_seconds=3600,
    )(broken)
    yield
    flows._FLOWS.clear()
    flows._FLOWS.update(saved)


def _age_runs(flow: str, by: timedelta) -> None:
    for run in SyncRun.objects.filter(flow=flow):
        SyncRun.objects.filter(pk=run.pk).update(
            started_at=run.started_at - by, finished_at=(run.finished_at or run.started_at) - by
        )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_flow_that_stops_succeeding_raises_sync_failed_and_clears_when_it_recovers(two_flows):
    flows.run_flow("t-ok")
    flows.run_flow("t-broken")
    assert health.check_sync_freshness() == {"raised": [], "cleared": []}  # both still within threshold

    _age_runs("t-ok", timedelta(hours=2))
    _age_runs("t-broken", timedelta(hours=2))
    assert sorted(health.check_sync_freshness()["raised"]) == ["t-broken", "t-ok"]
    broken = ExceptionCase.objects.get(dedupe_key="sync_failed:t-broken")
    assert broken.owner_team == Team.FINANCE and broken.severity == "high"
    assert broken.details["rerun_flow"] == "t-broken"
    assert "never succeeded" in broken.message and "invalid token" in broken.message
    assert "has not succeeded since" in ExceptionCase.objects.get(dedupe_key="sync_failed:t-ok").message

    health.check_sync_freshness()
    assert ExceptionCase.objects.get(dedupe_key="sync_failed:t-ok").occurrences == 2  # one case per flow

    flows.run_flow("t-ok")
    assert health.check_sync_freshness()["cleared"] == ["t-ok"]
    cleared = ExceptionCase.objects.get(dedupe_key="sync_failed:t-ok")
    assert cleared.status == "resolved" and cleared.auto_resolved
    assert cleared.resolution_note.startswith("The Test orders sync succeeded at")


@pytest.mark.django_db
def test_a_flow_that_never_ran_is_not_failed_yet(two_flows):
    assert health.check_sync_freshness() == {"raised": [], "cleared": []}
    assert not ExceptionCase.objects.exists()


def test_the_dashboard_shows_every_kind_by_age_in_words(personas, django_assert_max_num_queries, two_flows):
    kinds = [
        "sku_asin_gap",
        "price_discrepancy",
        "po_not_mapped",
        "ack_failed",
        "ack_overdue",
        "asn_blocked",
        "asn_rejected",
        "asn_manifest_divergence",
        "po_expiring",
        "po_expired_open_lines",
    ]
    for i, kind in enumerate(kinds * 2):
        services.exception_raise(
            kind=kind, dedupe_key=f"{kind}:{i}", message="m", amount_at_risk=Decimal("5")
        )
    for i in range(8):
        services.exception_raise(kind="unmapped_deduction_code", dedupe_key=f"code:{i}", message="m")
    old = ExceptionCase.objects.filter(kind="asn_blocked").first()
    ExceptionCase.objects.filter(pk=old.pk).update(first_seen_at=timezone.now() - timedelta(days=9))
    flows.run_flow("t-ok")
    flows.run_flow("t-broken")
    client = _client(personas["admin"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("dashboard"))
    html = response.content.decode()
    rows = response.context["by_kind"]["rows"]
    assert len(rows) == 11  # every kind with open cases, not the first ten
    finance_row = next(r for r in rows if r["kind"] == "unmapped_deduction_code")
    assert finance_row["n"] == 8 and finance_row["team_label"] == "Finance"
    asn = next(r for r in rows if r["kind"] == "asn_blocked")
    assert dict(asn["buckets"]) == {"lt1d": 1, "1to3d": 0, "3to7d": 0, "gt7d": 1}
    assert "age=gt7d" in html and ">Operations<" in html and ">ops<" not in html
    assert response.context["by_kind"]["at_risk"] == Decimal("100")
    # Sync health in words, with the last error, for registered flows.
    assert "Test remittances" in html and "invalid token" in html
    assert "<svg" in html and "opened_from=" in html  # the weekly trend, each bar linking to its cases
    assert html.count("Not available yet") == len(health.EXPECTED_METRICS)


def test_a_registered_metric_is_shown_with_its_chart(personas):
    health.register_metric(
        "ack_on_time_rate",
        label="Acknowledgement on-time rate",
        fn=lambda: health.MetricValue(
            value="97.5 %", detail="39 of 40 POs", series=[("Oct", Decimal("95")), ("Nov", Decimal("97.5"))]
        ),
        link="/orders/?late=1",
    )
    try:
        html = _client(personas["ops"]).get(reverse("dashboard")).content.decode()
    finally:
        health.unregister_metric("ack_on_time_rate")
    assert '<a href="/orders/?late=1">97.5 %</a>' in html and "39 of 40 POs" in html
    assert html.count("Not available yet") == len(health.EXPECTED_METRICS) - 1
    assert 'aria-label="Acknowledgement on-time rate"' in html


@pytest.mark.django_db
def test_the_integration_audit_reports_seeded_gaps(two_flows, personas):
    flows.run_flow("t-ok")
    flows.run_flow("t-broken")  # never succeeded
    _age_runs("t-ok", timedelta(hours=3))  # lagging
    OutboxMessage.objects.create(
        target="netsuite", operation="salesorder.upsert", external_key="A", payload={}, state="needs_review"
    )
    OutboxMessage.objects.create(
        target="netsuite",
        operation="salesorder.upsert",
        external_key="B",
        payload={},
        state="pending",
        next_attempt_at=timezone.now() - timedelta(hours=2),
    )
    OutboxMessage.objects.create(
        target="netsuite", operation="salesorder.upsert", external_key="C", payload={}
    )
    integration_audit.register_audit_check(
        "items_without_xref",
        label="Items ordered recently with no cross-reference",
        owner_team=Team.OPS,
        fn=lambda: integration_audit.AuditResult(count=4, examples=["B0ASIN1"]),
        link="/orders/items/?xref=missing",
        fix="Add the cross-reference.",
    )
    try:
        out = StringIO()
        call_command("audit_integration", "--json", stdout=out)
        html = _client(personas["ops"]).get(reverse("integration_audit")).content.decode()
    finally:
        integration_audit.unregister_audit_check("items_without_xref")
    findings = {f["key"]: f for f in json.loads(out.getvalue())}
    assert findings["flows_never_succeeded"]["count"] == 1
    assert "Test remittances" in findings["flows_never_succeeded"]["examples"][0]
    assert findings["flows_lagging"]["count"] == 1
    assert findings["outbox_stuck"]["count"] == 2 and findings["outbox_stuck"]["owner"] == "Operations"
    assert findings["items_without_xref"]["count"] == 4
    assert findings["items_without_xref"]["link"] == "/orders/items/?xref=missing"
    assert findings["unmapped_deduction_codes"]["count"] is None  # nobody provides it yet: not hidden
    assert "Not checked yet" in findings["gl_accounts_missing"]["note"]
    assert "/orders/items/?xref=missing" in html and "<strong>8</strong> gaps in total" in html


def test_the_audit_command_prints_words(db):
    out = StringIO()
    call_command("audit_integration", stdout=out)
    text = out.getvalue()
    assert "Deliveries to NetSuite or Amazon that are stuck: 0 gaps (owner: Operations)" in text
    assert "Deduction codes seen with no GL mapping: not checked (owner: Finance)" in text
