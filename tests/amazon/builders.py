"""Typed outbound documents matching the JSON fixtures ``*_request.json`` field for field."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from vendorsync.amazon.values import (
    AcknowledgementItem,
    Address,
    Carton,
    ChargeDetail,
    ContainerIdentification,
    ContainerItem,
    Dimensions,
    Expiry,
    Invoice,
    InvoiceItem,
    ItemAcknowledgement,
    ItemDetails,
    ItemQuantity,
    Money,
    OrderAcknowledgement,
    Pallet,
    Party,
    PaymentTerms,
    ShipmentConfirmation,
    ShipmentMeasurements,
    ShippedItem,
    TaxRegistration,
    TransportationDetails,
    Volume,
    Weight,
)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def cases(amount: int, size: int) -> ItemQuantity:
    return ItemQuantity(amount, "Cases", size)


def eaches(amount: int) -> ItemQuantity:
    return ItemQuantity(amount, "Eaches", 1)


def sscc(number: str) -> ContainerIdentification:
    return ContainerIdentification("SSCC", number)


def acknowledgement() -> OrderAcknowledgement:
    return OrderAcknowledgement(
        purchase_order_number="7QL3M2ZB",
        selling_party=Party("VSYNC", tax_registrations=(TaxRegistration("VAT", "US-EIN-94-1234567"),)),
        acknowledgement_date=datetime(2025, 3, 10, 11, 2, 3, 456789, tzinfo=UTC),
        items=(
            AcknowledgementItem(
                item_sequence_number="1",
                amazon_product_identifier="B0C7KQ2M4T",
                vendor_product_identifier="061414100014",
                ordered_quantity=cases(10, 6),
                net_cost=usd("12.85"),
                item_acknowledgements=(
                    ItemAcknowledgement(
                        "Accepted",
                        cases(8, 6),
                        scheduled_ship_date=datetime(2025, 3, 12, 15, tzinfo=UTC),
                        scheduled_delivery_date=datetime(2025, 3, 14, 15, tzinfo=UTC),
                    ),
                    ItemAcknowledgement(
                        "Backordered", cases(2, 6), scheduled_ship_date=datetime(2025, 3, 21, 15, tzinfo=UTC)
                    ),
                ),
            ),
            AcknowledgementItem(
                item_sequence_number="2",
                amazon_product_identifier="B0C7KQ8ZR2",
                vendor_product_identifier="061414100021",
                ordered_quantity=eaches(48),
                net_cost=usd("7.40"),
                item_acknowledgements=(ItemAcknowledgement("Accepted", eaches(48)),),
            ),
            AcknowledgementItem(
                item_sequence_number="3",
                amazon_product_identifier="B0C7KX9P3D",
                vendor_product_identifier="061414100069",
                ordered_quantity=cases(5, 4),
                net_cost=Money(Decimal("3.125"), "USD", "POUNDS"),
                item_acknowledgements=(
                    ItemAcknowledgement("Rejected", cases(5, 4), rejection_reason="TemporarilyUnavailable"),
                ),
            ),
        ),
    )


def shipment_confirmation() -> ShipmentConfirmation:
    return ShipmentConfirmation(
        shipment_identifier="VSYNC-ASN-000184",
        shipment_confirmation_type="Original",
        shipment_confirmation_date=datetime(2025, 3, 12, 16, 30, tzinfo=UTC),
        shipment_type="LessThanTruckLoad",
        shipment_structure="PalletizedAssortmentCase",
        transportation_details=TransportationDetails(
            carrier_scac="ODFL",
            carrier_shipment_reference_number="PRO7788123",
            transportation_mode="Road",
            bill_of_lading_number="VSYNC20250312001",
        ),
        shipped_date=datetime(2025, 3, 12, 16, 0, tzinfo=UTC),
        estimated_delivery_date=datetime(2025, 3, 14, 15, 0, tzinfo=UTC),
        selling_party=Party("VSYNC"),
        ship_from_party=Party(
            "VSYNC-OAK",
            address=Address(
                name="Northwind Home Goods DC",
                address_line1="1200 Harbor Way",
                city="Oakland",
                state_or_region="CA",
                postal_code="94607",
                country_code="US",
            ),
        ),
        ship_to_party=Party("BFI4"),
        shipment_measurements=ShipmentMeasurements(
            gross_shipment_weight=Weight(Decimal("412.50"), "Lb"),
            shipment_volume=Volume(Decimal("64"), "CuFt"),
            carton_count=3,
            pallet_count=1,
        ),
        shipped_items=(
            ShippedItem(
                "001",
                cases(8, 6),
                amazon_product_identifier="B0C7KQ2M4T",
                vendor_product_identifier="061414100014",
                item_details=ItemDetails(
                    purchase_order_number="7QL3M2ZB",
                    lot_number="L2503A",
                    country_of_origin="US",
                    expiry=Expiry(expiry_date=datetime(2027, 3, 1, tzinfo=UTC)),
                ),
            ),
            ShippedItem(
                "002",
                eaches(48),
                amazon_product_identifier="B0C7KQ8ZR2",
                vendor_product_identifier="061414100021",
                item_details=ItemDetails(purchase_order_number="7QL3M2ZB"),
            ),
        ),
        cartons=(
            Carton(
                "001",
                (ContainerItem("001", cases(8, 6)),),
                carton_identifiers=(sscc("00006141410000000012"),),
                dimensions=Dimensions(Decimal("24"), Decimal("16"), Decimal("12.5"), "In"),
                weight=Weight(Decimal("138.20"), "Lb"),
            ),
            Carton(
                "002",
                (ContainerItem("002", eaches(24)),),
                carton_identifiers=(sscc("00006141410000000029"),),
                weight=Weight(Decimal("131.10"), "Lb"),
            ),
            Carton(
                "003",
                (ContainerItem("002", eaches(24)),),
                carton_identifiers=(sscc("00006141410000000036"),),
                weight=Weight(Decimal("131.10"), "Lb"),
            ),
        ),
        pallets=(
            Pallet(
                pallet_identifiers=(sscc("00006141410000000043"),),
                tier=1,
                block=3,
                dimensions=Dimensions(Decimal("48"), Decimal("40"), Decimal("36"), "In"),
                weight=Weight(Decimal("412.50"), "Lb"),
                carton_count=3,
                carton_reference_numbers=("001", "002", "003"),
            ),
        ),
    )


def invoice() -> Invoice:
    return Invoice(
        invoice_type="Invoice",
        id="INV-2025-000184",
        date=datetime(2025, 3, 12, 18, tzinfo=UTC),
        remit_to_party=Party(
            "VSYNC",
            address=Address(
                name="Northwind Home Goods",
                address_line1="PO Box 4410",
                city="Oakland",
                state_or_region="CA",
                postal_code="94607",
                country_code="US",
            ),
        ),
        ship_to_party=Party("BFI4"),
        bill_to_party=Party(
            "AMAZON",
            address=Address(
                name="Amazon.com Services LLC",
                address_line1="PO Box 80463",
                city="Seattle",
                state_or_region="WA",
                postal_code="98108",
                country_code="US",
            ),
        ),
        payment_terms=PaymentTerms("Basic", Decimal("2.00"), 30, 60),
        invoice_total=usd("1002.00"),
        charge_details=(ChargeDetail("Freight", usd("30.00"), description="LTL freight BFI4"),),
        items=(
            InvoiceItem(
                1,
                eaches(48),
                usd("12.85"),
                amazon_product_identifier="B0C7KQ2M4T",
                vendor_product_identifier="061414100014",
                purchase_order_number="7QL3M2ZB",
            ),
            InvoiceItem(
                2,
                eaches(48),
                usd("7.40"),
                amazon_product_identifier="B0C7KQ8ZR2",
                vendor_product_identifier="061414100021",
                purchase_order_number="7QL3M2ZB",
            ),
        ),
    )
