"""Orders: vendor codes, NetSuite items and cross-references, Amazon purchase orders, acknowledgements.

Amazon's values are kept exactly as sent: the line sequence number as a string ("00001" stays),
the ASIN and vendor product id verbatim, the ordered quantity with its unit of measure and unit
size (eaches = amount × unit size), and the net cost both as a Decimal with enough places
(``3.333`` stays 3.333, ``1.2E2`` is 120) and as the original string. Nothing is ever deleted:
a cancelled PO or line is marked, and acknowledgements are kept as history.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone


class VendorCode(models.Model):
    """An Amazon selling party (vendor code) and the NetSuite customer/subsidiary its orders book to."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200, blank=True)
    netsuite_customer_id = models.CharField(max_length=30, blank=True)
    netsuite_subsidiary_id = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Item(models.Model):
    """A NetSuite inventory item as the ``items`` flow last read it (NetSuite is the source of truth)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    netsuite_id = models.CharField(max_length=30, unique=True)
    sku = models.CharField(max_length=100, db_index=True)
    upc = models.CharField(max_length=20, blank=True, help_text="UPC/EAN as NetSuite holds it.")
    gtin = models.CharField(
        max_length=14, blank=True, db_index=True, help_text="GTIN-14 form of the UPC/EAN."
    )
    asin = models.CharField(max_length=20, blank=True, db_index=True)
    description = models.CharField(max_length=300, blank=True)
    cost = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    case_pack = models.PositiveIntegerField(default=1)
    available = models.IntegerField(default=0, help_text="Available quantity over all locations.")
    stock_by_location = models.JSONField(default=dict, blank=True)
    inactive = models.BooleanField(default=False)
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} ({self.description})" if self.description else self.sku


class IdentifierKind(models.TextChoices):
    ASIN = "asin", "ASIN"
    GTIN = "gtin", "EAN / UPC / GTIN"
    VENDOR_SKU = "vendor_sku", "Vendor SKU"


class ItemCrossReference(models.Model):
    """Vendor code + an Amazon-side identifier → NetSuite item.

    GTINs are stored in their 14-digit form, so a 12-digit UPC and the 13-digit EAN of the same
    product are one identifier.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    vendor_code = models.ForeignKey(VendorCode, on_delete=models.PROTECT, related_name="cross_references")
    kind = models.CharField(max_length=20, choices=IdentifierKind.choices)
    value = models.CharField(max_length=40)
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="cross_references")
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["vendor_code__code", "kind", "value"]
        constraints = [
            models.UniqueConstraint(fields=["vendor_code", "kind", "value"], name="one_xref_per_identifier")
        ]

    def __str__(self) -> str:
        return f"{self.vendor_code} {self.get_kind_display()} {self.value} → {self.item.sku}"


class PurchaseOrderStatus(models.TextChoices):
    NEW = "new", "New"
    BLOCKED = "blocked", "Blocked"
    READY = "ready", "Ready to acknowledge"
    PENDING_APPROVAL = "pending_approval", "Awaiting approval"
    ACKNOWLEDGING = "acknowledging", "Acknowledging"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ACK_FAILED = "ack_failed", "Acknowledgement failed"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    CLOSED = "closed", "Closed"


OPEN_PO_STATUSES = (
    PurchaseOrderStatus.NEW,
    PurchaseOrderStatus.BLOCKED,
    PurchaseOrderStatus.READY,
    PurchaseOrderStatus.PENDING_APPROVAL,
    PurchaseOrderStatus.ACKNOWLEDGING,
    PurchaseOrderStatus.ACK_FAILED,
)


class SalesOrderState(models.TextChoices):
    NONE = "", "—"
    QUEUED = "queued", "Queued"
    CREATED = "created", "Created"
    FAILED = "failed", "Failed"


class Source(models.TextChoices):
    API = "api", "Orders API"
    EDI = "edi", "EDI 850"


