"""850 and 820 readers on realistic Amazon-style files; lenient about check digits."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests.edi.support import fixture_text
from vendorsync.amazon import values as api
from vendorsync.amazon.codec import parse_purchase_order
from vendorsync.edi import (
    Adjustment,
    EdiPurchaseOrder,
    ProductId,
    X12Error,
    read_purchase_orders,
    read_remittances,
)

FIRST_PO = api.PurchaseOrder(
    purchase_order_number="5QK2W7RT",
    purchase_order_state=None,
    details=api.PurchaseOrderDetails(
        purchase_order_date=datetime(2026, 11, 20, tzinfo=UTC),
        purchase_order_type="RegularOrder",
        buying_party=api.Party(party_id="AMZN-US"),
        selling_party=api.Party(party_id="VSYNC"),
        ship_to_party=api.Party(party_id="ABE8"),
        delivery_window=api.DateTimeWindow(
            datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 28, 23, 59, 59, tzinfo=UTC)
        ),
        items=(
            api.PurchaseOrderItem(
                item_sequence_number="1",
                ordered_quantity=api.ItemQuantity(12, "Eaches", 1),
                is_back_order_allowed=False,
                amazon_product_identifier="B07DFVDRAB",
                vendor_product_identifier="036000291452",
                net_cost=api.Money(Decimal("18.75"), "USD"),
            ),
            api.PurchaseOrderItem(
                item_sequence_number="2",
                ordered_quantity=api.ItemQuantity(4, "Eaches", 1),
                is_back_order_allowed=False,
                amazon_product_identifier="B01LNRIIAB",
                vendor_product_identifier="4006381333931",
                net_cost=api.Money(Decimal("42"), "USD"),
            ),
            api.PurchaseOrderItem(
                item_sequence_number="3",
                ordered_quantity=api.ItemQuantity(30, "Eaches", 1),
                is_back_order_allowed=False,
                amazon_product_identifier="B07MC84QAB",
                vendor_product_identifier="NW-MUG-12OZ",
                net_cost=api.Money(Decimal("7.05"), "USD"),
            ),
        ),
    ),
)

SECOND_PO = api.PurchaseOrder(
    purchase_order_number="8TRD2IAB",
    purchase_order_state=None,
    details=api.PurchaseOrderDetails(
        purchase_order_date=datetime(2026, 11, 21, tzinfo=UTC),
        purchase_order_type="RushOrder",
        deal_code="DEAL-4411",
        selling_party=api.Party(party_id="VSYNC"),
        ship_to_party=api.Party(party_id="PHX6"),
        ship_window=api.DateTimeWindow(
            datetime(2026, 11, 22, tzinfo=UTC), datetime(2026, 11, 25, 23, 59, 59, tzinfo=UTC)
        ),
        items=(
            api.PurchaseOrderItem(
                item_sequence_number="00001",
                ordered_quantity=api.ItemQuantity(5, "Cases", 10),
                is_back_order_allowed=True,
                amazon_product_identifier="B07DFYF5AB",
                vendor_product_identifier="028877454078",
                net_cost=api.Money(Decimal("94.97"), "USD"),
                list_price=api.Money(Decimal("109.99"), "USD"),
            ),
        ),
    ),
)


def test_the_850_fixture_reads_into_the_orders_api_purchase_order_values() -> None:
    first, second = read_purchase_orders(fixture_text("amazon_850_two_pos.edi"))
    assert isinstance(first, EdiPurchaseOrder)
    assert type(first.order) is api.PurchaseOrder
    assert first.order == FIRST_PO
    assert second.order == SECOND_PO
    assert isinstance(first.order.items[0].net_cost.amount, Decimal)
    assert first.order.details.purchase_order_date.utcoffset() is not None


def test_an_api_order_and_an_edi_order_of_the_same_po_are_equal_where_they_overlap() -> None:
    # The Orders API JSON of the fixture's first PO, as getPurchaseOrder would return it.
    from_api = parse_purchase_order(
        {
            "purchaseOrderNumber": "5QK2W7RT",
            "purchaseOrderState": "New",
            "orderDetails": {
                "purchaseOrderDate": "2026-11-20T00:00:00Z",
                "purchaseOrderStateChangedDate": "2026-11-20T00:00:00Z",
                "purchaseOrderType": "RegularOrder",
                "paymentMethod": "Invoice",
                "buyingParty": {"partyId": "AMZN-US"},
                "sellingParty": {"partyId": "VSYNC"},
                "shipToParty": {"partyId": "ABE8"},
                "deliveryWindow": "2026-11-24T00:00:00Z--2026-11-28T23:59:59Z",
                "items": [
                    {
                        "itemSequenceNumber": "1",
                        "amazonProductIdentifier": "B07DFVDRAB",
                        "vendorProductIdentifier": "036000291452",
                        "orderedQuantity": {"amount": 12, "unitOfMeasure": "Eaches", "unitSize": 1},
                        "isBackOrderAllowed": False,
                        "netCost": {"amount": "18.75", "currencyCode": "USD"},
                    },
                    {
                        "itemSequenceNumber": "2",
                        "amazonProductIdentifier": "B01LNRIIAB",
                        "vendorProductIdentifier": "4006381333931",
                        "orderedQuantity": {"amount": 4, "unitOfMeasure": "Eaches", "unitSize": 1},
                        "isBackOrderAllowed": False,
                        "netCost": {"amount": "42.00", "currencyCode": "USD"},
                    },
                    {
                        "itemSequenceNumber": "3",
                        "amazonProductIdentifier": "B07MC84QAB",
                        "vendorProductIdentifier": "NW-MUG-12OZ",
                        "orderedQuantity": {"amount": 30, "unitOfMeasure": "Eaches", "unitSize": 1},
                        "isBackOrderAllowed": False,
                        "netCost": {"amount": "7.05", "currencyCode": "USD"},
                    },
                ],
            },
        }
    )
    from_edi, _ = read_purchase_orders(fixture_text("amazon_850_two_pos.edi"))
    assert from_edi.order.items == from_api.items
    edi, json = from_edi.order.details, from_api.details
    assert edi is not None and json is not None
    for name in (
        "purchase_order_date",
        "purchase_order_type",
        "buying_party",
        "selling_party",
        "ship_to_party",
        "delivery_window",
        "ship_window",
    ):
        assert getattr(edi, name) == getattr(json, name), name
    # What only the API knows stays unset rather than guessed.
    assert from_edi.order.purchase_order_state is None and edi.payment_method is None


def test_the_edi_only_extras_are_on_the_wrapper() -> None:
    first, second = read_purchase_orders(fixture_text("amazon_850_two_pos.edi"))
    assert (first.purchase_order_number, first.purchase_order_type_code, first.purpose_code) == (
        "5QK2W7RT",
        "NE",
        "00",
    )
    assert (first.currency_code, first.fob_payment_code) == ("USD", "PP")
    assert (first.line_count, first.quantity_hash_total) == (3, 46)
    assert first.envelope is not None and first.envelope.transaction_control_number == "0001"
    assert first.warnings == ()
    assert [(line.item_sequence_number, line.vendor_product_qualifier) for line in first.lines] == [
        ("1", "UP"),
        ("2", "EN"),
        ("3", "VN"),
    ]
    assert [(d.qualifier, d.date) for d in first.dates] == [
        ("064", date(2026, 11, 24)),
        ("063", date(2026, 11, 28)),
    ]
    assert second.line("00001").description == "CERAMIC MUG 12OZ CASE OF 10"
    assert second.line("00001").unit_of_measure_code == "CA"
    assert [r.value for r in second.references] == ["VSYNC", "DEAL-4411"]


def test_a_window_with_only_one_date_is_left_empty_with_a_warning() -> None:
    text = (
        fixture_text("amazon_850_two_pos.edi")
        .replace("DTM*063*20261128~\n", "")
        .replace("SE*15*0001", "SE*14*0001")
    )
    first, _ = read_purchase_orders(text)
    assert first.order.details is not None and first.order.details.delivery_window is None
    assert [str(w) for w in first.warnings] == [
        "segment 9 (DTM, DTM01): DTM 064 without DTM 063: window left empty"
    ]


def test_a_bad_upc_check_digit_on_a_received_po_is_a_warning_not_a_failure() -> None:
    text = fixture_text("amazon_850_two_pos.edi").replace("UP*036000291452", "UP*036000291457")
    first, _ = read_purchase_orders(text)
    assert first.order.items[0].vendor_product_identifier == "036000291457"
    assert [str(w) for w in first.warnings] == [
        "segment 13 (PO1, PO107): UP '036000291457' has check digit 7, expected 2"
    ]


def test_counts_that_disagree_with_ctt_are_warnings() -> None:
    text = fixture_text("amazon_850_two_pos.edi").replace("CTT*3*46~", "CTT*3*50~")
    first, _ = read_purchase_orders(text)
    assert [str(w) for w in first.warnings] == ["segment 16 (CTT, CTT02): CTT02 says 50 units, counted 46"]


def test_a_po_line_without_a_quantity_rejects_that_po_naming_the_element() -> None:
    text = fixture_text("amazon_850_two_pos.edi").replace("PO1*2*4*EA", "PO1*2**EA")
    result = read_purchase_orders(text)
    assert [po.purchase_order_number for po in result] == ["8TRD2IAB"]
    (rejected,) = result.rejected
    assert [str(e) for e in rejected.errors] == ["segment 14 (PO1, PO102): PO102 is required"]
    assert rejected.ak5_codes == ("5",)


def test_a_non_numeric_price_rejects_that_po_naming_the_element() -> None:
    text = fixture_text("amazon_850_two_pos.edi").replace("*18.75*", "*18,75*")
    result = read_purchase_orders(text)
    assert len(result) == 1
    assert [str(e) for e in result.errors] == ["segment 13 (PO1, PO104): '18,75' is not a number"]


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
    assert remittance.payee is not None and (remittance.payee.id, remittance.payee.party.address.city) == (
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


def test_an_820_without_a_trn_is_rejected() -> None:
    text = (
        fixture_text("amazon_820_remittance.edi")
        .replace("TRN*1*355522363~\n", "")
        .replace("SE*20*", "SE*19*")
    )
    result = read_remittances(text)
    assert len(result) == 0
    assert [str(r) for r in result.rejected] == [
        "820 0001 (group 881): segment 3 (ST): 820 has no TRN segment (payment number)"
    ]


def test_reading_purchase_orders_from_a_remittance_file_says_so() -> None:
    with pytest.raises(X12Error, match="no 850 purchase order in the file"):
        read_purchase_orders(fixture_text("amazon_820_remittance.edi"))


def test_product_ids_keep_every_qualifier_in_order() -> None:
    (first, _) = read_purchase_orders(fixture_text("amazon_850_two_pos.edi"))
    assert first.lines[1].product_ids == (ProductId("EN", "4006381333931"), ProductId("BP", "B01LNRIIAB"))
    assert all(p.echoed for p in first.lines[1].product_ids)
    assert first.product_ids_by_line["2"] == first.lines[1].product_ids
