"""Matching in the product: auto-match over imported remittances, the workbench decisions (accept,
reject, manual, split, write-off, undo), their audit trail, and the tie-out after each of them."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from reconciliation import matching
from reconciliation import matching_services as ms
from reconciliation.models import (
    LineMatchStatus,
    Match,
    MatchAllocation,
    MatchRule,
    MatchStatus,
    OpenInvoice,
    Remittance,
    RemittanceLine,
)
from vendorsync.models import AuditEvent, ExceptionCase, ExceptionKind

from .test_import import csv_bytes, run

D = Decimal

# P200 pays: INV-1 in full; INV-2 0.30 short (within tolerance: written off); a shortage claim on
# INV-1; "REF-77" (no invoice of ours) for 50.00, which two open invoices happen to equal (never
# auto); INV-9, which we do not have at all.
P200 = csv_bytes(
    "P200,11/30/2026,360.70,USD,INV-1,11/01/2026,Invoice payment,100.00,0.00,100.00",
    "P200,11/30/2026,360.70,USD,INV-2,11/02/2026,Invoice payment,200.00,0.00,199.70",
    "P200,11/30/2026,360.70,USD,INV-1SC,11/30/2026,Shortage claim,(9.00),0.00,(9.00)",
    "P200,11/30/2026,360.70,USD,REF-77,11/03/2026,Invoice payment,50.00,0.00,50.00",
    "P200,11/30/2026,360.70,USD,INV-9,11/04/2026,Invoice payment,20.00,0.00,20.00",
)


def invoice(
    number: str, amount: str, *, open_: str | None = None, when: date = date(2026, 11, 1)
) -> OpenInvoice:
    return OpenInvoice.objects.create(
        netsuite_id=f"ns-{number}",
        number=number,
        date=when,
        amount=D(amount),
        open_balance=D(open_ if open_ is not None else amount),
        customer_id="1001",
    )


@pytest.fixture
def world(gl):
    invoices = {
        "INV-1": invoice("INV-1", "100.00"),
        "INV-2": invoice("INV-2", "200.00"),
        "INV-3": invoice("INV-3", "50.00", when=date(2026, 11, 3)),
        "INV-4": invoice("INV-4", "50.00", when=date(2026, 11, 4)),
        "INV-5": invoice("INV-5", "30.00"),
    }
    batch = run(P200)
    assert batch.status == "imported", batch.errors
    remittance = Remittance.objects.get(payment_number="P200")
    return remittance, invoices


def line(remittance: Remittance, number: str) -> RemittanceLine:
    return remittance.lines.get(document_number=number)


def assert_ties(remittance: Remittance) -> None:
    """The stored totals tie and equal the engine's own tie-out over the accepted allocations."""
    remittance.refresh_from_db()
    lines = list(remittance.lines.all())
    ins = [
        matching.RemittanceLineIn(
            key=ln.pk,
            payment_number=remittance.payment_number,
            document_number=ln.document_number,
            invoice_amount=ln.invoice_amount or ln.amount_paid,
            amount_paid=ln.amount_paid,
            discount=ln.discount,
            line_type=ms.ENGINE_TYPES[ln.line_type],
        )
        for ln in lines
    ]
    proposals = [
        matching.MatchProposal(
            rule=matching.Rule.EXACT_NUMBER,
            confidence=1.0,
            status=matching.Status.AUTO,
            explanation="",
            allocations=tuple(
                matching.Allocation(
                    a.line_id, a.invoice_id, "", amount=a.amount, write_off=a.write_off, deduction=a.deduction
                )
                for a in m.allocations.all()
            ),
        )
        for m in remittance.matches.filter(status=MatchStatus.ACCEPTED)
    ]
    check = matching.tie_out(ins, proposals)[remittance.payment_number]
    assert check.ties, check
    assert (
        remittance.amount
        == remittance.matched_amount + remittance.deductions_amount + remittance.unexplained_amount
    )
    assert (remittance.matched_amount, remittance.deductions_amount, remittance.unexplained_amount) == (
        check.matched,
        check.deductions,
        check.unexplained,
    )
    # Nothing is applied beyond what is open on an invoice.
    consumed = ms._consumed_by_invoice()
    for inv in OpenInvoice.objects.all():
        assert consumed.get(inv.pk, D("0")) <= inv.open_balance, inv.number


