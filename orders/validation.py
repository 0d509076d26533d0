"""Validate purchase orders: item mapping, price, windows — raising and auto-clearing exception cases.

Each check owns one dedupe key per PO (``<kind>:<vendor code>:<PO>``), so running it again only
touches the open case, and a check that passes clears (auto-resolves) the case it once raised.
``sku_asin_gap`` blocks the PO (no sales order, no acknowledgement) until every line maps;
``price_discrepancy`` and the window checks inform ops but do not block: we acknowledge at our own
cost (the cost we will invoice), which is what Amazon's guide asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import prefetch_related_objects

from orders import identifiers, services
from orders.models import (
    OPEN_PO_STATUSES,
    IdentifierKind,
    Item,
    ItemCrossReference,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
)
from vendorsync.models import ExceptionCase, ExceptionKind, Severity
from vendorsync.services import CaseRaise, exceptions_clear_many, exceptions_raise_many

SUBJECT_TYPE = "orders.purchaseorder"


def dedupe_key(kind: str, po: PurchaseOrder) -> str:
    return f"{kind}:{po.vendor_code.code}:{po.number}"


class ItemResolver:
    """Maps PO lines to items with every lookup table loaded once (bulk validation stays linear)."""

    def __init__(self) -> None:
        items = list(Item.objects.filter(inactive=False))
        self.by_asin = {i.asin: i for i in items if i.asin}
        self.by_gtin = {i.gtin: i for i in items if i.gtin}
        self.by_sku = {i.sku: i for i in items}
        self.xrefs: dict[tuple[int, str, str], Item] = {
            (x.vendor_code_id, x.kind, x.value): x.item
            for x in ItemCrossReference.objects.select_related("item").filter(item__inactive=False)
        }
        self._resolved: dict[tuple[int, str, str], Item | None] = {}

    def resolve(self, line: PurchaseOrderLine, vendor_code_id: int) -> Item | None:
        # POs order the same few hundred items over and over: resolve each identifier pair once.
        key = (vendor_code_id, line.asin, line.vendor_product_id)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(line.asin, line.vendor_product_id, vendor_code_id)
        return self._resolved[key]

    def _resolve(self, asin: str, vendor_id: str, vendor_code_id: int) -> Item | None:
        asin = asin.strip().upper()
        vendor_id = vendor_id.strip()
        gtin = identifiers.gtin14(vendor_id)
        for kind, value in (
            (IdentifierKind.ASIN, asin),
            (IdentifierKind.GTIN, gtin),
            (IdentifierKind.VENDOR_SKU, vendor_id),
        ):
            if value and (found := self.xrefs.get((vendor_code_id, kind, value))):
                return found
        # NetSuite's own data: the item's ASIN field, its UPC/EAN as a GTIN, its SKU.
        return (
            (self.by_asin.get(asin) if asin else None)
            or (self.by_gtin.get(gtin) if gtin else None)
            or (self.by_sku.get(vendor_id) if vendor_id else None)
        )


@dataclass
class ValidationOutcome:
    blocked: bool
    raised: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


def price_tolerance() -> Decimal:
    return Decimal(str(settings.ORDERS_PRICE_TOLERANCE_PERCENT))


def unit_cost(item: Item, line: PurchaseOrderLine) -> Decimal | None:
    """NetSuite's cost for one ordered unit of the line (a case costs unit_size eaches)."""
    return None if item.cost is None else item.cost * line.unit_size


@dataclass
class _Writes:
    """What checking a batch decided to write; applied set-based by ``_apply`` (one pass per kind)."""

    mapped: list[tuple[PurchaseOrder, list[PurchaseOrderLine]]] = field(default_factory=list)
    raises: list[CaseRaise] = field(default_factory=list)
    clears: list[tuple[str, str]] = field(default_factory=list)
    statuses: list[tuple[PurchaseOrder, str, str]] = field(default_factory=list)


def _apply(writes: _Writes) -> None:
    """Write a batch's decisions in the order the checks made them: mapping, cases, statuses."""
    with transaction.atomic():
        services.purchase_order_lines_record(changes=writes.mapped)
        exceptions_raise_many(raises=writes.raises)
        exceptions_clear_many(clears=writes.clears)
        services.purchase_orders_set_status(changes=writes.statuses)


def _open_keys(pos: Iterable[PurchaseOrder]) -> set[str]:
    keys = [dedupe_key(kind, po) for po in pos for kind in (*CHECKS, *ACK_KINDS)]
    return set(ExceptionCase.objects.open().filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True))


