"""Plain typed values for the SP-API vendor retail operations.

These are the only shapes the rest of VendorSync sees of Amazon: frozen dataclasses, money as
``Decimal`` (never float), timestamps as timezone-aware ``datetime``. Field names follow the
published models in snake_case so a reader can find each one in ``reference/amazon-models``.
Serialisation to and from Amazon's JSON lives in ``codec.py``; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from vendorsync.errors import RemoteErrorDetail

PurchaseOrderState = Literal["New", "Acknowledged", "Closed"]
PurchaseOrderStatusValue = Literal["OPEN", "CLOSED"]
SortOrder = Literal["ASC", "DESC"]
UnitOfMeasure = Literal["Cases", "Eaches"]
AcknowledgementCode = Literal["Accepted", "Backordered", "Rejected"]
RejectionReason = Literal["TemporarilyUnavailable", "InvalidProductIdentifier", "ObsoleteProduct"]
TransactionStatusValue = Literal["Failure", "Processing", "Success"]


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Coerce to a finite Decimal; floats are refused because they cannot carry cents exactly."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"amounts must be Decimal, int or str, not {type(value).__name__}")
    result = value if isinstance(value, Decimal) else Decimal(str(value))
    if not result.is_finite():
        raise ValueError(f"amount must be finite, got {value!r}")
    return result


def _require_aware(value: datetime | None, name: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware")


# --- shared building blocks --------------------------------------------------------------------


@dataclass(frozen=True)
class Money:
    """An amount in a currency. ``unit_of_measure`` is set only for weight-priced items (POUNDS…).

    Orders and invoices make ``currencyCode`` optional, so parsed values may carry ``None``;
    outbound documents should always set it, and the shipments model requires it (the codec
    refuses to write a shipment Money without one). ``unit_of_measure`` exists only in the
    orders model; the codec drops it when writing for shipments or invoices.
    """

    amount: Decimal
    currency_code: str | None = None
    unit_of_measure: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", to_decimal(self.amount))


@dataclass(frozen=True)
class Weight:
    value: Decimal
    unit_of_measure: (
        str  # shipments: G | Kg | Oz | Lb; item total weight: POUNDS | OUNCES | GRAMS | KILOGRAMS
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", to_decimal(self.value))


@dataclass(frozen=True)
class ItemQuantity:
    """``amount`` in ``unit_of_measure``; with Cases, one case holds ``unit_size`` eaches.

    ``unit_of_measure`` is normalised to the model's spelling (the sandbox sends "CASES").
    """

    amount: int
    unit_of_measure: str | None = None
    unit_size: int | None = None
    total_weight: Weight | None = None  # shipments/invoices only: weight of weight-priced units

    @property
    def eaches(self) -> int:
        """Units this quantity represents (amount × unit size for cases)."""
        if self.unit_of_measure == "Cases" and self.unit_size:
            return self.amount * self.unit_size
        return self.amount


@dataclass(frozen=True)
class Address:
    """One address shape for all three APIs; invoices call ``postal_code`` ``postalOrZipCode``."""

    name: str
    address_line1: str
    country_code: str
    address_line2: str | None = None
    address_line3: str | None = None
    city: str | None = None
    county: str | None = None
    district: str | None = None
    state_or_region: str | None = None
    postal_code: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class TaxRegistration:
    tax_registration_type: str  # VAT | GST
    tax_registration_number: str


@dataclass(frozen=True)
class Party:
    """A PartyIdentification: vendor code, FC code, Amazon entity…

    Orders carry one ``taxInfo``; shipments and invoices a ``taxRegistrationDetails`` list. Both
    are held in ``tax_registrations`` (orders use its first element).
    """

    party_id: str
    address: Address | None = None
    tax_registrations: tuple[TaxRegistration, ...] = ()


@dataclass(frozen=True)
class DateTimeWindow:
    """A ship or delivery window, sent by Amazon as ``start--end``."""

    start: datetime
    end: datetime


# --- purchase orders (responses) ----------------------------------------------------------------


@dataclass(frozen=True)
class ImportDetails:
    method_of_payment: str | None = None
    international_commercial_terms: str | None = None
    port_of_delivery: str | None = None
    import_containers: str | None = None
    shipping_instructions: str | None = None


@dataclass(frozen=True)
class PurchaseOrderItem:
    item_sequence_number: str  # kept verbatim ("1", "00001"): acks must echo it back unchanged
    ordered_quantity: ItemQuantity
    is_back_order_allowed: bool
    amazon_product_identifier: str | None = None  # ASIN
    vendor_product_identifier: str | None = None  # EAN/UPC/ISBN/SKU chosen by the vendor
    net_cost: Money | None = None
    list_price: Money | None = None


@dataclass(frozen=True)
class PurchaseOrderDetails:
    purchase_order_date: datetime
    items: tuple[PurchaseOrderItem, ...]
    purchase_order_state_changed_date: datetime | None = None
    purchase_order_changed_date: datetime | None = None  # None when Amazon never changed the PO
    purchase_order_type: str | None = None
    import_details: ImportDetails | None = None
    deal_code: str | None = None
    payment_method: str | None = None
    buying_party: Party | None = None
    selling_party: Party | None = None  # party_id = vendor code
    ship_to_party: Party | None = None  # party_id = fulfilment centre
    bill_to_party: Party | None = None
    ship_window: DateTimeWindow | None = None
    delivery_window: DateTimeWindow | None = None


@dataclass(frozen=True)
class PurchaseOrder:
    """One Amazon PO. ``details`` is None when listed with ``includeDetails=false``.

    ``raw`` is Amazon's JSON for this order, kept for the audit trail; it takes no part in
    equality or hashing.
    """

    purchase_order_number: str
    purchase_order_state: str | None
    details: PurchaseOrderDetails | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def items(self) -> tuple[PurchaseOrderItem, ...]:
        return self.details.items if self.details else ()


@dataclass(frozen=True)
class PurchaseOrderPage:
    orders: tuple[PurchaseOrder, ...]
    next_token: str | None = None


# --- purchase order status (responses) ---------------------------------------------------------


@dataclass(frozen=True)
class OrderedQuantityDetail:
    updated_date: datetime | None = None
    ordered_quantity: ItemQuantity | None = None
    cancelled_quantity: ItemQuantity | None = None


@dataclass(frozen=True)
class AcknowledgementStatusDetail:
    acknowledgement_date: datetime | None = None
    accepted_quantity: ItemQuantity | None = None
    rejected_quantity: ItemQuantity | None = None


@dataclass(frozen=True)
class OrderItemStatus:
    item_sequence_number: str
    buyer_product_identifier: str | None = None  # ASIN
    vendor_product_identifier: str | None = None
    net_cost: Money | None = None
    list_price: Money | None = None
    ordered_quantity: ItemQuantity | None = None
    ordered_quantity_details: tuple[OrderedQuantityDetail, ...] = ()
    confirmation_status: str | None = None  # ACCEPTED | PARTIALLY_ACCEPTED | REJECTED | UNCONFIRMED
    accepted_quantity: ItemQuantity | None = None
    rejected_quantity: ItemQuantity | None = None
    acknowledgement_status_details: tuple[AcknowledgementStatusDetail, ...] = ()
    receive_status: str | None = None  # NOT_RECEIVED | PARTIALLY_RECEIVED | RECEIVED
    received_quantity: ItemQuantity | None = None  # the only API source of Amazon's receipts
    last_receive_date: datetime | None = None


@dataclass(frozen=True)
class OrderStatus:
    purchase_order_number: str
    purchase_order_status: str  # OPEN | CLOSED (receiving lifecycle, not purchaseOrderState)
    purchase_order_date: datetime
    selling_party: Party
    ship_to_party: Party
    items: tuple[OrderItemStatus, ...]
    last_updated_date: datetime | None = None


@dataclass(frozen=True)
class OrderStatusPage:
    orders: tuple[OrderStatus, ...]
    next_token: str | None = None


# --- asynchronous submissions ------------------------------------------------------------------


@dataclass(frozen=True)
class TransactionReference:
    """What Amazon returns (202) for an ack, ASN or invoice: poll ``get_transaction`` with it."""

    transaction_id: str
    request_id: str | None = None


@dataclass(frozen=True)
class TransactionStatus:
    transaction_id: str
    status: str  # Failure | Processing | Success
    errors: tuple[RemoteErrorDetail, ...] = ()


# --- acknowledgements (requests) ---------------------------------------------------------------


@dataclass(frozen=True)
class ItemAcknowledgement:
    acknowledgement_code: AcknowledgementCode
    acknowledged_quantity: ItemQuantity
    scheduled_ship_date: datetime | None = None
    scheduled_delivery_date: datetime | None = None
    rejection_reason: RejectionReason | None = None

    def __post_init__(self) -> None:
        _require_aware(self.scheduled_ship_date, "scheduled_ship_date")
        _require_aware(self.scheduled_delivery_date, "scheduled_delivery_date")


@dataclass(frozen=True)
class AcknowledgementItem:
    ordered_quantity: ItemQuantity
    item_acknowledgements: tuple[ItemAcknowledgement, ...]
    item_sequence_number: str | None = None
    amazon_product_identifier: str | None = None
    vendor_product_identifier: str | None = None
    net_cost: Money | None = None  # de facto required: must equal the cost later invoiced
    list_price: Money | None = None
    discount_multiplier: str | None = None


@dataclass(frozen=True)
class OrderAcknowledgement:
    """One PO's acknowledgement; every PO line must be present (missing lines count as rejected)."""

    purchase_order_number: str
    selling_party: Party
    acknowledgement_date: datetime
    items: tuple[AcknowledgementItem, ...]

    def __post_init__(self) -> None:
        _require_aware(self.acknowledgement_date, "acknowledgement_date")


