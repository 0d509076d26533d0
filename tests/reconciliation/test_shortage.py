"""Shortage-claim evidence: verdicts from our own cartons, the disputable_shortage case, idempotency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orders.outbound_models import Container, ShipmentStatus
from reconciliation.models import RemittanceLine
from reconciliation.shortage.services import shortage_refresh
from reconciliation.shortage_models import ShortageClaim, ShortageVerdict
from vendorsync.models import AuditEvent, ExceptionCase, ExceptionKind, ExceptionStatus

from .shortage_world import claim, shipment

pytestmark = pytest.mark.django_db
D = Decimal


def verdict_of(line) -> ShortageClaim:
    return ShortageClaim.objects.get(line=line)


def test_all_cartons_shipped_and_the_asn_accepted_make_the_claim_disputable():
    shipment("PO1", [("1", 24, "2.50")], received={"1": 22})
    (line,) = claim(("INV-PO1SC", "-5.00"))
    result = shortage_refresh()
    assert result.created == 1 and result.raised == 1
    sc = verdict_of(line)
    assert sc.verdict == ShortageVerdict.DISPUTABLE
    assert (sc.shipped_units, sc.received_units, sc.claimed_units, sc.disputable_units) == (24, 22, 2, 2)
    assert sc.amount_at_risk == D("5.00") and sc.fc == "ABE8" and sc.purchase_order_number == "PO1"
    assert (
        "ASN-PO1 shows 24 units in 2 containers" in sc.reason and "2 units (5.00) are disputable" in sc.reason
    )
    case = ExceptionCase.objects.open().get(dedupe_key=f"disputable_shortage:{sc.public_id}")
    assert case.kind == ExceptionKind.DISPUTABLE_SHORTAGE and case.owner_team == "finance"
    assert case.amount_at_risk == D("5.00") and case.subject_id == str(sc.public_id)


def test_a_claim_larger_than_what_the_cartons_prove_is_disputable_only_up_to_the_proof():
    # We invoiced 10 but our ASN's cartons hold 8; Amazon received 7 and claims 3 (7.50).
    ship = shipment("PO2", [("1", 10, "2.50")], received={"1": 7})
    item = Container.objects.filter(shipment=ship).order_by("sequence").last().items.get()
    item.quantity -= 2
    item.save()
    (line,) = claim(("INV-PO2SC", "-7.50"))
    shortage_refresh()
    sc = verdict_of(line)
    assert sc.verdict == ShortageVerdict.DISPUTABLE
    assert (sc.claimed_units, sc.disputable_units, sc.amount_at_risk) == (3, 1, D("2.50"))


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (ShipmentStatus.BLOCKED, "was blocked by validation and never sent"),
        (ShipmentStatus.READY, "was never sent"),
        (ShipmentStatus.REJECTED, "was rejected by Amazon"),
    ],
)
def test_an_asn_that_was_blocked_never_sent_or_rejected_proves_nothing(status, words):
    shipment("PO3", [("1", 24, "2.50")], received={"1": 22}, status=status)
    (line,) = claim(("INV-PO3SC", "-5.00"))
    shortage_refresh()
    sc = verdict_of(line)
    assert sc.verdict == ShortageVerdict.ACCEPT and words in sc.reason
    assert sc.amount_at_risk == 0
    assert not ExceptionCase.objects.filter(kind=ExceptionKind.DISPUTABLE_SHORTAGE).exists()


def test_a_carton_with_a_bad_sscc_means_the_claim_stands():
    ship = shipment("PO4", [("1", 24, "2.50")], received={"1": 22})
    carton = ship.containers.order_by("sequence").first()
    carton.sscc = carton.sscc[:-1] + str((int(carton.sscc[-1]) + 1) % 10)
    carton.save()
    (line,) = claim(("INV-PO4SC", "-5.00"))
    shortage_refresh()
    sc = verdict_of(line)
    assert sc.verdict == ShortageVerdict.ACCEPT and "Carton 1 of ASN ASN-PO4" in sc.reason
    assert "check digit" in sc.reason


def test_no_shipment_behind_the_invoice_is_insufficient():
    (line,) = claim(("INV-OLD1SC", "-12.00"))
    shortage_refresh()
    sc = verdict_of(line)
    assert sc.verdict == ShortageVerdict.INSUFFICIENT
    assert "No shipment of ours is behind invoice INV-OLD1" in sc.reason
    assert sc.shipped_units is None and sc.amount_at_risk == 0


def test_a_partial_shipment_whose_receipt_matches_the_claim_is_accepted():
    # Invoiced 12, our cartons hold 10, Amazon received the 10 and claims the 2 we never shipped.
    ship = shipment("PO5", [("1", 12, "3.00")], received={"1": 10})
    item = ship.containers.order_by("sequence").last().items.get()
    item.quantity -= 2
    item.save()
    (line,) = claim(("INV-PO5SC", "-6.00"))
    shortage_refresh()
    sc = verdict_of(line)
    assert sc.verdict == ShortageVerdict.ACCEPT
    assert "Amazon received 10 of the 10 units" in sc.reason and "agrees with our own cartons" in sc.reason
    assert (sc.claimed_units, sc.amount_at_risk) == (2, 0)


def test_a_revised_claim_is_judged_like_a_claim():
    shipment("PO6", [("1", 24, "2.50")], received={"1": 22})
    lines = claim(("INV-PO6SCRSC", "-5.00"))
    shortage_refresh()
    assert verdict_of(lines[0]).verdict == ShortageVerdict.DISPUTABLE


def test_a_refresh_on_unchanged_evidence_writes_nothing():
    shipment("PO7", [("1", 24, "2.50")], received={"1": 22})
    claim(("INV-PO7SC", "-5.00"), ("INV-OLD7SC", "-1.00"))
    first = shortage_refresh()
    audits = AuditEvent.objects.filter(action="shortage.verdict").count()
    again = shortage_refresh()
    assert (first.created, again.created, again.updated, again.unchanged) == (2, 0, 0, 2)
    assert AuditEvent.objects.filter(action="shortage.verdict").count() == audits == 2
    assert ExceptionCase.objects.filter(kind=ExceptionKind.DISPUTABLE_SHORTAGE).count() == 1


def test_the_case_resolves_itself_when_the_evidence_turns_to_accept():
    ship = shipment("PO8", [("1", 24, "2.50")], received={"1": 22})
    (line,) = claim(("INV-PO8SC", "-5.00"))
    shortage_refresh()
    sc = verdict_of(line)
    case = ExceptionCase.objects.open().get(dedupe_key=sc.case_key)
    # The receipts sync learns Amazon found the two units after all.
    ship.purchase_order.lines.update(received_quantity=24)
    result = shortage_refresh()
    sc.refresh_from_db()
    case.refresh_from_db()
    assert sc.verdict == ShortageVerdict.ACCEPT and result.resolved == 1
    assert case.status == ExceptionStatus.RESOLVED and case.auto_resolved
    assert "Verdict is now accept" in case.resolution_note


def test_a_closed_case_is_not_reopened_while_the_claim_stays_disputable():
    ship = shipment("PO9", [("1", 24, "2.50")], received={"1": 22})
    (line,) = claim(("INV-PO9SC", "-5.00"))
    shortage_refresh()
    sc = verdict_of(line)
    from vendorsync.services import exception_clear

    exception_clear(dedupe_key=sc.case_key, note="Disputed in Vendor Central (dispute 123).")
    # New evidence changes the figures but not the verdict: the dispute's closure stands.
    ship.purchase_order.lines.update(received_quantity=23)
    result = shortage_refresh()
    sc.refresh_from_db()
    assert result.updated == 1 and sc.verdict == ShortageVerdict.DISPUTABLE and sc.amount_at_risk == D("2.50")
    assert not ExceptionCase.objects.open().filter(dedupe_key=sc.case_key).exists()


def test_an_open_case_follows_a_changed_amount():
    ship = shipment("PO10", [("1", 24, "2.50")], received={"1": 22})
    (line,) = claim(("INV-PO10SC", "-5.00"))
    shortage_refresh()
    ship.purchase_order.lines.update(received_quantity=23)
    shortage_refresh()
    case = ExceptionCase.objects.open().get(dedupe_key=verdict_of(line).case_key)
    assert case.amount_at_risk == D("2.50") and case.occurrences == 2


def test_the_evidence_of_many_claims_costs_a_fixed_number_of_queries(django_assert_max_num_queries):
    for n in range(12):
        shipment(f"PQ{n}", [("1", 10, "2.00"), ("2", 6, "4.00")], received={"1": 9, "2": 6})
    claim(*[(f"INV-PQ{n}SC", "-2.00") for n in range(12)])
    # A new verdict is audited and a new case raised through the core services, a few queries each
    # (only when a verdict changes): the evidence itself is a fixed ~15.
    with django_assert_max_num_queries(20 + 12 * 7):
        shortage_refresh()
    ShortageClaim.objects.update(fingerprint="stale")
    with django_assert_max_num_queries(20):
        result = shortage_refresh()
    assert result.updated == 12


# --- Pages -------------------------------------------------------------------------------------------


@pytest.fixture
def judged():
    shipment("PA1", [("1", 24, "2.50"), ("2", 10, "4.00")], received={"1": 22, "2": 10}, fc="PHX7")
    shipment("PA2", [("1", 12, "3.00")], received={"1": 12}, status=ShipmentStatus.BLOCKED)
    lines = claim(("INV-PA1SC", "-5.00"), ("INV-PA2SC", "-3.00"), ("INV-OLDSC", "-9.00"))
    shortage_refresh()
    return {ln.document_number: verdict_of(ln) for ln in lines}


def test_finance_filters_the_list_by_verdict_and_fc_and_sees_the_totals(client, personas, judged):
    client.force_login(personas["finance"])
    page = client.get("/reconciliation/shortages/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "INV-PA1SC" in body and "INV-PA2SC" in body and "INV-OLDSC" in body
    assert 'href="/reconciliation/shortages/"' in body  # in the reconciliation navigation
    only = client.get("/reconciliation/shortages/", {"verdict": "disputable"}, HTTP_HX_REQUEST="true")
    text = only.content.decode()
    assert "INV-PA1SC" in text and "INV-PA2SC" not in text and "<html" not in text
    export = client.get("/reconciliation/shortages/", {"verdict": "disputable", "export": "xlsx"})
    import io

    from openpyxl import load_workbook

    sheet = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert sheet[0][:2] == ("Claim", "Payment") and [r[0] for r in sheet[1:]] == ["INV-PA1SC"]
    by_fc = client.get("/reconciliation/shortages/", {"fc": "phx7"}).content.decode()
    assert "INV-PA1SC" in by_fc and "INV-PA2SC" not in by_fc and "INV-OLDSC" not in by_fc


def test_operations_may_not_see_the_shortage_pages(client, personas, judged):
    client.force_login(personas["ops"])
    sc = judged["INV-PA1SC"]
    assert client.get("/reconciliation/shortages/").status_code == 403
    assert client.get(sc.get_absolute_url()).status_code == 403
    assert client.get(f"/reconciliation/shortages/pack/?claims={sc.public_id}").status_code == 403


def test_the_list_stays_within_its_query_budget(client, personas, judged, django_assert_max_num_queries):
    for n in range(30):
        shipment(f"PB{n}", [("1", 5, "1.00")], received={"1": 4})
    claim(*[(f"INV-PB{n}SC", "-1.00") for n in range(30)], payment="P301")
    shortage_refresh()
    client.force_login(personas["finance"])
    client.get("/reconciliation/shortages/")  # warm the session and permission caches
    with django_assert_max_num_queries(12):
        page = client.get("/reconciliation/shortages/")
    assert page.content.decode().count('class="verdict-') >= 33


def test_the_claim_page_and_the_workbench_panel_show_the_cartons(client, personas, judged):
    client.force_login(personas["finance"])
    sc = judged["INV-PA1SC"]
    body = client.get(sc.get_absolute_url()).content.decode()
    ship = sc.shipment
    for carton in ship.containers.all():
        assert carton.sscc in body
    assert ship.bill_of_lading in body and "UPSN" in body and 'data-verdict="disputable"' in body
    line = sc.line
    workbench = client.get(
        f"/reconciliation/remittances/{line.remittance.public_id}/workbench/lines/{line.sequence}/"
    )
    url = f"/reconciliation/remittances/{line.remittance.public_id}/workbench/lines/{line.sequence}/shortage/"
    assert url in workbench.content.decode()
    panel = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert (
        "<html" not in panel
        and 'data-verdict="disputable"' in panel
        and ship.containers.first().sscc in panel
    )


def test_the_evidence_pack_holds_what_a_dispute_needs(client, personas, judged):
    import io

    from openpyxl import load_workbook

    client.force_login(personas["finance"])
    a, b = judged["INV-PA1SC"], judged["INV-OLDSC"]
    response = client.get(f"/reconciliation/shortages/pack/?claims={a.public_id}&claims={b.public_id}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Claims", "Cartons", "Lines"]
    claims_sheet = list(book["Claims"].iter_rows(values_only=True))
    header = claims_sheet[0]
    rows = {row[header.index("Claim")]: dict(zip(header, row, strict=True)) for row in claims_sheet[1:]}
    pa1 = rows["INV-PA1SC"]
    ship = a.shipment
    assert pa1["PO"] == "PA1" and pa1["Invoice"] == "INV-PA1" and pa1["ASN"] == ship.shipment_identifier
    assert pa1["BOL"] == ship.bill_of_lading and pa1["Carrier SCAC"] == "UPSN" and pa1["FC"] == "PHX7"
    assert (pa1["Shipped units (ASN)"], pa1["Received units (Amazon)"], pa1["Claimed units"]) == (34, 32, 2)
    assert pa1["Disputable amount"] == 5 and pa1["Verdict"] == "Disputable" and pa1["Cartons"] == 4
    assert rows["INV-OLDSC"]["Verdict"] == "Insufficient evidence" and rows["INV-OLDSC"]["ASN"] in ("", None)
    cartons = list(book["Cartons"].iter_rows(values_only=True))
    ssccs = {row[cartons[0].index("SSCC")]: row for row in cartons[1:]}
    for container in ship.containers.all():
        row = ssccs[container.sscc]
        assert row[cartons[0].index("Weight")] == float(container.weight)
        assert row[cartons[0].index("Units")] == container.items.get().quantity
    lines = list(book["Lines"].iter_rows(values_only=True))
    assert [r[3] for r in lines[1:] if r[0] == "INV-PA1SC"] == ["1", "2"]


def test_the_pack_of_everything_filtered_and_an_empty_pack(client, personas, judged):
    import io

    from openpyxl import load_workbook

    client.force_login(personas["finance"])
    response = client.get("/reconciliation/shortages/pack/", {"verdict": "accept"})
    rows = list(load_workbook(io.BytesIO(response.content))["Claims"].iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["INV-PA2SC"]
    empty = client.get("/reconciliation/shortages/pack/", {"fc": "NOWHERE"})
    assert empty.status_code == 302 and empty["Location"] == "/reconciliation/shortages/"


def test_the_automatch_task_after_an_import_judges_the_new_claims():
    from reconciliation.tasks import automatch_remittance

    shipment("PT1", [("1", 24, "2.50")], received={"1": 22})
    (line,) = claim(("INV-PT1SC", "-5.00"))
    assert not ShortageClaim.objects.exists()
    automatch_remittance(line.remittance_id)
    assert verdict_of(line).verdict == ShortageVerdict.DISPUTABLE


def test_the_case_links_to_the_claims_evidence(client, personas, judged):
    from django.urls import reverse

    sc = judged["INV-PA1SC"]
    case = ExceptionCase.objects.get(dedupe_key=sc.case_key)
    client.force_login(personas["finance"])
    page = client.get(reverse("exception_detail", args=[case.public_id])).content.decode()
    assert sc.get_absolute_url() in page and "Shortage claim INV-PA1SC" in page


def test_disputes_find_the_case_of_a_line_by_its_key():
    from reconciliation.shortage.services import disputable_shortage_keys

    shipment("PK1", [("1", 24, "2.50")], received={"1": 22})
    (line,) = claim(("INV-PK1SC", "-5.00"))
    shortage_refresh()
    keys = disputable_shortage_keys(line_ids=[line.pk])
    assert (
        ExceptionCase.objects.open().get(dedupe_key=keys[line.pk]).kind == ExceptionKind.DISPUTABLE_SHORTAGE
    )


def test_no_receipt_reported_yet_is_insufficient_not_disputable():
    shipment("PR1", [("1", 24, "2.50")], received={"1": 0})
    (line,) = claim(("INV-PR1SC", "-5.00"))
    shortage_refresh()
    sc = verdict_of(line)
    assert sc.verdict == ShortageVerdict.INSUFFICIENT and "no units received yet" in sc.reason


def test_a_blocked_later_shipment_reusing_an_sscc_does_not_spoil_the_asn_that_carried_it():
    first = shipment("PS1", [("1", 24, "2.50")], received={"1": 22})
    later = shipment("PS2", [("1", 6, "2.50")], status=ShipmentStatus.BLOCKED)
    label = first.containers.order_by("sequence").first().sscc
    Container.objects.filter(pk=later.containers.order_by("sequence").first().pk).update(sscc=label)
    (line,) = claim(("INV-PS1SC", "-5.00"))
    shortage_refresh()
    assert verdict_of(line).verdict == ShortageVerdict.DISPUTABLE
    # …but a second shipment Amazon was sent with the same label leaves the carton untraceable.
    later.status = ShipmentStatus.ACCEPTED
    later.save()
    shortage_refresh()
    sc = verdict_of(line)
    assert sc.verdict == ShortageVerdict.ACCEPT and f"SSCC {label} is also on another shipment" in sc.reason


def test_a_sync_rejudges_recent_claims_and_leaves_old_verdicts_alone(settings):
    from datetime import timedelta

    from django.utils import timezone

    from reconciliation.shortage.services import FOLLOW_DAYS
    from vendorsync import flows

    today = timezone.localdate()
    long_ago, lately = today - timedelta(days=FOLLOW_DAYS + 10), today - timedelta(days=3)
    old_ship = shipment("PO_OLD", [("1", 24, "2.50")], received={"1": 22})
    new_ship = shipment("PO_NEW", [("1", 24, "2.50")], received={"1": 22})
    (old,) = claim(("INV-PO_OLDSC", "-5.00"), payment="P1", paid=f"{long_ago:%m/%d/%Y}")
    (new,) = claim(("INV-PO_NEWSC", "-5.00"), payment="P2", paid=f"{lately:%m/%d/%Y}")
    shortage_refresh()
    for ship in (old_ship, new_ship):
        ship.purchase_order.lines.update(received_quantity=24)  # Amazon found the units after all
    flows._run_after("receipts", None)
    assert verdict_of(new).verdict == ShortageVerdict.ACCEPT
    assert verdict_of(old).verdict == ShortageVerdict.DISPUTABLE  # beyond the dispute window: kept


def test_a_revised_remittance_moves_the_case_to_the_revisions_claim():
    from .test_import import csv_bytes, run

    shipment("PV1", [("1", 24, "2.50")], received={"1": 22})
    (old_line,) = claim(("INV-PV1SC", "-5.00"), payment="P900")
    shortage_refresh()
    old_key = verdict_of(old_line).case_key
    revised = csv_bytes(
        'P900,11/30/2026,"-5.00",USD,INV-PV1SC,11/30/2026,Shortage claim (revised file),"-5.00",0.00,"-5.00"'
    )
    assert run(revised, "p900-v2.csv", revision=True).status == "imported"
    result = shortage_refresh()
    new_line = RemittanceLine.objects.exclude(pk=old_line.pk).get(document_number="INV-PV1SC")
    assert result.resolved == 1 and not ExceptionCase.objects.open().filter(dedupe_key=old_key).exists()
    assert ExceptionCase.objects.open().filter(dedupe_key=verdict_of(new_line).case_key).count() == 1


def test_the_shortages_command_judges_on_demand_and_prints_json(capsys):
    import json

    from django.core.management import CommandError, call_command

    shipment("PC1", [("1", 24, "2.50")], received={"1": 22})
    claim(("INV-PC1SC", "-5.00"), ("INV-NONESC", "-1.00"), payment="P555")
    call_command("shortages")
    assert "created 2" in capsys.readouterr().out
    call_command("shortages", "--payment", "P555", "--json")
    rows = {row["document_number"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["INV-PC1SC"]["verdict"] == "disputable" and rows["INV-PC1SC"]["amount_at_risk"] == "5.00"
    assert rows["INV-PC1SC"]["asn"] == "ASN-PC1" and rows["INV-NONESC"]["verdict"] == "insufficient"
    with pytest.raises(CommandError, match="no live remittance"):
        call_command("shortages", "--payment", "NOPE")
