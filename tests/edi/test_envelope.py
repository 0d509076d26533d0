"""Each envelope error is refused with a message naming the segment position, id and element."""

from __future__ import annotations

import pytest

from tests.edi.support import AT, NUMBERS, TO_AMAZON, fixture_text, pyx12_check
from tests.edi.test_writers import SHIP_NOTICE
from vendorsync.edi import X12Error, parse_interchanges, write_856

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
        ("SE*15*0001~", "SE*14*0001~", r"^segment 17 \(SE, SE01\): SE01 says 14 segments, counted 15$"),
        ("SE*15*0002~", "SE*15*0009~", r"^segment 32 \(SE, SE02\): SE02 '0009' does not match ST02 '0002'$"),
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


def test_the_error_carries_its_position_as_attributes() -> None:
    with pytest.raises(X12Error) as caught:
        parse_interchanges(GOOD.replace("SE*15*0001~", "SE*14*0001~"))
    error = caught.value
    assert (error.segment_index, error.segment_id, error.element) == (17, "SE", "SE01")
    assert error.detail == "SE01 says 14 segments, counted 15"
    assert isinstance(error, ValueError)


def test_pyx12_also_sees_a_wrong_se_count_so_our_pyx12_checks_can_fail() -> None:
    errors, _ = pyx12_check(GOOD.replace("SE*15*0001~", "SE*14*0001~"))
    assert [e[2] for e in errors] == ["SE count of 14 for SE02=0001 is wrong. I count 15"]


def _asn() -> str:
    return write_856(SHIP_NOTICE, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)


def test_it_refuses_an_hl_whose_parent_is_not_an_earlier_hl() -> None:
    text = _asn().replace("HL*3*2*T~", "HL*3*4*T~")
    with pytest.raises(
        X12Error, match=r"^segment \d+ \(HL, HL02\): HL02 parent '4' does not reference an earlier HL01$"
    ):
        parse_interchanges(text)


def test_it_refuses_an_hl_whose_parent_subtree_is_closed() -> None:
    # HL 9 is the carton of the second order; carton 4 of the first order is closed by then.
    text = _asn().replace("HL*9*8*P~", "HL*9*4*P~")
    with pytest.raises(X12Error, match=r"\(HL, HL02\): HL02 parent 4 is not an ancestor of HL 9"):
        parse_interchanges(text)
    errors, _ = pyx12_check(text)
    assert [e[2] for e in errors] == ["HL parent (4) is not a valid parent"]


def test_it_refuses_hl_numbers_out_of_sequence() -> None:
    text = _asn().replace("HL*2*1*O~", "HL*3*1*O~")
    with pytest.raises(
        X12Error, match=r"\(HL, HL01\): HL01 is '3', expected 2 \(HL numbers must be sequential\)$"
    ):
        parse_interchanges(text)