def test_automatch_applies_the_strong_rules_suggests_the_weak_and_ties(world):
    remittance, invoices = world
    result = ms.remittance_automatch(remittances=[remittance])
    assert (result.lines, result.auto) == (5, 3)

    inv1 = line(remittance, "INV-1")
    assert (inv1.match_status, inv1.applied) == (LineMatchStatus.MATCHED, D("100.00"))
    inv2 = remittance.matches.get(allocations__line__document_number="INV-2")
    assert (inv2.status, inv2.auto, inv2.rule) == (MatchStatus.ACCEPTED, True, MatchRule.EXACT_NUMBER)
    assert inv2.allocations.get().write_off == D("0.30")
    assert inv2.write_off_account.number == "4599"  # the gl fixture maps every deduction type, write_off too
    assert "written off" in inv2.explanation
    sc = remittance.matches.get(allocations__line__document_number="INV-1SC")
    assert sc.rule == MatchRule.SUFFIX and sc.allocations.get().invoice == invoices["INV-1"]

    # Two open invoices of the same amount and a line naming neither: suggestions, never auto.
    ref = line(remittance, "REF-77")
    assert ref.match_status == LineMatchStatus.SUGGESTED
    suggestions = remittance.matches.filter(status=MatchStatus.SUGGESTED)
    assert {s.allocations.get().invoice.number for s in suggestions} == {"INV-3", "INV-4"}
    assert not suggestions.filter(auto=True).exists()

    assert line(remittance, "INV-9").match_status == LineMatchStatus.UNMATCHED
    remittance.refresh_from_db()
    assert remittance.matched_amount == D("299.70")
    assert remittance.deductions_amount == D("-9.00")
    assert remittance.unexplained_amount == D("70.00")
    assert remittance.written_off_amount == D("0.30")
    assert remittance.matched_pct == D("60.0")  # 3 of 5 lines explained
    case = ExceptionCase.objects.get(
        kind=ExceptionKind.UNMATCHED_REMITTANCE_LINE, dedupe_key__contains=":match:"
    )
    assert "1 line(s)" in case.message and case.subject_id == str(remittance.public_id)
    audit = AuditEvent.objects.get(action="remittance.automatched", subject_id=str(remittance.public_id))
    assert (audit.after["lines"], audit.after["auto"]) == (5, 3)  # the run's counts; details on the matches
    assert audit.actor_label == "system"
    assert_ties(remittance)

    # A second run changes nothing: no duplicate matches, same suggestions.
    before = Match.objects.count()
    ms.remittance_automatch(remittances=[remittance])
    assert Match.objects.count() == before
    assert_ties(remittance)


