"""The Amazon simulator checks a shipment confirmation against the model, nested fields included,
and accepts the PO number on a carton's items (as the model allows) instead of on the item."""

from __future__ import annotations

from tests.sandbox.test_amazon_api import a_po, ack_body, app, asn_body, authed, clock, sscc, transaction  # noqa: F401

ASN_PATH = "/vendor/shipping/v1/shipmentConfirmations"


def test_an_unknown_field_inside_a_carton_is_refused(app, clock):  # noqa: F811
    client = authed(app)
    order = a_po(client, clock)
    body = asn_body(order, sscc_value=sscc(11))
    body["shipmentConfirmations"][0]["cartons"][0]["palletReference"] = "X"
    response = client.post(ASN_PATH, json=body)
    assert response.status_code == 400
    assert "shipmentConfirmations[0].cartons[0].palletReference" in response.json()["errors"][0]["message"]


def test_wrong_types_deep_in_the_tree_are_refused(app, clock):  # noqa: F811
    client = authed(app)
    body = asn_body(a_po(client, clock), sscc_value=sscc(12))
    body["shipmentConfirmations"][0]["cartons"][0]["items"][0]["shippedQuantity"]["amount"] = "ten"
    response = client.post(ASN_PATH, json=body)
    assert response.status_code == 400
    assert "cartons[0].items[0].shippedQuantity.amount' must be of type integer" in response.text


def test_the_po_may_be_given_on_the_carton_items(app, clock):  # noqa: F811
    client = authed(app)
    order = a_po(client, clock)
    assert (
        transaction(client, client.post("/vendor/orders/v1/acknowledgements", json=ack_body(order)))["status"]
        == "Success"
    )
    body = asn_body(order, sscc_value=sscc(13))
    confirmation = body["shipmentConfirmations"][0]
    del confirmation["shippedItems"][0]["itemDetails"]
    confirmation["cartons"][0]["items"][0]["itemDetails"] = {
        "purchaseOrderNumber": order["purchaseOrderNumber"]
    }
    assert transaction(client, client.post(ASN_PATH, json=body))["status"] == "Success"
    # Without a PO anywhere the item belongs to no order.
    other = asn_body(order, sscc_value=sscc(14))
    del other["shipmentConfirmations"][0]["shippedItems"][0]["itemDetails"]
    other["shipmentConfirmations"][0]["shipmentIdentifier"] += "B"
    failed = transaction(client, client.post(ASN_PATH, json=other))
    assert failed["status"] == "Failure" and failed["errors"][0]["code"] == "INVALID_ORDER_ID"
