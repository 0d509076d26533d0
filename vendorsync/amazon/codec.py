"""Amazon JSON ⇄ typed values, following the published vendor retail models exactly.

Outbound documents are written the way the models define them: camelCase keys, amounts as
decimal strings (never JSON numbers, never exponent notation), timestamps as UTC ISO-8601 with
milliseconds and ``Z``, optional fields omitted rather than sent as null.

Inbound parsing is tolerant where Amazon's own data is known to wobble (reference §2.4: dates
with or without fractions or zone, ``"CASES"`` for ``Cases``, mock POs without a state) and
strict where a silent guess would corrupt the ledger: a missing PO number, quantity or
unparseable amount raises ``AmazonResponseError`` naming the JSON path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from .errors import AmazonResponseError, error_detail
from .values import (
    AcknowledgementItem,
    AcknowledgementStatusDetail,
    AdditionalDetail,
    Address,
    AllowanceDetail,
    Carton,
    ChargeDetail,
    ContainerIdentification,
    ContainerItem,
    CreditNoteDetails,
    DateTimeWindow,
    Dimensions,
    Expiry,
    ImportDetails,
    Invoice,
    InvoiceItem,
    ItemAcknowledgement,
    ItemDetails,
    ItemQuantity,
    Money,
    OrderAcknowledgement,
    OrderedQuantityDetail,
    OrderItemStatus,
    OrderStatus,
    OrderStatusPage,
    Pallet,
    Party,
    PaymentTerms,
    PurchaseOrder,
    PurchaseOrderDetails,
    PurchaseOrderItem,
    PurchaseOrderPage,
    ShipmentConfirmation,
    ShipmentImportDetails,
    ShipmentMeasurements,
    ShippedItem,
    TaxDetail,
    TaxRegistration,
    TransactionReference,
    TransactionStatus,
    TransportationDetails,
    Weight,
)

Json = dict[str, Any]
# Which model a shared building block is written for. Money, ItemQuantity, Address and Party
# have the same names in the three APIs but not the same fields, and Amazon validates the
# body against the schema ("Invalid content was found starting with element …"), so each
# serialiser writes only what the target model defines:
#   Money         orders: currencyCode?, amount, unitOfMeasure? | shipments: currencyCode*, amount*
#                 | invoices: currencyCode?, amount
#   ItemQuantity  orders: amount, unitOfMeasure?, unitSize? | shipments, invoices: amount*,
#                 unitOfMeasure*, unitSize?, totalWeight?
#   Address       invoices: postalOrZipCode | orders, shipments: postalCode
#   Party         orders: taxInfo (one) | shipments, invoices: taxRegistrationDetails[]
Api = Literal["orders", "shipments", "invoices"]
_MODEL_NAMES: dict[str, str] = {
    "orders": "Vendor Orders",
    "shipments": "Vendor Shipments",
    "invoices": "Vendor Invoices",
}

_UNIT_OF_MEASURE = {"cases": "Cases", "eaches": "Eaches"}


# ================================================================================================
# scalars
# ================================================================================================


def parse_datetime(value: Any, path: str = "value") -> datetime:
    """ISO-8601 with or without fraction/zone; a value without zone is taken as UTC (sandbox)."""
    if not isinstance(value, str) or not value.strip():
        raise AmazonResponseError(f"{path}: expected an ISO-8601 date-time, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise AmazonResponseError(f"{path}: {value!r} is not an ISO-8601 date-time") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def format_datetime(value: datetime) -> str:
    """UTC, millisecond precision, ``Z`` suffix: the form every example in the models uses."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"refusing to send a naive datetime to Amazon: {value!r}")
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def format_decimal(value: Decimal) -> str:
    """Plain positional notation (``Decimal("1E+2")`` → ``"100"``), as the model's pattern needs."""
    return format(value, "f")


