"""Outbound documents carry only what the target API's model defines, in the model's types.

Money, ItemQuantity, Address and Party share names across the three vendor APIs but not
fields; Amazon validates each body against its own schema and rejects unknown elements. Each
request built here is checked against the definitions in ../shared's model files (skipped
without them); the dict-level assertions below run everywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from vendorsync.amazon import codec
from vendorsync.amazon.values import (
    AllowanceDetail,
    CreditNoteDetails,
    InvoiceItem,
    ItemQuantity,
    Money,
    Party,
    TaxDetail,
    TaxRegistration,
    Weight,
)

from .builders import acknowledgement, invoice, shipment_confirmation
from .schema_check import load_definitions, violations

POUNDS = Weight(Decimal("12.5"), "POUNDS")


def weighty_acknowledgement():
    """An ack whose quantities carry a total weight (the orders model has no totalWeight)."""
    ack = acknowledgement()
    first = ack.items[0]
    heavy = dataclasses.replace(first.ordered_quantity, total_weight=POUNDS)
    first = dataclasses.replace(
        first,
        ordered_quantity=heavy,
        list_price=Money(Decimal("15.00"), "USD", "POUNDS"),
        item_acknowledgements=tuple(
            dataclasses.replace(
                a, acknowledged_quantity=dataclasses.replace(a.acknowledged_quantity, total_weight=POUNDS)
            )
            for a in first.item_acknowledgements
        ),
    )
    return dataclasses.replace(ack, items=(first, *ack.items[1:]))


def weight_priced_shipment():
    """An ASN with a weight-priced maximum retail price (shipments' Money has no unitOfMeasure)."""
    asn = shipment_confirmation()
    item = asn.shipped_items[0]
    assert item.item_details is not None
    details = dataclasses.replace(
        item.item_details, maximum_retail_price=Money(Decimal("29.99"), "USD", "POUNDS")
    )
    item = dataclasses.replace(
        item,
        shipped_quantity=dataclasses.replace(item.shipped_quantity, total_weight=POUNDS),
        item_details=details,
    )
    return dataclasses.replace(
        asn,
        shipped_items=(item, *asn.shipped_items[1:]),
        selling_party=Party("VSYNC", tax_registrations=(TaxRegistration("VAT", "DE123456789"),)),
    )


def weight_priced_invoice():
    """An invoice whose Money values carry a unit of measure, with taxes, allowances, credit details."""
    inv = invoice()
    per_pound = Money(Decimal("3.125"), "USD", "POUNDS")
    line = InvoiceItem(
        3,
        ItemQuantity(20, "Eaches", 1, total_weight=POUNDS),
        per_pound,
        vendor_product_identifier="061414100069",
        net_cost_unit_of_measure="POUNDS",
        purchase_order_number="7QL3M2ZB",
        credit_note_details=CreditNoteDetails(reference_invoice_number="INV-1"),
        tax_details=(TaxDetail("ST", Money(Decimal("0.25"), "USD", "POUNDS"), tax_rate=Decimal("8.0")),),
        allowance_details=(AllowanceDetail("Discount", Money(Decimal("1.00"), "USD", "POUNDS")),),
    )
    return dataclasses.replace(
        inv,
        items=(*inv.items, line),
        remit_to_party=dataclasses.replace(
            inv.remit_to_party, tax_registrations=(TaxRegistration("VAT", "US-EIN-94-1234567"),)
        ),
    )


REQUESTS: list[tuple[str, str, str, Callable[[], dict[str, Any]]]] = [
    (
        "acknowledgement",
        "vendorOrders.json",
        "SubmitAcknowledgementRequest",
        lambda: codec.submit_acknowledgement_body([acknowledgement()]),
    ),
    (
        "weighty acknowledgement",
        "vendorOrders.json",
        "SubmitAcknowledgementRequest",
        lambda: codec.submit_acknowledgement_body([weighty_acknowledgement()]),
    ),
    (
        "shipment confirmation",
        "vendorShipments.json",
        "SubmitShipmentConfirmationsRequest",
        lambda: codec.submit_shipment_confirmations_body([shipment_confirmation()]),
    ),
    (
        "weight-priced shipment confirmation",
        "vendorShipments.json",
        "SubmitShipmentConfirmationsRequest",
        lambda: codec.submit_shipment_confirmations_body([weight_priced_shipment()]),
    ),
    (
        "invoice",
        "vendorInvoices.json",
        "SubmitInvoicesRequest",
        lambda: codec.submit_invoices_body([invoice()]),
    ),
    (
        "weight-priced invoice",
        "vendorInvoices.json",
        "SubmitInvoicesRequest",
        lambda: codec.submit_invoices_body([weight_priced_invoice()]),
    ),
]


@pytest.mark.parametrize(
    ("label", "model_file", "definition", "build"), REQUESTS, ids=[r[0] for r in REQUESTS]
)
def test_every_request_conforms_to_its_amazon_model(
    amazon_models_dir: Path, label: str, model_file: str, definition: str, build: Callable[[], dict[str, Any]]
) -> None:
    assert violations(load_definitions(amazon_models_dir, model_file), definition, build()) == []


def test_the_structural_check_itself_catches_what_it_is_meant_to(amazon_models_dir: Path) -> None:
    definitions = load_definitions(amazon_models_dir, "vendorInvoices.json")
    body = codec.submit_invoices_body([invoice()])
    body["invoices"][0]["invoiceTotal"]["unitOfMeasure"] = "POUNDS"
    body["invoices"][0]["items"][0]["itemSequenceNumber"] = "1"
    del body["invoices"][0]["items"][1]["netCost"]
    assert violations(definitions, "SubmitInvoicesRequest", body) == [
        "SubmitInvoicesRequest.invoices[0].invoiceTotal.unitOfMeasure: not defined by the model "
        "(allowed: ['amount', 'currencyCode'])",
        "SubmitInvoicesRequest.invoices[0].items[0].itemSequenceNumber: expected integer, got str '1'",
        "SubmitInvoicesRequest.invoices[0].items[1].netCost: required by the model but missing",
    ]


def test_acknowledgements_keep_money_units_but_drop_total_weight() -> None:
    body = codec.submit_acknowledgement_body([weighty_acknowledgement()])
    item = body["acknowledgements"][0]["items"][0]
    assert item["orderedQuantity"] == {"amount": 10, "unitOfMeasure": "Cases", "unitSize": 6}
    assert item["itemAcknowledgements"][0]["acknowledgedQuantity"] == {
        "amount": 8,
        "unitOfMeasure": "Cases",
        "unitSize": 6,
    }
    # The orders model's Money does define unitOfMeasure (weight-priced cost).
    assert item["listPrice"] == {"currencyCode": "USD", "amount": "15.00", "unitOfMeasure": "POUNDS"}


def test_shipments_keep_total_weight_but_drop_money_units() -> None:
    body = codec.submit_shipment_confirmations_body([weight_priced_shipment()])
    item = body["shipmentConfirmations"][0]["shippedItems"][0]
    assert item["shippedQuantity"]["totalWeight"] == {"unitOfMeasure": "POUNDS", "amount": "12.5"}
    assert item["itemDetails"]["maximumRetailPrice"] == {"currencyCode": "USD", "amount": "29.99"}


def test_invoices_drop_money_units_everywhere() -> None:
    body = codec.submit_invoices_body([weight_priced_invoice()])
    line = body["invoices"][0]["items"][2]
    assert line["netCost"] == {"currencyCode": "USD", "amount": "3.125"}
    assert line["netCostUnitOfMeasure"] == "POUNDS"  # where the invoices model puts the unit
    assert line["taxDetails"][0]["taxAmount"] == {"currencyCode": "USD", "amount": "0.25"}
    assert line["allowanceDetails"][0]["allowanceAmount"] == {"currencyCode": "USD", "amount": "1.00"}
    assert line["invoicedQuantity"]["totalWeight"] == {"unitOfMeasure": "POUNDS", "amount": "12.5"}


def test_a_shipment_money_without_currency_is_refused_naming_the_field() -> None:
    asn = shipment_confirmation()
    item = asn.shipped_items[0]
    assert item.item_details is not None
    no_currency = dataclasses.replace(item.item_details, maximum_retail_price=Money(Decimal("29.99")))
    asn = dataclasses.replace(
        asn, shipped_items=(dataclasses.replace(item, item_details=no_currency), *asn.shipped_items[1:])
    )
    with pytest.raises(
        ValueError, match=r"maximumRetailPrice\.currencyCode is required by the Vendor Shipments"
    ):
        codec.submit_shipment_confirmations_body([asn])


def test_a_shipment_or_invoice_quantity_without_unit_is_refused_naming_the_field() -> None:
    asn = shipment_confirmation()
    asn = dataclasses.replace(
        asn, shipped_items=(dataclasses.replace(asn.shipped_items[0], shipped_quantity=ItemQuantity(8)),)
    )
    with pytest.raises(ValueError, match=r"shippedItems\[001\]\.shippedQuantity\.unitOfMeasure is required"):
        codec.submit_shipment_confirmations_body([asn])

    inv = invoice()
    inv = dataclasses.replace(
        inv, items=(dataclasses.replace(inv.items[0], invoiced_quantity=ItemQuantity(48)),)
    )
    with pytest.raises(ValueError, match=r"items\[1\]\.invoicedQuantity\.unitOfMeasure is required"):
        codec.submit_invoices_body([inv])

    # The orders model leaves the unit optional (Amazon's own sandbox ack omits it).
    assert codec.quantity_to_json(ItemQuantity(10), "orders") == {"amount": 10}


@pytest.mark.parametrize("sequence", ["1", "001", 1.0, True, None])
def test_an_invoice_line_needs_an_integer_sequence_number(sequence: Any) -> None:
    with pytest.raises(
        ValueError, match=r"item_sequence_number must be an int .*itemSequenceNumber as integer"
    ):
        InvoiceItem(sequence, ItemQuantity(1, "Eaches"), Money(Decimal("1.00"), "USD"))


def test_an_integer_sequence_number_is_written_as_a_json_integer() -> None:
    line = InvoiceItem(7, ItemQuantity(1, "Eaches"), Money(Decimal("1.00"), "USD"))
    document = dataclasses.replace(invoice(), items=(line,), date=datetime(2025, 3, 12, tzinfo=UTC))
    assert codec.submit_invoices_body([document])["invoices"][0]["items"][0]["itemSequenceNumber"] == 7
