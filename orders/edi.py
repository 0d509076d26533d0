"""The orders side of EDI: the inbound/outbound folders, our envelope, and 855s built from our acks.

Files we send (855, 997) are written to ``VENDORSYNC_EDI_OUTBOUND`` for the AS2/VAN client to pick
up; they are written to a temporary name and renamed, so the client never reads half a file.
Control numbers come from the core's persisted sequences and never repeat.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from django.conf import settings

from orders.models import Acknowledgement, AcknowledgementLine, PurchaseOrderLine
from vendorsync.edi import (
    API_UOM_TO_X12,
    AcknowledgementItem,
    ItemStatus,
    OutboundEnvelope,
    ProductId,
    PurchaseOrderAcknowledgement,
    product_ids_for,
    write_855,
)
from vendorsync.edi.x12 import ControlNumbers
from vendorsync.edi_numbers import next_control_numbers

ACK_STATUS = {"Accepted": "IA", "Backordered": "IB", "Rejected": "IR"}


def inbound_dir() -> Path:
    return Path(settings.EDI_INBOUND_DIR)


def outbound_dir() -> Path:
    return Path(settings.EDI_OUTBOUND_DIR)


def envelope() -> OutboundEnvelope:
    return OutboundEnvelope(
        sender_id=settings.EDI_SENDER_ID,
        receiver_id=settings.EDI_RECEIVER_ID,
        test=settings.SANDBOX,
    )


def write_outbound(name: str, text: str) -> Path:
    """Write one outbound file atomically (temporary name, then rename)."""
    folder = outbound_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    tmp = folder / f".{name}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(text)
    os.replace(tmp, target)
    return target


def product_ids(line: PurchaseOrderLine) -> tuple[ProductId, ...]:
    """The ids to echo: those of the 850 when the PO came by EDI, else derived from the API values."""
    if line.product_ids:
        return tuple(ProductId(q, v, echoed=True) for q, v in line.product_ids)
    return product_ids_for(line.asin, line.vendor_product_id)


def build_855(
    ack: Acknowledgement, ack_lines: Sequence[AcknowledgementLine], at: datetime
) -> PurchaseOrderAcknowledgement:
    po = ack.purchase_order
    by_line: dict[int, list[AcknowledgementLine]] = {}
    for ack_line in ack_lines:
        by_line.setdefault(ack_line.po_line_id, []).append(ack_line)
    items = []
    ship_date = (po.ship_window_start or po.ordered_at).date()
    for line in sorted({a.po_line for a in ack_lines}, key=lambda pl: pl.position):
        unit = API_UOM_TO_X12.get(line.unit_of_measure, "EA")
        statuses = []
        for bucket in by_line[line.pk]:
            code = ACK_STATUS[bucket.code]
            if bucket.code == "Rejected":
                statuses.append(ItemStatus(code, bucket.quantity, unit))
            else:
                day = bucket.scheduled_ship_date.date() if bucket.scheduled_ship_date else ship_date
                statuses.append(ItemStatus(code, bucket.quantity, unit, "068", day))
        cost = by_line[line.pk][0].net_cost
        items.append(
            AcknowledgementItem(
                item_sequence_number=line.sequence,
                ordered_quantity=line.ordered_quantity,
                unit_of_measure=unit,
                product_ids=product_ids(line),
                statuses=tuple(statuses),
                unit_price=cost if cost is not None and cost > 0 else None,
            )
        )
    changed = any(a.code != "Accepted" for a in ack_lines)
    return PurchaseOrderAcknowledgement(
        purchase_order_number=po.number,
        acknowledgement_date=at.date(),
        items=tuple(items),
        acknowledgement_type="AC" if changed else "AD",
    )


def render_855(
    ack: Acknowledgement, ack_lines: Sequence[AcknowledgementLine], at: datetime
) -> tuple[str, ControlNumbers]:
    numbers = next_control_numbers()
    text = write_855(build_855(ack, ack_lines, at), envelope=envelope(), control_numbers=numbers, at=at)
    return text, numbers