def test_accept_reject_undo_are_audited_and_keep_the_tie_out(world, make_user):
    remittance, invoices = world
    fiona = make_user("fiona", "finance")
    ms.remittance_automatch(remittances=[remittance])
    to_inv3 = remittance.matches.get(status=MatchStatus.SUGGESTED, allocations__invoice=invoices["INV-3"])
    to_inv4 = remittance.matches.get(status=MatchStatus.SUGGESTED, allocations__invoice=invoices["INV-4"])

    ms.match_reject(match=to_inv4, actor=fiona, reason="wrong period")
    assert Match.objects.get(pk=to_inv4.pk).status == MatchStatus.REJECTED
    assert AuditEvent.objects.get(action="match.rejected").reason == "wrong period"
    assert_ties(remittance)

    ms.match_accept(match=to_inv3, actor=fiona)
    to_inv3.refresh_from_db()
    assert (to_inv3.status, to_inv3.decided_by) == (MatchStatus.ACCEPTED, fiona)
    assert line(remittance, "REF-77").match_status == LineMatchStatus.MATCHED
    assert AuditEvent.objects.filter(action="match.accepted", actor=fiona).count() == 1
    assert_ties(remittance)
    remittance.refresh_from_db()
    assert remittance.unexplained_amount == D("20.00")

    with pytest.raises(ValidationError, match="already accepted"):
        ms.match_accept(match=to_inv3, actor=fiona)

    ms.match_undo(match=to_inv3, actor=fiona)
    assert (
        line(remittance, "REF-77").match_status == LineMatchStatus.UNMATCHED
    )  # its other suggestion was rejected
    assert AuditEvent.objects.get(action="match.undone").before["allocations"][0]["invoice"] == "INV-3"
    assert_ties(remittance)
    remittance.refresh_from_db()
    assert remittance.unexplained_amount == D("70.00")

    # A re-run never brings back the rejected pairing; the undone one only as a suggestion.
    ms.remittance_automatch(remittances=[remittance])
    again = remittance.matches.filter(status=MatchStatus.SUGGESTED)
    assert {m.allocations.get().invoice.number for m in again} == {"INV-3"}
    assert_ties(remittance)


def test_accept_rechecks_the_balance_a_suggestion_consumes(world, make_user):
    remittance, invoices = world
    fiona = make_user("fiona", "finance")
    ms.remittance_automatch(remittances=[remittance])
    to_inv3 = remittance.matches.get(status=MatchStatus.SUGGESTED, allocations__invoice=invoices["INV-3"])
    # Someone applies INV-9's 20.00 to INV-3 by hand first: 30.00 is left there, the suggestion needs 50.
    ms.match_manual(
        remittance=remittance, lines=[line(remittance, "INV-9")], invoices=[invoices["INV-3"]], actor=fiona
    )
    with pytest.raises(ValidationError, match="INV-3 has 30.00 open"):
        ms.match_accept(match=to_inv3, actor=fiona)
    assert Match.objects.get(pk=to_inv3.pk).status == MatchStatus.SUGGESTED
    assert_ties(remittance)


def test_manual_match_split_and_write_off(world, make_user):
    remittance, invoices = world
    fiona = make_user("fiona", "finance")
    ms.remittance_automatch(remittances=[remittance])

    # Split REF-77's 50.00: 30.00 to INV-5 (closes it) and 20.00 to INV-4.
    ref = line(remittance, "REF-77")
    match = ms.match_manual(
        remittance=remittance,
        lines=[ref],
        invoices=[invoices["INV-5"], invoices["INV-4"]],
        amounts={invoices["INV-5"].pk: D("30.00"), invoices["INV-4"].pk: D("20.00")},
        actor=fiona,
    )
    assert match.rule == MatchRule.SPLIT and match.status == MatchStatus.ACCEPTED
    assert sorted(a.amount for a in match.allocations.all()) == [D("20.00"), D("30.00")]
    assert line(remittance, "REF-77").match_status == LineMatchStatus.MATCHED
    assert AuditEvent.objects.filter(action="match.manual", actor=fiona).count() == 1
    assert_ties(remittance)

    with pytest.raises(ValidationError, match="left to apply"):
        ms.match_manual(
            remittance=remittance,
            lines=[line(remittance, "REF-77")],
            invoices=[invoices["INV-3"]],
            amounts={invoices["INV-3"].pk: D("1.00")},
            actor=fiona,
        )

    # INV-9's 20.00 by hand to INV-3 (50.00 open): 30.00 stays open, beyond tolerance to write off.
    manual = ms.match_manual(
        remittance=remittance, lines=[line(remittance, "INV-9")], invoices=[invoices["INV-3"]], actor=fiona
    )
    assert manual.allocations.get().amount == D("20.00")
    with pytest.raises(ValidationError, match="beyond the write-off tolerance"):
        ms.match_write_off(match=manual, actor=fiona)
    assert_ties(remittance)
    remittance.refresh_from_db()
    assert remittance.unexplained_amount == D("0.00")
    assert not ExceptionCase.objects.filter(
        kind=ExceptionKind.UNMATCHED_REMITTANCE_LINE, dedupe_key__contains=":match:", status="open"
    ).exists()

    # INV-4 has 30.00 open after the split; move it so only 0.40 is open, then write that off.
    inv4 = invoices["INV-4"]
    OpenInvoice.objects.filter(pk=inv4.pk).update(open_balance=D("20.40"))
    ms.match_write_off(match=match, actor=fiona)
    allocation = match.allocations.get(invoice=inv4)
    assert allocation.write_off == D("0.40")
    assert AuditEvent.objects.get(action="match.written_off").after["written_off"] == {"INV-4": "0.40"}
    match.refresh_from_db()
    assert match.write_off_account.number == "4599"
    assert_ties(remittance)


