"""Orders out: the ASN (Shipment → Container → ContainerItem) and the invoice, modelled once.

Both encoders (``submitShipmentConfirmations`` JSON and the X12 856; invoice JSON and the 810)
are built from these rows, so the API and EDI paths can never disagree about what shipped.
A shipment is built from one NetSuite item fulfilment (one PO); its containers are the physical
cartons and pallets with their SSCC-18 as printed on the label. Imported by ``orders.models``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils import timezone


class ShipmentStatus(models.TextChoices):
    PICKED = "picked", "Picked / packed (checked early)"
    BLOCKED = "blocked", "Blocked"
    READY = "ready", "Ready to send"
    QUEUED = "queued", "Queued"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


SENT_SHIPMENT_STATUSES = (ShipmentStatus.QUEUED, ShipmentStatus.SUBMITTED, ShipmentStatus.ACCEPTED)


class Shipment(models.Model):
    """One ASN: what one NetSuite item fulfilment shipped, in its cartons and pallets."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    shipment_identifier = models.CharField(
        max_length=30, unique=True, help_text="BSN02 / shipmentIdentifier."
    )
    vendor_code = models.ForeignKey("orders.VendorCode", on_delete=models.PROTECT, related_name="shipments")
    purchase_order = models.ForeignKey(
        "orders.PurchaseOrder", on_delete=models.PROTECT, related_name="shipments"
    )
    netsuite_fulfilment_id = models.CharField(max_length=30, unique=True)
    netsuite_fulfilment_number = models.CharField(max_length=40, blank=True)
    fulfilment_status = models.CharField(max_length=20, blank=True, help_text="Picked | Packed | Shipped")
    fulfilment = models.JSONField(
        default=dict, blank=True, encoder=DjangoJSONEncoder, help_text="The fulfilment as last read."
    )
    status = models.CharField(
        max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.PICKED, db_index=True
    )
    channel = models.CharField(max_length=10, default="api")  # api | edi
    shipped_at = models.DateTimeField(null=True, blank=True)
    estimated_delivery_at = models.DateTimeField(null=True, blank=True)
    carrier_scac = models.CharField(max_length=10, blank=True)
    bill_of_lading = models.CharField(max_length=40, blank=True)
    pro_number = models.CharField(max_length=40, blank=True)
    ship_from = models.CharField(max_length=40, blank=True, help_text="Ship-from party id (warehouse).")
    ship_from_name = models.CharField(max_length=120, blank=True)
    ship_to = models.CharField(max_length=20, blank=True, help_text="Amazon FC code.")
    import_details = models.JSONField(
        default=dict, blank=True, help_text="importDetails, direct import only."
    )
    problems = models.JSONField(
        default=list, blank=True, help_text="Validation results [{rule, container, message}]."
    )
    validated_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    transaction_id = models.CharField(max_length=100, blank=True, db_index=True)
    transaction_status = models.CharField(max_length=20, blank=True)
    errors = models.JSONField(default=list, blank=True)
    edi_group_control_number = models.CharField(max_length=9, blank=True, db_index=True)
    edi_file = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.shipment_identifier

    def get_absolute_url(self) -> str:
        return reverse("orders:shipment_detail", args=[self.public_id])


class ContainerKind(models.TextChoices):
    CARTON = "carton", "Carton"
    PALLET = "pallet", "Pallet"


class Container(models.Model):
    """A carton or pallet as labelled: SSCC-18 (18 digits, no AI), parent pallet, weight, dimensions."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="containers")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    kind = models.CharField(max_length=10, choices=ContainerKind.choices, blank=True)
    sequence = models.PositiveIntegerField(help_text="cartonSequenceNumber / position in the fulfilment.")
    sscc = models.CharField(max_length=40, blank=True, db_index=True)
    weight = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    weight_unit = models.CharField(max_length=4, default="Lb")  # Lb | Kg (Amazon's enum)
    length = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    width = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    height = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    dimension_unit = models.CharField(max_length=6, default="In")
    tracking_number = models.CharField(max_length=60, blank=True)
    description = models.CharField(max_length=300, blank=True, help_text="NetSuite packageDescr.")

    class Meta:
        ordering = ["shipment", "sequence"]

    def __str__(self) -> str:
        return f"{self.get_kind_display() or 'Container'} {self.sequence} ({self.sscc or 'no SSCC'})"

    @property
    def label(self) -> str:
        return f"{self.get_kind_display() or 'Container'} {self.sequence} SSCC {self.sscc or '(none)'}"


class ContainerItem(models.Model):
    """Units of one PO line in one container (eaches), with lot and expiry where the item has them."""

    container = models.ForeignKey(Container, on_delete=models.CASCADE, related_name="items")
    po_line = models.ForeignKey("orders.PurchaseOrderLine", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    lot_number = models.CharField(max_length=40, blank=True)
    expiry_date = models.DateField(null=True, blank=True)
    due_diligence_reference = models.CharField(
        max_length=60, blank=True, help_text="EUDR due-diligence statement (regulationReferences)."
    )

    class Meta:
        ordering = ["container", "id"]

    def __str__(self) -> str:
        return f"{self.po_line_id} x {self.quantity}"


class InvoiceStatus(models.TextChoices):
    NETSUITE = "netsuite", "Creating in NetSuite"
    READY = "ready", "Ready to send"
    QUEUED = "queued", "Queued"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    FAILED = "failed", "Failed"


class Invoice(models.Model):
    """One invoice per shipment, for what shipped, at the acknowledged cost; numbered by NetSuite."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    shipment = models.OneToOneField(Shipment, on_delete=models.PROTECT, related_name="invoice")
    purchase_order = models.ForeignKey(
        "orders.PurchaseOrder", on_delete=models.PROTECT, related_name="invoices"
    )
    external_id = models.CharField(max_length=60, unique=True, help_text="NetSuite external id.")
    number = models.CharField(max_length=40, blank=True, help_text="NetSuite invoice number (tranId).")
    netsuite_id = models.CharField(max_length=30, blank=True)
    invoice_date = models.DateField()
    currency = models.CharField(max_length=3, default="USD")
    total = models.DecimalField(max_digits=18, decimal_places=2)
    status = models.CharField(
        max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.NETSUITE, db_index=True
    )
    channel = models.CharField(max_length=10, default="api")
    submitted_at = models.DateTimeField(null=True, blank=True)
    transaction_id = models.CharField(max_length=100, blank=True, db_index=True)
    transaction_status = models.CharField(max_length=20, blank=True)
    errors = models.JSONField(default=list, blank=True)
    edi_group_control_number = models.CharField(max_length=9, blank=True, db_index=True)
    edi_file = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number or self.external_id

    def get_absolute_url(self) -> str:
        return reverse("orders:invoice_detail", args=[self.public_id])


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey("orders.PurchaseOrderLine", on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveIntegerField()
    quantity = models.PositiveIntegerField(help_text="In the PO line's unit of measure.")
    unit_of_measure = models.CharField(max_length=20, default="Eaches")
    unit_size = models.PositiveIntegerField(default=1)
    unit_cost = models.DecimalField(max_digits=24, decimal_places=10)

    class Meta:
        ordering = ["invoice", "sequence"]

    def __str__(self) -> str:
        return f"{self.sequence}: {self.quantity} @ {self.unit_cost}"

    @property
    def amount(self) -> Decimal:
        return (self.unit_cost * self.quantity).quantize(Decimal("0.01"))
