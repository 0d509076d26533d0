from __future__ import annotations

import pytest

from tests.edi.support import AT, TO_AMAZON
from tests.edi.test_writers import ACK
from vendorsync.edi import ControlNumbers, parse_interchanges, write_855
from vendorsync.edi_numbers import GROUP, INTERCHANGE, TRANSACTION, next_control_numbers, next_value
from vendorsync.models import Sequence


@pytest.mark.django_db
def test_control_numbers_count_up_per_counter() -> None:
    assert next_control_numbers() == ControlNumbers(1, 1, 1)
    assert next_control_numbers() == ControlNumbers(2, 2, 2)
    assert next_value(TRANSACTION) == 3
    assert next_control_numbers() == ControlNumbers(3, 3, 4)
    assert dict(Sequence.objects.values_list("name", "value")) == {"x12.isa": 3, "x12.gs": 3, "x12.st": 4}


@pytest.mark.django_db
def test_the_interchange_number_wraps_after_999999999() -> None:
    Sequence.objects.create(name=INTERCHANGE, value=999_999_998)
    assert next_value(INTERCHANGE) == 999_999_999
    assert next_value(INTERCHANGE) == 1
    assert Sequence.objects.get(name=INTERCHANGE).value == 1
    assert next_value(GROUP) == 1


@pytest.mark.django_db
def test_a_writer_draws_its_numbers_from_the_table() -> None:
    Sequence.objects.create(name=INTERCHANGE, value=416)
    text = write_855(ACK, envelope=TO_AMAZON, control_numbers=next_control_numbers, at=AT)
    (interchange,) = parse_interchanges(text)
    assert interchange.header.control_number == "000000417"
    assert interchange.groups[0].header.control_number == "1"
    assert interchange.transactions[0].control_number == "0001"