def test_write_off_without_a_mapping_raises_unmapped_deduction_code(world, make_user):
    from reconciliation.models import DeductionMapping

    remittance, _ = world
    DeductionMapping.objects.filter(line_type="write_off").delete()
    ms.remittance_automatch(remittances=[remittance])
    inv2 = remittance.matches.get(allocations__line__document_number="INV-2")
    assert inv2.write_off_account is None
    case = ExceptionCase.objects.get(
        kind=ExceptionKind.UNMAPPED_DEDUCTION_CODE, dedupe_key__endswith=":write_off"
    )
    assert "P200" in case.message


def test_a_deduction_line_links_by_hand_and_people_without_the_role_cannot_match(world, make_user):
    remittance, invoices = world
    ms.remittance_automatch(remittances=[remittance])
    sc = remittance.matches.get(allocations__line__document_number="INV-1SC")
    fiona = make_user("fiona", "finance")
    ms.match_undo(match=sc, actor=fiona)
    assert line(remittance, "INV-1SC").match_status == LineMatchStatus.DEDUCTION
    linked = ms.match_manual(
        remittance=remittance, lines=[line(remittance, "INV-1SC")], invoices=[invoices["INV-1"]], actor=fiona
    )
    assert linked.allocations.get().deduction == D("-9.00")
    assert_ties(remittance)

    olga = make_user("olga", "ops")
    with pytest.raises(PermissionDenied):
        ms.match_undo(match=linked, actor=olga)
    with pytest.raises(PermissionDenied):
        ms.remittance_automatch(remittances=[remittance], actor=olga)


def test_bulk_accept_above_a_confidence_takes_one_suggestion_per_line(world, make_user):
    remittance, invoices = world
    fiona = make_user("fiona", "finance")
    ms.remittance_automatch(remittances=[remittance])
    assert ms.matches_bulk_accept(remittance=remittance, min_confidence=D("0.95"), actor=fiona) == 0
    assert ms.matches_bulk_accept(remittance=remittance, min_confidence=D("0.10"), actor=fiona) == 1
    assert remittance.matches.filter(status=MatchStatus.ACCEPTED, auto=False).count() == 1
    assert line(remittance, "REF-77").match_status == LineMatchStatus.MATCHED
    assert_ties(remittance)


def test_a_partial_payment_across_two_remittances_settles_in_payment_order(gl):
    invoice("INV-7", "300.00")
    assert (
        run(
            csv_bytes("P301,11/10/2026,100.00,USD,INV-7,11/01/2026,Invoice payment,300.00,0.00,100.00")
        ).status
        == "imported"
    )
    assert (
        run(
            csv_bytes("P302,11/20/2026,200.00,USD,INV-7,11/01/2026,Invoice payment,300.00,0.00,200.00"),
            name="b.csv",
        ).status
        == "imported"
    )
    ms.remittance_automatch()
    applied = dict(MatchAllocation.objects.values_list("line__remittance__payment_number", "amount"))
    assert applied == {"P301": D("100.00"), "P302": D("200.00")}
    for remittance in Remittance.objects.all():
        assert_ties(remittance)
    # A third payment on the settled invoice applies nothing: flagged, left unexplained.
    assert (
        run(
            csv_bytes("P303,11/25/2026,50.00,USD,INV-7,11/01/2026,Invoice payment,300.00,0.00,50.00"),
            name="c.csv",
        ).status
        == "imported"
    )
    ms.remittance_automatch()
    p303 = Remittance.objects.get(payment_number="P303")
    assert p303.lines.get().applied == D("0.00")
    assert_ties(p303)


