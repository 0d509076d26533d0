"""The ShipmentConfirmation model of the Vendor Shipments API, as the simulator checks it.

Generated from Amazon's ``vendorShipments.json`` (selling-partner-api-models, the revision the
reference cites): for each object, its properties (a type name, another object, or a one-element
list for arrays) and its required properties. ``check`` walks a document against it the way
Amazon's validator does: unknown fields, missing required fields and wrong JSON types anywhere
in the tree are refused with the path of the offending element.
"""

from __future__ import annotations

from typing import Any

from .core import err

MODEL: dict[str, tuple[dict[str, Any], tuple[str, ...]]] = {
    "ShipmentConfirmation": (
        {
            "shipmentIdentifier": "string",
            "shipmentConfirmationType": "string",
            "shipmentType": "string",
            "shipmentStructure": "string",
            "transportationDetails": "TransportationDetailsForShipmentConfirmation",
            "amazonReferenceNumber": "string",
            "shipmentConfirmationDate": "string",
            "shippedDate": "string",
            "estimatedDeliveryDate": "string",
            "sellingParty": "PartyIdentification",
            "shipFromParty": "PartyIdentification",
            "shipToParty": "PartyIdentification",
            "shipmentMeasurements": "ShipmentMeasurements",
            "importDetails": "ImportDetails",
            "shippedItems": ["Item"],
            "cartons": ["Carton"],
            "pallets": ["Pallet"],
        },
        (
            "sellingParty",
            "shipFromParty",
            "shipToParty",
            "shipmentConfirmationDate",
            "shipmentConfirmationType",
            "shipmentIdentifier",
            "shippedItems",
        ),
    ),
    "Pallet": (
        {
            "palletIdentifiers": ["ContainerIdentification"],
            "tier": "integer",
            "block": "integer",
            "dimensions": "Dimensions",
            "weight": "Weight",
            "cartonReferenceDetails": "CartonReferenceDetails",
            "items": ["ContainerItem"],
        },
        ("palletIdentifiers",),
    ),
    "ContainerItem": (
        {"itemReference": "string", "shippedQuantity": "ItemQuantity", "itemDetails": "ItemDetails"},
        ("itemReference", "shippedQuantity"),
    ),
    "ItemDetails": (
        {
            "purchaseOrderNumber": "string",
            "lotNumber": "string",
            "lotNumberSourceReference": "string",
            "lotNumberSourceType": "string",
            "countryOfOrigin": "string",
            "regulationReferences": "RegulationReferences",
            "expiry": "Expiry",
            "maximumRetailPrice": "Money",
            "handlingCode": "string",
        },
        (),
    ),
    "Money": (
        {"currencyCode": "string", "amount": "string"},
        ("amount", "currencyCode"),
    ),
    "Expiry": (
        {"manufacturerDate": "string", "expiryDate": "string", "expiryAfterDuration": "Duration"},
        (),
    ),
    "Duration": (
        {"durationUnit": "string", "durationValue": "integer"},
        ("durationUnit", "durationValue"),
    ),
    "RegulationReferences": (
        {
            "dueDiligenceReference": "string",
            "dueDiligenceVerification": "string",
            "dueDiligenceInformation": "string",
            "dueDiligenceExemptionCode": "string",
        },
        (),
    ),
    "ItemQuantity": (
        {"amount": "integer", "unitOfMeasure": "string", "unitSize": "integer", "totalWeight": "TotalWeight"},
        ("amount", "unitOfMeasure"),
    ),
    "TotalWeight": (
        {"unitOfMeasure": "string", "amount": "string"},
        ("amount", "unitOfMeasure"),
    ),
    "CartonReferenceDetails": (
        {"cartonCount": "integer", "cartonReferenceNumbers": ["string"]},
        ("cartonReferenceNumbers",),
    ),
    "Weight": (
        {"unitOfMeasure": "string", "value": "string"},
        ("unitOfMeasure", "value"),
    ),
    "Dimensions": (
        {"length": "string", "width": "string", "height": "string", "unitOfMeasure": "string"},
        ("height", "length", "unitOfMeasure", "width"),
    ),
    "ContainerIdentification": (
        {"containerIdentificationType": "string", "containerIdentificationNumber": "string"},
        ("containerIdentificationNumber", "containerIdentificationType"),
    ),
    "Carton": (
        {
            "cartonIdentifiers": ["ContainerIdentification"],
            "cartonSequenceNumber": "string",
            "dimensions": "Dimensions",
            "weight": "Weight",
            "trackingNumber": "string",
            "items": ["ContainerItem"],
        },
        ("cartonSequenceNumber", "items"),
    ),
    "Item": (
        {
            "itemSequenceNumber": "string",
            "amazonProductIdentifier": "string",
            "vendorProductIdentifier": "string",
            "shippedQuantity": "ItemQuantity",
            "itemDetails": "ItemDetails",
        },
        ("itemSequenceNumber", "shippedQuantity"),
    ),
    "ImportDetails": (
        {
            "methodOfPayment": "string",
            "sealNumber": "string",
            "route": "Route",
            "importContainers": "string",
            "billableWeight": "Weight",
            "estimatedShipByDate": "string",
            "handlingInstructions": "string",
        },
        (),
    ),
    "Route": (
        {"stops": ["Stop"]},
        ("stops",),
    ),
    "Stop": (
        {
            "functionCode": "string",
            "locationIdentification": "Location",
            "arrivalTime": "string",
            "departureTime": "string",
        },
        ("functionCode",),
    ),
    "Location": (
        {"type": "string", "locationCode": "string", "countryCode": "string"},
        (),
    ),
    "ShipmentMeasurements": (
        {
            "grossShipmentWeight": "Weight",
            "shipmentVolume": "Volume",
            "cartonCount": "integer",
            "palletCount": "integer",
        },
        (),
    ),
    "Volume": (
        {"unitOfMeasure": "string", "value": "string"},
        ("unitOfMeasure", "value"),
    ),
    "PartyIdentification": (
        {"address": "Address", "partyId": "string", "taxRegistrationDetails": ["TaxRegistrationDetails"]},
        ("partyId",),
    ),
    "TaxRegistrationDetails": (
        {"taxRegistrationType": "string", "taxRegistrationNumber": "string"},
        ("taxRegistrationNumber", "taxRegistrationType"),
    ),
    "Address": (
        {
            "name": "string",
            "addressLine1": "string",
            "addressLine2": "string",
            "addressLine3": "string",
            "city": "string",
            "county": "string",
            "district": "string",
            "stateOrRegion": "string",
            "postalCode": "string",
            "countryCode": "string",
            "phone": "string",
        },
        ("addressLine1", "countryCode", "name"),
    ),
    "TransportationDetailsForShipmentConfirmation": (
        {
            "carrierScac": "string",
            "carrierShipmentReferenceNumber": "string",
            "transportationMode": "string",
            "billOfLadingNumber": "string",
        },
        (),
    ),
}


