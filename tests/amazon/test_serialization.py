"""Outbound documents: typed values become exactly the JSON the models expect, and get posted."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import respx

from vendorsync.amazon import AmazonVendorClient, codec
from vendorsync.amazon.values import ItemQuantity, Money, OrderAcknowledgement, Party

from .builders import acknowledgement, invoice, shipment_confirmation
from .conftest import BASE_URL, load_fixture


def test_an_acknowledgement_serialises_to_the_models_json() -> None:
    body = codec.submit_acknowledgement_body([acknowledgement()])
    assert body == load_fixture("acknowledgement_request.json")
    # amounts travel as strings, timestamps as UTC milliseconds
    item = body["acknowledgements"][0]["items"][0]
    assert item["netCost"]["amount"] == "12.85"
    assert body["acknowledgements"][0]["acknowledgementDate"] == "2025-03-10T11:02:03.456Z"


def test_a_shipment_confirmation_with_sscc_cartons_and_a_pallet_serialises_exactly() -> None:
    body = codec.submit_shipment_confirmations_body([shipment_confirmation()])
    assert body == load_fixture("shipment_confirmation_request.json")
    confirmation = body["shipmentConfirmations"][0]
    assert "marketplaceIds" not in confirmation
    assert [c["cartonIdentifiers"][0]["containerIdentificationNumber"] for c in confirmation["cartons"]] == [
        "00006141410000000012",
        "00006141410000000029",
        "00006141410000000036",
    ]


def test_an_invoice_serialises_with_integer_sequence_numbers_and_string_amounts() -> None:
    body = codec.submit_invoices_body([invoice()])
    assert body == load_fixture("invoice_request.json")
    document = body["invoices"][0]
    assert [i["itemSequenceNumber"] for i in document["items"]] == [1, 2]
    assert document["remitToParty"]["address"]["postalOrZipCode"] == "94607"
    # the fixture's total ties out: Σ qty × cost + freight
    lines = sum(Decimal(i["netCost"]["amount"]) * i["invoicedQuantity"]["amount"] for i in document["items"])
    assert lines + Decimal(document["chargeDetails"][0]["chargeAmount"]["amount"]) == Decimal(
        document["invoiceTotal"]["amount"]
    )


def test_decimals_are_written_without_exponents() -> None:
    assert codec.money_to_json(Money(Decimal("1E+2"), "USD"), "orders") == {
        "currencyCode": "USD",
        "amount": "100",
    }
    assert codec.money_to_json(Money(Decimal("0.10"), "EUR"), "invoices") == {
        "currencyCode": "EUR",
        "amount": "0.10",
    }


def test_money_refuses_floats_and_documents_refuse_naive_datetimes() -> None:
    with pytest.raises(TypeError, match="float"):
        Money(12.85, "USD")  # type: ignore[arg-type]
    assert Money("12.85", "USD").amount == Decimal("12.85")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timezone-aware"):
        OrderAcknowledgement("7QL3M2ZB", Party("VSYNC"), datetime(2025, 3, 10), ())  # noqa: DTZ001


@pytest.mark.parametrize(
    ("method", "path", "build", "fixture"),
    [
        (
            "submit_acknowledgement",
            "/vendor/orders/v1/acknowledgements",
            acknowledgement,
            "acknowledgement_request.json",
        ),
        (
            "submit_shipment_confirmations",
            "/vendor/shipping/v1/shipmentConfirmations",
            shipment_confirmation,
            "shipment_confirmation_request.json",
        ),
        ("submit_invoices", "/vendor/payments/v1/invoices", invoice, "invoice_request.json"),
    ],
)
def test_submissions_post_the_document_and_return_the_transaction_id(
    client: AmazonVendorClient, amazon: respx.MockRouter, method: str, path: str, build, fixture: str
) -> None:
    route = amazon.post(f"{BASE_URL}{path}").respond(
        202,
        json={"payload": {"transactionId": "20250312174501-5c1e7f52"}},
        headers={"x-amzn-RequestId": "req-202"},
    )

    reference = getattr(client, method)(build())

    assert reference.transaction_id == "20250312174501-5c1e7f52"
    assert reference.request_id == "req-202"
    request = route.calls.last.request
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == load_fixture(fixture)


def test_a_submission_needs_at_least_one_document(client: AmazonVendorClient) -> None:
    with pytest.raises(ValueError, match="at least one"):
        client.submit_invoices([])


def test_transaction_status_failure_carries_amazons_errors(
    client: AmazonVendorClient, amazon: respx.MockRouter
) -> None:
    tx = "20250312174501-5c1e7f52-93a1-4d6b-b2f0-8e6a1d3c9b10"
    amazon.get(f"{BASE_URL}/vendor/transactions/v1/transactions/{tx}").respond(
        200, json=load_fixture("transaction_failure.json")
    )

    status = client.get_transaction(tx)

    assert status.transaction_id == tx
    assert status.status == "Failure"
    assert [(e.code, e.message) for e in status.errors] == [
        ("INVALID_ORDER_ID", "Invalid order ID.: 6XK2P9QX"),
        ("InvalidInput", "Quantity exceeds ordered quantity."),
    ]


def test_quantities_in_cases_know_their_eaches() -> None:
    assert ItemQuantity(4, "Cases", 6).eaches == 24
    assert ItemQuantity(30, "Eaches", 1).eaches == 30
    assert (
        codec.parse_quantity({"amount": 5, "unitOfMeasure": "CASES", "unitSize": 10}).unit_of_measure
        == "Cases"
    )


def test_dates_without_zone_or_with_short_fractions_parse_as_utc() -> None:
    assert codec.parse_datetime("2019-08-07T19:56:45.632") == datetime(
        2019, 8, 7, 19, 56, 45, 632000, tzinfo=UTC
    )
    assert codec.parse_datetime("2020-08-17T20:35:00.00Z") == datetime(2020, 8, 17, 20, 35, tzinfo=UTC)
