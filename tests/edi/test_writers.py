"""Writers: exact segments, round trip through our reader, and pyx12 finds no envelope error.

The 856 and 810 are written from the Amazon API's ``ShipmentConfirmation`` and ``Invoice`` (one
type per document for both channels) and read back into them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from tests.edi.support import AT, NUMBERS, TO_AMAZON, fixture_text, pyx12_check, segments_of
from vendorsync.amazon import codec
from vendorsync.amazon import values as api
from vendorsync.edi import (
    AcknowledgementItem,
    ControlNumbers,
    ItemStatus,
    ProductId,
    PurchaseOrderAcknowledgement,
    acknowledge_group,
    parse_interchanges,
    read_acknowledgements,
    read_functional_acknowledgements,
    read_invoices,
    read_purchase_orders,
    read_ship_notices,
    write_810,
    write_855,
    write_856,
    write_997,
)

EAN = ProductId("EN", "4006381333931")
UPC = ProductId("UP", "028877454078")

ACK = PurchaseOrderAcknowledgement(
    purchase_order_number="2JK3S9VC",
    acknowledgement_date=date(2024, 1, 15),
    items=(
        AcknowledgementItem(
            item_sequence_number="1",
            ordered_quantity=10,
            unit_of_measure="EA",
            unit_price=Decimal("12.34"),
            product_ids=(EAN, ProductId("BP", "B07DFVDRAB")),
            statuses=(
                ItemStatus("IA", 6, "EA", "068", date(2024, 1, 20)),
                ItemStatus("IB", 4, "EA", "068", date(2024, 1, 27)),
            ),
        ),
        AcknowledgementItem(
            item_sequence_number="2",
            ordered_quantity=24,
            unit_of_measure="EA",
            unit_price=Decimal("5.50"),
            product_ids=(UPC,),
            statuses=(ItemStatus("IR", 24, "EA"),),
        ),
    ),
)

PO_A, PO_B = "2JK3S9VC", "3TRD2IAB"


def _sscc(value: str) -> tuple[api.ContainerIdentification, ...]:
    return (api.ContainerIdentification("SSCC", value),)


def _each(amount: int) -> api.ItemQuantity:
    return api.ItemQuantity(amount, "Eaches")


def _on(po: str, **details) -> api.ItemDetails:
    return api.ItemDetails(purchase_order_number=po, **details)


LOT = _on(PO_A, lot_number="LOT7", expiry=api.Expiry(expiry_date=datetime(2025, 6, 30, tzinfo=UTC)))
# PO A: pallet …36 holds cartons 001 (…12) and 002 (…29, lot and expiry); PO B: loose carton 003.
SHIP_NOTICE = api.ShipmentConfirmation(
    shipment_identifier="SHIP0001",
    shipment_confirmation_type="Original",
    shipment_confirmation_date=datetime(2024, 1, 20, 9, 30, tzinfo=UTC),
    shipped_date=datetime(2024, 1, 20, 9, 30, tzinfo=UTC),
    estimated_delivery_date=datetime(2024, 1, 23, tzinfo=UTC),
    selling_party=api.Party("VSYNC"),
    ship_from_party=api.Party(
        "WH01",
        api.Address(
            "NORTHWIND HOME GOODS",
            "1 MAIN ST",
            "US",
            city="SEATTLE",
            state_or_region="WA",
            postal_code="98101",
        ),
    ),
    ship_to_party=api.Party("ABE2"),
    transportation_details=api.TransportationDetails(
        carrier_scac="ABCD",
        carrier_shipment_reference_number="PRO123456",
        transportation_mode="Road",
        bill_of_lading_number="VEND00012345",
    ),
    shipment_measurements=api.ShipmentMeasurements(
        gross_shipment_weight=api.Weight(Decimal("180.5"), "Lb"), carton_count=3, pallet_count=1
    ),
    shipped_items=(
        api.ShippedItem("001", _each(6), vendor_product_identifier="4006381333931", item_details=_on(PO_A)),
        api.ShippedItem("002", _each(24), vendor_product_identifier="028877454078", item_details=_on(PO_A)),
        api.ShippedItem("003", _each(2), "B01LNRIIAB", "4006381333931", item_details=_on(PO_B)),
    ),
    cartons=(
        api.Carton("001", (api.ContainerItem("001", _each(6)),), _sscc("00006141410000000012")),
        api.Carton("002", (api.ContainerItem("002", _each(24), LOT),), _sscc("00006141410000000029")),
        api.Carton("003", (api.ContainerItem("003", _each(2)),), _sscc("00006141410000000043")),
    ),
    pallets=(
        api.Pallet(_sscc("00006141410000000036"), carton_reference_numbers=("001", "002"), carton_count=2),
    ),
)

INVOICE = api.Invoice(
    invoice_type="Invoice",
    id="INV1001",
    date=datetime(2024, 1, 20, 12, tzinfo=UTC),
    bill_to_party=api.Party("", api.Address("AMAZON.COM SERVICES LLC", "", "")),
    remit_to_party=api.Party(
        "999US",
        api.Address(
            "NORTHWIND HOME GOODS",
            "1 MAIN ST",
            "US",
            city="SEATTLE",
            state_or_region="WA",
            postal_code="98101",
        ),
    ),
    ship_to_party=api.Party("ABE2"),
    invoice_total=api.Money(Decimal("218.54"), "USD"),
    payment_terms=api.PaymentTerms("Basic", Decimal("2"), 30, 60),
    items=(
        api.InvoiceItem(
            1, _each(6), api.Money(Decimal("12.34"), "USD"), None, "4006381333931", purchase_order_number=PO_A
        ),
        api.InvoiceItem(
            2,
            _each(24),
            api.Money(Decimal("5.50"), "USD"),
            "B07DFYF5AB",
            "028877454078",
            purchase_order_number=PO_A,
        ),
    ),
    charge_details=(api.ChargeDetail("Freight", api.Money(Decimal("15.00"), "USD"), "FREIGHT"),),
    allowance_details=(api.AllowanceDetail("Discount", api.Money(Decimal("2.50"), "USD")),),
)


def test_855_has_the_expected_segments() -> None:
    text = write_855(ACK, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)
    assert segments_of(text) == [
        "ISA*00*          *00*          *ZZ*VSYNCVENDOR    *ZZ*AMAZON         *261121*1405*U*00401*000000042*0*T*>",
        "GS*PR*VSYNCVENDOR*AMAZON*20261121*1405*43*X*004010",
        "ST*855*0007",
        "BAK*00*AC*2JK3S9VC*20240115",
        "PO1*1*10*EA*12.34*PE*EN*4006381333931*BP*B07DFVDRAB",
        "ACK*IA*6*EA*068*20240120",
        "ACK*IB*4*EA*068*20240127",
        "PO1*2*24*EA*5.5*PE*UP*028877454078",
        "ACK*IR*24*EA",
        "CTT*2*34",
        "SE*9*0007",
        "GE*1*43",
        "IEA*1*000000042",
    ]
    assert len(text.split("~")[0]) + 1 == 106


def test_855_round_trips_and_passes_pyx12() -> None:
    text = write_855(ACK, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)
    (back,) = read_acknowledgements(text)
    assert back == ACK
    assert back.items[0].statuses[1] == ItemStatus("IB", 4, "EA", "068", date(2024, 1, 27))
    errors, ids = pyx12_check(text)
    assert errors == []
    assert ids.count("ACK") == 3


def test_856_builds_the_s_o_t_p_i_hierarchy() -> None:
    text = write_856(SHIP_NOTICE, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)
    segments = segments_of(text)
    assert segments[0].endswith("*261121*1405*^*00501*000000042*0*T*>")
    assert segments[1] == "GS*SH*VSYNCVENDOR*AMAZON*20261121*1405*43*X*005010"
    assert [s for s in segments if s.startswith("HL*")] == [
        "HL*1**S",
        "HL*2*1*O",
        "HL*3*2*T",
        "HL*4*3*P",
        "HL*5*4*I",
        "HL*6*3*P",
        "HL*7*6*I",
        "HL*8*1*O",
        "HL*9*8*P",
        "HL*10*9*I",
    ]
    assert [s for s in segments if s.startswith("MAN*")] == [
        "MAN*GM*00006141410000000036",
        "MAN*GM*00006141410000000012",
        "MAN*GM*00006141410000000029",
        "MAN*GM*00006141410000000043",
    ]
    assert segments[3:17] == [
        "BSN*00*SHIP0001*20240120*0930",
        "DTM*011*20240120*0930",
        "HL*1**S",
        "TD1*PLT94*1****G*180.5*LB",
        "TD5**2*ABCD*M",
        "REF*BM*VEND00012345",
        "REF*CN*PRO123456",
        "DTM*017*20240123",
        "N1*SF*NORTHWIND HOME GOODS*92*WH01",
        "N3*1 MAIN ST",
        "N4*SEATTLE*WA*98101*US",
        "N1*ST**92*ABE2",
        "HL*2*1*O",
        "PRF*2JK3S9VC",
    ]
    assert "LIN*002*UP*028877454078" in segments
    assert "LIN*003*EN*4006381333931*BP*B01LNRIIAB" in segments
    assert "REF*LT*LOT7" in segments and "DTM*036*20250630" in segments
    assert segments[-4:] == ["CTT*10", "SE*38*0007", "GE*1*43", "IEA*1*000000042"]
    assert segments.index("SE*38*0007") - segments.index("ST*856*0007") + 1 == 38


def test_856_round_trips_and_passes_pyx12() -> None:
    text = write_856(SHIP_NOTICE, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)
    (back,) = read_ship_notices(text)
    # The 856 names no selling party (the interchange sender is the vendor); all else comes back.
    assert back.confirmation.selling_party == api.Party("")
    assert replace(back.confirmation, selling_party=SHIP_NOTICE.selling_party) == SHIP_NOTICE
    assert (back.packaging_code, back.lading_quantity, back.ship_from.name) == (
        "PLT94",
        1,
        "NORTHWIND HOME GOODS",
    )
    assert back.warnings == ()
    assert back.envelope is not None and back.envelope.version == "005010"
    errors, ids = pyx12_check(text)
    assert errors == []
    assert ids.count("HL") == 10


def test_the_856_is_the_same_value_the_api_sends() -> None:
    from vendorsync.sandbox.amazon import shipment_model

    document = codec.shipment_confirmation_to_json(SHIP_NOTICE)
    assert shipment_model.check(document, "ShipmentConfirmation", "s") == []
    assert (
        document["cartons"][2]["cartonIdentifiers"][0]["containerIdentificationNumber"]
        == "00006141410000000043"
    )


def _with_cartons(*cartons: api.Carton, pallets: tuple[api.Pallet, ...] = ()) -> api.ShipmentConfirmation:
    return replace(SHIP_NOTICE, cartons=cartons, pallets=pallets)


def test_856_refuses_a_carton_sscc_with_a_bad_check_digit() -> None:
    cartons = (
        replace(SHIP_NOTICE.cartons[0], carton_identifiers=_sscc("00102234567666698888")),
        *SHIP_NOTICE.cartons[1:],
    )
    with pytest.raises(ValueError) as caught:
        write_856(
            _with_cartons(*cartons, pallets=SHIP_NOTICE.pallets),
            envelope=TO_AMAZON,
            control_numbers=NUMBERS,
            at=AT,
        )
    assert str(caught.value) == (
        "856 SHIP0001 PO 2JK3S9VC pallet 1 carton 001: SSCC '00102234567666698888' has check digit 8, expected 1"
    )


def test_856_refuses_a_pallet_sscc_with_a_bad_check_digit_and_a_reused_sscc() -> None:
    bad_pallet = replace(SHIP_NOTICE.pallets[0], pallet_identifiers=_sscc("00102234567898098745"))
    with pytest.raises(
        ValueError, match=r"^856 SHIP0001 PO 2JK3S9VC pallet 1: SSCC '00102234567898098745' has check"
    ):
        write_856(
            _with_cartons(*SHIP_NOTICE.cartons, pallets=(bad_pallet,)),
            envelope=TO_AMAZON,
            control_numbers=NUMBERS,
            at=AT,
        )
    twice = (
        *SHIP_NOTICE.cartons[:2],
        replace(SHIP_NOTICE.cartons[2], carton_identifiers=_sscc("006141410000000012")),
    )
    with pytest.raises(
        ValueError,
        match=r"PO 3TRD2IAB carton 003: SSCC 00006141410000000012 is already used by PO 2JK3S9VC pallet 1 carton 001",
    ):
        write_856(
            _with_cartons(*twice, pallets=SHIP_NOTICE.pallets),
            envelope=TO_AMAZON,
            control_numbers=NUMBERS,
            at=AT,
        )


def test_856_refuses_what_it_cannot_say_naming_the_container() -> None:
    # A carton holding items of two POs cannot sit under one O level.
    mixed = replace(
        SHIP_NOTICE.cartons[2], items=(*SHIP_NOTICE.cartons[2].items, api.ContainerItem("001", _each(6)))
    )
    with pytest.raises(ValueError, match=r"^856 SHIP0001 carton 003: holds items of POs 2JK3S9VC, 3TRD2IAB"):
        write_856(
            _with_cartons(SHIP_NOTICE.cartons[1], mixed, pallets=()),
            envelope=TO_AMAZON,
            control_numbers=NUMBERS,
            at=AT,
        )
    # Units shipped but in no container: the manifest would not add up.
    with pytest.raises(
        ValueError, match=r"^856 SHIP0001 item 001: 6 units shipped, 0 in cartons and pallets$"
    ):
        write_856(
            _with_cartons(*SHIP_NOTICE.cartons[1:], pallets=()),
            envelope=TO_AMAZON,
            control_numbers=NUMBERS,
            at=AT,
        )


def test_855_refuses_a_upc_with_a_bad_check_digit_naming_the_line() -> None:
    item = AcknowledgementItem("3", 1, "EA", (ProductId("UP", "028877454071"),), (ItemStatus("IA", 1),))
    ack = PurchaseOrderAcknowledgement("2JK3S9VC", date(2024, 1, 15), (item,))
    with pytest.raises(ValueError) as caught:
        write_855(ack, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)
    assert str(caught.value) == "855 2JK3S9VC line 3: UP '028877454071' has check digit 1, expected 8"


def test_855_refuses_an_unknown_status_code() -> None:
    item = AcknowledgementItem("1", 1, "EA", (EAN,), (ItemStatus("XX", 1),))
    with pytest.raises(ValueError, match=r"^855 2JK3S9VC line 1: unknown ACK status 'XX'$"):
        write_855(
            PurchaseOrderAcknowledgement("2JK3S9VC", date(2024, 1, 15), (item,)),
            envelope=TO_AMAZON,
            control_numbers=NUMBERS,
            at=AT,
        )


def test_810_has_the_expected_summary_and_round_trips() -> None:
    text = write_810(INVOICE, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)
    segments = segments_of(text)
    assert segments[1] == "GS*IN*VSYNCVENDOR*AMAZON*20261121*1405*43*X*004010"
    assert segments[3:11] == [
        "BIG*20240120*INV1001**2JK3S9VC",
        "CUR*SE*USD",
        "N1*BT*AMAZON.COM SERVICES LLC",
        "N1*RI*NORTHWIND HOME GOODS*92*999US",
        "N3*1 MAIN ST",
        "N4*SEATTLE*WA*98101*US",
        "N1*ST**92*ABE2",
        "ITD*01*3*2**30**60",
    ]
    assert "IT1*2*24*EA*5.5**UP*028877454078*BP*B07DFYF5AB" in segments
    # 6 x 12.34 + 24 x 5.50 = 206.04; + 15.00 freight - 2.50 allowance = 218.54
    assert segments[-7:-3] == [
        "TDS*21854",
        "SAC*C*D240***1500**********FREIGHT",
        "SAC*A*C310***250",
        "CTT*2",
    ]
    (back,) = read_invoices(text)
    assert back.invoice == INVOICE
    assert back.purchase_order_number == PO_A
    assert back.warnings == ()
    errors, _ = pyx12_check(text)
    assert errors == []


def test_810_refuses_a_party_name_longer_than_n102_allows() -> None:
    long_name = replace(INVOICE.remit_to_party.address, name="N" * 61)
    invoice = replace(INVOICE, remit_to_party=replace(INVOICE.remit_to_party, address=long_name))
    with pytest.raises(ValueError, match=r"N1\*RI: name is 61 characters; N102 allows 60"):
        write_810(invoice, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)
    sixty = replace(INVOICE.remit_to_party.address, name="N" * 60)
    assert "N1*RI*" + "N" * 60 in write_810(
        replace(INVOICE, remit_to_party=replace(INVOICE.remit_to_party, address=sixty)),
        envelope=TO_AMAZON,
        control_numbers=NUMBERS,
        at=AT,
    )


def test_810_refuses_a_total_that_is_not_whole_cents_or_does_not_add_up() -> None:
    odd = api.InvoiceItem(
        1, _each(1), api.Money(Decimal("0.333"), "USD"), "B0000000AB", purchase_order_number="PO1"
    )
    invoice = replace(INVOICE, id="INV2", items=(odd,), charge_details=(), allowance_details=())
    with pytest.raises(ValueError, match=r"^810 INV2 total: 0.333 is not a whole number of cents$"):
        write_810(invoice, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)
    short = replace(INVOICE, invoice_total=api.Money(Decimal("206.04"), "USD"))
    with pytest.raises(
        ValueError, match=r"^810 INV1001: items and charges add up to 218.54, invoice total says 206.04$"
    ):
        write_810(short, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)
    two_pos = replace(
        INVOICE, items=(INVOICE.items[0], replace(INVOICE.items[1], purchase_order_number="PO9"))
    )
    with pytest.raises(
        ValueError, match=r"every item must name the same purchase order \(BIG04\), got 2JK3S9VC, PO9"
    ):
        write_810(two_pos, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)


def test_997_acknowledges_a_received_850_group_and_round_trips() -> None:
    (interchange,) = parse_interchanges(fixture_text("amazon_850_two_pos.edi"))
    ack = acknowledge_group(interchange.groups[0], rejected={"0002": ["5"]})
    assert (ack.group_status, ack.included, ack.received, ack.accepted) == ("P", 2, 2, 1)
    text = write_997(ack, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)
    assert segments_of(text)[1:-2] == [
        "GS*FA*VSYNCVENDOR*AMAZON*20261121*1405*43*X*004010",
        "ST*997*0007",
        "AK1*PO*417",
        "AK2*850*0001",
        "AK5*A",
        "AK2*850*0002",
        "AK5*R*5",
        "AK9*P*2*2*1",
        "SE*8*0007",
    ]
    (back,) = read_functional_acknowledgements(text)
    assert back == ack
    errors, _ = pyx12_check(text)
    assert errors == []


def test_997_for_a_5010_group_goes_out_in_5010() -> None:
    asn = write_856(SHIP_NOTICE, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)
    (interchange,) = parse_interchanges(asn)
    ack = acknowledge_group(interchange.groups[0])
    text = write_997(ack, envelope=TO_AMAZON, control_numbers=ControlNumbers(5, 5, 5), at=AT)
    assert "*^*00501*000000005*" in segments_of(text)[0]
    assert segments_of(text)[3:7] == ["AK1*SH*43", "AK2*856*0007", "AK5*A", "AK9*A*1*1*1"]
    assert pyx12_check(text)[0] == []


def test_a_writer_takes_a_callable_for_control_numbers_and_refuses_out_of_range_ones() -> None:
    calls: list[int] = []

    def source() -> ControlNumbers:
        calls.append(1)
        return ControlNumbers(999_999_999, 1, 12345)

    text = write_855(ACK, envelope=TO_AMAZON, control_numbers=source, at=AT)
    assert calls == [1]
    assert "*000999999999*" not in text and "*999999999*0*T*>" in text
    assert "ST*855*12345~" in text
    with pytest.raises(ValueError, match="interchange control number 1000000000 is outside 1..999999999"):
        write_855(ACK, envelope=TO_AMAZON, control_numbers=ControlNumbers(1_000_000_000, 1, 1), at=AT)


def test_a_writer_refuses_data_containing_a_delimiter() -> None:
    ack = PurchaseOrderAcknowledgement("2JK*3S9VC", date(2024, 1, 15), ACK.items)
    with pytest.raises(ValueError, match=r"^BAK03 '2JK\*3S9VC' contains the delimiter\(s\) '\*'$"):
        write_855(ack, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)


def test_a_received_id_with_a_bad_check_digit_is_echoed_in_the_855() -> None:
    # 8806098286500 is the API sandbox's vendorProductIdentifier; its check digit is wrong (§11).
    po_text = fixture_text("amazon_850_two_pos.edi").replace("EN*4006381333931", "EN*8806098286500")
    po, _ = read_purchase_orders(po_text)
    assert [str(w) for w in po.warnings] == [
        "segment 14 (PO1, PO107): EN '8806098286500' has check digit 0, expected 8"
    ]
    line = po.line("2")
    item = po.order.items[1]
    ack = PurchaseOrderAcknowledgement(
        po.purchase_order_number,
        date(2026, 11, 21),
        (
            AcknowledgementItem(
                item.item_sequence_number,
                item.ordered_quantity.amount,
                line.unit_of_measure_code,
                line.product_ids,
                (ItemStatus("IA", 4),),
                unit_price=item.net_cost.amount,
            ),
        ),
    )
    text = write_855(ack, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)
    assert "PO1*2*4*EA*42*PE*EN*8806098286500*BP*B01LNRIIAB" in segments_of(text)
    assert pyx12_check(text)[0] == []
    # The same id typed in by us (not echoed) is still refused.
    ours = AcknowledgementItem("2", 4, "EA", (ProductId("EN", "8806098286500"),), (ItemStatus("IA", 4),))
    with pytest.raises(
        ValueError, match=r"^855 5QK2W7RT line 2: EN '8806098286500' has check digit 0, expected 8$"
    ):
        write_855(
            PurchaseOrderAcknowledgement("5QK2W7RT", date(2026, 11, 21), (ours,)),
            envelope=TO_AMAZON,
            control_numbers=NUMBERS,
            at=AT,
        )


def test_997_rejects_the_bad_set_of_a_file_and_accepts_the_good_one() -> None:
    text = fixture_text("amazon_850_two_pos.edi").replace("SE*15*0001~", "SE*14*0001~")
    result = read_purchase_orders(text)
    assert [po.purchase_order_number for po in result] == ["8TRD2IAB"]
    assert [str(e) for e in result.errors] == ["segment 17 (SE, SE01): SE01 says 14 segments, counted 15"]
    (interchange,) = parse_interchanges(text)
    ack = acknowledge_group(interchange.groups[0])
    assert (ack.group_status, ack.included, ack.received, ack.accepted) == ("P", 2, 2, 1)
    out = write_997(ack, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)
    assert segments_of(out)[3:10] == [
        "AK1*PO*417",
        "AK2*850*0001",
        "AK5*R*4",
        "AK2*850*0002",
        "AK5*A",
        "AK9*P*2*2*1",
        "SE*8*0007",
    ]
    errors, ids = pyx12_check(out)
    assert errors == []
    assert ids.count("AK5") == 2
    (back,) = read_functional_acknowledgements(out)
    assert back == ack


def test_997_rejects_sets_a_reader_skipped_with_ak5_code_5_and_both_bad_is_ak9_r() -> None:
    text = (
        fixture_text("amazon_850_two_pos.edi")
        .replace("PO1*2*4*EA", "PO1*2**EA")  # content error: found by the reader
        .replace("SE*15*0002~", "SE*15*0009~")  # envelope error: found by the envelope check
    )
    result = read_purchase_orders(text)
    assert len(result) == 0
    assert [r.ak5_codes for r in result.rejected] == [("5",), ("3",)]
    (interchange,) = parse_interchanges(text)
    ack = acknowledge_group(interchange.groups[0], result.rejected)
    out = write_997(ack, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT)
    assert segments_of(out)[4:9] == ["AK2*850*0001", "AK5*R*5", "AK2*850*0002", "AK5*R*3", "AK9*R*2*2*0"]
    assert pyx12_check(out)[0] == []


def test_a_writer_refuses_a_naive_timestamp_and_stamps_utc() -> None:
    with pytest.raises(ValueError, match="timestamp must be timezone-aware"):
        write_855(ACK, envelope=TO_AMAZON, control_numbers=NUMBERS, at=datetime(2026, 11, 21, 14, 5))  # noqa: DTZ001
    # 01:05 on the 22nd in UTC+11 is 14:05 on the 21st in UTC, as AT.
    sydney = datetime(2026, 11, 22, 1, 5, tzinfo=timezone(timedelta(hours=11)))
    assert write_855(ACK, envelope=TO_AMAZON, control_numbers=NUMBERS, at=sydney) == write_855(
        ACK, envelope=TO_AMAZON, control_numbers=NUMBERS, at=AT
    )
    segments = segments_of(write_810(INVOICE, envelope=TO_AMAZON, control_numbers=NUMBERS, at=sydney))
    assert "*261121*1405*" in segments[0]
    assert segments[1].startswith("GS*IN*VSYNCVENDOR*AMAZON*20261121*1405*")