def validate_purchase_order(
    po: PurchaseOrder,
    *,
    resolver: ItemResolver,
    now: datetime,
    lines: list[PurchaseOrderLine] | None = None,
    open_keys: set[str] | None = None,
) -> ValidationOutcome:
    """Map lines, then raise or clear each problem of the PO. Cancelled POs clear everything.

    ``open_keys`` (the open dedupe keys among this PO's) is looked up when not given.
    """
    writes = _Writes()
    outcome = _check(
        po,
        resolver=resolver,
        now=now,
        lines=lines if lines is not None else list(po.lines.all()),
        open_keys=open_keys if open_keys is not None else _open_keys([po]),
        writes=writes,
    )
    _apply(writes)
    return outcome


def _check(
    po: PurchaseOrder,
    *,
    resolver: ItemResolver,
    now: datetime,
    lines: list[PurchaseOrderLine],
    open_keys: set[str],
    writes: _Writes,
) -> ValidationOutcome:
    """Decide what validating one PO writes (into ``writes``); reads nothing from the database.

    ``open_keys`` (the open dedupe keys among the batch's) spares clearing what is not open.
    """
    outcome = ValidationOutcome(blocked=False)
    # Re-run = the items flow: it reads items and costs again and validates every open PO again.
    # The orders flow only validates POs its window brings back, so it never redid this step.
    rerun = {"rerun_flow": "items", "purchase_order": po.number, "vendor_code": po.vendor_code.code}
    subject = {"subject_type": SUBJECT_TYPE, "subject_id": str(po.public_id)}
    keys = {kind: dedupe_key(kind, po) for kind in CHECKS}

    def clear(key: str, kind: str, note: str) -> None:
        if key in open_keys:
            writes.clears.append((key, note))
            outcome.cleared.append(kind)

    if po.status == PurchaseOrderStatus.CANCELLED:
        for kind in (*CHECKS, *ACK_KINDS):  # nothing is left to acknowledge
            clear(dedupe_key(kind, po), kind, f"PO {po.number} was cancelled by Amazon.")
        return outcome
    # A PO past its decision (acknowledged, rejected, closed) only has its price checked again:
    # a cost fixed in NetSuite clears the case; nothing new is raised about history.
    decided = po.status not in OPEN_PO_STATUSES

    active = [line for line in lines if not line.cancelled]
    if not decided:
        mapping = {line.pk: resolver.resolve(line, po.vendor_code_id) for line in active}
        changed = [
            line for line in active if line.item_id != (item.pk if (item := mapping[line.pk]) else None)
        ]
        for line in active:
            line.item = mapping[line.pk]
        writes.mapped.append((po, changed))

    # 1. Every line maps to a NetSuite item.
    unmapped = [line for line in active if line.item is None]
    if decided:
        pass
    elif unmapped:
        at_risk = sum((line.line_value or Decimal(0) for line in unmapped), Decimal(0))
        described = ", ".join(
            f"line {line.sequence} ASIN {line.asin or '—'} / {line.vendor_product_id or '—'}"
            for line in unmapped[:10]
        )
        writes.raises.append(
            CaseRaise(
                kind=ExceptionKind.SKU_ASIN_GAP,
                dedupe_key=keys["sku_asin_gap"],
                message=f"PO {po.number}: {len(unmapped)} line(s) map to no NetSuite item: {described}.",
                details=rerun
                | {
                    "lines": [
                        {
                            "sequence": line.sequence,
                            "asin": line.asin,
                            "vendor_product_id": line.vendor_product_id,
                        }
                        for line in unmapped
                    ]
                },
                severity=Severity.HIGH,
                amount_at_risk=_money(at_risk),
                **subject,
            )
        )
        outcome.raised.append("sku_asin_gap")
        outcome.blocked = True
    else:
        clear(
            keys["sku_asin_gap"],
            "sku_asin_gap",
            "Every line now maps to a NetSuite item (cross-reference added); PO revalidated.",
        )

    # 2. Amazon's net cost equals NetSuite's cost within the tolerance.
    tolerance = price_tolerance()
    mismatched: list[tuple[PurchaseOrderLine, Decimal, Decimal]] = []
    for line in active:
        if line.item is None or line.net_cost is None:
            continue
        ours = unit_cost(line.item, line)
        if ours is None or ours == 0:
            continue
        if abs(line.net_cost - ours) * 100 / ours > tolerance:
            mismatched.append((line, line.net_cost, ours))
    if mismatched and decided:
        pass
    elif mismatched:
        at_risk = sum(
            (abs(theirs - ours) * line.ordered_quantity for line, theirs, ours in mismatched), Decimal(0)
        )
        described = ", ".join(
            f"line {line.sequence} Amazon {line.net_cost_text or theirs} vs NetSuite {_money(ours)}"
            for line, theirs, ours in mismatched[:10]
        )
        writes.raises.append(
            CaseRaise(
                kind=ExceptionKind.PRICE_DISCREPANCY,
                dedupe_key=keys["price_discrepancy"],
                message=f"PO {po.number}: net cost differs from NetSuite beyond {tolerance}%: {described}.",
                details=rerun
                | {
                    "tolerance_percent": str(tolerance),
                    "lines": [
                        {"sequence": line.sequence, "amazon": str(theirs), "netsuite": str(ours)}
                        for line, theirs, ours in mismatched
                    ],
                },
                amount_at_risk=_money(at_risk),
                **subject,
            )
        )
        outcome.raised.append("price_discrepancy")
    else:
        clear(
            keys["price_discrepancy"],
            "price_discrepancy",
            "Amazon's net cost and NetSuite's cost agree within the tolerance.",
        )

    if decided:
        return outcome

    # 3. Windows make sense: present, ordered, and not already over before we could acknowledge.
    window_problem = _window_problem(po, now)
    if window_problem:
        writes.raises.append(
            CaseRaise(
                kind=ExceptionKind.PO_EXPIRING,
                dedupe_key=keys["po_window"],
                message=f"PO {po.number}: {window_problem}",
                details=rerun | {"ship_window": [str(po.ship_window_start), str(po.ship_window_end)]},
                amount_at_risk=_money(sum((line.line_value or Decimal(0) for line in active), Decimal(0))),
                **subject,
            )
        )
        outcome.raised.append("po_window")
    else:
        clear(keys["po_window"], "po_window", "The PO's windows are consistent.")

    if outcome.blocked:
        writes.statuses.append((po, PurchaseOrderStatus.BLOCKED, "; ".join(outcome.raised)))
    elif po.status == PurchaseOrderStatus.BLOCKED:
        writes.statuses.append((po, PurchaseOrderStatus.NEW, "validation passed"))
    return outcome


