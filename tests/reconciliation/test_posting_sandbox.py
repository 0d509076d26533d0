"""Posting against the NetSuite simulator over HTTP: accounting periods synced by SuiteQL, deduction
items synced with the chart, and the records a batch is built from a simulated remittance accepted
by NetSuite's REST rules (sent here straight through our client, in posting order — the outbox
delivery itself is tested with the handlers)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from reconciliation import matching_services as ms
from reconciliation.models import AccountingPeriod, GLAccount, Remittance
from reconciliation.posting import builder, periods, services
from reconciliation.posting.selectors import batch_preview
from vendorsync import connections, flows
from vendorsync.netsuite.client import NetSuiteRejectedError
from vendorsync.sandbox.clock import SimClock


@pytest.mark.django_db
def test_the_periods_flow_reads_netsuites_months_around_the_clock(sandbox):
    run = flows.run_flow("periods")
    assert run.outcome == "succeeded", run.error
    assert run.counts["periods"] == AccountingPeriod.objects.count() == 24  # months only, no quarters/years
    today = SimClock(sandbox / "clock.json").now().date()
    current = AccountingPeriod.objects.for_date(today)
    assert current is not None and not current.closed and current.source == "netsuite"
    old = AccountingPeriod.objects.order_by("start_date").first()
    assert old.closed_in_netsuite and old.ar_locked_in_netsuite
    with pytest.raises(Exception, match="closed in NetSuite"):
        periods.period_check_open(old.start_date)
    assert flows.run_flow("periods").counts["updated"] == 0  # idempotent


@pytest.mark.django_db
def test_the_chart_sync_gives_each_deduction_account_its_item(sandbox):
    flows.run_flow("gl-accounts")
    assert GLAccount.objects.get(number="4520").deduction_item_id  # Shortage Claims
    assert GLAccount.objects.get(number="1010").deduction_item_id == ""  # the bank has none


def _post(client, batch) -> dict[str, str]:
    """Send every record in order (a credit before the payment that applies it); eid → internal id."""
    ids = {}
    for entry in batch.entries.order_by("sequence"):
        ids[entry.external_id] = client.upsert_by_external_id(
            entry.record_type, entry.external_id, entry.payload
        )
    return ids


@pytest.mark.django_db
@pytest.mark.parametrize("style", ["credit_memo", "journal"])
def test_netsuite_accepts_every_record_of_a_batch_and_the_payment_ties(sandbox, personas, style):
    for name in ("gl-accounts", "periods", "ar", "remittance-files"):
        assert flows.run_flow(name).outcome == "succeeded", name
    remittances = list(Remittance.objects.exclude(status="superseded"))
    ms.remittance_automatch(remittances=remittances)
    posted = 0
    for remittance in sorted(remittances, key=lambda r: r.payment_date):
        batch = services.batch_build(
            remittances=[remittance],
            user=personas["finance"],
            style=style,
            posting_date=SimClock(sandbox / "clock.json").now().date(),
        )
        if services.batch_blockers(batch):
            continue
        preview = batch_preview(batch)
        assert preview.ties
        with connections.netsuite_client() as client:
            ids = _post(client, batch)
            payment_eid = batch.entries.get(record_type="customerPayment").external_id
            body = client.get_by_external_id("customerPayment", payment_eid)
        assert Decimal(str(body["payment"])) == batch.payment_total
        assert Decimal(str(body["applied"])) == preview.applied
        assert Decimal(str(body["unapplied"])) == preview.unapplied
        assert len(ids) == batch.entries.count()
        posted += 1
        if posted == 2:
            break
    assert posted, "no simulated remittance was reconciled enough to post"


@pytest.mark.django_db
def test_netsuite_refuses_a_payment_that_applies_more_than_it_has(sandbox, personas):
    """The simulator is the judge of our bodies: an over-applied payment is a 400 naming the field."""
    flows.run_flow("ar")
    from reconciliation.models import OpenInvoice

    invoice = OpenInvoice.objects.filter(open_balance__gt=0).first()
    config = builder.Config(
        style="credit_memo", customer_id="1001", posting_date=date(2026, 11, 30), external_id_prefix="VS-T"
    )
    remittance = builder.RemittanceIn(
        pk=1,
        payment_number="T1",
        payment_date=date(2026, 11, 30),
        amount=Decimal("1.00"),
        lines=(builder.LineIn(1, 1, invoice.number, "Invoice", False, Decimal("1.00"), Decimal("1.00")),),
        allocations=(builder.AllocationIn(1, invoice.netsuite_id, invoice.number, invoice.open_balance + 1),),
    )
    (draft,) = builder.build([remittance], config).drafts
    with (
        connections.netsuite_client() as client,
        pytest.raises(NetSuiteRejectedError, match="still open on transaction"),
    ):
        client.upsert_by_external_id("customerPayment", draft.external_id, draft.payload)


@pytest.mark.django_db
def test_the_demo_keeps_a_batch_to_submit_and_one_to_approve_and_never_approves(sandbox, settings):
    from django.core.management import call_command

    from reconciliation.posting_models import PostingBatch
    from reconciliation.tasks import automatch_remittance

    call_command("seed_demo", stdout=io.StringIO())  # the demo users
    for name in ("gl-accounts", "periods", "ar", "remittance-files"):
        flows.run_flow(name)
    for pk in Remittance.objects.exclude(status="superseded").values_list("pk", flat=True):
        automatch_remittance(pk)
    batches = list(PostingBatch.objects.order_by("status"))
    assert sorted(b.status for b in batches) == ["draft", "pending_approval"]
    assert {b.prepared_by.username for b in batches} == {"finance"}
    assert all(services.batch_blockers(b) == [] for b in batches)
    automatch_remittance(Remittance.objects.first().pk)  # topped up, not piled up
    assert PostingBatch.objects.count() == 2 and not PostingBatch.objects.filter(approved_by__isnull=False)
