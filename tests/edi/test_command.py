from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.edi.support import FIXTURES, fixture_text

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"


def test_inspect_prints_the_850_as_json() -> None:
    out = io.StringIO()
    call_command("edi", "inspect", str(FIXTURES / "amazon_850_two_pos.edi"), stdout=out)
    documents = json.loads(out.getvalue())
    assert [d["type"] for d in documents] == ["EdiPurchaseOrder", "EdiPurchaseOrder"]
    edi_po = documents[0]["document"]
    po = edi_po["order"]
    assert po["purchase_order_number"] == "5QK2W7RT"
    assert po["details"]["purchase_order_date"] == "2026-11-20T00:00:00+00:00"
    assert po["details"]["delivery_window"] == {
        "start": "2026-11-24T00:00:00+00:00",
        "end": "2026-11-28T23:59:59+00:00",
    }
    assert [
        (
            i["item_sequence_number"],
            i["ordered_quantity"]["amount"],
            i["net_cost"]["amount"],
            i["amazon_product_identifier"],
            i["vendor_product_identifier"],
        )
        for i in po["details"]["items"]
    ] == [
        ("1", 12, "18.75", "B07DFVDRAB", "036000291452"),
        ("2", 4, "42", "B01LNRIIAB", "4006381333931"),
        ("3", 30, "7.05", "B07MC84QAB", "NW-MUG-12OZ"),
    ]
    assert edi_po["lines"][0]["product_ids"] == [
        {"qualifier": "UP", "value": "036000291452", "echoed": True},
        {"qualifier": "BP", "value": "B07DFVDRAB", "echoed": True},
    ]
    assert edi_po["warnings"] == []


def test_inspect_prints_remittance_amounts_as_strings() -> None:
    out = io.StringIO()
    call_command("edi", "inspect", str(FIXTURES / "amazon_820_remittance.edi"), stdout=out)
    (document,) = json.loads(out.getvalue())
    assert document["type"] == "Remittance"
    assert document["document"]["payment_amount"] == "184.58"
    assert [line["amount_paid"] for line in document["document"]["lines"]] == ["201.92", "-12.34", "-5.00"]


def _write(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "bad.edi"
    text = fixture_text("amazon_850_two_pos.edi")
    assert old in text
    path.write_text(text.replace(old, new))
    return path


def _bad_set_file(tmp_path: Path) -> Path:
    return _write(tmp_path, "SE*15*0001~", "SE*12*0001~")


def _bad_interchange_file(tmp_path: Path) -> Path:
    return _write(tmp_path, "IEA*1*000000417~", "IEA*1*000000999~")


def test_inspect_of_a_malformed_interchange_raises_a_command_error_naming_the_segment(tmp_path: Path) -> None:
    path = _bad_interchange_file(tmp_path)
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("edi", "inspect", str(path), stdout=out)
    assert str(caught.value) == (
        f"{path}: malformed X12: segment 34 (IEA, IEA02): IEA02 '000000999' does not match ISA13 '000000417'"
    )
    assert out.getvalue() == ""


def test_inspect_prints_the_good_sets_and_lists_the_errors_of_the_bad_ones(tmp_path: Path) -> None:
    path = _bad_set_file(tmp_path)
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("edi", "inspect", str(path), stdout=out)
    (document,) = json.loads(out.getvalue())
    assert document["document"]["order"]["purchase_order_number"] == "8TRD2IAB"
    assert str(caught.value) == (
        f"{path}: 1 of 2 transaction sets rejected:\n"
        "  850 0001 (group 417): segment 17 (SE, SE01): SE01 says 12 segments, counted 15"
    )


@pytest.mark.parametrize("make", [_bad_set_file, _bad_interchange_file])
def test_inspect_of_a_malformed_file_exits_non_zero(tmp_path: Path, make: Callable[[Path], Path]) -> None:
    path = make(tmp_path)
    result = subprocess.run(
        [sys.executable, str(MANAGE), "edi", "inspect", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    if make is _bad_set_file:
        assert "SE01 says 12 segments, counted 15" in result.stderr
        assert "8TRD2IAB" in result.stdout and "5QK2W7RT" not in result.stdout
    else:
        assert "IEA02 '000000999' does not match ISA13" in result.stderr
        assert result.stdout == ""


def test_inspect_of_a_missing_file_is_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("edi", "inspect", str(tmp_path / "nope.edi"))