def _window_problem(po: PurchaseOrder, now: datetime) -> str:
    start, end = (
        po.ship_window_start or po.delivery_window_start,
        po.ship_window_end or po.delivery_window_end,
    )
    if start is None or end is None:
        return "Amazon sent neither a ship window nor a delivery window."
    if end < start:
        return f"the window ends ({end:%Y-%m-%d}) before it starts ({start:%Y-%m-%d})."
    if (
        po.status in (PurchaseOrderStatus.NEW, PurchaseOrderStatus.BLOCKED, PurchaseOrderStatus.READY)
        and end < now
    ):
        return f"the window closed on {end:%Y-%m-%d %H:%M} before the PO was acknowledged."
    if end - timedelta(hours=24) < po.ordered_at:
        return f"the window ends ({end:%Y-%m-%d %H:%M}) less than 24 h after the order."
    return ""


CHECKS = ("sku_asin_gap", "price_discrepancy", "po_window")
ACK_KINDS = ("ack_overdue", "ack_failed")  # cleared when Amazon cancels the PO


def validate_many(
    pos: Iterable[PurchaseOrder],
    *,
    now: datetime,
    resolver: ItemResolver | None = None,
    lines: Mapping[int, list[PurchaseOrderLine]] | None = None,
) -> dict[str, int]:
    """Validate a batch set-based: lines and open cases are read once for the batch, and its
    mappings, cases and statuses are written in a few statements whatever its size.

    ``lines`` (PO pk → its lines, as just written) spares reading back the lines of POs the caller
    has just created; the others' lines are read in one query.
    """
    pos = list(pos)
    given = lines or {}
    resolver = resolver or ItemResolver()
    prefetch_related_objects([po for po in pos if po.pk not in given], "lines")
    prefetch_related_objects(pos, "vendor_code")
    open_keys = _open_keys(pos)
    counts = {"validated": 0, "blocked": 0}
    writes = _Writes()
    for po in pos:
        po_lines = given[po.pk] if po.pk in given else list(po.lines.all())
        outcome = _check(po, resolver=resolver, now=now, lines=po_lines, open_keys=open_keys, writes=writes)
        counts["validated"] += 1
        counts["blocked"] += int(outcome.blocked)
    _apply(writes)
    return counts