def test_automatch_command_prints_one_object_per_line(world, capsys):
    remittance, _ = world
    call_command("automatch", "--payment", "P200", "--json")
    out = json.loads(capsys.readouterr().out)
    assert [o["document_number"] for o in out] == ["INV-1", "INV-2", "INV-1SC", "REF-77", "INV-9"]
    by_doc = {o["document_number"]: o for o in out}
    assert by_doc["INV-1"]["status"] == "auto" and by_doc["INV-1"]["payment_number"] == "P200"
    assert by_doc["INV-1"]["invoices"] == [
        {"invoice": "INV-1", "amount": "100.00", "discount": "0.00", "write_off": "0.00", "deduction": "0.00"}
    ]
    assert by_doc["INV-2"]["invoices"][0]["write_off"] == "0.30"
    assert by_doc["INV-2"]["rule"] == "exact_number" and by_doc["INV-2"]["confidence"] == 0.99
    assert by_doc["REF-77"]["status"] == "suggested" and len(by_doc["REF-77"]["alternatives"]) == 1
    assert by_doc["INV-9"]["status"] == "unmatched" and by_doc["INV-9"]["explanation"]
    call_command("automatch")
    assert "1 remittance(s)" in capsys.readouterr().out


def test_the_import_queues_automatch_when_it_commits(gl, django_capture_on_commit_callbacks, monkeypatch):
    from reconciliation import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.automatch_remittance, "delay", lambda pk: queued.append(pk))
    invoice("INV-1", "100.00")
    with django_capture_on_commit_callbacks(execute=True):
        run(csv_bytes("P400,11/30/2026,100.00,USD,INV-1,11/01/2026,Invoice payment,100.00,0.00,100.00"))
    remittance = Remittance.objects.get(payment_number="P400")
    assert queued == [remittance.pk]
    assert tasks.automatch_remittance(remittance.pk).startswith("1 auto")
    remittance.refresh_from_db()
    assert remittance.matched_amount == D("100.00")


def test_the_dashboard_shows_the_auto_match_rate(world, django_assert_max_num_queries):  # noqa: F811
    from vendorsync import health

    remittance, _ = world
    Remittance.objects.filter(pk=remittance.pk).update(payment_date=timezone.localdate())
    ms.remittance_automatch(remittances=[remittance])
    row = next(r for r in health.dashboard_metrics() if r["key"] == "auto_match_rate")
    assert row["available"]
    # INV-1 and INV-2 auto; REF-77 suggested; INV-9 unmatched (the claim is a deduction, not a payment line).
    assert row["value"].value == "50.0 %"
    assert "2 of 4" in row["value"].detail and "1 wait as suggestions, 1 unmatched" in row["value"].detail
    from reconciliation.matching_health import auto_match_rate

    with django_assert_max_num_queries(1):
        auto_match_rate()


# --- At scale: the run loads what its lines can name, not the ledger -------------------------------


def test_invoices_keep_their_normalised_number_and_po_keys(db):
    created = invoice(" inv-0001001", "10.00")
    OpenInvoice.objects.bulk_create(
        [
            OpenInvoice(
                netsuite_id="b1",
                number="INV-00042",
                purchase_order="po 007",
                amount=D("1"),
                open_balance=D("1"),
            )
        ]
    )
    assert (created.number_key, created.po_key) == ("INV1001", "")
    assert OpenInvoice.objects.filter(number_key="INV42", po_key="PO7").exists()
    from reconciliation.services import open_invoices_sync

    open_invoices_sync(
        rows=[
            {
                "id": "b1",
                "tranid": "inv 0099",
                "otherrefnum": "PO-0008",
                "foreigntotal": "1",
                "foreignamountunpaid": "1",
            }
        ],
        customer_id="1001",
    )
    assert OpenInvoice.objects.filter(netsuite_id="b1", number_key="INV99", po_key="PO8").exists()