_JSON_TYPES = {"string": (str,), "integer": (int,), "number": (int, float, str)}


def check(value: Any, definition: str, path: str) -> list[dict[str, str]]:
    """Every problem of ``value`` against the model's ``definition`` (paths like Amazon's messages)."""
    properties, required = MODEL[definition]
    if not isinstance(value, dict):
        return [err("InvalidInput", f"'{path}' must be an object.")]
    problems = [
        err("InvalidInput", f"Invalid content was found starting with element '{path}.{name}'.")
        for name in value
        if name not in properties
    ]
    problems += [
        err("InvalidInput", f"Missing required field '{path}.{name}'.")
        for name in required
        if value.get(name) in (None, "", [])
    ]
    for name, kind in properties.items():
        if value.get(name) is None:
            continue
        problems += _check_value(value[name], kind, f"{path}.{name}")
    return problems


def _check_value(value: Any, kind: Any, path: str) -> list[dict[str, str]]:
    if isinstance(kind, list):
        if not isinstance(value, list):
            return [err("InvalidInput", f"'{path}' must be an array.")]
        out: list[dict[str, str]] = []
        for index, element in enumerate(value):
            out += _check_value(element, kind[0], f"{path}[{index}]")
        return out
    if kind in MODEL:
        return check(value, kind, path)
    allowed = _JSON_TYPES.get(kind)
    if allowed and (not isinstance(value, allowed) or isinstance(value, bool)):
        return [err("InvalidInput", f"'{path}' must be of type {kind}.")]
    return []
