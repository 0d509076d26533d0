"""Orders services: every state change of vendor codes, items, cross-references, POs and acknowledgements.

Each function runs in a transaction and writes its ``AuditEvent`` in that transaction. Writes to
NetSuite and Amazon are never made here: a service enqueues an outbox message in the same
transaction as the business change (sales order upsert, acknowledgement submission), and the relay
delivers it. People are checked here as well as in views (``work_orders``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from orders import identifiers
from orders.models import (
    Acknowledgement,
    AcknowledgementLine,
    AcknowledgementStatus,
    Item,
    ItemCrossReference,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    SalesOrderState,
    VendorCode,
)
from vendorsync.amazon import values as api
from vendorsync.bulk import insert_objects, new_object
from vendorsync.roles import perm
from vendorsync.services import (
    audit_event,
    audit_record,
    audit_record_many,
    outbox_enqueue,
    outbox_enqueue_many,
)

SALES_ORDER_OPERATION = "salesorder.upsert"
ACK_OPERATION = "acknowledgement.submit"


def _require_work_orders(actor: Any) -> None:
    if actor is not None and not actor.has_perm(perm("work_orders")):
        raise PermissionDenied("Your role cannot change orders.")


# --- Vendor codes ---------------------------------------------------------------------------------


def vendor_code_ensure(*, code: str) -> VendorCode:
    """The vendor code row for a selling party, created (audited) the first time a PO names it."""
    code = code.strip()
    found = VendorCode.objects.filter(code=code).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            vendor = VendorCode.objects.create(code=code)
            audit_record(actor=None, action="vendor_code.created", subject=vendor, after={"code": code})
            return vendor
    except IntegrityError:  # created by a concurrent import
        return VendorCode.objects.get(code=code)


def vendor_code_map(
    *, vendor_code: VendorCode, customer_id: str, subsidiary_id: str, name: str = "", actor: Any = None
) -> VendorCode:
    """Point a vendor code at its NetSuite customer and subsidiary."""
    _require_work_orders(actor)
    with transaction.atomic():
        locked = VendorCode.objects.select_for_update().get(pk=vendor_code.pk)
        before = {"customer": locked.netsuite_customer_id, "subsidiary": locked.netsuite_subsidiary_id}
        after = {"customer": customer_id, "subsidiary": subsidiary_id}
        if before == after and (not name or name == locked.name):
            return locked
        locked.netsuite_customer_id = customer_id
        locked.netsuite_subsidiary_id = subsidiary_id
        if name:
            locked.name = name
        locked.save(update_fields=["netsuite_customer_id", "netsuite_subsidiary_id", "name"])
        audit_record(actor=actor, action="vendor_code.mapped", subject=locked, before=before, after=after)
        return locked


# --- Items ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    """One NetSuite item as the items flow read it."""

    netsuite_id: str
    sku: str
    upc: str
    asin: str
    description: str
    cost: Decimal | None
    case_pack: int
    available: int
    stock_by_location: dict[str, int]
    inactive: bool


_ITEM_FIELDS = (
    "sku",
    "upc",
    "gtin",
    "asin",
    "description",
    "cost",
    "case_pack",
    "available",
    "stock_by_location",
    "inactive",
)


def items_upsert(*, rows: Sequence[ItemRow]) -> dict[str, int]:
    """Create or update items from NetSuite in bulk; one audit row summarises what changed."""
    now = timezone.now()
    with transaction.atomic():
        existing = {
            item.netsuite_id: item
            for item in Item.objects.filter(netsuite_id__in=[r.netsuite_id for r in rows])
        }
        created: list[Item] = []
        changed: list[Item] = []
        cost_changed: list[str] = []
        for row in rows:
            values = {
                "sku": row.sku,
                "upc": row.upc,
                "gtin": identifiers.gtin14(row.upc) or "",
                "asin": row.asin.strip().upper(),
                "description": row.description[:300],
                "cost": row.cost,
                "case_pack": max(row.case_pack, 1),
                "available": row.available,
                "stock_by_location": row.stock_by_location,
                "inactive": row.inactive,
            }
            item = existing.get(row.netsuite_id)
            if item is None:
                created.append(Item(netsuite_id=row.netsuite_id, synced_at=now, **values))
                continue
            if any(getattr(item, key) != value for key, value in values.items()):
                if item.cost != row.cost:
                    cost_changed.append(item.netsuite_id)
                for key, value in values.items():
                    setattr(item, key, value)
                item.synced_at = now
                changed.append(item)
        Item.objects.bulk_create(created, batch_size=500)
        Item.objects.bulk_update(changed, [*_ITEM_FIELDS, "synced_at"], batch_size=500)
        counts = {
            "items_created": len(created),
            "items_updated": len(changed),
            "cost_changes": len(cost_changed),
        }
        if created or changed:
            audit_record(
                actor=None,
                action="items.synced",
                subject_type="orders.item",
                subject_id="*",
                after=counts | {"cost_changed": cost_changed[:50]},
            )
        return counts


# --- Cross-references -----------------------------------------------------------------------------


def cross_reference_add(
    *, actor: Any, vendor_code: VendorCode, kind: str, value: str, item: Item, note: str = ""
) -> ItemCrossReference:
    """Map an identifier to an item; raises ValidationError naming the field when it cannot."""
    _require_work_orders(actor)
    try:
        normalised = identifiers.normalise(kind, value)
    except ValueError as exc:
        raise ValidationError({"value": str(exc)}) from exc
    with transaction.atomic():
        if ItemCrossReference.objects.filter(vendor_code=vendor_code, kind=kind, value=normalised).exists():
            raise ValidationError({"value": f"{normalised} is already mapped for vendor code {vendor_code}."})
        xref = ItemCrossReference.objects.create(
            vendor_code=vendor_code,
            kind=kind,
            value=normalised,
            item=item,
            note=note[:200],
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        audit_record(
            actor=actor,
            action="cross_reference.added",
            subject=xref,
            after={"vendor_code": vendor_code.code, "kind": kind, "value": normalised, "item": item.sku},
        )
        return xref


def cross_reference_delete(*, actor: Any, xref: ItemCrossReference) -> None:
    _require_work_orders(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="cross_reference.deleted",
            subject=xref,
            before={
                "vendor_code": xref.vendor_code.code,
                "kind": xref.kind,
                "value": xref.value,
                "item": xref.item.sku,
            },
        )
        xref.delete()


# --- Purchase orders ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EdiLineExtras:
    """What only an 850 says about a line: the qualifier of the vendor id and every id to echo."""

    qualifier: str
    product_ids: tuple[tuple[str, str], ...]


def _cost_text(raw_item: Mapping[str, Any] | None, money: api.Money | None) -> str:
    if raw_item is not None:
        amount = (raw_item.get("netCost") or {}).get("amount")
        if amount is not None:
            return str(amount)
    return "" if money is None else str(money.amount)


def _line_values(
    item: api.PurchaseOrderItem, raw_item: Mapping[str, Any] | None, extras: EdiLineExtras | None
) -> dict[str, Any]:
    quantity = item.ordered_quantity
    unit_size = quantity.unit_size or 1
    values: dict[str, Any] = {
        "asin": (item.amazon_product_identifier or "").strip(),
        "vendor_product_id": item.vendor_product_identifier or "",
        "ordered_quantity": quantity.amount,
        "unit_of_measure": quantity.unit_of_measure or "Eaches",
        "unit_size": unit_size,
        "ordered_eaches": quantity.amount * unit_size,
        "back_order_allowed": item.is_back_order_allowed,
        "net_cost": item.net_cost.amount if item.net_cost else None,
        "net_cost_text": _cost_text(raw_item, item.net_cost),
        "net_cost_currency": (item.net_cost.currency_code or "") if item.net_cost else "",
        "net_cost_unit": (item.net_cost.unit_of_measure or "") if item.net_cost else "",
        "list_price": item.list_price.amount if item.list_price else None,
        "cancelled": quantity.amount == 0,
    }
    if extras is not None:
        values["vendor_product_qualifier"] = extras.qualifier
        values["product_ids"] = [list(pair) for pair in extras.product_ids]
    return values


def _header_values(order: api.PurchaseOrder) -> dict[str, Any]:
    details = order.details
    assert details is not None
    currency = next(
        (i.net_cost.currency_code for i in details.items if i.net_cost and i.net_cost.currency_code), ""
    )
    imports = details.import_details
    return {
        "amazon_state": order.purchase_order_state or "",
        "order_type": details.purchase_order_type or "",
        "ordered_at": details.purchase_order_date,
        "amazon_changed_at": details.purchase_order_changed_date,
        "amazon_state_changed_at": details.purchase_order_state_changed_date,
        "ship_window_start": details.ship_window.start if details.ship_window else None,
        "ship_window_end": details.ship_window.end if details.ship_window else None,
        "delivery_window_start": details.delivery_window.start if details.delivery_window else None,
        "delivery_window_end": details.delivery_window.end if details.delivery_window else None,
        "ship_to": details.ship_to_party.party_id if details.ship_to_party else "",
        "buying_party": details.buying_party.party_id if details.buying_party else "",
        "bill_to_party": details.bill_to_party.party_id if details.bill_to_party else "",
        "payment_method": details.payment_method or "",
        "deal_code": details.deal_code or "",
        "import_details": {k: v for k, v in vars(imports).items() if v} if imports else {},
        "currency": currency or "",
    }


@dataclass
class UpsertResult:
    purchase_order: PurchaseOrder
    created: bool
    changed: bool


def purchase_order_upsert(
    *,
    order: api.PurchaseOrder,
    source: str,
    raw: Mapping[str, Any],
    edi_lines: Mapping[str, EdiLineExtras] | None = None,
) -> UpsertResult:
    """Create or update a PO by (vendor code, number); unchanged re-imports change nothing.

    Lines are matched by their sequence number. A line Amazon sets to quantity 0 (or drops) is
    marked cancelled, never deleted; a PO Amazon closes before anything was acknowledged is
    cancelled.
    """
    details = order.details
    if details is None:
        raise ValueError(f"PO {order.purchase_order_number}: Amazon sent no order details.")
    if details.selling_party is None or not details.selling_party.party_id:
        raise ValueError(f"PO {order.purchase_order_number}: no selling party (vendor code).")
    vendor = vendor_code_ensure(code=details.selling_party.party_id)
    raw_items = {
        str(i.get("itemSequenceNumber", "")).strip(): i
        for i in (raw.get("orderDetails") or {}).get("items", [])
    }
    header = _header_values(order)
    with transaction.atomic():
        po = (
            PurchaseOrder.objects.select_for_update()
            .filter(vendor_code=vendor, number=order.purchase_order_number)
            .first()
        )
        if po is None:
            po = PurchaseOrder.objects.create(
                vendor_code=vendor, number=order.purchase_order_number, source=source, raw=dict(raw), **header
            )
            PurchaseOrderLine.objects.bulk_create(
                [
                    PurchaseOrderLine(
                        purchase_order=po,
                        position=position,
                        sequence=item.item_sequence_number,
                        **_line_values(
                            item,
                            raw_items.get(item.item_sequence_number),
                            (edi_lines or {}).get(item.item_sequence_number),
                        ),
                    )
                    for position, item in enumerate(details.items, start=1)
                ]
            )
            # A PO Amazon already shows closed or acknowledged was worked before VendorSync saw it.
            if order.purchase_order_state in ("Closed", "Acknowledged"):
                po.status = (
                    PurchaseOrderStatus.CANCELLED
                    if order.purchase_order_state == "Closed"
                    else PurchaseOrderStatus.ACKNOWLEDGED
                )
                po.save(update_fields=["status"])
            audit_record(
                actor=None,
                action="purchase_order.imported",
                subject=po,
                after={"number": po.number, "lines": len(details.items), "source": source},
            )
            return UpsertResult(po, created=True, changed=False)
        changes = {k: (getattr(po, k), v) for k, v in header.items() if getattr(po, k) != v}
        lines = {line.sequence: line for line in po.lines.all()}
        line_changes: dict[str, dict[str, Any]] = {}
        seen: set[str] = set()
        for position, item in enumerate(details.items, start=1):
            seq = item.item_sequence_number
            seen.add(seq)
            values = _line_values(item, raw_items.get(seq), (edi_lines or {}).get(seq))
            line = lines.get(seq)
            if line is None:
                PurchaseOrderLine.objects.create(purchase_order=po, position=position, sequence=seq, **values)
                line_changes[seq] = {"added": True}
                continue
            diff = {
                k: v
                for k, v in values.items()
                if getattr(line, k) != v and k not in ("product_ids", "vendor_product_qualifier")
            }
            if diff:
                line_changes[seq] = {k: str(v) for k, v in diff.items()}
                for k, v in values.items():
                    setattr(line, k, v)
                line.save()
        for seq, line in lines.items():
            if seq not in seen and not line.cancelled:
                line.cancelled = True
                line.save(update_fields=["cancelled"])
                line_changes[seq] = {"cancelled": "dropped by Amazon"}
        if not changes and not line_changes:
            return UpsertResult(po, created=False, changed=False)
        for key, (_old, new) in changes.items():
            setattr(po, key, new)
        po.raw = dict(raw)
        po.revision += 1
        po.updated_at = timezone.now()
        if order.purchase_order_state == "Closed" and po.status in (
            PurchaseOrderStatus.NEW,
            PurchaseOrderStatus.BLOCKED,
            PurchaseOrderStatus.READY,
            PurchaseOrderStatus.PENDING_APPROVAL,
        ):
            po.status = PurchaseOrderStatus.CANCELLED
        elif all(line.cancelled for line in po.lines.all()):
            po.status = PurchaseOrderStatus.CANCELLED
        po.save()
        audit_record(
            actor=None,
            action="purchase_order.changed",
            subject=po,
            before={k: str(old) for k, (old, _new) in changes.items()},
            after={k: str(new) for k, (_old, new) in changes.items()} | {"lines": line_changes},
        )
        return UpsertResult(po, created=False, changed=True)


def purchase_order_problem(order: api.PurchaseOrder) -> str:
    """Why a PO cannot be imported at all (the message ``purchase_order_upsert`` raises), or ""."""
    details = order.details
    if details is None:
        return f"PO {order.purchase_order_number}: Amazon sent no order details."
    if details.selling_party is None or not details.selling_party.party_id:
        return f"PO {order.purchase_order_number}: no selling party (vendor code)."
    return ""


# Amazon's state of a PO we see for the first time → ours (it was worked before VendorSync saw it).
_FIRST_SEEN_STATUS = {
    "Closed": PurchaseOrderStatus.CANCELLED,
    "Acknowledged": PurchaseOrderStatus.ACKNOWLEDGED,
}


_LINE_PO = PurchaseOrderLine._meta.get_field("purchase_order")
_LINE_ITEM = PurchaseOrderLine._meta.get_field("item")


def purchase_orders_create(
    *,
    orders: Sequence[api.PurchaseOrder],
    vendors: Mapping[str, VendorCode],
    source: str,
    resolver: Any = None,
) -> list[tuple[PurchaseOrder, list[PurchaseOrderLine]]]:
    """Create POs never seen before, set-based: the import's hot path (a page of new POs).

    Returns each PO with its lines (saved), so validation need not read them back.

    The same rows as ``purchase_order_upsert`` creating each (PO, lines, ``purchase_order.imported``
    audit row) in three INSERTs whatever the page size. With a ``resolver`` (validation's) the lines
    are mapped to their items before they are written, and the ``purchase_order.lines_mapped`` row
    validation would have written is written with them, so validation finds nothing left to map.
    ``vendors`` maps each selling party to its row (``vendor_code_ensure``). Every order must be
    importable (``purchase_order_problem``) and new: a PO that exists (a concurrent import) makes
    the INSERT fail with IntegrityError and the whole call roll back, for the caller to upsert
    the page one by one instead.
    """
    if not orders:
        return []
    with transaction.atomic():
        pos: list[PurchaseOrder] = []
        for order in orders:
            assert order.details is not None and order.details.selling_party is not None
            pos.append(
                PurchaseOrder(
                    vendor_code=vendors[order.details.selling_party.party_id.strip()],
                    number=order.purchase_order_number,
                    source=source,
                    raw=dict(order.raw),
                    status=_FIRST_SEEN_STATUS.get(order.purchase_order_state or "", PurchaseOrderStatus.NEW),
                    **_header_values(order),
                )
            )
        insert_objects(pos)
        lines: list[PurchaseOrderLine] = []
        created: list[tuple[PurchaseOrder, list[PurchaseOrderLine]]] = []
        events = []
        for po, order in zip(pos, orders, strict=True):
            details = order.details
            assert details is not None
            raw_items = {
                str(i.get("itemSequenceNumber", "")).strip(): i
                for i in (order.raw.get("orderDetails") or {}).get("items", [])
            }
            mapped: dict[str, str | None] = {}
            created.append((po, []))
            for position, item in enumerate(details.items, start=1):
                # Ids, not objects, then the caches: the FK descriptors' checks cost more than the
                # rest of building a line (20 lines a PO).
                line = new_object(
                    PurchaseOrderLine,
                    {
                        "purchase_order_id": po.pk,
                        "position": position,
                        "sequence": item.item_sequence_number,
                        **_line_values(item, raw_items.get(item.item_sequence_number), None),
                    },
                )
                _LINE_PO.set_cached_value(line, po)
                found = None
                # Validation maps open POs' active lines only; a decided PO keeps its lines unmapped.
                if resolver is not None and not line.cancelled and po.status == PurchaseOrderStatus.NEW:
                    found = resolver.resolve(line, po.vendor_code_id)
                    if found is not None:
                        line.item_id = found.pk
                        mapped[line.sequence] = found.sku
                _LINE_ITEM.set_cached_value(line, found)
                lines.append(line)
                created[-1][1].append(line)
            events.append(
                audit_event(
                    actor=None,
                    action="purchase_order.imported",
                    subject=po,
                    after={"number": po.number, "lines": len(details.items), "source": source},
                )
            )
            if mapped:
                events.append(
                    audit_event(actor=None, action="purchase_order.lines_mapped", subject=po, after=mapped)
                )
        insert_objects(lines)
        audit_record_many(events=events)
        return created


def purchase_order_set_status(*, po: PurchaseOrder, status: str, reason: str = "") -> PurchaseOrder:
    if po.status == status:
        return po
    with transaction.atomic():
        before = {"status": po.status}
        PurchaseOrder.objects.filter(pk=po.pk).update(status=status, updated_at=timezone.now())
        po.status = status
        audit_record(
            actor=None,
            action="purchase_order.status",
            subject=po,
            before=before,
            after={"status": status},
            reason=reason,
        )
        return po


_LINE_COLUMNS = {
    "item_id": "bigint",
    "accepted_quantity": "integer",
    "backordered_quantity": "integer",
    "rejected_quantity": "integer",
}


def _update_lines(columns: Mapping[str, Mapping[int, Any]]) -> None:
    """Set per-line values of a few columns in one ``UPDATE … FROM`` (arrays on PostgreSQL, VALUES elsewhere).

    ``bulk_update`` builds a ``CASE`` per column through the ORM's expression machinery, which
    costs ~10 ms per call for 20 lines and grows with rows × rows in the database; this is the hot
    path of every PO import. Every line given must have a value for every column. Column names
    are ours (never user input); values are bound parameters, cast to the column's type.
    """
    pks = sorted({pk for values in columns.values() for pk in values})
    if not pks:
        return
    names = list(columns)
    assert all(name in _LINE_COLUMNS for name in names)
    assert all(len(columns[name]) == len(pks) for name in names), "a value per line and column"
    table = PurchaseOrderLine._meta.db_table
    assignments = ", ".join(f'"{name}" = v."{name}"' for name in names)
    aliases = ", ".join(f'"{name}"' for name in names)
    if connection.vendor == "postgresql":
        # One array per column (a handful of parameters, however many lines) instead of VALUES
        # rows: rendering thousands of placeholders cost more than the UPDATE itself.
        arrays = ", ".join(["%s::bigint[]", *(f"%s::{_LINE_COLUMNS[n]}[]" for n in names)])
        sql = (
            f'UPDATE "{table}" SET {assignments} FROM unnest({arrays}) '  # noqa: S608
            f'AS v("id", {aliases}) WHERE "{table}"."id" = v."id"'
        )
        params: list[Any] = [pks, *([columns[name][pk] for pk in pks] for name in names)]
    else:
        row = (
            "(" + ", ".join(["CAST(%s AS bigint)", *(f"CAST(%s AS {_LINE_COLUMNS[n]})" for n in names)]) + ")"
        )
        sql = (
            f'WITH v("id", {aliases}) AS (VALUES {", ".join([row] * len(pks))}) '  # noqa: S608
            f'UPDATE "{table}" SET {assignments} FROM v WHERE "{table}"."id" = v."id"'
        )
        params = []
        for pk in pks:
            params += [pk, *(columns[name][pk] for name in names)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def purchase_orders_set_status(*, changes: Iterable[tuple[PurchaseOrder, str, str]]) -> int:
    """``purchase_order_set_status`` for many ``(po, status, reason)``: one UPDATE per status.

    The same rows: POs already in the status are left alone, each change is audited. Returns how
    many POs changed.
    """
    by_status: dict[str, list[PurchaseOrder]] = {}
    events = []
    for po, status, reason in changes:
        if po.status == status:
            continue
        events.append(
            audit_event(
                actor=None,
                action="purchase_order.status",
                subject=po,
                before={"status": po.status},
                after={"status": status},
                reason=reason,
            )
        )
        po.status = status
        by_status.setdefault(status, []).append(po)
    if not events:
        return 0
    now = timezone.now()
    with transaction.atomic():
        for status, pos in by_status.items():
            PurchaseOrder.objects.filter(pk__in=[po.pk for po in pos]).update(status=status, updated_at=now)
        audit_record_many(events=events)
    return len(events)


def purchase_order_map_lines(*, po: PurchaseOrder, mapping: Mapping[int, Item | None]) -> int:
    """Record which item each line maps to (line pk → item); returns how many lines changed."""
    return purchase_orders_map_lines(mappings=[(po, list(po.lines.all()), mapping)])


def purchase_orders_map_lines(
    *, mappings: Iterable[tuple[PurchaseOrder, Sequence[PurchaseOrderLine], Mapping[int, Item | None]]]
) -> int:
    """For many POs ``(po, its lines, line pk → item)``: record the items that changed.

    The line objects are updated in memory too. Returns how many lines changed.
    """
    changes = []
    for po, lines, mapping in mappings:
        mine = [
            line
            for line in lines
            if line.pk in mapping and line.item_id != (mapping[line.pk].pk if mapping[line.pk] else None)
        ]
        for line in mine:
            line.item = mapping[line.pk]
        if mine:
            changes.append((po, mine))
    return purchase_order_lines_record(changes=changes)


def purchase_order_lines_record(
    *, changes: Iterable[tuple[PurchaseOrder, Sequence[PurchaseOrderLine]]]
) -> int:
    """Write the items that lines now carry in memory (``(po, its changed lines)``), audited.

    One ``UPDATE … CASE`` per 500 lines and one ``purchase_order.lines_mapped`` audit row per PO.
    Returns how many lines were written.
    """
    changes = [(po, list(lines)) for po, lines in changes if lines]
    if not changes:
        return 0
    changed = [line for _po, lines in changes for line in lines]
    with transaction.atomic():
        for start in range(0, len(changed), 500):
            _update_lines({"item_id": {line.pk: line.item_id for line in changed[start : start + 500]}})
        audit_record_many(
            events=[
                audit_event(
                    actor=None,
                    action="purchase_order.lines_mapped",
                    subject=po,
                    after={line.sequence: (line.item.sku if line.item else None) for line in lines},
                )
                for po, lines in changes
            ]
        )
    return len(changed)


def purchase_order_sales_order_created(*, po: PurchaseOrder, netsuite_id: str) -> PurchaseOrder:
    with transaction.atomic():
        locked = PurchaseOrder.objects.select_for_update().get(pk=po.pk)
        if (
            locked.sales_order_state == SalesOrderState.CREATED
            and locked.netsuite_sales_order_id == netsuite_id
        ):
            return locked
        before = {
            "sales_order_state": locked.sales_order_state,
            "netsuite_id": locked.netsuite_sales_order_id,
        }
        locked.sales_order_state = SalesOrderState.CREATED
        locked.netsuite_sales_order_id = netsuite_id or locked.netsuite_sales_order_id
        locked.save(update_fields=["sales_order_state", "netsuite_sales_order_id"])
        audit_record(
            actor=None,
            action="purchase_order.sales_order_created",
            subject=locked,
            before=before,
            after={
                "sales_order_state": locked.sales_order_state,
                "netsuite_id": locked.netsuite_sales_order_id,
            },
        )
        return locked


def purchase_order_sales_order_failed(*, po: PurchaseOrder, error: str) -> PurchaseOrder:
    with transaction.atomic():
        locked = PurchaseOrder.objects.select_for_update().get(pk=po.pk)
        locked.sales_order_state = SalesOrderState.FAILED
        locked.save(update_fields=["sales_order_state"])
        audit_record(
            actor=None,
            action="purchase_order.sales_order_failed",
            subject=locked,
            after={"error": error[:500]},
        )
        return locked


# --- Acknowledgements -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LineDecision:
    """What we acknowledge for one PO line (quantities in the line's ordered unit)."""

    line: PurchaseOrderLine
    accepted: int
    backordered: int
    rejected: int
    rejection_reason: str
    net_cost: Decimal | None
    backorder_ship_date: datetime | None = None

    def __post_init__(self) -> None:
        if min(self.accepted, self.backordered, self.rejected) < 0:
            raise ValueError(f"Line {self.line.sequence}: negative acknowledged quantity.")
        if self.accepted + self.backordered + self.rejected != self.line.ordered_quantity:
            raise ValueError(
                f"Line {self.line.sequence}: acknowledged {self.accepted + self.backordered + self.rejected} "
                f"≠ ordered {self.line.ordered_quantity}."
            )


def sales_order_payload(po: PurchaseOrder, decisions: Iterable[LineDecision]) -> dict[str, Any]:
    """The NetSuite sales order for a PO: what we will ship (accepted + backordered) at the acked cost."""
    vendor = po.vendor_code
    lines = [
        {
            "item": {"id": d.line.item.netsuite_id},
            "quantity": (d.accepted + d.backordered) * d.line.unit_size,
            "rate": str((d.net_cost or Decimal(0)) / d.line.unit_size),
            "custcol_amz_asin": d.line.asin,
            "custcol_amz_po_line": d.line.sequence,
        }
        for d in decisions
        if d.accepted + d.backordered > 0 and d.line.item is not None
    ]
    body: dict[str, Any] = {
        "entity": {"id": vendor.netsuite_customer_id},
        "tranDate": po.ordered_at.date().isoformat(),
        "otherRefNum": po.number,
        "orderStatus": {"id": "B"},
        "memo": f"Amazon PO {po.number} to {po.ship_to}",
        "item": {"items": lines},
    }
    if po.ship_window_start:
        body["shipDate"] = po.ship_window_start.date().isoformat()
    if vendor.netsuite_subsidiary_id:
        body["subsidiary"] = {"id": vendor.netsuite_subsidiary_id}
    return body


def acknowledgement_plan(
    *, po: PurchaseOrder, decisions: Sequence[LineDecision], channel: str, needs_approval: bool
) -> Acknowledgement:
    """Record one PO's decisions (see ``acknowledgements_plan``)."""
    [ack] = acknowledgements_plan(plans=[(po, decisions)], channel=channel, needs_approval=needs_approval)
    return ack


def _sales_order_key(po: PurchaseOrder) -> str:
    return po.sales_order_external_id if po.revision == 1 else f"{po.sales_order_external_id}@r{po.revision}"


def acknowledgements_plan(
    *,
    plans: Sequence[tuple[PurchaseOrder, Sequence[LineDecision]]],
    channel: str,
    needs_approval: bool,
) -> list[Acknowledgement]:
    """Record decisions as new acknowledgements and queue the sales orders, in one transaction.

    An earlier acknowledgement of a PO that was never sent is superseded. Each sales order is
    upserted by external id ``AMZ-PO-<PO>`` (one outbox message per PO revision), so it is never
    duplicated. Set-based: a chunk of POs costs a handful of statements whatever its number of
    POs and lines (acknowledgements, their lines, outbox messages and audit rows in bulk).
    """
    from vendorsync.models import OutboxMessage

    if not plans:
        return []
    now = timezone.now()
    with transaction.atomic():
        ids = [po.pk for po, _ in plans]
        locked = {
            po.pk: po
            for po in PurchaseOrder.objects.select_for_update()
            .select_related("vendor_code")
            .defer("raw")
            .filter(pk__in=ids)
            .order_by("pk")
        }
        Acknowledgement.objects.filter(
            purchase_order_id__in=ids,
            status__in=[AcknowledgementStatus.PENDING_APPROVAL, AcknowledgementStatus.READY],
        ).update(status=AcknowledgementStatus.SUPERSEDED)
        status = AcknowledgementStatus.PENDING_APPROVAL if needs_approval else AcknowledgementStatus.READY
        acks = [
            Acknowledgement(
                purchase_order=locked[po.pk],
                status=status,
                channel=channel,
                purchase_order_revision=locked[po.pk].revision,
            )
            for po, _ in plans
        ]
        insert_objects(acks)
        ack_lines: list[AcknowledgementLine] = []
        for ack, (_po, decisions) in zip(acks, plans, strict=True):
            for d in decisions:
                for code, quantity in (
                    ("Accepted", d.accepted),
                    ("Backordered", d.backordered),
                    ("Rejected", d.rejected),
                ):
                    if quantity:
                        ack_lines.append(
                            new_object(
                                AcknowledgementLine,
                                {
                                    "acknowledgement_id": ack.pk,
                                    "po_line_id": d.line.pk,
                                    "code": code,
                                    "quantity": quantity,
                                    "rejection_reason": d.rejection_reason if code == "Rejected" else "",
                                    "scheduled_ship_date": d.backorder_ship_date
                                    if code == "Backordered"
                                    else None,
                                    "net_cost": d.net_cost,
                                },
                            )
                        )
                d.line.accepted_quantity = d.accepted
                d.line.backordered_quantity = d.backordered
                d.line.rejected_quantity = d.rejected
        insert_objects(ack_lines)
        every = [d for _, decisions in plans for d in decisions]
        for start in range(0, len(every), 2000):  # SQLite: 8,000 bound values, under its limit
            batch = every[start : start + 2000]
            _update_lines(
                {
                    "accepted_quantity": {d.line.pk: d.accepted for d in batch},
                    "backordered_quantity": {d.line.pk: d.backordered for d in batch},
                    "rejected_quantity": {d.line.pk: d.rejected for d in batch},
                }
            )
        shipping = [(locked[po.pk], ds) for po, ds in plans if any(d.accepted + d.backordered for d in ds)]
        keys = {_sales_order_key(po): (po, ds) for po, ds in shipping}
        existing = set(
            OutboxMessage.objects.filter(external_key__in=list(keys)).values_list("external_key", flat=True)
        )
        outbox_enqueue_many(
            target="netsuite",
            operation=SALES_ORDER_OPERATION,
            messages=[
                (
                    key,
                    {
                        "purchase_order": str(po.public_id),
                        "external_id": po.sales_order_external_id,
                        "record": sales_order_payload(po, decisions),
                    },
                )
                for key, (po, decisions) in keys.items()
                if key not in existing
            ],
        )
        po_status = PurchaseOrderStatus.PENDING_APPROVAL if needs_approval else PurchaseOrderStatus.READY
        shipping_ids = {po.pk for po, _ in shipping}
        by_state: dict[str, list[int]] = {}
        for po in locked.values():
            po.status = po_status
            po.updated_at = now
            if po.pk in shipping_ids and (po.sales_order_state != SalesOrderState.CREATED or po.revision > 1):
                po.sales_order_state = SalesOrderState.QUEUED
            by_state.setdefault(po.sales_order_state, []).append(po.pk)
        for state, pks in by_state.items():
            PurchaseOrder.objects.filter(pk__in=pks).update(
                status=po_status, sales_order_state=state, updated_at=now
            )
        events = []
        for ack, (po, decisions) in zip(acks, plans, strict=True):
            po.status, po.sales_order_state = po_status, locked[po.pk].sales_order_state
            events.append(
                audit_event(
                    actor=None,
                    action="acknowledgement.planned",
                    subject=locked[po.pk],
                    after={
                        "acknowledgement": str(ack.public_id),
                        "lines": {
                            d.line.sequence: [d.accepted, d.backordered, d.rejected] for d in decisions
                        },
                        "needs_approval": needs_approval,
                    },
                )
            )
        audit_record_many(events=events)
        return acks


def purchase_order_redecide(*, actor: Any, po: PurchaseOrder) -> PurchaseOrder:
    """Ops ask for a fresh decision after Amazon refused our acknowledgement (``ack_failed``).

    Amazon recorded nothing from a failed transaction, so the PO is decided again from current
    stock; the next acknowledgements run sends the new acknowledgement.
    """
    _require_work_orders(actor)
    with transaction.atomic():
        locked = PurchaseOrder.objects.select_for_update().get(pk=po.pk)
        if locked.status != PurchaseOrderStatus.ACK_FAILED:
            raise ValidationError(
                f"PO {locked.number} is {locked.get_status_display().lower()}; only a failed acknowledgement can be redone."
            )
        locked.status = PurchaseOrderStatus.NEW
        locked.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="purchase_order.redecide",
            subject=locked,
            before={"status": "ack_failed"},
            after={"status": "new"},
        )
        return locked


def acknowledgement_approve(*, actor: Any, ack: Acknowledgement) -> Acknowledgement:
    """Ops approve an acknowledgement the allocation proposed; the acknowledgements flow sends it."""
    _require_work_orders(actor)
    with transaction.atomic():
        locked = Acknowledgement.objects.select_for_update().select_related("purchase_order").get(pk=ack.pk)
        if locked.status != AcknowledgementStatus.PENDING_APPROVAL:
            raise ValidationError(
                f"This acknowledgement is {locked.get_status_display().lower()}, not awaiting approval."
            )
        locked.status = AcknowledgementStatus.READY
        locked.approved_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.save(update_fields=["status", "approved_by"])
        po = locked.purchase_order
        po.status = PurchaseOrderStatus.READY
        po.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="acknowledgement.approved",
            subject=po,
            after={"acknowledgement": str(locked.public_id)},
        )
        return locked


