"""The one outbound model: every validation rule, both encoders from one shipment (a pallet with
cartons plus a loose carton), 856/810 checked by pyx12 and read back equal to what they came from,
a partially shipped PO and the PO window close."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from stdnum import ean

from orders.models import PurchaseOrder
from orders.outbound import encoders, services, validation
from orders.outbound.flows import po_window_flow
from orders.outbound.services import Fulfilment, Package
from orders.outbound_models import Container, InvoiceStatus, Shipment, ShipmentStatus
from tests.edi.support import pyx12_check
from tests.orders.factories import import_po, line, make_item, po_payload
from vendorsync.amazon import codec
from vendorsync.edi import read_invoices, read_ship_notices
from vendorsync.models import ExceptionCase, OutboxMessage

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def sscc(serial: int) -> str:
    body = f"0061414{serial:010d}"
    return body + ean.calc_check_digit(body)


@pytest.fixture
def po() -> PurchaseOrder:
    make_item("SKU-A", upc="4006381333931", asin="B000000001", cost="5.00")
    make_item("SKU-B", upc="028877454078", asin="B000000002", cost="2.50")
    result = import_po(
        po_payload(
            "PO1OUT",
            [
                line("1", "B000000001", "4006381333931", 10, "5.00"),
                line("2", "B000000002", "028877454078", 6, "2.50"),
            ],
        )
    )
    po = result.purchase_order
    for po_line in po.lines.all():
        from orders.models import Item

        po_line.item = Item.objects.get(asin=po_line.asin)
        po_line.accepted_quantity = po_line.ordered_quantity
        po_line.save()
    po.netsuite_sales_order_id = "501"
    po.save()
    return po


def fulfilment(**overrides) -> Fulfilment:
    """Pallet 1 carries cartons 2 and 3 (SKU-A × 5 each); carton 4 (SKU-B × 6) travels loose."""
    packages = (
        Package(1, sscc(1), Decimal("120.0"), "pallet", kind="pallet"),
        Package(
            2,
            sscc(2),
            Decimal("26.0"),
            "SKU-A x 5",
            parent_sscc=sscc(1),
            contents=(("SKU-A", 5, "L1", date(2027, 5, 1)),),
        ),
        Package(
            3,
            sscc(3),
            Decimal("26.0"),
            "SKU-A x 5",
            parent_sscc=sscc(1),
            contents=(("SKU-A", 5, "L1", date(2027, 5, 1)),),
        ),
        Package(4, sscc(4), Decimal("9.5"), "SKU-B x 6", contents=(("SKU-B", 6, "", None),)),
    )
    base = Fulfilment(
        netsuite_id="9001",
        number="IF9001",
        status="Shipped",
        sales_order_id="501",
        shipped_date=NOW.date(),
        lines=((1, item_id("SKU-A"), "1", 10), (2, item_id("SKU-B"), "2", 6)),
        packages=packages,
    )
    return replace(base, **overrides)


def item_id(sku: str) -> str:
    from orders.models import Item

    return Item.objects.get(sku=sku).netsuite_id


def build(po: PurchaseOrder, f: Fulfilment | None = None, now: datetime = NOW) -> tuple[Shipment, list]:
    built = services.shipment_build(
        po=po, fulfilment=f or fulfilment(), channel="api", ship_from="WH01", ship_from_name="Main Warehouse"
    )
    problems = services.shipment_validate(shipment=built.shipment, fulfilled=built.fulfilled, now=now)
    built.shipment.refresh_from_db()
    return built.shipment, problems


def rules(problems) -> set[str]:
    return {p.rule for p in problems}


def test_a_clean_shipment_is_ready(po):
    shipment, problems = build(po)
    assert problems == [] and shipment.status == ShipmentStatus.READY
    pallet = shipment.containers.get(kind="pallet")
    assert sorted(c.sequence for c in pallet.children.all()) == [2, 3]


@pytest.mark.parametrize(
    ("change", "rule", "names_carton"),
    [
        (
            lambda pk: [
                replace(pk[0]),
                replace(pk[1], sscc=pk[1].sscc[:-1] + str((int(pk[1].sscc[-1]) + 1) % 10)),
                *pk[2:],
            ],
            "sscc_check_digit",
            True,
        ),
        (lambda pk: [pk[0], replace(pk[1], sscc=""), *pk[2:]], "sscc_missing", True),
        (lambda pk: [pk[0], pk[1], replace(pk[2], sscc=pk[1].sscc), pk[3]], "sscc_duplicate", True),
        (lambda pk: [pk[0], replace(pk[1], weight=None), *pk[2:]], "weight_missing", True),
        (lambda pk: [pk[0], pk[1], pk[2], replace(pk[3], kind="bag")], "container_type_missing", True),
        (
            lambda pk: [pk[0], pk[1], pk[2], replace(pk[3], contents=(("SKU-B", 5, "", None),))],
            "contents_mismatch",
            False,
        ),
    ],
)
def test_each_package_rule_blocks_the_asn_and_names_the_carton(po, change, rule, names_carton):
    shipment, problems = build(po, fulfilment(packages=tuple(change(list(fulfilment().packages)))))
    assert rule in rules(problems)
    assert shipment.status == ShipmentStatus.BLOCKED
    found = next(p for p in problems if p.rule == rule)
    assert (
        found.container.startswith(("Carton", "Pallet", "Container")) and "SSCC" in found.container
    ) == names_carton


def test_blocked_asn_raises_the_case_with_rerun_and_clears_when_fixed(po):
    from orders.outbound import cases

    packages = list(fulfilment().packages)
    packages[3] = replace(packages[3], weight=None)
    shipment, problems = build(po, fulfilment(packages=tuple(packages)))
    cases.sync_validation_cases(shipment, problems)
    case = ExceptionCase.objects.open().get(kind="asn_blocked")
    assert "Carton 4 SSCC" in case.message and "weight_missing" in case.message
    assert case.details["rerun_flow"] == "shipments" and case.subject_id == str(shipment.public_id)
    shipment, problems = build(po)
    cases.sync_validation_cases(shipment, problems)
    case.refresh_from_db()
    assert case.status != "open" and case.auto_resolved


def test_divergence_raises_asn_manifest_divergence(po):
    from orders.outbound import cases

    packages = list(fulfilment().packages)
    packages[3] = replace(packages[3], contents=(("SKU-B", 4, "", None),))
    shipment, problems = build(po, fulfilment(packages=tuple(packages)))
    cases.sync_validation_cases(shipment, problems)
    assert ExceptionCase.objects.open().filter(kind="asn_manifest_divergence").count() == 1
    assert not ExceptionCase.objects.open().filter(kind="asn_blocked").exists()


def test_sscc_used_by_an_earlier_shipment_is_refused(po):
    first, _ = build(
        po,
        fulfilment(
            lines=((1, item_id("SKU-A"), "1", 5),),
            packages=(Package(2, sscc(2), Decimal(26), "", contents=(("SKU-A", 5, "", None),)),),
        ),
    )
    Shipment.objects.filter(pk=first.pk).update(status=ShipmentStatus.ACCEPTED)
    again = fulfilment(
        netsuite_id="9002",
        lines=((1, item_id("SKU-A"), "1", 5),),
        packages=(Package(1, sscc(2), Decimal(26), "", contents=(("SKU-A", 5, "", None),)),),
    )
    shipment, problems = build(po, again)
    assert "sscc_duplicate" in rules(problems)
    assert first.shipment_identifier in next(p.message for p in problems if p.rule == "sscc_duplicate")


def test_quantities_never_exceed_accepted(po):
    po.lines.filter(sequence="2").update(accepted_quantity=4)
    _, problems = build(po)
    assert "quantity_exceeds_accepted" in rules(problems)


@pytest.mark.parametrize("days", [-8, 3])
def test_ship_date_must_be_plausible(po, days):
    _, problems = build(po, fulfilment(shipped_date=(NOW + timedelta(days=days)).date()))
    assert rules(problems) == {"ship_date"}


def test_picked_fulfilments_are_checked_early_but_not_sent(po):
    packages = list(fulfilment().packages)
    packages[1] = replace(packages[1], weight=None)
    shipment, problems = build(po, fulfilment(status="Packed", shipped_date=None, packages=tuple(packages)))
    assert "weight_missing" in rules(problems) and "ship_date" not in rules(problems)
    assert shipment.status == ShipmentStatus.PICKED


def test_field_lengths_are_checked_for_x12_and_amazon(po):
    shipment, _ = build(po)
    # A long ship-from *name* is not sent (parties go by id), so it blocks nothing; a long BOL does.
    Shipment.objects.filter(pk=shipment.pk).update(bill_of_lading="B" * 31, ship_from_name="N" * 80)
    shipment.refresh_from_db()
    problems = validation.validate_shipment(shipment, fulfilled={}, now=None)
    messages = [p.message for p in problems if p.rule == "field_length"]
    assert any("REF02 (BM) allows 30" in m for m in messages)
    assert not any("N102" in m or "NNNN" in m for m in messages)
    invoice = validation.invoice_problems("I" * 44)
    assert [p.message.split(" is ")[0] for p in invoice] == ["Invoice number '" + "I" * 44 + "'"]
    assert validation.invoice_problems("I" * 22) == []


def test_both_encoders_from_one_shipment_agree(po):
    shipment, problems = build(po)
    assert not problems
    confirmation = codec.shipment_confirmation_to_json(encoders.to_shipment_confirmation(shipment, at=NOW))
    assert confirmation["shipmentStructure"] == "PalletizedAssortmentCase"
    assert [c["cartonIdentifiers"][0]["containerIdentificationNumber"] for c in confirmation["cartons"]] == [
        "00" + sscc(n) for n in (2, 3, 4)
    ]
    assert confirmation["pallets"][0]["cartonReferenceDetails"]["cartonReferenceNumbers"] == ["001", "002"]
    assert {
        i["vendorProductIdentifier"]: i["shippedQuantity"]["amount"] for i in confirmation["shippedItems"]
    } == {
        "4006381333931": 10,
        "028877454078": 6,
    }
    assert confirmation["cartons"][0]["items"][0]["itemDetails"]["lotNumber"] == "L1"

    text, _ = encoders.render_856(shipment, at=NOW)
    errors, ids = pyx12_check(text)
    assert errors == [] and ids.count("HL") == 1 + 1 + 1 + 3 + 3
    [notice] = read_ship_notices(text)
    # The 856 is the same value read back: every container, SSCC, content, lot and quantity.
    sent = encoders.to_shipment_confirmation(shipment, at=NOW)
    assert manifest(notice.confirmation) == manifest(sent)
    assert [p.pallet_identifiers[0].container_identification_number for p in notice.confirmation.pallets] == [
        "00" + sscc(1)
    ]
    assert notice.confirmation.pallets[0].carton_reference_numbers == ("001", "002")
    assert manifest(sent)["units"] == {"001": 10, "002": 6}
    assert notice.confirmation.shipment_measurements.gross_shipment_weight.value == Decimal("129.5")
    assert notice.confirmation.shipment_identifier == shipment.shipment_identifier
    assert {ids[0].qualifier for ids in notice.product_ids.values()} == {"EN", "UP"}


def manifest(sc) -> dict:
    """What both channels must agree on (the 856 has no segment for weights per container,
    dimensions, tracking numbers, the selling party or import details)."""

    def contents(items):
        return [
            (
                i.item_reference,
                i.shipped_quantity.amount,
                i.item_details.lot_number if i.item_details else None,
                i.item_details.expiry if i.item_details else None,
            )
            for i in items
        ]

    return {
        "id": sc.shipment_identifier,
        "items": [
            (
                i.item_sequence_number,
                i.shipped_quantity.unit_of_measure,
                i.shipped_quantity.eaches,  # the 856 has no pack size: eaches must agree
                i.amazon_product_identifier,
                i.vendor_product_identifier,
                i.item_details.purchase_order_number,
            )
            for i in sc.shipped_items
        ],
        "units": {i.item_sequence_number: i.shipped_quantity.amount for i in sc.shipped_items},
        "cartons": [(c.carton_sequence_number, c.carton_identifiers, contents(c.items)) for c in sc.cartons],
        "pallets": [
            (p.pallet_identifiers, p.carton_reference_numbers, contents(p.items)) for p in sc.pallets
        ],
        "ship_to": sc.ship_to_party,
        "ship_from": sc.ship_from_party.party_id,
        "shipped": sc.shipped_date,
        "transport": sc.transportation_details,
        "gross": sc.shipment_measurements.gross_shipment_weight,
    }


def test_invoice_for_what_shipped_encodes_to_api_and_810(po):
    shipment, _ = build(po)
    Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.ACCEPTED)
    invoice = services.invoice_create(shipment=shipment, invoice_date=NOW.date(), source="transform")
    assert (
        OutboxMessage.objects.filter(external_key=invoice.external_id, operation="invoice.create").count()
        == 1
    )
    assert services.invoice_create(shipment=shipment, invoice_date=NOW.date(), source="transform") is None
    assert invoice.total == Decimal("65.00")  # 10 × 5.00 + 6 × 2.50
    invoice = services.invoice_netsuite_created(invoice=invoice, netsuite_id="77", number="INV77")
    services.invoice_netsuite_created(invoice=invoice, netsuite_id="77", number="INV77")
    assert invoice.status == InvoiceStatus.QUEUED
    assert OutboxMessage.objects.filter(operation="invoice.submit").count() == 1
    body = codec.invoice_to_json(encoders.to_api_invoice(invoice))
    assert body["id"] == "INV77" and body["invoiceTotal"]["amount"] == "65.00"
    assert [i["itemSequenceNumber"] for i in body["items"]] == [1, 2]
    text, _ = encoders.render_810(invoice, at=NOW)
    errors, _ = pyx12_check(text)
    assert errors == []
    [read] = read_invoices(text)
    # The 810 is the API's invoice read back; only the pack size has no place in IT1.
    sent = encoders.to_api_invoice(invoice)
    assert read.invoice == replace(
        sent,
        items=tuple(
            replace(i, invoiced_quantity=replace(i.invoiced_quantity, unit_size=None)) for i in sent.items
        ),
    )
    assert read.invoice.id == "INV77" and read.purchase_order_number == po.number
    assert read.invoice.invoice_total.amount == invoice.total
    assert [
        (i.item_sequence_number, i.invoiced_quantity.amount, i.net_cost.amount) for i in read.invoice.items
    ] == [
        (1, 10, Decimal("5")),
        (2, 6, Decimal("2.5")),
    ]


def test_partially_shipped_po_and_window_close(po, settings):
    settings.SANDBOX = False
    half = fulfilment(
        lines=((1, item_id("SKU-A"), "1", 5),),
        packages=(Package(1, sscc(7), Decimal(26), "SKU-A x 5", contents=(("SKU-A", 5, "", None),)),),
    )
    shipment, problems = build(po, half, now=datetime.now(UTC) - timedelta(days=0))
    shipment.shipped_at = datetime.now(UTC)
    shipment.save()
    services.shipment_submitted(shipment=shipment, transaction_id="T1")
    services.shipment_record_outcome(shipment=shipment, status="Success")
    po.refresh_from_db()
    assert {ln.sequence: ln.shipped_quantity for ln in po.lines.all()} == {"1": 5, "2": 0}

    # The window ends within the warning period: po_expiring.
    PurchaseOrder.objects.filter(pk=po.pk).update(ship_window_end=datetime.now(UTC) + timedelta(hours=5))
    po_window_flow(None)
    assert ExceptionCase.objects.open().filter(kind="po_expiring", subject_id=str(po.public_id)).exists()
    # The window has ended: unshipped units are closed in NetSuite through the outbox, once.
    PurchaseOrder.objects.filter(pk=po.pk).update(ship_window_end=datetime.now(UTC) - timedelta(hours=1))
    po_window_flow(None)
    po_window_flow(None)
    [message] = OutboxMessage.objects.filter(operation="salesorder.close_lines")
    assert message.payload["lines"] == ["1", "2"] and message.payload["sales_order_id"] == "501"
    assert {ln.sequence: ln.closed_quantity for ln in po.lines.all()} == {"1": 5, "2": 6}
    assert not ExceptionCase.objects.open().filter(kind="po_expiring", subject_id=str(po.public_id)).exists()


def test_window_end_with_an_unsent_asn_needs_a_decision(po, settings):
    settings.SANDBOX = False
    packages = list(fulfilment().packages)
    packages[1] = replace(packages[1], weight=None)
    build(po, fulfilment(packages=tuple(packages)))
    PurchaseOrder.objects.filter(pk=po.pk).update(ship_window_end=datetime.now(UTC) - timedelta(hours=1))
    po_window_flow(None)
    case = ExceptionCase.objects.open().get(kind="po_expired_open_lines")
    assert "not yet confirmed" in case.message
    assert not OutboxMessage.objects.filter(operation="salesorder.close_lines").exists()
    assert Container.objects.filter(shipment__purchase_order=po).count() == 4


def test_asn_acceptance_rate_and_the_window_audit_check(po):
    from orders.health import pos_closing_with_open_lines
    from orders.outbound.health import asn_acceptance_rate
    from vendorsync.health import dashboard_metrics

    assert asn_acceptance_rate().value == "—"
    shipment, _ = build(po)
    services.shipment_submitted(shipment=shipment, transaction_id="T1")
    services.shipment_record_outcome(
        shipment=shipment, status="Failure", errors=[{"code": "X", "message": "no"}]
    )
    assert asn_acceptance_rate().value == "0.0 %"
    assert next(m for m in dashboard_metrics() if m["key"] == "asn_acceptance_rate")["available"]
    PurchaseOrder.objects.filter(pk=po.pk).update(ship_window_end=datetime.now(UTC) + timedelta(hours=1))
    assert list(pos_closing_with_open_lines().values_list("number", flat=True)) == [po.number]


def test_import_details_and_regulation_references_are_encoded_and_valid_for_the_model(po):
    from vendorsync.sandbox.amazon import shipment_model

    PurchaseOrder.objects.filter(pk=po.pk).update(
        import_details={"method_of_payment": "PrepaidBySeller", "import_containers": "1-40'HC"}
    )
    po.refresh_from_db()
    packages = list(fulfilment().packages)
    packages[3] = replace(packages[3], due_diligence={"SKU-B": "25FRXYZ123"})
    shipment, problems = build(po, fulfilment(packages=tuple(packages)))
    assert not problems
    document = codec.shipment_confirmation_to_json(encoders.to_shipment_confirmation(shipment, at=NOW))
    assert document["importDetails"] == {"methodOfPayment": "PrepaidBySeller", "importContainers": "1-40'HC"}
    loose = document["cartons"][2]["items"][0]["itemDetails"]
    assert loose["regulationReferences"] == {"dueDiligenceReference": "25FRXYZ123"}
    assert shipment_model.check(document, "ShipmentConfirmation", "shipmentConfirmations[0]") == []
    document["cartons"][2]["items"][0]["itemDetails"]["regulationReferences"]["ddsNumber"] = "x"
    [problem] = shipment_model.check(document, "ShipmentConfirmation", "s")
    assert "s.cartons[2].items[0].itemDetails.regulationReferences.ddsNumber" in problem["message"]
