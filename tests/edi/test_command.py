from __future__ import annotations

import io
import json
import subprocess
import sys
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
    assert [d["type"] for d in documents] == ["PurchaseOrder", "PurchaseOrder"]
    po = documents[0]["document"]
    assert po["purchase_order_number"] == "5QK2W7RT"
    assert po["order_date"] == "2026-11-20"
    assert po["delivery_window"] == {"start": "2026-11-24", "end": "2026-11-28"}
    assert [
        (
            i["item_sequence_number"],
            i["ordered_quantity"]["amount"],
            i["net_cost"]["amount"],
            i["amazon_product_identifier"],
            i["vendor_product_identifier"],
        )
        for i in po["items"]
    ] == [
        ("1", 12, "18.75", "B07DFVDRAB", "036000291452"),
        ("2", 4, "42", "B01LNRIIAB", "4006381333931"),
        ("3", 30, "7.05", "B07MC84QAB", "NW-MUG-12OZ"),
    ]
    assert po["items"][0]["product_ids"] == [
        {"qualifier": "UP", "value": "036000291452"},
        {"qualifier": "BP", "value": "B07DFVDRAB"},
    ]
    assert po["warnings"] == []


def test_inspect_prints_remittance_amounts_as_strings() -> None:
    out = io.StringIO()
    call_command("edi", "inspect", str(FIXTURES / "amazon_820_remittance.edi"), stdout=out)
    (document,) = json.loads(out.getvalue())
    assert document["type"] == "Remittance"
    assert document["document"]["payment_amount"] == "184.58"
    assert [line["amount_paid"] for line in document["document"]["lines"]] == ["201.92", "-12.34", "-5.00"]


def _bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "bad.edi"
    path.write_text(fixture_text("amazon_850_two_pos.edi").replace("SE*15*0001~", "SE*12*0001~"))
    return path


def test_inspect_of_a_malformed_file_raises_a_command_error_naming_the_segment(tmp_path: Path) -> None:
    path = _bad_file(tmp_path)
    with pytest.raises(CommandError) as caught:
        call_command("edi", "inspect", str(path), stdout=io.StringIO())
    assert (
        str(caught.value)
        == f"{path}: malformed X12: segment 17 (SE, SE01): SE01 says 12 segments, counted 15"
    )


def test_inspect_of_a_malformed_file_exits_non_zero(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(MANAGE), "edi", "inspect", str(_bad_file(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "SE01 says 12 segments, counted 15" in result.stderr
    assert result.stdout == ""


def test_inspect_of_a_missing_file_is_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("edi", "inspect", str(tmp_path / "nope.edi"))