# --- shipment confirmations (requests) ---------------------------------------------------------


@dataclass(frozen=True)
class Duration:
    duration_unit: str  # Days | Months
    duration_value: int


@dataclass(frozen=True)
class Expiry:
    manufacturer_date: datetime | None = None
    expiry_date: datetime | None = None
    expiry_after_duration: Duration | None = None

    def __post_init__(self) -> None:
        _require_aware(self.manufacturer_date, "manufacturer_date")
        _require_aware(self.expiry_date, "expiry_date")


@dataclass(frozen=True)
class RegulationReferences:
    """EUDR due-diligence statement references of a shipped item."""

    due_diligence_reference: str | None = None
    due_diligence_verification: str | None = None
    due_diligence_information: str | None = None
    due_diligence_exemption_code: str | None = None


@dataclass(frozen=True)
class ItemDetails:
    purchase_order_number: str | None = None  # item-level PO allows multi-PO shipments
    lot_number: str | None = None
    lot_number_source_reference: str | None = None
    lot_number_source_type: str | None = None  # GLN | FFRN | USDA_E | URL
    country_of_origin: str | None = None
    expiry: Expiry | None = None
    maximum_retail_price: Money | None = None
    handling_code: str | None = None  # Oversized | Fragile | Food | HandleWithCare
    regulation_references: RegulationReferences | None = None