def parse_decimal(value: Any, path: str = "value") -> Decimal:
    """An amount as Amazon sent it: a decimal string, or a JSON number already read as Decimal.

    Amazon's models use strings; guide examples also show JSON numbers, which the client parses
    with ``parse_float=Decimal`` so every digit survives. A float here means the body was parsed
    lossily (``12345678901234567.89`` is already ``…568.0``), so it is refused, not rounded.
    """
    if isinstance(value, float):
        raise AmazonResponseError(
            f"{path}: got float {value!r}; parse the body with json.loads(..., parse_float=Decimal)"
        )
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise AmazonResponseError(f"{path}: expected a decimal string, got {value!r}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise AmazonResponseError(f"{path}: {value!r} is not a decimal amount") from exc
    if not result.is_finite():
        raise AmazonResponseError(f"{path}: {value!r} is not a finite amount")
    return result


def _parse_int(value: Any, path: str) -> int:
    if isinstance(value, bool):
        raise AmazonResponseError(f"{path}: expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)  # "amount": 10.0 arrives as Decimal("10.0")
    raise AmazonResponseError(f"{path}: expected an integer, got {value!r}")


# ================================================================================================
# generic readers
# ================================================================================================


def _obj(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise AmazonResponseError(f"{path}: expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise AmazonResponseError(f"{path}: expected an array, got {type(value).__name__}")
    return value


def _str(obj: Mapping[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise AmazonResponseError(f"{path}.{key}: required field is missing")
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise AmazonResponseError(f"{path}.{key}: expected a string, got {value!r}")
    return str(value).strip()


def _opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _opt[T](obj: Mapping[str, Any], key: str, path: str, parse: Callable[[Any, str], T]) -> T | None:
    value = obj.get(key)
    return None if value is None else parse(value, f"{path}.{key}")


def _many[T](obj: Mapping[str, Any], key: str, path: str, parse: Callable[[Any, str], T]) -> tuple[T, ...]:
    return tuple(
        parse(item, f"{path}.{key}[{i}]") for i, item in enumerate(_list(obj.get(key), f"{path}.{key}"))
    )


def _bool(value: Any, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise AmazonResponseError(f"{path}: expected a boolean, got {value!r}")


# ================================================================================================
# building blocks (inbound)
# ================================================================================================


def parse_money(value: Any, path: str = "money") -> Money:
    obj = _obj(value, path)
    if obj.get("amount") is None:
        raise AmazonResponseError(f"{path}.amount: required field is missing")
    return Money(
        amount=parse_decimal(obj["amount"], f"{path}.amount"),
        currency_code=_opt_str(obj, "currencyCode"),
        unit_of_measure=_opt_str(obj, "unitOfMeasure"),
    )


def _parse_total_weight(value: Any, path: str) -> Weight:
    obj = _obj(value, path)
    raw = obj.get("amount", obj.get("value"))
    return Weight(
        value=parse_decimal(raw, f"{path}.amount"), unit_of_measure=_str(obj, "unitOfMeasure", path)
    )


def parse_quantity(value: Any, path: str = "quantity") -> ItemQuantity:
    obj = _obj(value, path)
    if obj.get("amount") is None:
        raise AmazonResponseError(f"{path}.amount: required field is missing")
    uom = _opt_str(obj, "unitOfMeasure")
    if uom is not None:
        uom = _UNIT_OF_MEASURE.get(uom.lower(), uom)
    return ItemQuantity(
        amount=_parse_int(obj["amount"], f"{path}.amount"),
        unit_of_measure=uom,
        unit_size=_opt(obj, "unitSize", path, _parse_int),
        total_weight=_opt(obj, "totalWeight", path, _parse_total_weight),
    )


def parse_address(value: Any, path: str = "address") -> Address:
    obj = _obj(value, path)
    return Address(
        name=_opt_str(obj, "name") or "",
        address_line1=_opt_str(obj, "addressLine1") or "",
        country_code=_opt_str(obj, "countryCode") or "",
        address_line2=_opt_str(obj, "addressLine2"),
        address_line3=_opt_str(obj, "addressLine3"),
        city=_opt_str(obj, "city"),
        county=_opt_str(obj, "county"),
        district=_opt_str(obj, "district"),
        state_or_region=_opt_str(obj, "stateOrRegion"),
        postal_code=_opt_str(obj, "postalCode") or _opt_str(obj, "postalOrZipCode"),
        phone=_opt_str(obj, "phone"),
    )


def _parse_tax_registration(value: Any, path: str) -> TaxRegistration:
    obj = _obj(value, path)
    return TaxRegistration(
        tax_registration_type=_str(obj, "taxRegistrationType", path),
        tax_registration_number=_str(obj, "taxRegistrationNumber", path),
    )


def parse_party(value: Any, path: str = "party") -> Party:
    obj = _obj(value, path)
    registrations = _many(obj, "taxRegistrationDetails", path, _parse_tax_registration)
    if obj.get("taxInfo") is not None:
        registrations = (_parse_tax_registration(obj["taxInfo"], f"{path}.taxInfo"), *registrations)
    return Party(
        party_id=_str(obj, "partyId", path),
        address=_opt(obj, "address", path, parse_address),
        tax_registrations=registrations,
    )


def parse_window(value: Any, path: str = "window") -> DateTimeWindow:
    """``2019-08-21T07:00:00Z--2019-08-27T07:00:00Z`` → DateTimeWindow (start ≤ end not enforced)."""
    if not isinstance(value, str) or "--" not in value:
        raise AmazonResponseError(f"{path}: expected 'start--end', got {value!r}")
    start, _, end = value.partition("--")
    return DateTimeWindow(
        start=parse_datetime(start, f"{path}(start)"), end=parse_datetime(end, f"{path}(end)")
    )


def _parse_dt(value: Any, path: str) -> datetime:
    return parse_datetime(value, path)


def _payload(body: Any, path: str = "response") -> Any:
    obj = _obj(body, path)
    if "payload" not in obj or obj["payload"] is None:
        raise AmazonResponseError(f"{path}.payload: required field is missing")
    return obj["payload"]


def _next_token(payload: Mapping[str, Any], path: str) -> str | None:
    pagination = payload.get("pagination")
    if pagination is None:
        return None
    return _opt_str(_obj(pagination, f"{path}.pagination"), "nextToken")


# ================================================================================================
# purchase orders (inbound)
# ================================================================================================


def _parse_import_details(value: Any, path: str) -> ImportDetails:
    obj = _obj(value, path)
    return ImportDetails(
        method_of_payment=_opt_str(obj, "methodOfPayment"),
        international_commercial_terms=_opt_str(obj, "internationalCommercialTerms"),
        port_of_delivery=_opt_str(obj, "portOfDelivery"),
        import_containers=_opt_str(obj, "importContainers"),
        shipping_instructions=_opt_str(obj, "shippingInstructions"),
    )


def parse_purchase_order_item(value: Any, path: str = "item") -> PurchaseOrderItem:
    obj = _obj(value, path)
    if obj.get("orderedQuantity") is None:
        raise AmazonResponseError(f"{path}.orderedQuantity: required field is missing")
    back_order = obj.get("isBackOrderAllowed")
    return PurchaseOrderItem(
        item_sequence_number=_str(obj, "itemSequenceNumber", path),
        ordered_quantity=parse_quantity(obj["orderedQuantity"], f"{path}.orderedQuantity"),
        # Required by the model; absent only in hand-written data, where "no backorders" is safe.
        is_back_order_allowed=False
        if back_order is None
        else _bool(back_order, f"{path}.isBackOrderAllowed"),
        amazon_product_identifier=_opt_str(obj, "amazonProductIdentifier"),
        vendor_product_identifier=_opt_str(obj, "vendorProductIdentifier"),
        net_cost=_opt(obj, "netCost", path, parse_money),
        list_price=_opt(obj, "listPrice", path, parse_money),
    )


def _parse_order_details(value: Any, path: str) -> PurchaseOrderDetails:
    obj = _obj(value, path)
    if obj.get("purchaseOrderDate") is None:
        raise AmazonResponseError(f"{path}.purchaseOrderDate: required field is missing")
    return PurchaseOrderDetails(
        purchase_order_date=parse_datetime(obj["purchaseOrderDate"], f"{path}.purchaseOrderDate"),
        items=_many(obj, "items", path, parse_purchase_order_item),
        purchase_order_state_changed_date=_opt(obj, "purchaseOrderStateChangedDate", path, _parse_dt),
        purchase_order_changed_date=_opt(obj, "purchaseOrderChangedDate", path, _parse_dt),
        purchase_order_type=_opt_str(obj, "purchaseOrderType"),
        import_details=_opt(obj, "importDetails", path, _parse_import_details),
        deal_code=_opt_str(obj, "dealCode"),
        payment_method=_opt_str(obj, "paymentMethod"),
        buying_party=_opt(obj, "buyingParty", path, parse_party),
        selling_party=_opt(obj, "sellingParty", path, parse_party),
        ship_to_party=_opt(obj, "shipToParty", path, parse_party),
        bill_to_party=_opt(obj, "billToParty", path, parse_party),
        ship_window=_opt(obj, "shipWindow", path, parse_window),
        delivery_window=_opt(obj, "deliveryWindow", path, parse_window),
    )


def parse_purchase_order(value: Any, path: str = "order") -> PurchaseOrder:
    obj = _obj(value, path)
    return PurchaseOrder(
        # Guide examples carry a leading space (" L8266355"); _str strips it.
        purchase_order_number=_str(obj, "purchaseOrderNumber", path),
        # Required by the model but absent from the "mock-…" sandbox cases: keep None, don't guess.
        purchase_order_state=_opt_str(obj, "purchaseOrderState"),
        details=_opt(obj, "orderDetails", path, _parse_order_details),
        raw=dict(obj),
    )


def parse_get_purchase_orders_response(body: Any) -> PurchaseOrderPage:
    payload = _obj(_payload(body), "payload")
    return PurchaseOrderPage(
        orders=_many(payload, "orders", "payload", parse_purchase_order),
        next_token=_next_token(payload, "payload"),
    )


def parse_get_purchase_order_response(body: Any) -> PurchaseOrder:
    return parse_purchase_order(_payload(body), "payload")


# ================================================================================================
# purchase order status (inbound)
# ================================================================================================


def _parse_ordered_quantity_detail(value: Any, path: str) -> OrderedQuantityDetail:
    obj = _obj(value, path)
    return OrderedQuantityDetail(
        updated_date=_opt(obj, "updatedDate", path, _parse_dt),
        ordered_quantity=_opt(obj, "orderedQuantity", path, parse_quantity),
        cancelled_quantity=_opt(obj, "cancelledQuantity", path, parse_quantity),
    )


def _parse_ack_status_detail(value: Any, path: str) -> AcknowledgementStatusDetail:
    obj = _obj(value, path)
    return AcknowledgementStatusDetail(
        acknowledgement_date=_opt(obj, "acknowledgementDate", path, _parse_dt),
        accepted_quantity=_opt(obj, "acceptedQuantity", path, parse_quantity),
        rejected_quantity=_opt(obj, "rejectedQuantity", path, parse_quantity),
    )


def _parse_item_status(value: Any, path: str) -> OrderItemStatus:
    obj = _obj(value, path)
    ordered = _obj(obj.get("orderedQuantity") or {}, f"{path}.orderedQuantity")
    ack = _obj(obj.get("acknowledgementStatus") or {}, f"{path}.acknowledgementStatus")
    receiving = _obj(obj.get("receivingStatus") or {}, f"{path}.receivingStatus")
    return OrderItemStatus(
        item_sequence_number=_str(obj, "itemSequenceNumber", path),
        buyer_product_identifier=_opt_str(obj, "buyerProductIdentifier"),
        vendor_product_identifier=_opt_str(obj, "vendorProductIdentifier"),
        net_cost=_opt(obj, "netCost", path, parse_money),
        list_price=_opt(obj, "listPrice", path, parse_money),
        ordered_quantity=_opt(ordered, "orderedQuantity", f"{path}.orderedQuantity", parse_quantity),
        ordered_quantity_details=_many(
            ordered, "orderedQuantityDetails", f"{path}.orderedQuantity", _parse_ordered_quantity_detail
        ),
        confirmation_status=_opt_str(ack, "confirmationStatus"),
        accepted_quantity=_opt(ack, "acceptedQuantity", f"{path}.acknowledgementStatus", parse_quantity),
        rejected_quantity=_opt(ack, "rejectedQuantity", f"{path}.acknowledgementStatus", parse_quantity),
        acknowledgement_status_details=_many(
            ack, "acknowledgementStatusDetails", f"{path}.acknowledgementStatus", _parse_ack_status_detail
        ),
        receive_status=_opt_str(receiving, "receiveStatus"),
        received_quantity=_opt(receiving, "receivedQuantity", f"{path}.receivingStatus", parse_quantity),
        last_receive_date=_opt(receiving, "lastReceiveDate", f"{path}.receivingStatus", _parse_dt),
    )


def parse_order_status(value: Any, path: str = "orderStatus") -> OrderStatus:
    obj = _obj(value, path)
    for key in ("purchaseOrderDate", "sellingParty", "shipToParty"):
        if obj.get(key) is None:
            raise AmazonResponseError(f"{path}.{key}: required field is missing")
    return OrderStatus(
        purchase_order_number=_str(obj, "purchaseOrderNumber", path),
        purchase_order_status=_str(obj, "purchaseOrderStatus", path),
        purchase_order_date=parse_datetime(obj["purchaseOrderDate"], f"{path}.purchaseOrderDate"),
        selling_party=parse_party(obj["sellingParty"], f"{path}.sellingParty"),
        ship_to_party=parse_party(obj["shipToParty"], f"{path}.shipToParty"),
        items=_many(obj, "itemStatus", path, _parse_item_status),
        last_updated_date=_opt(obj, "lastUpdatedDate", path, _parse_dt),
    )


def parse_get_purchase_orders_status_response(body: Any) -> OrderStatusPage:
    payload = _obj(_payload(body), "payload")
    return OrderStatusPage(
        orders=_many(payload, "ordersStatus", "payload", parse_order_status),
        next_token=_next_token(payload, "payload"),
    )


# ================================================================================================
# transactions (inbound)
# ================================================================================================


def parse_transaction_reference(body: Any, request_id: str | None = None) -> TransactionReference:
    payload = _obj(_payload(body), "payload")
    return TransactionReference(
        transaction_id=_str(payload, "transactionId", "payload"), request_id=request_id
    )


def parse_get_transaction_response(body: Any) -> TransactionStatus:
    payload = _obj(_payload(body), "payload")
    path = "payload.transactionStatus"
    status = _obj(payload.get("transactionStatus"), path)
    errors = [
        _obj(e, f"{path}.errors[{i}]") for i, e in enumerate(_list(status.get("errors"), f"{path}.errors"))
    ]
    return TransactionStatus(
        transaction_id=_str(status, "transactionId", path),
        status=_str(status, "status", path),
        errors=tuple(error_detail(e) for e in errors),
    )


# ================================================================================================
# outbound serialisation
# ================================================================================================


def _compact(data: Mapping[str, Any]) -> Json:
    """Drop None and empty optional arrays: the models never want explicit nulls."""
    return {k: v for k, v in data.items() if v is not None and v != []}


def _seq[T](items: Iterable[T], fn: Callable[[T], Json]) -> list[Json]:
    return [fn(item) for item in items]


def money_to_json(money: Money, api: Api, field: str = "money") -> Json:
    """Money as the ``api``'s model defines it (see ``Api``); ``field`` names it in errors.

    ``unitOfMeasure`` (weight-priced cost) exists only in the orders model and is dropped for
    the others (invoices carry it as ``netCostUnitOfMeasure`` on the item). The shipments model
    requires ``currencyCode``: a missing one is a ``ValueError`` before anything is sent.
    """
    if api == "shipments" and not money.currency_code:
        raise ValueError(f"{field}.currencyCode is required by the {_MODEL_NAMES[api]} model")
    return _compact(
        {
            "currencyCode": money.currency_code,
            "amount": format_decimal(money.amount),
            "unitOfMeasure": money.unit_of_measure if api == "orders" else None,
        }
    )


def weight_to_json(weight: Weight) -> Json:
    return {"unitOfMeasure": weight.unit_of_measure, "value": format_decimal(weight.value)}


def quantity_to_json(quantity: ItemQuantity, api: Api, field: str = "quantity") -> Json:
    """ItemQuantity as the ``api``'s model defines it (see ``Api``); ``field`` names it in errors.

    The orders model has no ``totalWeight`` (it is dropped there) and leaves ``unitOfMeasure``
    optional; shipments and invoices require ``unitOfMeasure``.
    """
    if api != "orders" and not quantity.unit_of_measure:
        raise ValueError(f"{field}.unitOfMeasure is required by the {_MODEL_NAMES[api]} model")
    total_weight = None
    if quantity.total_weight is not None and api != "orders":
        # TotalWeight names its number "amount", unlike Weight's "value".
        total_weight = {
            "unitOfMeasure": quantity.total_weight.unit_of_measure,
            "amount": format_decimal(quantity.total_weight.value),
        }
    return _compact(
        {
            "amount": quantity.amount,
            "unitOfMeasure": quantity.unit_of_measure,
            "unitSize": quantity.unit_size,
            "totalWeight": total_weight,
        }
    )


def address_to_json(address: Address, api: Api) -> Json:
    postal_key = "postalOrZipCode" if api == "invoices" else "postalCode"
    return _compact(
        {
            "name": address.name,
            "addressLine1": address.address_line1,
            "addressLine2": address.address_line2,
            "addressLine3": address.address_line3,
            "city": address.city,
            "county": address.county,
            "district": address.district,
            "stateOrRegion": address.state_or_region,
            postal_key: address.postal_code,
            "countryCode": address.country_code,
            "phone": address.phone,
        }
    )


def _tax_registration_to_json(reg: TaxRegistration) -> Json:
    return {
        "taxRegistrationType": reg.tax_registration_type,
        "taxRegistrationNumber": reg.tax_registration_number,
    }


def party_to_json(party: Party, api: Api) -> Json:
    data: Json = {"partyId": party.party_id}
    if party.address is not None:
        data["address"] = address_to_json(party.address, api)
    if party.tax_registrations:
        if api == "orders":
            # The orders model holds a single taxInfo object.
            data["taxInfo"] = _tax_registration_to_json(party.tax_registrations[0])
        else:
            data["taxRegistrationDetails"] = _seq(party.tax_registrations, _tax_registration_to_json)
    return data


def _opt_dt(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)


# --- acknowledgements --------------------------------------------------------------------------


def _item_ack_to_json(ack: ItemAcknowledgement) -> Json:
    return _compact(
        {
            "acknowledgementCode": ack.acknowledgement_code,
            "acknowledgedQuantity": quantity_to_json(ack.acknowledged_quantity, "orders"),
            "scheduledShipDate": _opt_dt(ack.scheduled_ship_date),
            "scheduledDeliveryDate": _opt_dt(ack.scheduled_delivery_date),
            "rejectionReason": ack.rejection_reason,
        }
    )


def _ack_item_to_json(item: AcknowledgementItem) -> Json:
    data = _compact(
        {
            "itemSequenceNumber": item.item_sequence_number,
            "amazonProductIdentifier": item.amazon_product_identifier,
            "vendorProductIdentifier": item.vendor_product_identifier,
            "orderedQuantity": quantity_to_json(item.ordered_quantity, "orders"),
            "netCost": None if item.net_cost is None else money_to_json(item.net_cost, "orders"),
            "listPrice": None if item.list_price is None else money_to_json(item.list_price, "orders"),
            "discountMultiplier": item.discount_multiplier,
        }
    )
    data["itemAcknowledgements"] = _seq(item.item_acknowledgements, _item_ack_to_json)  # required
    return data


def acknowledgement_to_json(ack: OrderAcknowledgement) -> Json:
    return {
        "purchaseOrderNumber": ack.purchase_order_number,
        "sellingParty": party_to_json(ack.selling_party, "orders"),
        "acknowledgementDate": format_datetime(ack.acknowledgement_date),
        "items": _seq(ack.items, _ack_item_to_json),
    }


def submit_acknowledgement_body(acknowledgements: Iterable[OrderAcknowledgement]) -> Json:
    return {"acknowledgements": _seq(acknowledgements, acknowledgement_to_json)}


# --- shipment confirmations --------------------------------------------------------------------


def _expiry_to_json(expiry: Expiry) -> Json:
    duration = expiry.expiry_after_duration
    return _compact(
        {
            "manufacturerDate": _opt_dt(expiry.manufacturer_date),
            "expiryDate": _opt_dt(expiry.expiry_date),
            "expiryAfterDuration": None
            if duration is None
            else {"durationUnit": duration.duration_unit, "durationValue": duration.duration_value},
        }
    )


def _item_details_to_json(details: ItemDetails) -> Json:
    return _compact(
        {
            "purchaseOrderNumber": details.purchase_order_number,
            "lotNumber": details.lot_number,
            "lotNumberSourceReference": details.lot_number_source_reference,
            "lotNumberSourceType": details.lot_number_source_type,
            "countryOfOrigin": details.country_of_origin,
            "expiry": None if details.expiry is None else _expiry_to_json(details.expiry),
            "maximumRetailPrice": None
            if details.maximum_retail_price is None
            else money_to_json(details.maximum_retail_price, "shipments", "itemDetails.maximumRetailPrice"),
            "handlingCode": details.handling_code,
            "regulationReferences": None
            if details.regulation_references is None
            else _compact(
                {
                    "dueDiligenceReference": details.regulation_references.due_diligence_reference,
                    "dueDiligenceVerification": details.regulation_references.due_diligence_verification,
                    "dueDiligenceInformation": details.regulation_references.due_diligence_information,
                    "dueDiligenceExemptionCode": details.regulation_references.due_diligence_exemption_code,
                }
            ),
        }
    )


def _import_details_to_json(details: ShipmentImportDetails) -> Json:
    stops = [
        _compact(
            {
                "functionCode": stop.function_code,
                "locationIdentification": _compact(
                    {
                        "type": stop.location_type,
                        "locationCode": stop.location_code,
                        "countryCode": stop.country_code,
                    }
                )
                or None,
                "arrivalTime": _opt_dt(stop.arrival_time),
                "departureTime": _opt_dt(stop.departure_time),
            }
        )
        for stop in details.route_stops
    ]
    return _compact(
        {
            "methodOfPayment": details.method_of_payment,
            "sealNumber": details.seal_number,
            "route": {"stops": stops} if stops else None,
            "importContainers": details.import_containers,
            "billableWeight": None
            if details.billable_weight is None
            else weight_to_json(details.billable_weight),
            "estimatedShipByDate": _opt_dt(details.estimated_ship_by_date),
            "handlingInstructions": details.handling_instructions,
        }
    )


def _shipped_item_to_json(item: ShippedItem) -> Json:
    return _compact(
        {
            "itemSequenceNumber": item.item_sequence_number,
            "amazonProductIdentifier": item.amazon_product_identifier,
            "vendorProductIdentifier": item.vendor_product_identifier,
            "shippedQuantity": quantity_to_json(
                item.shipped_quantity,
                "shipments",
                f"shippedItems[{item.item_sequence_number}].shippedQuantity",
            ),
            "itemDetails": None if item.item_details is None else _item_details_to_json(item.item_details),
        }
    )


def _container_id_to_json(cid: ContainerIdentification) -> Json:
    return {
        "containerIdentificationType": cid.container_identification_type,
        "containerIdentificationNumber": cid.container_identification_number,
    }


def _dimensions_to_json(dim: Dimensions) -> Json:
    return {
        "length": format_decimal(dim.length),
        "width": format_decimal(dim.width),
        "height": format_decimal(dim.height),
        "unitOfMeasure": dim.unit_of_measure,
    }


def _container_item_to_json(item: ContainerItem) -> Json:
    return _compact(
        {
            "itemReference": item.item_reference,
            "shippedQuantity": quantity_to_json(
                item.shipped_quantity,
                "shipments",
                f"items[itemReference={item.item_reference}].shippedQuantity",
            ),
            "itemDetails": None if item.item_details is None else _item_details_to_json(item.item_details),
        }
    )


def _carton_to_json(carton: Carton) -> Json:
    data = _compact(
        {
            "cartonIdentifiers": _seq(carton.carton_identifiers, _container_id_to_json),
            "cartonSequenceNumber": carton.carton_sequence_number,
            "dimensions": None if carton.dimensions is None else _dimensions_to_json(carton.dimensions),
            "weight": None if carton.weight is None else weight_to_json(carton.weight),
            "trackingNumber": carton.tracking_number,
        }
    )
    data["items"] = _seq(carton.items, _container_item_to_json)  # required
    return data


def _pallet_to_json(pallet: Pallet) -> Json:
    references = None
    if pallet.carton_reference_numbers or pallet.carton_count is not None:
        references = _compact(
            {
                "cartonCount": pallet.carton_count,
                "cartonReferenceNumbers": list(pallet.carton_reference_numbers),
            }
        )
        references.setdefault("cartonReferenceNumbers", [])  # required inside the object
    data: Json = {"palletIdentifiers": _seq(pallet.pallet_identifiers, _container_id_to_json)}
    data.update(
        _compact(
            {
                "tier": pallet.tier,
                "block": pallet.block,
                "dimensions": None if pallet.dimensions is None else _dimensions_to_json(pallet.dimensions),
                "weight": None if pallet.weight is None else weight_to_json(pallet.weight),
                "cartonReferenceDetails": references,
                "items": _seq(pallet.items, _container_item_to_json),
            }
        )
    )
    return data


def _measurements_to_json(m: ShipmentMeasurements) -> Json:
    return _compact(
        {
            "grossShipmentWeight": None
            if m.gross_shipment_weight is None
            else weight_to_json(m.gross_shipment_weight),
            "shipmentVolume": None
            if m.shipment_volume is None
            else {
                "unitOfMeasure": m.shipment_volume.unit_of_measure,
                "value": format_decimal(m.shipment_volume.value),
            },
            "cartonCount": m.carton_count,
            "palletCount": m.pallet_count,
        }
    )


def _transport_to_json(t: TransportationDetails) -> Json:
    return _compact(
        {
            "carrierScac": t.carrier_scac,
            "carrierShipmentReferenceNumber": t.carrier_shipment_reference_number,
            "transportationMode": t.transportation_mode,
            "billOfLadingNumber": t.bill_of_lading_number,
        }
    )


def shipment_confirmation_to_json(sc: ShipmentConfirmation) -> Json:
    data = _compact(
        {
            "shipmentIdentifier": sc.shipment_identifier,
            "shipmentConfirmationType": sc.shipment_confirmation_type,
            "shipmentType": sc.shipment_type,
            "shipmentStructure": sc.shipment_structure,
            "transportationDetails": None
            if sc.transportation_details is None
            else _transport_to_json(sc.transportation_details),
            "amazonReferenceNumber": sc.amazon_reference_number,
            "shipmentConfirmationDate": format_datetime(sc.shipment_confirmation_date),
            "shippedDate": _opt_dt(sc.shipped_date),
            "estimatedDeliveryDate": _opt_dt(sc.estimated_delivery_date),
            "sellingParty": party_to_json(sc.selling_party, "shipments"),
            "shipFromParty": party_to_json(sc.ship_from_party, "shipments"),
            "shipToParty": party_to_json(sc.ship_to_party, "shipments"),
            "shipmentMeasurements": None
            if sc.shipment_measurements is None
            else _measurements_to_json(sc.shipment_measurements),
            "cartons": _seq(sc.cartons, _carton_to_json),
            "pallets": _seq(sc.pallets, _pallet_to_json),
            "importDetails": None
            if sc.import_details is None
            else _import_details_to_json(sc.import_details),
        }
    )
    data["shippedItems"] = _seq(sc.shipped_items, _shipped_item_to_json)  # required
    return data


def submit_shipment_confirmations_body(confirmations: Iterable[ShipmentConfirmation]) -> Json:
    # Deliberately no marketplaceIds: Amazon rejects the unknown element (reference §2.5).
    return {"shipmentConfirmations": _seq(confirmations, shipment_confirmation_to_json)}


# --- invoices ----------------------------------------------------------------------------------


def _tax_detail_to_json(tax: TaxDetail) -> Json:
    return _compact(
        {
            "taxType": tax.tax_type,
            "taxRate": None if tax.tax_rate is None else format_decimal(tax.tax_rate),
            "taxAmount": money_to_json(tax.tax_amount, "invoices"),
            "taxableAmount": None
            if tax.taxable_amount is None
            else money_to_json(tax.taxable_amount, "invoices"),
        }
    )


def _charge_to_json(charge: ChargeDetail) -> Json:
    return _compact(
        {
            "type": charge.type,
            "description": charge.description,
            "chargeAmount": money_to_json(charge.charge_amount, "invoices"),
            "taxDetails": _seq(charge.tax_details, _tax_detail_to_json),
        }
    )


def _allowance_to_json(allowance: AllowanceDetail) -> Json:
    return _compact(
        {
            "type": allowance.type,
            "description": allowance.description,
            "allowanceAmount": money_to_json(allowance.allowance_amount, "invoices"),
            "taxDetails": _seq(allowance.tax_details, _tax_detail_to_json),
        }
    )


def _additional_to_json(detail: AdditionalDetail) -> Json:
    return _compact({"type": detail.type, "detail": detail.detail, "languageCode": detail.language_code})


def _credit_note_to_json(cn: CreditNoteDetails) -> Json:
    return _compact(
        {
            "referenceInvoiceNumber": cn.reference_invoice_number,
            "debitNoteNumber": cn.debit_note_number,
            "returnsReferenceNumber": cn.returns_reference_number,
            "goodsReturnDate": _opt_dt(cn.goods_return_date),
            "rmaId": cn.rma_id,
            "coopReferenceNumber": cn.coop_reference_number,
            "consignorsReferenceNumber": cn.consignors_reference_number,
        }
    )


def _invoice_item_to_json(item: InvoiceItem) -> Json:
    return _compact(
        {
            "itemSequenceNumber": item.item_sequence_number,
            "amazonProductIdentifier": item.amazon_product_identifier,
            "vendorProductIdentifier": item.vendor_product_identifier,
            "invoicedQuantity": quantity_to_json(
                item.invoiced_quantity, "invoices", f"items[{item.item_sequence_number}].invoicedQuantity"
            ),
            "netCost": money_to_json(item.net_cost, "invoices"),
            "netCostUnitOfMeasure": item.net_cost_unit_of_measure,
            "purchaseOrderNumber": item.purchase_order_number,
            "hsnCode": item.hsn_code,
            "creditNoteDetails": None
            if item.credit_note_details is None
            else _credit_note_to_json(item.credit_note_details),
            "taxDetails": _seq(item.tax_details, _tax_detail_to_json),
            "chargeDetails": _seq(item.charge_details, _charge_to_json),
            "allowanceDetails": _seq(item.allowance_details, _allowance_to_json),
        }
    )


def _payment_terms_to_json(terms: PaymentTerms) -> Json:
    return _compact(
        {
            "type": terms.type,
            "discountPercent": None
            if terms.discount_percent is None
            else format_decimal(terms.discount_percent),
            "discountDueDays": terms.discount_due_days,
            "netDueDays": terms.net_due_days,
        }
    )


def invoice_to_json(invoice: Invoice) -> Json:
    def party(p: Party | None) -> Json | None:
        return None if p is None else party_to_json(p, "invoices")

    return _compact(
        {
            "invoiceType": invoice.invoice_type,
            "id": invoice.id,
            "referenceNumber": invoice.reference_number,
            "date": format_datetime(invoice.date),
            "remitToParty": party_to_json(invoice.remit_to_party, "invoices"),
            "shipToParty": party(invoice.ship_to_party),
            "shipFromParty": party(invoice.ship_from_party),
            "billToParty": party(invoice.bill_to_party),
            "paymentTerms": None
            if invoice.payment_terms is None
            else _payment_terms_to_json(invoice.payment_terms),
            "invoiceTotal": money_to_json(invoice.invoice_total, "invoices"),
            "taxDetails": _seq(invoice.tax_details, _tax_detail_to_json),
            "additionalDetails": _seq(invoice.additional_details, _additional_to_json),
            "chargeDetails": _seq(invoice.charge_details, _charge_to_json),
            "allowanceDetails": _seq(invoice.allowance_details, _allowance_to_json),
            "items": _seq(invoice.items, _invoice_item_to_json),
        }
    )


def submit_invoices_body(invoices: Iterable[Invoice]) -> Json:
    # No "payload" wrapper: the sandbox example has one, the schema does not (reference §2.4).
    return {"invoices": _seq(invoices, invoice_to_json)}
