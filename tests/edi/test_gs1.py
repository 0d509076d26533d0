from __future__ import annotations

import pytest

from vendorsync.edi.gs1 import product_id_problem, require_valid_product_id, sscc_for_asn, sscc_problem


@pytest.mark.parametrize("value", ["106141411234567897", "006141410000000012", "00006141410000000029"])
def test_valid_ssccs_pass(value: str) -> None:
    assert sscc_problem(value) is None


def test_an_18_digit_sscc_is_sent_with_the_00_prefix() -> None:
    assert sscc_for_asn("006141410000000036", "carton 1") == "00006141410000000036"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("00102234567666698888", "carton 7: SSCC '00102234567666698888' has check digit 8, expected 1"),
        ("12345", "carton 7: SSCC '12345' must be 18 digits (or 20 with the AI prefix 00)"),
    ],
)
def test_invalid_ssccs_are_refused_naming_the_container(value: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        sscc_for_asn(value, "carton 7")
    assert str(caught.value) == message


def test_gtin_checks_by_qualifier() -> None:
    assert product_id_problem("UP", "028877454078") is None
    assert product_id_problem("EN", "4006381333931") is None
    assert product_id_problem("EN", "8806098286500") == "EN '8806098286500' has check digit 0, expected 8"
    assert product_id_problem("UP", "4006381333931") == "UP '4006381333931' must be 12 digits"
    assert product_id_problem("BP", "B07DFVDRAB") is None  # ASINs have no check digit
    assert product_id_problem("VN", "anything") is None
    with pytest.raises(ValueError, match=r"^line 2: UK '10614141000416' has check digit 6, expected 5$"):
        require_valid_product_id("UK", "10614141000416", "line 2")