@dataclass(frozen=True)
class ShippedItem:
    item_sequence_number: str  # "001"…; cartons and pallets refer to it as item_reference
    shipped_quantity: ItemQuantity
    amazon_product_identifier: str | None = None
    vendor_product_identifier: str | None = None
    item_details: ItemDetails | None = None


@dataclass(frozen=True)
class ContainerIdentification:
    """SSCC (20 chars incl. the "00" AI for GS1-128 labels), AMZNCC, GTIN, BPS or CID."""

    container_identification_type: str
    container_identification_number: str


@dataclass(frozen=True)
class Dimensions:
    length: Decimal
    width: Decimal
    height: Decimal
    unit_of_measure: str  # In | Ft | Meter | Yard

    def __post_init__(self) -> None:
        for name in ("length", "width", "height"):
            object.__setattr__(self, name, to_decimal(getattr(self, name)))


@dataclass(frozen=True)
class Volume:
    value: Decimal
    unit_of_measure: str  # CuFt | CuIn | CuM | CuY

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", to_decimal(self.value))


@dataclass(frozen=True)
class ContainerItem:
    item_reference: str  # = ShippedItem.item_sequence_number
    shipped_quantity: ItemQuantity
    item_details: ItemDetails | None = None


@dataclass(frozen=True)
class Carton:
    carton_sequence_number: str
    items: tuple[ContainerItem, ...]
    carton_identifiers: tuple[ContainerIdentification, ...] = ()
    dimensions: Dimensions | None = None
    weight: Weight | None = None
    tracking_number: str | None = None  # required per carton for small parcel


