"""EDI in the order flow: 850 files in the inbound folder, 997 answers, 855s out, 997s closing the loop."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orders.models import AcknowledgementStatus, Channel, PurchaseOrder, PurchaseOrderStatus, Source
from tests.edi.support import fixture_text, pyx12_check, segments_of
from vendorsync import flows
from vendorsync.edi import (
    ControlNumbers,
    FunctionalAcknowledgement,
    OutboundEnvelope,
    TransactionResponse,
    parse_interchanges,
    write_997,
)
from vendorsync.models import ExceptionCase, ExceptionStatus, SyncOutcome
from vendorsync.sandbox.clock import SimClock

pytestmark = pytest.mark.django_db

BAD_850 = """ISA*00*          *00*          *ZZ*AMAZON         *ZZ*VSYNCVENDOR    *261120*0931*U*00401*000000418*0*T*>~
GS*PO*AMAZON*VSYNCVENDOR*20261120*0931*418*X*004010~
ST*850*0001~
CUR*BY*USD~
REF*CR*VSYNC~
N1*ST**92*ABE8~
PO1*1*12*EA*18.75*PE*UP*036000291452*BP*B07DFVDRAB~
CTT*1*12~
SE*7*0001~
GE*1*418~
IEA*1*000000418~
"""


def inbound(sandbox):
    folder = sandbox / "edi" / "inbound"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def outbound_files(sandbox, prefix: str) -> list:
    folder = sandbox / "edi" / "outbound"
    return sorted(folder.glob(f"{prefix}*.edi")) if folder.is_dir() else []


def test_an_850_folder_with_a_good_and_a_malformed_file(sandbox):
    folder = inbound(sandbox)
    (folder / "a_good.edi").write_text(fixture_text("amazon_850_two_pos.edi"))
    (folder / "b_bad.edi").write_text(BAD_850)
    run = flows.run_flow("orders")
    assert run.outcome == SyncOutcome.PARTIAL and "b_bad.edi" in run.error
    assert (folder / "done" / "a_good.edi").exists() and (folder / "failed" / "b_bad.edi").exists()
    assert not (folder / "a_good.edi").exists() and not (folder / "b_bad.edi").exists()
    # The good file's POs are imported exactly as the 850 said.
    first = PurchaseOrder.objects.get(number="5QK2W7RT")
    second = PurchaseOrder.objects.get(number="8TRD2IAB")
    assert first.source == Source.EDI and first.ship_to == "ABE8" and first.vendor_code.code == "VSYNC"
    case_line = second.lines.get()
    assert (case_line.sequence, case_line.unit_of_measure, case_line.unit_size, case_line.ordered_eaches) == (
        "00001",
        "Cases",
        10,
        50,
    )
    assert case_line.product_ids == [["UP", "028877454078"], ["BP", "B07DFYF5AB"]]
    # Each group is answered by a 997: accepting the good one, rejecting the bad set.
    answers = {
        segments_of(path.read_text())[3]: segments_of(path.read_text())
        for path in outbound_files(sandbox, "997")
    }
    assert set(answers) == {"AK1*PO*417", "AK1*PO*418"}
    assert "AK9*A*2*2*2" in answers["AK1*PO*417"]
    assert (
        any(s.startswith("AK5*R") for s in answers["AK1*PO*418"]) and "AK9*R*1*1*0" in answers["AK1*PO*418"]
    )
    case = ExceptionCase.objects.open().get(dedupe_key="edi_inbound:b_bad.edi")
    assert case.details["rerun_flow"] == "orders" and "BEG" in case.message


def test_acknowledgements_by_855_pass_x12reader_and_997s_close_the_loop(sandbox, relay, settings):
    settings.ORDERS_ACK_CHANNEL = "edi"
    flows.run_flow("items")
    flows.run_flow("orders")
    relay()
    flows.run_flow("acknowledgements")
    relay()
    files = outbound_files(sandbox, "855")
    assert len(files) >= 3
    for path in files:
        errors, ids = pyx12_check(path.read_text())
        assert errors == [], (path.name, errors)
        assert ids[:4] == ["ISA", "GS", "ST", "BAK"]
    sent = list(
        PurchaseOrder.objects.filter(
            acknowledgements__channel=Channel.EDI, status=PurchaseOrderStatus.ACKNOWLEDGING
        )
    )
    assert len(sent) >= 2
    interchange_numbers = set()
    folder = inbound(sandbox)
    for po, status in ((sent[0], "A"), (sent[1], "R")):
        ack = po.acknowledgements.get(status=AcknowledgementStatus.SUBMITTED)
        [interchange] = parse_interchanges((sandbox / "edi" / "outbound" / ack.edi_file).read_text())
        interchange_numbers.add(interchange.header.control_number)
        [group] = interchange.groups
        answer = FunctionalAcknowledgement(
            functional_id="PR",
            group_control_number=group.header.control_number,
            version="004010",
            transactions=(TransactionResponse("855", group.transactions[0].control_number, status),),
            group_status=status,
            included=1,
            received=1,
            accepted=1 if status == "A" else 0,
        )
        text = write_997(
            answer,
            envelope=OutboundEnvelope(sender_id="AMAZON", receiver_id="VENDORSYNC", test=True),
            control_numbers=ControlNumbers(700 + len(interchange_numbers), 700, 1),
            at=datetime(2026, 11, 21, tzinfo=UTC),
        )
        (folder / f"997_{po.number}.edi").write_text(text)
    assert len(interchange_numbers) == 2  # control numbers never repeat
    SimClock().advance(seconds=60)
    flows.run_flow("orders")
    accepted, rejected = (PurchaseOrder.objects.get(pk=po.pk) for po in sent[:2])
    assert accepted.status == PurchaseOrderStatus.ACKNOWLEDGED
    assert rejected.status == PurchaseOrderStatus.ACK_FAILED
    case = ExceptionCase.objects.get(kind="ack_failed", subject_id=str(rejected.public_id))
    assert case.status == ExceptionStatus.OPEN and "997" in case.message
    # A 997 is filed under done/ and is never answered with a 997 of our own.
    assert (folder / "done" / f"997_{accepted.number}.edi").exists()
    assert all("AK1*FA" not in path.read_text() for path in outbound_files(sandbox, "997"))


def test_documents_of_other_flows_are_left_in_the_inbound_folder(sandbox):
    folder = inbound(sandbox)
    (folder / "remittance.edi").write_text(fixture_text("amazon_820_remittance.edi"))
    run = flows.run_flow("orders")
    assert run.counts["edi_left_for_others"] == 1
    assert (folder / "remittance.edi").exists() and not outbound_files(sandbox, "997")
