"""850 and 820 readers on realistic Amazon-style files; lenient about check digits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.edi.support import fixture_text
from vendorsync.edi import (
    Adjustment,
    DateWindow,
    ItemQuantity,
    Money,
    ProductId,
    X12Error,
    read_purchase_orders,
    read_remittances,
)


def test_it_reads_both_purchase_orders_of_the_850_fixture() -> None:
    first, second = read_purchase_orders(fixture_text("amazon_850_two_pos.edi"))
    assert first.purchase_order_number == "5QK2W7RT"
    assert first.order_date == date(2026, 11, 20)
    assert (first.purchase_order_type, first.purchase_order_type_code) == ("RegularOrder", "NE")
    assert first.selling_party_id == "VSYNC"
    assert first.buying_party_id == "AMZN-US"
    assert first.ship_to_party_id == "ABE8"
    assert first.delivery_window == DateWindow(date(2026, 11, 24), date(2026, 11, 28))
    assert first.ship_window is None
    assert first.is_back_order_allowed is False
    assert first.currency_code == "USD"
    assert (first.line_count, first.quantity_hash_total) == (3, 46)
    assert first.envelope is not None and first.envelope.transaction_control_number == "0001"
    assert first.warnings == ()
    assert [
        (
            i.item_sequence_number,
            i.amazon_product_identifier,
            i.vendor_product_qualifier,
            i.vendor_product_identifier,
            i.ordered_quantity,
            i.net_cost,
        )
        for i in first.items
    ] == [
        (
            "1",
            "B07DFVDRAB",
            "UP",
            "036000291452",
            ItemQuantity(12, "Eaches", 1),
            Money(Decimal("18.75"), "USD"),
        ),
        ("2", "B01LNRIIAB", "EN", "4006381333931", ItemQuantity(4, "Eaches", 1), Money(Decimal("42"), "USD")),
        (
            "3",
            "B07MC84QAB",
            "VN",
            "NW-MUG-12OZ",
            ItemQuantity(30, "Eaches", 1),
            Money(Decimal("7.05"), "USD"),
        ),
    ]
    assert isinstance(first.items[0].net_cost.amount, Decimal)

    assert second.purchase_order_number == "8TRD2IAB"
    assert second.purchase_order_type == "RushOrder"
    assert second.ship_window == DateWindow(date(2026, 11, 22), date(2026, 11, 25))
    assert second.deal_code == "DEAL-4411"
    assert second.is_back_order_allowed is True
    (line,) = second.items
    assert line.item_sequence_number == "00001"
    assert line.ordered_quantity == ItemQuantity(5, "Cases", 10)
    assert line.list_price == Money(Decimal("109.99"), "USD")
    assert line.description == "CERAMIC MUG 12OZ CASE OF 10"


def test_a_bad_upc_check_digit_on_a_received_po_is_a_warning_not_a_failure() -> None:
    text = fixture_text("amazon_850_two_pos.edi").replace("UP*036000291452", "UP*036000291457")
    first, _ = read_purchase_orders(text)
    assert first.items[0].vendor_product_identifier == "036000291457"
    assert [str(w) for w in first.warnings] == [
        "segment 13 (PO1, PO107): UP '036000291457' has check digit 7, expected 2"
    ]


def test_counts_that_disagree_with_ctt_are_warnings() -> None:
    text = fixture_text("amazon_850_two_pos.edi").replace("CTT*3*46~", "CTT*3*50~")
    first, _ = read_purchase_orders(text)
    assert [str(w) for w in first.warnings] == ["segment 16 (CTT, CTT02): CTT02 says 50 units, counted 46"]


def test_a_po_line_without_a_quantity_is_an_error_naming_the_element() -> None:
    text = fixture_text("amazon_850_two_pos.edi").replace("PO1*2*4*EA", "PO1*2**EA")
    with pytest.raises(X12Error, match=r"^segment 14 \(PO1, PO102\): PO102 is required$"):
        read_purchase_orders(text)


def test_a_non_numeric_price_is_an_error_naming_the_element() -> None:
    text = fixture_text("amazon_850_two_pos.edi").replace("*18.75*", "*18,75*")
    with pytest.raises(X12Error, match=r"^segment 13 \(PO1, PO104\): '18,75' is not a number$"):
        read_purchase_orders(text)


def test_it_reads_the_820_remittance_with_rmr_and_adx_lines() -> None:
    (remittance,) = read_remittances(fixture_text("amazon_820_remittance.edi"))
    assert remittance.payment_number == "355522363"
    assert remittance.payment_amount == Decimal("184.58")
    assert (remittance.transaction_handling_code, remittance.credit_debit, remittance.payment_method) == (
        "C",
        "C",
        "ACH",
    )
    assert remittance.payment_date == date(2024, 3, 1)
    assert remittance.currency_code == "USD"
    assert remittance.payer is not None and remittance.payer.name == "AMAZON.COM SERVICES LLC"
    assert remittance.payee is not None and (remittance.payee.id, remittance.payee.address.city) == (
        "999US",
        "SEATTLE",
    )
    assert [(d.qualifier, d.date) for d in remittance.dates] == [("097", date(2024, 3, 1))]
    assert [(r.qualifier, r.value) for r in remittance.references] == [("VR", "VSYNC")]
    assert [
        (line.document_number, line.amount_paid, line.invoice_amount, line.discount_amount, line.invoice_date)
        for line in remittance.lines
    ] == [
        ("INV1001", Decimal("201.92"), Decimal("206.04"), Decimal("4.12"), date(2024, 1, 20)),
        ("INV1001SC", Decimal("-12.34"), Decimal("-12.34"), None, date(2024, 1, 25)),
        ("12345678VCBSINV", Decimal("-5.00"), Decimal("-5.00"), None, None),
    ]
    assert all(line.entity_number == 1 for line in remittance.lines)
    assert remittance.lines[0].references[0].value == "2JK3S9VC"
    assert remittance.lines[1].adjustments == (Adjustment(Decimal("-12.34"), "22", "IV", "INV1001"),)
    assert remittance.lines[2].adjustments == (Adjustment(Decimal("-5.00"), "CB"),)
    assert sum(line.amount_paid for line in remittance.lines) == remittance.payment_amount
    assert remittance.warnings == ()


def test_an_820_whose_lines_do_not_add_up_gets_a_warning() -> None:
    text = fixture_text("amazon_820_remittance.edi").replace("BPR*C*184.58*", "BPR*C*190.00*")
    (remittance,) = read_remittances(text)
    assert [str(w) for w in remittance.warnings] == [
        "segment 4 (BPR, BPR02): RMR04 and entity ADX amounts add up to 184.58, BPR02 says 190.00"
    ]


def test_an_820_without_a_trn_is_refused() -> None:
    text = (
        fixture_text("amazon_820_remittance.edi")
        .replace("TRN*1*355522363~\n", "")
        .replace("SE*20*", "SE*19*")
    )
    with pytest.raises(X12Error, match=r"^segment 3 \(ST\): 820 has no TRN segment \(payment number\)$"):
        read_remittances(text)


def test_reading_purchase_orders_from_a_remittance_file_says_so() -> None:
    with pytest.raises(X12Error, match="no 850 purchase order in the file"):
        read_purchase_orders(fixture_text("amazon_820_remittance.edi"))


def test_product_ids_keep_every_qualifier_in_order() -> None:
    (first, _) = read_purchase_orders(fixture_text("amazon_850_two_pos.edi"))
    assert first.items[1].product_ids == (ProductId("EN", "4006381333931"), ProductId("BP", "B01LNRIIAB"))