@dataclass(frozen=True)
class Pallet:
    pallet_identifiers: tuple[ContainerIdentification, ...]
    tier: int | None = None
    block: int | None = None
    dimensions: Dimensions | None = None
    weight: Weight | None = None
    carton_reference_numbers: tuple[str, ...] = ()  # = Carton.carton_sequence_number
    carton_count: int | None = None
    items: tuple[ContainerItem, ...] = ()


@dataclass(frozen=True)
class TransportationDetails:
    carrier_scac: str | None = None
    carrier_shipment_reference_number: str | None = None  # PRO number
    transportation_mode: str | None = None  # Road | Air | Ocean
    bill_of_lading_number: str | None = None


@dataclass(frozen=True)
class ShipmentMeasurements:
    gross_shipment_weight: Weight | None = None
    shipment_volume: Volume | None = None
    carton_count: int | None = None
    pallet_count: int | None = None


@dataclass(frozen=True)
class RouteStop:
    function_code: str  # PortOfDischarge | FreightPayableAt | PortOfLoading
    location_type: str | None = None
    location_code: str | None = None
    country_code: str | None = None
    arrival_time: datetime | None = None
    departure_time: datetime | None = None


@dataclass(frozen=True)
class ShipmentImportDetails:
    """``importDetails`` of a shipment confirmation (direct import only)."""

    method_of_payment: str | None = None
    seal_number: str | None = None
    route_stops: tuple[RouteStop, ...] = ()
    import_containers: str | None = None
    billable_weight: Weight | None = None
    estimated_ship_by_date: datetime | None = None
    handling_instructions: str | None = None


@dataclass(frozen=True)
class ShipmentConfirmation:
    """The ASN. ``shipment_identifier`` must not be reused within 365 days."""

    shipment_identifier: str
    shipment_confirmation_type: Literal["Original", "Replace"]
    shipment_confirmation_date: datetime
    selling_party: Party
    ship_from_party: Party
    ship_to_party: Party
    shipped_items: tuple[ShippedItem, ...]
    shipment_type: str | None = None  # TruckLoad | LessThanTruckLoad | SmallParcel
    shipment_structure: str | None = None
    transportation_details: TransportationDetails | None = None
    amazon_reference_number: str | None = None
    shipped_date: datetime | None = None
    estimated_delivery_date: datetime | None = None
    shipment_measurements: ShipmentMeasurements | None = None
    cartons: tuple[Carton, ...] = ()
    pallets: tuple[Pallet, ...] = ()
    import_details: ShipmentImportDetails | None = None

    def __post_init__(self) -> None:
        _require_aware(self.shipment_confirmation_date, "shipment_confirmation_date")
        _require_aware(self.shipped_date, "shipped_date")
        _require_aware(self.estimated_delivery_date, "estimated_delivery_date")