class PurchaseOrder(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    vendor_code = models.ForeignKey(VendorCode, on_delete=models.PROTECT, related_name="purchase_orders")
    number = models.CharField(max_length=20)
    amazon_state = models.CharField(max_length=20, blank=True)  # New | Acknowledged | Closed
    order_type = models.CharField(max_length=40, blank=True)
    ordered_at = models.DateTimeField()
    amazon_changed_at = models.DateTimeField(null=True, blank=True)
    amazon_state_changed_at = models.DateTimeField(null=True, blank=True)
    ship_window_start = models.DateTimeField(null=True, blank=True)
    ship_window_end = models.DateTimeField(null=True, blank=True, db_index=True)
    delivery_window_start = models.DateTimeField(null=True, blank=True)
    delivery_window_end = models.DateTimeField(null=True, blank=True)
    ship_to = models.CharField(max_length=20, blank=True, db_index=True, help_text="Fulfilment centre code.")
    buying_party = models.CharField(max_length=40, blank=True)
    bill_to_party = models.CharField(max_length=40, blank=True)
    payment_method = models.CharField(max_length=40, blank=True)
    deal_code = models.CharField(max_length=100, blank=True)
    import_details = models.JSONField(default=dict, blank=True, help_text="Incoterms, method of payment…")
    currency = models.CharField(max_length=3, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    raw = models.JSONField(default=dict, help_text="The PO as Amazon sent it (JSON, or the 850 text).")
    revision = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=20, choices=PurchaseOrderStatus.choices, default=PurchaseOrderStatus.NEW, db_index=True
    )
    sales_order_state = models.CharField(max_length=10, choices=SalesOrderState.choices, blank=True)
    netsuite_sales_order_id = models.CharField(max_length=30, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-ordered_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["vendor_code", "number"], name="one_po_per_vendor_code"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("orders:po_detail", args=[self.public_id])

    @property
    def sales_order_external_id(self) -> str:
        return f"AMZ-PO-{self.number}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == PurchaseOrderStatus.CANCELLED


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(help_text="Order of the line in Amazon's document.")
    sequence = models.CharField(max_length=20, help_text="itemSequenceNumber exactly as sent.")
    asin = models.CharField(max_length=20, blank=True)
    vendor_product_id = models.CharField(max_length=60, blank=True)
    vendor_product_qualifier = models.CharField(max_length=4, blank=True, help_text="EDI PO1 qualifier.")
    product_ids = models.JSONField(default=list, blank=True, help_text="EDI product ids to echo [[q, v]].")
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.PROTECT, related_name="po_lines")
    ordered_quantity = models.PositiveIntegerField()
    unit_of_measure = models.CharField(max_length=20, blank=True)
    unit_size = models.PositiveIntegerField(default=1)
    ordered_eaches = models.PositiveIntegerField()
    back_order_allowed = models.BooleanField(default=False)
    net_cost = models.DecimalField(max_digits=24, decimal_places=10, null=True, blank=True)
    net_cost_text = models.CharField(max_length=40, blank=True, help_text="The amount string as sent.")
    net_cost_currency = models.CharField(max_length=3, blank=True)
    net_cost_unit = models.CharField(max_length=20, blank=True, help_text="POUNDS… for weight-priced items.")
    list_price = models.DecimalField(max_digits=24, decimal_places=10, null=True, blank=True)
    accepted_quantity = models.PositiveIntegerField(default=0)
    backordered_quantity = models.PositiveIntegerField(default=0)
    rejected_quantity = models.PositiveIntegerField(default=0)
    shipped_quantity = models.PositiveIntegerField(default=0)
    received_quantity = models.PositiveIntegerField(default=0)
    closed_quantity = models.PositiveIntegerField(default=0)
    cancelled = models.BooleanField(default=False)

    class Meta:
        ordering = ["purchase_order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "sequence"], name="one_line_per_sequence"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_order.number}/{self.sequence}"

    @property
    def line_value(self) -> Decimal | None:
        if self.net_cost is None:
            return None
        return self.net_cost * self.ordered_quantity


class AcknowledgementStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", "Awaiting approval"
    READY = "ready", "Ready to send"
    QUEUED = "queued", "Queued"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    FAILED = "failed", "Failed"
    SUPERSEDED = "superseded", "Superseded"


class Channel(models.TextChoices):
    API = "api", "Orders API"
    EDI = "edi", "EDI 855"


class Acknowledgement(models.Model):
    """One acknowledgement of a PO (its line decisions); a later one supersedes an unsent one."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    status = models.CharField(max_length=20, choices=AcknowledgementStatus.choices, db_index=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    created_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    transaction_id = models.CharField(max_length=100, blank=True, db_index=True)
    transaction_status = models.CharField(max_length=20, blank=True)  # Processing | Success | Failure
    errors = models.JSONField(default=list, blank=True)
    edi_group_control_number = models.CharField(max_length=9, blank=True, db_index=True)
    edi_file = models.CharField(max_length=300, blank=True)
    purchase_order_revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Ack {self.purchase_order.number} {self.status}"


class AcknowledgementCode(models.TextChoices):
    ACCEPTED = "Accepted", "Accepted"
    BACKORDERED = "Backordered", "Backordered"
    REJECTED = "Rejected", "Rejected"


class RejectionReason(models.TextChoices):
    TEMPORARILY_UNAVAILABLE = "TemporarilyUnavailable", "Temporarily unavailable"
    INVALID_PRODUCT_IDENTIFIER = "InvalidProductIdentifier", "Invalid product identifier"
    OBSOLETE_PRODUCT = "ObsoleteProduct", "Obsolete product"


class AcknowledgementLine(models.Model):
    """One status bucket of one PO line (a line may have Accepted + Backordered, or Rejected)."""

    acknowledgement = models.ForeignKey(Acknowledgement, on_delete=models.CASCADE, related_name="lines")
    po_line = models.ForeignKey(PurchaseOrderLine, on_delete=models.CASCADE, related_name="ack_lines")
    code = models.CharField(max_length=20, choices=AcknowledgementCode.choices)
    quantity = models.PositiveIntegerField()
    rejection_reason = models.CharField(max_length=40, choices=RejectionReason.choices, blank=True)
    scheduled_ship_date = models.DateTimeField(null=True, blank=True)
    net_cost = models.DecimalField(max_digits=24, decimal_places=10, null=True, blank=True)

    class Meta:
        ordering = ["po_line__position", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="ack_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.po_line} {self.code} {self.quantity}"


# Orders out (issue 8): shipments, containers and invoices live in their own module.
from orders.outbound_models import (  # noqa: E402, F401
    Container,
    ContainerItem,
    ContainerKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Shipment,
    ShipmentStatus,
)