def acknowledgement_queue(*, ack: Acknowledgement) -> Acknowledgement:
    """Hand a ready acknowledgement to the outbox (Amazon API or EDI 855, as the ack's channel says)."""
    with transaction.atomic():
        locked = Acknowledgement.objects.select_for_update().select_related("purchase_order").get(pk=ack.pk)
        if locked.status != AcknowledgementStatus.READY:
            return locked
        locked.status = AcknowledgementStatus.QUEUED
        locked.save(update_fields=["status"])
        outbox_enqueue(
            target="amazon",
            operation=ACK_OPERATION,
            external_key=f"ACK-{locked.public_id}",
            payload={"acknowledgement": str(locked.public_id), "channel": locked.channel},
        )
        po = locked.purchase_order
        po.status = PurchaseOrderStatus.ACKNOWLEDGING
        po.save(update_fields=["status"])
        audit_record(
            actor=None,
            action="acknowledgement.queued",
            subject=po,
            after={"acknowledgement": str(locked.public_id), "channel": locked.channel},
        )
        return locked


def acknowledgement_submitted(
    *, ack: Acknowledgement, transaction_id: str = "", edi_group_control_number: str = "", edi_file: str = ""
) -> Acknowledgement:
    with transaction.atomic():
        locked = Acknowledgement.objects.select_for_update().select_related("purchase_order").get(pk=ack.pk)
        if locked.status not in (AcknowledgementStatus.QUEUED, AcknowledgementStatus.READY):
            return locked
        locked.status = AcknowledgementStatus.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.transaction_id = transaction_id
        locked.transaction_status = "Processing"
        locked.edi_group_control_number = edi_group_control_number
        locked.edi_file = edi_file
        locked.save()
        audit_record(
            actor=None,
            action="acknowledgement.submitted",
            subject=locked.purchase_order,
            after={
                "acknowledgement": str(locked.public_id),
                "transaction_id": transaction_id,
                "edi_file": edi_file,
            },
        )
        return locked


