"""Each envelope error names the segment position, id and element.

Interchange and group damage raises; damage confined to one transaction set is collected on that
set (with its 997 AK5 code) so the rest of the file stays readable.
"""

from __future__ import annotations

import re

import pytest

from tests.edi.support import AT, NUMBERS, TO_AMAZON, fixture_text, pyx12_check
from tests.edi.test_writers import SHIP_NOTICE
from vendorsync.edi import X12Error, parse_interchanges, read_purchase_orders, read_ship_notices, write_856

GOOD = fixture_text("amazon_850_two_pos.edi").replace("\n", "")


def test_the_fixture_envelope_is_valid_for_us_and_for_pyx12() -> None:
    (interchange,) = parse_interchanges(GOOD)
    assert interchange.header.sender_id == "AMAZON"
    assert interchange.header.usage == "T"
    (group,) = interchange.groups
    assert (group.header.functional_id, group.header.control_number, group.header.version) == (
        "PO",
        "417",
        "004010",
    )
    assert [(tx.id, tx.control_number, len(tx.segments)) for tx in group.transactions] == [
        ("850", "0001", 15),
        ("850", "0002", 15),
    ]
    errors, _ = pyx12_check(GOOD)
    assert errors == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("GE*2*417~", "GE*3*417~", r"^segment 33 \(GE, GE01\): GE01 says 3 transaction sets, counted 2$"),
        ("GE*2*417~", "GE*2*418~", r"^segment 33 \(GE, GE02\): GE02 '418' does not match GS06 '417'$"),
        (
            "IEA*1*000000417~",
            "IEA*2*000000417~",
            r"^segment 34 \(IEA, IEA01\): IEA01 says 2 functional groups, counted 1$",
        ),
        (
            "IEA*1*000000417~",
            "IEA*1*000000999~",
            r"^segment 34 \(IEA, IEA02\): IEA02 '000000999' does not match ISA13 '000000417'$",
        ),
        ("SE*15*0001~", "", r"^segment 17 \(ST\): ST inside transaction set '0001' \(missing SE\)$"),
        ("GE*2*417~", "", r"^segment 33 \(IEA\): IEA while group '417' is open \(missing GE\)$"),
        ("IEA*1*000000417~", "", r"^segment 1 \(ISA\): interchange '000000417' has no IEA trailer$"),
        ("CTT*3*46~", "CTT*3*46~ZZZZ*1~", r"^segment 17: invalid segment id 'ZZZZ'$"),
    ],
)
def test_it_names_the_envelope_error_and_where(old: str, new: str, message: str) -> None:
    assert old in GOOD
    with pytest.raises(X12Error, match=message) as caught:
        parse_interchanges(GOOD.replace(old, new, 1))
    assert caught.value.segment_index is not None


@pytest.mark.parametrize(
    ("old", "new", "bad_set", "message", "code"),
    [
        ("SE*15*0001~", "SE*14*0001~", 0, "segment 17 (SE, SE01): SE01 says 14 segments, counted 15", "4"),
        ("SE*15*0001~", "SE*X*0001~", 0, "segment 17 (SE, SE01): SE01 'X' is not a count", "4"),
        (
            "SE*15*0002~",
            "SE*15*0009~",
            1,
            "segment 32 (SE, SE02): SE02 '0009' does not match ST02 '0002'",
            "3",
        ),
        (
            "ST*850*0002~",
            "ST*850*0001~",
            1,
            "segment 18 (ST, ST02): ST02 '0001' is used by an earlier set of the same group",
            "23",
        ),
    ],
)
def test_a_damaged_set_is_returned_with_its_error_and_the_other_set_is_intact(
    old: str, new: str, bad_set: int, message: str, code: str
) -> None:
    text = GOOD.replace(old, new, 1)
    if code == "23":
        text = text.replace("SE*15*0002~", "SE*15*0001~")
    (interchange,) = parse_interchanges(text)
    sets = interchange.groups[0].transactions
    assert len(sets) == 2
    assert [str(e) for e in sets[bad_set].errors] == [message]
    assert [e.ak5_code for e in sets[bad_set].errors] == [code]
    assert sets[1 - bad_set].errors == ()


def test_the_error_carries_its_position_as_attributes() -> None:
    (interchange,) = parse_interchanges(GOOD.replace("SE*15*0001~", "SE*14*0001~"))
    (error,) = interchange.groups[0].transactions[0].errors
    assert (error.segment_index, error.segment_id, error.element) == (17, "SE", "SE01")
    assert error.detail == "SE01 says 14 segments, counted 15"
    assert isinstance(error, ValueError)
    with pytest.raises(X12Error) as caught:
        parse_interchanges(GOOD.replace("IEA*1*000000417~", "IEA*2*000000417~"))
    assert (caught.value.segment_index, caught.value.segment_id, caught.value.element) == (34, "IEA", "IEA01")


def test_pyx12_also_sees_a_wrong_se_count_so_our_pyx12_checks_can_fail() -> None:
    errors, _ = pyx12_check(GOOD.replace("SE*15*0001~", "SE*14*0001~"))
    assert [e[2] for e in errors] == ["SE count of 14 for SE02=0001 is wrong. I count 15"]


def _asn() -> str:
    return write_856(SHIP_NOTICE, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)


def _hl_errors(text: str) -> list[str]:
    """The set-level errors of the ASN, after checking that the 856 reader skips the set for them."""
    (interchange,) = parse_interchanges(text)
    (tx,) = interchange.transactions
    result = read_ship_notices(text)
    assert len(result) == 0
    assert [str(e) for e in result.errors] == [str(e) for e in tx.errors]
    assert all(e.ak5_code == "5" for e in tx.errors)
    return [str(e) for e in tx.errors]


def test_it_refuses_an_hl_whose_parent_is_not_an_earlier_hl() -> None:
    text = _asn().replace("HL*3*2*T~", "HL*3*4*T~")
    (error,) = _hl_errors(text)
    assert re.fullmatch(
        r"segment \d+ \(HL, HL02\): HL02 parent '4' does not reference an earlier HL01", error
    )


def test_it_refuses_an_hl_whose_parent_subtree_is_closed() -> None:
    # HL 9 is the carton of the second order; carton 4 of the first order is closed by then.
    text = _asn().replace("HL*9*8*P~", "HL*9*4*P~")
    (error,) = _hl_errors(text)
    assert "(HL, HL02): HL02 parent 4 is not an ancestor of HL 9" in error
    errors, _ = pyx12_check(text)
    assert [e[2] for e in errors] == ["HL parent (4) is not a valid parent"]


def test_it_refuses_hl_numbers_out_of_sequence() -> None:
    text = _asn().replace("HL*2*1*O~", "HL*3*1*O~")
    (error,) = _hl_errors(text)
    assert error.endswith("(HL, HL01): HL01 is '3', expected 2 (HL numbers must be sequential)")


def test_a_file_with_one_good_and_one_bad_850_reads_the_good_one_and_names_the_bad_one() -> None:
    result = read_purchase_orders(GOOD.replace("SE*15*0001~", "SE*14*0001~"))
    assert [po.purchase_order_number for po in result] == ["8TRD2IAB"]
    (rejected,) = result.rejected
    assert (rejected.envelope.transaction_set_id, rejected.envelope.transaction_control_number) == (
        "850",
        "0001",
    )
    assert [(e.segment_index, e.segment_id, e.element) for e in rejected.errors] == [(17, "SE", "SE01")]
    assert str(rejected) == "850 0001 (group 417): segment 17 (SE, SE01): SE01 says 14 segments, counted 15"