# --- invoices (requests) -----------------------------------------------------------------------


@dataclass(frozen=True)
class TaxDetail:
    tax_type: str  # VAT, GST, CGST, …
    tax_amount: Money
    tax_rate: Decimal | None = None
    taxable_amount: Money | None = None

    def __post_init__(self) -> None:
        if self.tax_rate is not None:
            object.__setattr__(self, "tax_rate", to_decimal(self.tax_rate))


@dataclass(frozen=True)
class ChargeDetail:
    type: str  # Freight | Packing | Duty | …
    charge_amount: Money
    description: str | None = None
    tax_details: tuple[TaxDetail, ...] = ()


@dataclass(frozen=True)
class AllowanceDetail:
    type: str  # Discount | DiscountIncentive | Defective | …
    allowance_amount: Money
    description: str | None = None
    tax_details: tuple[TaxDetail, ...] = ()


@dataclass(frozen=True)
class AdditionalDetail:
    type: str  # SUR | OCR | CartonCount
    detail: str
    language_code: str | None = None


@dataclass(frozen=True)
class PaymentTerms:
    type: str | None = None  # Basic | EndOfMonth | …
    discount_percent: Decimal | None = None
    discount_due_days: int | None = None
    net_due_days: int | None = None

    def __post_init__(self) -> None:
        if self.discount_percent is not None:
            object.__setattr__(self, "discount_percent", to_decimal(self.discount_percent))


@dataclass(frozen=True)
class CreditNoteDetails:
    reference_invoice_number: str | None = None
    debit_note_number: str | None = None
    returns_reference_number: str | None = None
    goods_return_date: datetime | None = None
    rma_id: str | None = None
    coop_reference_number: str | None = None
    consignors_reference_number: str | None = None

    def __post_init__(self) -> None:
        _require_aware(self.goods_return_date, "goods_return_date")


@dataclass(frozen=True)
class InvoiceItem:
    item_sequence_number: int  # an integer here, unlike orders and shipments
    invoiced_quantity: ItemQuantity
    net_cost: Money
    amazon_product_identifier: str | None = None
    vendor_product_identifier: str | None = None
    net_cost_unit_of_measure: str | None = None
    purchase_order_number: str | None = None
    hsn_code: str | None = None
    credit_note_details: CreditNoteDetails | None = None
    tax_details: tuple[TaxDetail, ...] = ()
    charge_details: tuple[ChargeDetail, ...] = ()
    allowance_details: tuple[AllowanceDetail, ...] = ()

    def __post_init__(self) -> None:
        # The invoices model types itemSequenceNumber as integer; a PO's "1"/"00001" string
        # copied across would be rejected by Amazon's schema check, so refuse it here, at the
        # line that built it, rather than when the whole invoice bounces.
        if isinstance(self.item_sequence_number, bool) or not isinstance(self.item_sequence_number, int):
            raise ValueError(
                "InvoiceItem.item_sequence_number must be an int (the Vendor Invoices model types "
                f"itemSequenceNumber as integer), got {self.item_sequence_number!r}"
            )


@dataclass(frozen=True)
class Invoice:
    """An invoice or credit note. ``id`` is unique forever; ``invoice_total`` excludes terms discount."""

    invoice_type: Literal["Invoice", "CreditNote"]
    id: str
    date: datetime
    remit_to_party: Party
    invoice_total: Money
    reference_number: str | None = None
    ship_to_party: Party | None = None
    ship_from_party: Party | None = None
    bill_to_party: Party | None = None
    payment_terms: PaymentTerms | None = None
    tax_details: tuple[TaxDetail, ...] = ()
    additional_details: tuple[AdditionalDetail, ...] = ()
    charge_details: tuple[ChargeDetail, ...] = ()
    allowance_details: tuple[AllowanceDetail, ...] = ()
    items: tuple[InvoiceItem, ...] = ()

    def __post_init__(self) -> None:
        _require_aware(self.date, "date")