def acknowledgement_record_outcome(
    *, ack: Acknowledgement, status: str, errors: list[dict[str, str]] | None = None
) -> Acknowledgement:
    """Record Amazon's verdict (transaction status, or the 997 for an 855): Success/Failure/Processing."""
    with transaction.atomic():
        locked = Acknowledgement.objects.select_for_update().select_related("purchase_order").get(pk=ack.pk)
        if locked.transaction_status == status and locked.status != AcknowledgementStatus.SUBMITTED:
            return locked
        before = {"status": locked.status, "transaction_status": locked.transaction_status}
        locked.transaction_status = status
        locked.errors = list(errors or [])
        po = locked.purchase_order
        if status == "Success":
            locked.status = AcknowledgementStatus.ACCEPTED
            accepted_any = locked.lines.exclude(code="Rejected").exists()
            po.status = PurchaseOrderStatus.ACKNOWLEDGED if accepted_any else PurchaseOrderStatus.REJECTED
        elif status == "Failure":
            locked.status = AcknowledgementStatus.FAILED
            po.status = PurchaseOrderStatus.ACK_FAILED
        else:
            locked.save(update_fields=["transaction_status", "errors"])
            return locked
        locked.save(update_fields=["status", "transaction_status", "errors"])
        po.save(update_fields=["status"])
        audit_record(
            actor=None,
            action="acknowledgement.outcome",
            subject=po,
            before=before,
            after={"status": locked.status, "transaction_status": status, "errors": locked.errors[:5]},
        )
        return locked


