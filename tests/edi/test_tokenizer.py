from __future__ import annotations

import pytest

from tests.edi.support import fixture_text
from vendorsync.edi import Delimiters, X12Error, parse_interchanges, read_purchase_orders, tokenize

ONE_LINE = fixture_text("amazon_850_two_pos.edi").replace("\n", "")


def test_it_reads_separators_from_the_isa_star_gt_tilde() -> None:
    segments = list(tokenize(ONE_LINE))
    assert segments[0].delimiters == Delimiters(element="*", component=">", segment="~", repetition=None)
    assert [s.id for s in segments[:4]] == ["ISA", "GS", "ST", "BEG"]
    assert segments[3].elements == ("00", "NE", "5QK2W7RT", "", "20261120")
    assert segments[3].index == 4
    assert segments[0].get(16) == ">"
    assert len(segments) == 34


def test_it_reads_pipe_caret_and_newline_terminated_files() -> None:
    text = ONE_LINE.replace("*", "|").replace(">", "^").replace("~", "\n")
    segments = list(tokenize(text))
    assert segments[0].delimiters == Delimiters(element="|", component="^", segment="\n", repetition=None)
    assert segments[3].id == "BEG"
    assert segments[3].get(3) == "5QK2W7RT"
    orders = read_purchase_orders(text)
    assert [o.purchase_order_number for o in orders] == ["5QK2W7RT", "8TRD2IAB"]


def test_it_tolerates_crlf_after_each_terminator() -> None:
    text = ONE_LINE.replace("~", "~\r\n")
    assert [s.id for s in tokenize(text)] == [s.id for s in tokenize(ONE_LINE)]
    assert (
        read_purchase_orders(text)[0].order.items[0].net_cost.amount
        == read_purchase_orders(ONE_LINE)[0].order.items[0].net_cost.amount
    )


def test_it_reads_the_5010_repetition_separator_and_components() -> None:
    isa = "ISA*00*          *00*          *ZZ*VSYNCVENDOR    *ZZ*AMAZON         *240120*0930*^*00501*000000201*0*P*:~"
    text = (
        isa
        + "GS*SH*A*B*20240120*0930*201*X*005010~ST*856*0001~REF*ZZ*A:B:C~SE*3*0001~GE*1*201~IEA*1*000000201~"
    )
    segments = list(tokenize(text))
    assert segments[0].delimiters.repetition == "^"
    assert segments[0].delimiters.component == ":"
    assert segments[3].components(2) == ("A", "B", "C")


def test_it_reads_several_interchanges_with_their_own_separators() -> None:
    second = ONE_LINE.replace("000000417", "000000418").replace("*", "|").replace("~", "\n")
    interchanges = parse_interchanges(ONE_LINE + "\r\n" + second)
    assert [i.header.control_number for i in interchanges] == ["000000417", "000000418"]
    assert [i.header.delimiters.element for i in interchanges] == ["*", "|"]
    assert [len(i.transactions) for i in interchanges] == [2, 2]


def test_it_refuses_an_isa_that_is_not_fixed_width() -> None:
    text = ONE_LINE.replace("*AMAZON         *", "*AMAZON *", 1)
    with pytest.raises(
        X12Error, match=r"segment 1 \(ISA\): ISA is not fixed-width: expected the element separator"
    ):
        list(tokenize(text))


def test_it_refuses_text_that_does_not_start_with_isa() -> None:
    with pytest.raises(X12Error, match=r"^segment 1: expected an ISA segment, found 'GS\*'"):
        list(tokenize("GS*PO*A*B~"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20261126", (2026, 11, 26)),
        ("261126", (2026, 11, 26)),
        ("991231", (1999, 12, 31)),
        ("20240229", (2024, 2, 29)),
    ],
)
def test_x12_dates_are_read_as_calendar_days(value, expected):
    from datetime import date

    from vendorsync.edi.x12 import Segment, parse_date

    assert parse_date(value, Segment(4, "DTM", ("003", value)), 2) == date(*expected)


@pytest.mark.parametrize("value", ["20261332", "20230229", "2026-11-", "2026112", "abcdefgh", " 261126"])
def test_a_bad_x12_date_names_the_segment_and_element(value):
    from vendorsync.edi.x12 import Segment, parse_date

    with pytest.raises(X12Error, match=r"segment 4 \(DTM"):
        parse_date(value, Segment(4, "DTM", ("003", value)), 2)