def test_a_run_loads_only_the_invoices_its_lines_can_name(world):
    remittance, invoices = world
    OpenInvoice.objects.bulk_create(
        OpenInvoice(netsuite_id=f"x{n}", number=f"OTHER-{n}", amount=D("777.77"), open_balance=D("777.77"))
        for n in range(300)
    )
    rows = RemittanceLine.objects.filter(remittance=remittance).values_list(*ms.LINE_FIELDS)
    lines = [ms._line_in(row, {remittance.pk: remittance}) for row in rows]
    loaded, _ = ms._invoices_for(lines)
    # By number (INV-1, INV-2; INV-1 again as INV-1SC's base) and by amount (50.00: INV-3, INV-4).
    assert {inv.number for inv in loaded} == {"INV-1", "INV-2", "INV-3", "INV-4"}


def test_a_line_naming_nothing_finds_a_combination_of_invoices_of_its_date(gl):
    # Neither invoice is named, on the line's PO or of its amount: only rule 5's date bucket,
    # fetched on demand, brings them in.
    invoice("INV-61", "30.00", when=date(2026, 11, 5))
    invoice("INV-62", "50.00", when=date(2026, 11, 5))
    invoice("INV-63", "45.00", when=date(2026, 11, 6))
    batch = run(csv_bytes("P300,11/30/2026,80.00,USD,REF-88,11/05/2026,Invoice payment,80.00,0.00,80.00"))
    assert batch.status == "imported", batch.errors
    remittance = Remittance.objects.get(payment_number="P300")
    result = ms.remittance_automatch(remittances=[remittance], outcomes=True)
    assert (result.auto, result.suggested) == (0, 1)
    suggestion = Match.objects.get(remittance=remittance)
    assert suggestion.rule == MatchRule.COMBINATION
    assert suggestion.public_id.version == 4
    assert "INV-61 (30.00) + INV-62 (50.00)" in suggestion.explanation  # written as the engine said it
    assert sorted(suggestion.allocations.values_list("invoice__number", flat=True)) == ["INV-61", "INV-62"]


def test_an_explanation_keeps_backslashes_and_tabs_the_remittance_wrote(gl):
    # Matches are written with COPY on PostgreSQL: its escapes must not eat what the file said.
    invoice("INV-71", "50.00", when=date(2026, 11, 5))
    batch = run(csv_bytes('P301,11/30/2026,50.00,USD,"AD\\J\t1",11/05/2026,Invoice payment,50.00,0.00,50.00'))
    assert batch.status == "imported", batch.errors
    remittance = Remittance.objects.get(payment_number="P301")
    ms.remittance_automatch(remittances=[remittance])
    written = remittance.lines.get().document_number
    assert "\\" in written
    suggestion = Match.objects.get(remittance=remittance)
    assert f"document {written} names no invoice" in suggestion.explanation


def test_a_run_costs_the_same_queries_for_twice_the_payments_and_lines(gl):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def payments(first: int, count: int) -> list[Remittance]:
        rows = []
        for n in range(first, first + count):
            for k in range(3):
                number = f"INV-{n}-{k}"
                invoice(number, "10.00")
                rows.append(f"P{n},11/30/2026,30.00,USD,{number},11/01/2026,Invoice payment,10.00,0.00,10.00")
        assert run(csv_bytes(*rows)).status == "imported"
        return list(
            Remittance.objects.filter(payment_number__in=[f"P{n}" for n in range(first, first + count)])
        )

    small, large = payments(400, 2), payments(500, 4)
    counts = []
    for remittances in (small, large):
        with CaptureQueriesContext(connection) as queries:
            result = ms.remittance_automatch(remittances=remittances)
        assert result.auto == 3 * len(remittances)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 25, counts
