"""Posting batches (issue 11): the records built from a reconciled remittance, the blockers that
stop a batch with the reason and the link to fix it, maker-checker (approver ≠ preparer, no
superuser bypass, an edit voids the submission), period locks, the pages and their query budgets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from reconciliation import matching_services as ms
from reconciliation.models import LineType, OpenInvoice, Remittance
from reconciliation.posting import periods, selectors, services
from reconciliation.posting_models import AccountingPeriod, BatchStatus, EntryStatus, PostingBatch
from vendorsync.models import AuditEvent, OutboxMessage

from .posting_fixtures import invoice
from .test_import import csv_bytes, run

D = Decimal


def codes(batch: PostingBatch) -> list[str]:
    return [b.code for b in services.batch_blockers(batch)]


# --- What gets built ------------------------------------------------------------------------------


def test_a_reconciled_remittance_becomes_one_record_per_charge_then_its_payment(reconciled, personas):
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"])
    entries = list(batch.entries.order_by("sequence"))
    summary = [(e.record_type, e.purpose, e.amount) for e in entries]
    assert summary == [
        ("creditMemo", "deduction", D("9.00")),  # INV-1SC shortage claim
        ("creditMemo", "deduction", D("20.00")),  # chargeback
        ("invoice", "deduction", D("5.00")),  # INV-2SCR: a claim paid back is re-billed
        ("creditMemo", "discount", D("2.00")),  # the terms discount on INV-1
        ("customerPayment", "payment", D("274.00")),
    ]
    assert [e.external_id for e in entries] == [f"VS-PB{batch.pk}-{n}" for n in range(1, 6)]
    payment = entries[-1].payload
    assert payment["payment"] == "274.00" and payment["checkNumber"] == "P300"
    assert payment["apply"]["items"] == [
        {"doc": {"id": "501"}, "apply": True, "amount": "100.00"},
        {"doc": {"id": "502"}, "apply": True, "amount": "200.00"},
        {"doc": {"externalId": f"VS-PB{batch.pk}-3"}, "apply": True, "amount": "5.00"},
    ]
    assert [c["amount"] for c in payment["credit"]["items"]] == ["9.00", "20.00", "2.00"]
    shortage = entries[0].payload
    assert shortage["item"]["items"][0] == {
        "item": {"id": "94520"},  # the shortage account's other-charge item
        "quantity": 1,
        "rate": "9.00",
        "description": "Shortage claim (SC) INV-1SC",
    }
    assert (batch.payment_total, batch.applied_total, batch.credits_total, batch.discount_total) == (
        D("274.00"),
        D("305.00"),
        D("31.00"),
        D("2.00"),
    )
    preview = selectors.batch_preview(batch)
    assert preview.ties and preview.applied - preview.credits + preview.unapplied == preview.payment == D(
        "274"
    )
    assert services.batch_blockers(batch) == []
    assert batch.period.name == "Nov 2026" and batch.status == BatchStatus.DRAFT
    assert AuditEvent.objects.filter(action="posting_batch.built", subject_id=str(batch.public_id)).exists()


def test_journal_style_books_each_deduction_by_a_balanced_ar_journal(reconciled, personas):
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"], style="journal")
    journals = list(batch.entries.filter(record_type="journalEntry").order_by("sequence"))
    assert [j.amount for j in journals] == [D("9.00"), D("20.00"), D("2.00")]
    first = journals[0].payload["line"]["items"]
    assert first[0]["account"] == {"id": "94520"} and first[0]["debit"] == "9.00"
    assert first[1] == {
        "account": {"id": "120"},
        "credit": "9.00",
        "entity": {"id": "1001"},
        "memo": "Shortage claim (SC) INV-1SC",
    }
    preview = selectors.batch_preview(batch)
    assert preview.ties and all(j.balances for j in preview.journals) and len(preview.journals) == 3


# --- Blockers -------------------------------------------------------------------------------------


def test_an_unmapped_deduction_blocks_and_links_to_the_mappings(reconciled, personas):
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"])
    chargeback = reconciled.lines.get(line_type=LineType.CHARGEBACK)
    chargeback.gl_account = None
    chargeback.status = "unmapped"
    chargeback.save()
    blockers = services.batch_blockers(batch)
    unmapped = [b for b in blockers if b.code == "unmapped"]
    assert len(unmapped) == 1
    assert "line 4 (12345678VCBSINV, Chargeback (VCBSINV), -20.00)" in unmapped[0].message
    assert unmapped[0].url == reverse("reconciliation:mappings") + "?line_type=chargeback"
    assert "stale" in codes(batch)  # the built records no longer match the data
    with pytest.raises(ValidationError, match="no GL mapping"):
        services.batch_submit(batch=batch, user=personas["finance"])


def test_an_unmatched_line_and_unexplained_variance_block_with_a_link_to_the_workbench(
    items, november, personas
):
    invoice("INV-1", "100.00", "501")
    run(
        csv_bytes(
            "P400,11/30/2026,150.00,USD,INV-1,11/01/2026,Invoice payment,100.00,0.00,100.00",
            "P400,11/30/2026,150.00,USD,INV-77,11/03/2026,Invoice payment,50.00,0.00,50.00",
        )
    )
    remittance = Remittance.objects.get(payment_number="P400")
    ms.remittance_automatch(remittances=[remittance])
    batch = services.batch_build(remittances=[remittance], user=personas["finance"])
    blockers = {b.code: b for b in services.batch_blockers(batch)}
    assert "P400 line 2 (INV-77, 50.00) is unmatched" in blockers["unmatched"].message
    workbench = reverse("reconciliation:workbench", args=[remittance.public_id])
    assert blockers["unmatched"].url == f"{workbench}#line-2"
    assert "50.00 USD of cash is explained by no match" in blockers["variance"].message
    assert blockers["variance"].url == workbench
    # The payment still ties: the unexplained cash stays unapplied on it.
    preview = selectors.batch_preview(batch)
    assert preview.ties and preview.payments[0].unapplied == D("50.00")


def test_variance_within_tolerance_does_not_block(items, november, personas, settings):
    invoice("INV-1", "100.00", "501")
    run(csv_bytes("P401,11/30/2026,100.30,USD,INV-1,11/01/2026,Invoice payment,100.30,0.00,100.30"))
    remittance = Remittance.objects.get(payment_number="P401")
    line = remittance.lines.get()
    inv = OpenInvoice.objects.get(number="INV-1")
    ms.match_manual(  # a person applies 100.00 of the 100.30 paid: 0.30 stays unexplained
        remittance=remittance,
        lines=[line],
        invoices=[inv],
        amounts={inv.pk: D("100.00")},
        actor=personas["finance"],
    )
    batch = services.batch_build(remittances=[remittance], user=personas["finance"])
    assert "variance" not in codes(batch)
    settings.POSTING_VARIANCE_TOLERANCE = D("0.10")
    assert "variance" in codes(batch)


def test_credit_memo_style_needs_the_accounts_item_and_says_so(reconciled, personas):
    from reconciliation.models import GLAccount

    GLAccount.objects.filter(number="4550").update(deduction_item_id="")
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"])
    (blocker,) = [b for b in services.batch_blockers(batch) if b.code == "no_item"]
    assert "GL account 4550 has no other-charge item" in blocker.message
    assert not batch.entries.filter(gl_account__number="4550").exists()


def test_a_remittance_in_a_live_batch_cannot_go_into_another(reconciled, personas, make_user):
    first = services.batch_build(remittances=[reconciled], user=personas["finance"])
    with pytest.raises(ValidationError, match=f"already in batch {first.number}"):
        services.batch_build(remittances=[reconciled], user=personas["approver"])
    # Were it put there anyway (a direct write), the second batch says which batch holds it.
    second = PostingBatch.objects.create(prepared_by=personas["finance"], posting_date=date(2026, 11, 30))
    second.remittances.add(reconciled)
    held = [b for b in services.batch_blockers(second) if b.code == "held"]
    assert held and first.number in held[0].message and held[0].url == first.get_absolute_url()


def test_a_locked_period_blocks_and_names_who_locked_it(reconciled, personas, november):
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"])
    periods.period_lock(period=november, user=personas["approver"], reason="November closed")
    (blocker,) = [b for b in services.batch_blockers(batch) if b.code == "period_locked"]
    assert blocker.message.startswith("Period Nov 2026 is locked by appr since ")
    assert blocker.message.endswith(": November closed.")
    assert blocker.url.endswith(f"#period-{november.public_id}")
    with pytest.raises(ValidationError, match="Nov 2026 is locked by appr"):
        services.batch_submit(batch=batch, user=personas["finance"])


def test_no_period_blocks(reconciled, personas, november):
    november.delete()
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"])
    assert batch.period is None
    (blocker,) = [b for b in services.batch_blockers(batch) if b.code == "no_period"]
    assert "2026-11-30" in blocker.message


# --- Maker-checker --------------------------------------------------------------------------------


def test_the_preparer_submits_and_a_different_approver_approves_which_queues_every_record(
    reconciled, personas, make_user
):
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"])
    services.batch_submit(batch=batch, user=personas["finance"])
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PENDING_APPROVAL and batch.submitted_at
    services.batch_approve(batch=batch, user=personas["approver"], version=batch.version)
    batch.refresh_from_db()
    # Delivery (p2): approved, then posting; every credit is queued, the payment waits for them.
    assert batch.status == BatchStatus.POSTING and batch.approved_by == personas["approver"]
    entries = list(batch.entries.select_related("outbox_message"))
    credits = [e for e in entries if e.record_type != "customerPayment"]
    assert {e.status for e in credits} == {EntryStatus.QUEUED}
    assert {e.status for e in entries if e not in credits} == {EntryStatus.PENDING}
    assert {e.outbox_message.external_key for e in credits} == {e.external_id for e in credits}
    assert OutboxMessage.objects.filter(operation__startswith="posting.").count() == len(credits) == 4
    actions = list(
        AuditEvent.objects.filter(subject_id=str(batch.public_id))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "posting_batch.built",
        "posting_batch.submitted",
        "posting_batch.approved",
        "posting.batch_dispatched",
    ]


def test_the_preparer_cannot_approve_their_own_batch(reconciled, personas):
    batch = services.batch_build(remittances=[reconciled], user=personas["approver"])  # holds both roles
    services.batch_submit(batch=batch, user=personas["approver"])
    with pytest.raises(PermissionDenied, match="a different approver"):
        services.batch_approve(batch=batch, user=personas["approver"])
    with pytest.raises(PermissionDenied):
        services.batch_reject(batch=batch, user=personas["approver"], reason="mine")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PENDING_APPROVAL and batch.approved_by is None


def test_a_superuser_gets_no_bypass(reconciled, personas, django_user_model, make_user):
    root = django_user_model.objects.create_superuser("root", password="correct-horse-battery")
    assert root.has_perm("vendorsync.approve_postings")  # why has_perm alone is not the check
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"])
    services.batch_submit(batch=batch, user=personas["finance"])
    with pytest.raises(PermissionDenied, match="Only a finance approver"):
        services.batch_approve(batch=batch, user=root)
    with pytest.raises(PermissionDenied):
        services.batch_build(remittances=[reconciled], user=root)


def test_rejecting_needs_a_reason_and_sends_the_batch_back_to_draft(reconciled, personas):
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"])
    services.batch_submit(batch=batch, user=personas["finance"])
    with pytest.raises(ValidationError, match="Say why"):
        services.batch_reject(batch=batch, user=personas["approver"], reason="  ")
    services.batch_reject(batch=batch, user=personas["approver"], reason="Wrong posting date")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT and batch.rejection_reason == "Wrong posting date"
    assert batch.rejected_by == personas["approver"]
    event = AuditEvent.objects.get(action="posting_batch.rejected")
    assert event.reason == "Wrong posting date" and event.actor == personas["approver"]


def test_editing_a_submitted_batch_voids_the_submission_and_an_approval_of_the_old_version(
    reconciled, personas, make_user
):
    other = make_user("fin2", "finance")
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"])
    services.batch_submit(batch=batch, user=personas["finance"])
    seen = batch.version
    services.batch_rebuild(batch=batch, user=other, posting_date=date(2026, 11, 29))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT and batch.version == seen + 1 and batch.submitted_at is None
    assert batch.prepared_by == other  # who edits it vouches for it
    assert AuditEvent.objects.get(action="posting_batch.rebuilt").reason == "submission voided by the edit"
    services.batch_submit(batch=batch, user=other)
    with pytest.raises(ValidationError, match="changed since you reviewed it"):
        services.batch_approve(batch=batch, user=personas["approver"], version=seen)
    services.batch_approve(batch=batch, user=personas["approver"], version=seen + 1)


def test_a_period_locked_after_submission_stops_the_approval(reconciled, personas, november):
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"])
    services.batch_submit(batch=batch, user=personas["finance"])
    periods.period_lock(period=november, user=personas["approver"], reason="closing")
    with pytest.raises(ValidationError, match="Period Nov 2026 is locked by appr"):
        services.batch_approve(batch=batch, user=personas["approver"])
    assert not OutboxMessage.objects.exists()


def test_an_approved_batch_is_never_edited(reconciled, personas):
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"])
    services.batch_submit(batch=batch, user=personas["finance"])
    services.batch_approve(batch=batch, user=personas["approver"])
    with pytest.raises(ValidationError, match="reversed, never edited"):
        services.batch_rebuild(batch=batch, user=personas["finance"])


# --- Periods --------------------------------------------------------------------------------------


def test_only_a_finance_approver_locks_and_unlocking_needs_a_reason(november, personas, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="correct-horse-battery")
    for user in (personas["finance"], personas["admin"], root):
        with pytest.raises(PermissionDenied):
            periods.period_lock(period=november, user=user)
    periods.period_lock(period=november, user=personas["approver"])
    with pytest.raises(ValidationError, match="Say why"):
        periods.period_unlock(period=november, user=personas["approver"], reason="")
    periods.period_unlock(period=november, user=personas["approver"], reason="late credit note")
    november.refresh_from_db()
    assert not november.locked and november.locked_by is None
    assert AuditEvent.objects.get(action="accounting_period.unlocked").reason == "late credit note"


def test_period_check_open(november, personas):
    assert periods.period_check_open(date(2026, 11, 15)) == november
    with pytest.raises(ValidationError, match="No accounting period covers 2026-12-01"):
        periods.period_check_open(date(2026, 12, 1))
    periods.period_lock(period=november, user=personas["approver"], reason="closed")
    with pytest.raises(ValidationError, match="locked by appr"):
        periods.period_check_open(date(2026, 11, 15))


def test_configured_periods_never_overlap(november, personas):
    with pytest.raises(ValidationError, match="overlaps period Nov 2026"):
        periods.period_configure(
            user=personas["approver"],
            name="Late Nov",
            start_date=date(2026, 11, 20),
            end_date=date(2026, 12, 19),
        )
    dec = periods.period_configure(
        user=personas["approver"], name="Dec 2026", start_date=date(2026, 12, 1), end_date=date(2026, 12, 31)
    )
    assert dec.source == "configured"


def test_periods_sync_keeps_months_adopts_configured_ones_and_keeps_local_locks(november, personas):
    periods.period_lock(period=november, user=personas["approver"], reason="ours")
    rows = [
        {"id": "30", "periodname": "Q4 2026", "startdate": "2026-10-01", "enddate": "2026-12-31", "isquarter": "T",
         "isyear": "F", "closed": "F", "aplocked": "F", "arlocked": "F", "alllocked": "F"},
        {"id": "31", "periodname": "Nov 2026", "startdate": "2026-11-01", "enddate": "2026-11-30", "isquarter": "F",
         "isyear": "F", "closed": "F", "aplocked": "F", "arlocked": "T", "alllocked": "F"},
        {"id": "32", "periodname": "Oct 2026", "startdate": "2026-10-01", "enddate": "2026-10-31", "isquarter": "F",
         "isyear": "F", "closed": "T", "aplocked": "T", "arlocked": "T", "alllocked": "T"},
    ]  # fmt: skip
    assert periods.periods_sync(rows=rows) == {"periods": 2, "created": 1, "updated": 1, "conflicts": 0}
    november.refresh_from_db()
    assert november.netsuite_id == "31" and november.source == "netsuite" and november.ar_locked_in_netsuite
    assert november.locked and november.lock_reason == "ours"
    october = AccountingPeriod.objects.get(netsuite_id="32")
    assert october.closed_in_netsuite
    with pytest.raises(ValidationError, match="Oct 2026 is closed in NetSuite"):
        periods.period_check_open(date(2026, 10, 5))


# --- Pages ----------------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_building_from_the_remittance_page_and_approving_through_the_pages(reconciled, personas):
    finance = client_for(personas["finance"])
    page = finance.get(reconciled.get_absolute_url()).content.decode()
    assert 'id="build-batch"' in page
    response = finance.post(reverse("reconciliation:posting_build"), {"remittances": [reconciled.public_id]})
    batch = PostingBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    detail = finance.get(batch.get_absolute_url()).content.decode()
    assert "Submit for approval" in detail and "ties" in detail and f"VS-PB{batch.pk}-5" in detail
    finance.post(reverse("reconciliation:posting_batch_submit", args=[batch.public_id]))
    batch.refresh_from_db()
    assert batch.status == "pending_approval"
    own = finance.get(batch.get_absolute_url()).content.decode()
    assert "Approve version" not in own
    approver = client_for(personas["approver"])
    assert "Approve version 1" in approver.get(batch.get_absolute_url()).content.decode()
    approver.post(reverse("reconciliation:posting_batch_approve", args=[batch.public_id]), {"version": "1"})
    batch.refresh_from_db()
    assert batch.status == "posting" and batch.approved_by == personas["approver"]  # handed to the outbox


def test_building_several_remittances_at_once_from_the_candidates_list(reconciled, personas):
    invoice("INV-3", "40.00", "503")
    run(csv_bytes("P500,11/30/2026,40.00,USD,INV-3,11/01/2026,Invoice payment,40.00,0.00,40.00"))
    other = Remittance.objects.get(payment_number="P500")
    ms.remittance_automatch(remittances=[other])
    finance = client_for(personas["finance"])
    listing = finance.get(reverse("reconciliation:posting_candidates")).content.decode()
    assert "P300" in listing and "P500" in listing
    assert f'name="remittances" value="{reconciled.public_id}"' in listing  # the form's checkboxes
    finance.post(
        reverse("reconciliation:posting_build"), {"remittances": [reconciled.public_id, other.public_id]}
    )
    batch = PostingBatch.objects.get()
    assert set(batch.remittances.values_list("payment_number", flat=True)) == {"P300", "P500"}
    assert batch.entries.filter(record_type="customerPayment").count() == 2
    assert batch.payment_total == D("314.00")
    assert "P300" not in finance.get(reverse("reconciliation:posting_candidates")).content.decode()


def test_a_refused_build_says_why_on_the_page(reconciled, personas):
    finance = client_for(personas["finance"])
    url = reverse("reconciliation:posting_build")
    finance.post(url, {"remittances": [reconciled.public_id]})
    response = finance.post(url, {"remittances": [reconciled.public_id]}, follow=True)
    assert "is already in batch PB-" in response.content.decode()
    assert PostingBatch.objects.count() == 1


def test_the_periods_page_shows_who_locked_a_period(november, personas):
    approver = client_for(personas["approver"])
    approver.post(
        reverse("reconciliation:posting_period_lock", args=[november.public_id]), {"reason": "closed"}
    )
    page = client_for(personas["finance"]).get(reverse("reconciliation:posting_periods")).content.decode()
    assert "Locked</span> by appr" in page and "closed" in page
    assert "Reopen" not in page  # finance sees, does not act


def test_the_postings_list_filters_and_keeps_a_bounded_number_of_queries(
    reconciled, personas, django_assert_max_num_queries
):
    for _ in range(30):
        batch = PostingBatch.objects.create(prepared_by=personas["finance"], posting_date=date(2026, 11, 30))
        batch.remittances.add(reconciled)
    client = client_for(personas["approver"])
    with django_assert_max_num_queries(15):  # the same for 3 or 300 batches (no query per row)
        response = client.get(reverse("reconciliation:posting_batches"))
    assert response.status_code == 200 and response.content.count(b"P300") >= 30
    filtered = client.get(reverse("reconciliation:posting_batches"), {"status": "approved"})
    assert b"P300" not in filtered.content
    export = client.get(reverse("reconciliation:posting_batches"), {"export": "xlsx"})
    assert export.status_code == 200


def _page_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_the_batch_page_costs_the_same_few_queries_for_5_or_45_records(
    reconciled, personas, django_assert_max_num_queries
):
    client = client_for(personas["approver"])
    small = services.batch_build(remittances=[reconciled], user=personas["finance"])
    client.get(small.get_absolute_url())  # warm the session and permission caches
    invoice("INV-9", "1000.00", "509")
    rows = ["P600,11/30/2026,600.00,USD,INV-9,11/01/2026,Invoice payment,1000.00,0.00,1000.00"]
    rows += [
        f"P600,11/30/2026,600.00,USD,{n}VCBSINV,11/30/2026,Chargeback,(10.00),0.00,(10.00)" for n in range(40)
    ]
    run(csv_bytes(*rows))
    large_remittance = Remittance.objects.get(payment_number="P600")
    ms.remittance_automatch(remittances=[large_remittance])
    large = services.batch_build(remittances=[large_remittance], user=personas["finance"])
    assert large.entries.count() == 41
    with django_assert_max_num_queries(25):
        small_count = _page_queries(client, small.get_absolute_url())
    assert _page_queries(client, large.get_absolute_url()) == small_count


def test_the_pages_refuse_whoever_may_not_act(reconciled, personas, django_user_model):
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"])
    services.batch_submit(batch=batch, user=personas["finance"])
    approve = reverse("reconciliation:posting_batch_approve", args=[batch.public_id])
    assert client_for(personas["finance"]).post(approve).status_code == 403
    assert client_for(personas["admin"]).post(approve).status_code == 403
    assert client_for(personas["ops"]).get(batch.get_absolute_url()).status_code == 403
    assert client_for(personas["admin"]).get(batch.get_absolute_url()).status_code == 200  # reads only
    root = django_user_model.objects.create_superuser("root", password="correct-horse-battery")
    response = client_for(root).post(approve, {"version": "1"}, follow=True)
    assert "Only a finance approver may approve" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "pending_approval" and batch.approved_by is None


def test_postings_and_periods_are_in_the_reconciliation_navigation(personas):
    html = client_for(personas["finance"]).get(reverse("reconciliation:remittances")).content.decode()
    assert f'href="{reverse("reconciliation:posting_batches")}"' in html
    assert f'href="{reverse("reconciliation:posting_periods")}"' in html


def test_many_unmatched_lines_are_named_twenty_at_a_time(items, november, personas):
    rows = [f"P700,11/30/2026,25.00,USD,ZZ-{n},11/01/2026,Invoice payment,1.00,0.00,1.00" for n in range(25)]
    run(csv_bytes(*rows))
    remittance = Remittance.objects.get(payment_number="P700")
    batch = services.batch_build(remittances=[remittance], user=personas["finance"])
    unmatched = [b.message for b in services.batch_blockers(batch) if b.code == "unmatched"]
    assert len(unmatched) == 21 and unmatched[-1] == "… and 5 more unmatched lines."


def test_a_submitted_batch_freezes_its_payments_matches_until_it_is_rejected(reconciled, personas):
    match = reconciled.matches.filter(status="accepted").order_by("id").first()
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"])
    services.batch_submit(batch=batch, user=personas["finance"])
    with pytest.raises(ValidationError, match=rf"is in batch {batch.number} \(pending approval\)"):
        ms.match_undo(match=match, actor=personas["finance"], reason="second thoughts")
    match.refresh_from_db()
    assert match.status == "accepted"
    services.batch_reject(batch=batch, user=personas["approver"], reason="wrong invoice on line 2")
    ms.match_undo(match=match, actor=personas["finance"], reason="second thoughts")
    match.refresh_from_db()
    assert match.status != "accepted"


def test_a_terms_discount_with_no_mapped_account_blocks_and_says_which_line(reconciled, personas):
    discounted = reconciled.lines.filter(allocations__discount__gt=0).distinct()
    assert discounted.exists()
    discounted.update(discount_gl_account=None)
    batch = services.batch_build(remittances=[reconciled], user=personas["finance"])
    messages = [b.message for b in services.batch_blockers(batch) if b.code == "unmapped"]
    assert any("no GL account is mapped for terms discounts" in m for m in messages), messages
    assert not batch.entries.filter(purpose="discount").exists()
