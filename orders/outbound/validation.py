"""The rules an ASN passes before anything is sent (API or 856), and the invoice's field limits.

Each problem names its rule and the container it is about, so the ``asn_blocked`` case tells the
warehouse exactly which label to fix. Rules:

- ``sscc_missing`` / ``sscc_check_digit``: every carton and pallet carries a valid SSCC-18 (GS1
  mod-10 via python-stdnum), 18 digits or 20 with the ``00`` AI.
- ``sscc_duplicate``: no SSCC twice in the shipment, nor in any shipment sent before (or built
  earlier from another fulfilment): Amazon refuses reuse within 365 days; we never reuse.
- ``weight_missing`` / ``container_type_missing``: each container has a positive weight and is a
  carton or a pallet.
- ``contents_mismatch`` (→ ``asn_manifest_divergence``): the cartons' contents sum, per PO line,
  to what the fulfilment says shipped.
- ``quantity_exceeds_accepted``: shipped in all shipments of the line ≤ accepted eaches.
- ``ship_date``: within the past 7 days and at most 2 days ahead (Amazon's rule), when shipped.
- ``field_length``: values within Amazon's and X12's maximum lengths (the stricter of the two).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, Sum
from stdnum import ean

from orders.outbound_models import (
    SENT_SHIPMENT_STATUSES,
    Container,
    ContainerItem,
    ContainerKind,
    Shipment,
)

DIVERGENCE_RULES = frozenset({"contents_mismatch"})

# (what, X12 element, max length). X12 5010 856: BSN02 AN 2/30, PRF01 AN 1/22, REF02 AN 1/30,
# TD503 ID 2/4, MAN02 AN 1/48 (SSCC is 20); 4010 810: BIG02 AN 1/22. Amazon's
# models give no maxLength for these strings; Vendor Central truncates ids beyond 30 characters,
# so the X12 limit is the binding one and the same limit is applied to the API path.
SHIPMENT_LIMITS: tuple[tuple[str, str, int], ...] = (
    ("shipment_identifier", "BSN02", 30),
    ("bill_of_lading", "REF02 (BM)", 30),
    ("pro_number", "REF02 (CN)", 30),
    ("carrier_scac", "TD503", 4),
    ("ship_from", "N104", 80),
    ("ship_to", "N104", 80),
)
PO_NUMBER_LIMIT = ("PRF01", 22)
LOT_LIMIT = ("REF02 (LT)", 30)
INVOICE_NUMBER_LIMIT = ("BIG02", 22)


@dataclass(frozen=True)
class Problem:
    rule: str
    message: str
    container: str = ""  # "Carton 3 SSCC 0006…" when the problem is about one container

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def sscc_digits(value: str) -> str:
    """The 18-digit SSCC from a label value (drops the ``00`` AI)."""
    value = value.strip()
    return value[2:] if len(value) == 20 and value.startswith("00") else value


def sscc_problem(value: str) -> str | None:
    digits = sscc_digits(value)
    if len(digits) != 18 or not digits.isdigit():
        return f"SSCC {value!r} must be 18 digits (or 20 with the (00) AI)"
    expected = ean.calc_check_digit(digits[:17])
    if digits[17] != expected:
        return f"SSCC {value} has check digit {digits[17]}, expected {expected}"
    return None


def _length(
    problems: list[Problem], what: str, value: str, element: str, limit: int, where: str = ""
) -> None:
    if len(value) > limit:
        problems.append(
            Problem(
                "field_length",
                f"{what} {value!r} is {len(value)} characters; {element} allows {limit}",
                where,
            )
        )


def validate_shipment(
    shipment: Shipment,
    *,
    fulfilled: dict[int, int],
    now: datetime | None,
) -> list[Problem]:
    """Every problem of the shipment as built; ``fulfilled`` = PO line id → eaches per the fulfilment.

    ``now`` (Amazon's clock) enables the ship-date rule; None while the goods are still picked.
    """
    problems: list[Problem] = []
    containers = list(shipment.containers.all())
    items = list(ContainerItem.objects.filter(container__shipment=shipment).select_related("po_line"))
    items_by_container: dict[int, list[ContainerItem]] = defaultdict(list)
    for item in items:
        items_by_container[item.container_id].append(item)

    seen: dict[str, str] = {}
    for container in containers:
        where = container.label
        if container.kind not in ContainerKind.values:
            problems.append(
                Problem("container_type_missing", f"{where}: no container type (carton or pallet)", where)
            )
        if not container.sscc:
            problems.append(Problem("sscc_missing", f"{where}: no SSCC on the package", where))
        else:
            problem = sscc_problem(container.sscc)
            if problem:
                problems.append(Problem("sscc_check_digit", f"{where}: {problem}", where))
            digits = sscc_digits(container.sscc)
            if digits in seen:
                problems.append(
                    Problem("sscc_duplicate", f"{where}: SSCC {digits} is also on {seen[digits]}", where)
                )
            seen.setdefault(digits, where)
        if container.weight is None or container.weight <= 0:
            problems.append(Problem("weight_missing", f"{where}: no weight on the package", where))
        if container.kind == ContainerKind.CARTON and not items_by_container.get(container.pk):
            problems.append(Problem("contents_mismatch", f"{where}: contents unknown (no items)", where))
        for item in items_by_container.get(container.pk, []):
            if item.lot_number:
                _length(problems, "Lot number", item.lot_number, *LOT_LIMIT, where)

    # SSCCs used by other shipments: any already sent, or built earlier from another fulfilment.
    if seen:
        others = (
            Container.objects.filter(sscc__in=[*seen, *("00" + s for s in seen)])
            .exclude(shipment=shipment)
            .filter(Q(shipment__status__in=SENT_SHIPMENT_STATUSES) | Q(shipment__id__lt=shipment.pk))
            .select_related("shipment")
        )
        for other in others:
            digits = sscc_digits(other.sscc)
            problems.append(
                Problem(
                    "sscc_duplicate",
                    f"{seen[digits]}: SSCC {digits} was already used by shipment {other.shipment.shipment_identifier}",
                    seen[digits],
                )
            )

    # Contents vs the fulfilment, per PO line.
    packed: dict[int, int] = defaultdict(int)
    for item in items:
        packed[item.po_line_id] += item.quantity
    lines = {item.po_line_id: item.po_line for item in items}
    lines.update({line.pk: line for line in shipment.purchase_order.lines.filter(pk__in=list(fulfilled))})
    for line_id in sorted(set(packed) | set(fulfilled)):
        if packed.get(line_id, 0) != fulfilled.get(line_id, 0):
            line = lines.get(line_id)
            name = f"PO line {line.sequence}" if line else f"line {line_id}"
            problems.append(
                Problem(
                    "contents_mismatch",
                    f"{name}: cartons hold {packed.get(line_id, 0)} units, the fulfilment says {fulfilled.get(line_id, 0)}",
                )
            )

    # Never more than accepted, counting every other shipment of the line that is not rejected.
    other_shipped = dict(
        ContainerItem.objects.filter(po_line_id__in=list(packed))
        .exclude(container__shipment=shipment)
        .exclude(container__shipment__status="rejected")
        .values_list("po_line_id")
        .annotate(total=Sum("quantity"))
    )
    for line_id, units in packed.items():
        line = lines[line_id]
        accepted = line.accepted_quantity * line.unit_size
        total = units + other_shipped.get(line_id, 0)
        if total > accepted:
            problems.append(
                Problem(
                    "quantity_exceeds_accepted",
                    f"PO line {line.sequence}: {total} units shipped in all, only {accepted} accepted",
                )
            )

    if now is not None and shipment.shipped_at is not None:
        if not (now - timedelta(days=7) <= shipment.shipped_at <= now + timedelta(days=2)):
            problems.append(
                Problem(
                    "ship_date",
                    f"Ship date {shipment.shipped_at:%Y-%m-%d} is not within the past 7 days or the next 2 days",
                )
            )
    elif now is not None:
        problems.append(Problem("ship_date", "No ship date on the fulfilment"))

    for field, element, limit in SHIPMENT_LIMITS:
        _length(problems, field.replace("_", " ").capitalize(), getattr(shipment, field), element, limit)
    _length(problems, "PO number", shipment.purchase_order.number, *PO_NUMBER_LIMIT)
    return problems


def invoice_problems(number: str) -> list[Problem]:
    """Field limits of an invoice before it goes out (BIG02). No party names go out: the 810 and the
    API invoice name parties by id, so a long vendor or FC name must not block an invoice."""
    problems: list[Problem] = []
    _length(problems, "Invoice number", number, *INVOICE_NUMBER_LIMIT)
    return problems


def summarise(problems: list[Problem]) -> list[dict[str, Any]]:
    return [p.as_dict() for p in problems]