# --- Cross-reference import (XLSX) ----------------------------------------------------------------

IMPORT_COLUMNS = ("vendor_code", "kind", "identifier", "item_sku", "note")


def cross_references_import(*, actor: Any, rows: Sequence[Mapping[str, Any]]) -> list[ItemCrossReference]:
    """Add many cross-references at once: all of them, or none with every problem named by row.

    ``rows`` are dicts with ``IMPORT_COLUMNS`` keys and a ``row`` number (the spreadsheet row).
    ``kind`` is ``asin``, ``gtin`` (EAN/UPC) or ``vendor_sku``; an empty kind is guessed from the
    identifier. A row that repeats an existing mapping to the same item is skipped, not an error.
    """
    from orders.models import IdentifierKind

    _require_work_orders(actor)
    problems: list[str] = []
    planned: list[tuple[VendorCode, str, str, Item, str]] = []
    vendors = {v.code: v for v in VendorCode.objects.all()}
    items = {i.sku: i for i in Item.objects.all()}
    existing = {(x.vendor_code_id, x.kind, x.value): x.item_id for x in ItemCrossReference.objects.all()}
    seen: set[tuple[int, str, str]] = set()
    for row in rows:
        where = f"Row {row.get('row', '?')}"
        code = str(row.get("vendor_code") or "").strip()
        identifier = str(row.get("identifier") or "").strip()
        sku = str(row.get("item_sku") or "").strip()
        kind = str(row.get("kind") or "").strip().lower()
        vendor = vendors.get(code)
        if vendor is None:
            problems.append(f"{where}, vendor_code: unknown vendor code {code!r}.")
            continue
        item = items.get(sku)
        if item is None:
            problems.append(f"{where}, item_sku: no NetSuite item with SKU {sku!r}.")
            continue
        if not identifier:
            problems.append(f"{where}, identifier: empty.")
            continue
        if not kind:
            kind = identifiers.classify(identifier)[0]
        if kind not in IdentifierKind.values:
            problems.append(f"{where}, kind: {kind!r} is not one of {', '.join(IdentifierKind.values)}.")
            continue
        try:
            value = identifiers.normalise(kind, identifier)
        except ValueError as exc:
            problems.append(f"{where}, identifier: {exc}")
            continue
        key = (vendor.pk, kind, value)
        if key in seen:
            problems.append(f"{where}, identifier: {value} appears twice in the file.")
            continue
        seen.add(key)
        if key in existing:
            if existing[key] != item.pk:
                problems.append(f"{where}, identifier: {value} is already mapped to another item.")
            continue
        planned.append((vendor, kind, value, item, str(row.get("note") or "")[:200]))
    if problems:
        raise ValidationError(problems)
    created: list[ItemCrossReference] = []
    with transaction.atomic():
        for vendor, kind, value, item, note in planned:
            xref = ItemCrossReference.objects.create(
                vendor_code=vendor,
                kind=kind,
                value=value,
                item=item,
                note=note,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            created.append(xref)
        audit_record(
            actor=actor,
            action="cross_reference.imported",
            subject_type="orders.itemcrossreference",
            subject_id="*",
            after={"created": len(created), "rows": len(rows)},
        )
    return created
