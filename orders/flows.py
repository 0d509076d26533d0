"""The order-flow sync steps: items, orders (API + EDI 850), acknowledgements, transactions.

Each flow is idempotent: items upsert by NetSuite id, POs by (vendor code, number), acknowledgements
are queued once per decision, and a re-run of a window changes nothing that did not change.
Connectors come from ``vendorsync.connections`` (the simulators in sandbox mode).

Amazon's clock is the reference for PO windows and deadlines: in sandbox mode that is the shared
simulated clock (which the live demo moves ahead of real time), otherwise the real time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, F, Q, Sum
from django.utils import timezone

from orders import allocation, edi, services, validation
from orders.models import (
    OPEN_PO_STATUSES,
    Acknowledgement,
    AcknowledgementStatus,
    Channel,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    SalesOrderState,
    Source,
)
from vendorsync import connections
from vendorsync.amazon import values as api
from vendorsync.edi import (
    EdiPurchaseOrder,
    FunctionalAcknowledgement,
    X12Error,
    acknowledge_group,
    parse_interchanges,
    read_documents,
    write_997,
)
from vendorsync.edi_numbers import next_control_numbers
from vendorsync.flows import FlowContext, FlowResult, register_flow
from vendorsync.models import ExceptionCase, ExceptionKind, Severity, Team
from vendorsync.services import exception_clear, exception_raise

logger = logging.getLogger(__name__)

ACK_DEADLINE = timedelta(hours=24)
CURSOR_OVERLAP = timedelta(minutes=10)  # re-read a little of the last window: late-indexed POs


def _every(seconds: int) -> int:
    """In sandbox mode the demo's simulated days are short: sync every minute so things show up."""
    return min(seconds, 60) if settings.SANDBOX else seconds


def amazon_now() -> datetime:
    """Now on Amazon's clock (the simulated clock in sandbox mode)."""
    if settings.SANDBOX:
        from vendorsync.sandbox.clock import SimClock

        return SimClock().now()
    return timezone.now()


# --- items ----------------------------------------------------------------------------------------

ITEMS_QUERY = (
    "SELECT id, itemid, displayname, upccode, cost, custitem_asin, custitem_case_pack, isinactive "
    "FROM item WHERE itemtype = 'InvtPart' ORDER BY id"
)
STOCK_QUERY = "SELECT item, location, quantityavailable FROM inventoryitemlocations ORDER BY item, location"
CUSTOMERS_QUERY = "SELECT id, companyname, subsidiary, externalid FROM customer WHERE externalid LIKE 'AMZ-VC-%' ORDER BY id"


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _int(value: Any, default: int = 0) -> int:
    number = _decimal(value)
    return int(number) if number is not None else default


@register_flow(
    "items",
    label="Items and stock",
    description="NetSuite items (UPC/EAN, ASIN, cost, case pack) and available stock per location, by SuiteQL.",
    owner_team=Team.OPS,
    order=10,
    every_seconds=_every(900),
    freshness_seconds=3 * 3600,
)
def items_flow(ctx: FlowContext) -> FlowResult:
    with connections.netsuite_client() as client:
        item_rows = list(client.suiteql(ITEMS_QUERY))
        stock_rows = list(client.suiteql(STOCK_QUERY, unique_key=("item", "location")))
        customers = list(client.suiteql(CUSTOMERS_QUERY))
    stock: dict[str, dict[str, int]] = {}
    for row in stock_rows:
        stock.setdefault(str(row["item"]), {})[str(row["location"])] = _int(row.get("quantityavailable"))
    rows = [
        services.ItemRow(
            netsuite_id=str(row["id"]),
            sku=row.get("itemid", ""),
            upc=row.get("upccode", "") or "",
            asin=row.get("custitem_asin", "") or "",
            description=row.get("displayname", "") or "",
            cost=_decimal(row.get("cost")),
            case_pack=_int(row.get("custitem_case_pack"), 1),
            available=sum(stock.get(str(row["id"]), {}).values()),
            stock_by_location=stock.get(str(row["id"]), {}),
            inactive=str(row.get("isinactive", "F")).upper() in ("T", "TRUE"),
        )
        for row in item_rows
    ]
    counts = services.items_upsert(rows=rows)
    counts["items"] = len(rows)
    # Vendor codes map to the NetSuite customer whose external id is AMZ-VC-<vendor code>.
    for customer in customers:
        code = str(customer["externalid"])[len("AMZ-VC-") :]
        vendor = services.vendor_code_ensure(code=code)
        services.vendor_code_map(
            vendor_code=vendor,
            customer_id=str(customer["id"]),
            subsidiary_id=str(customer.get("subsidiary", "")),
            name=customer.get("companyname", ""),
        )
    # New items, costs or stock may unblock POs and clear price cases.
    # ... and a cost fixed in NetSuite clears the price case of a PO whatever its status.
    priced = ExceptionCase.objects.open().filter(
        kind=ExceptionKind.PRICE_DISCREPANCY, subject_type="orders.purchaseorder"
    )
    counts |= revalidate(
        PurchaseOrder.objects.filter(
            Q(status__in=[PurchaseOrderStatus.NEW, PurchaseOrderStatus.BLOCKED])
            | Q(public_id__in=list(priced.values_list("subject_id", flat=True)))
        )
    )
    return FlowResult(counts=counts, cursor=timezone.now().isoformat())


def revalidate(queryset: Any) -> dict[str, int]:
    """Validate POs again and decide those that became ready (used after items or mappings change)."""
    pos = list(queryset.select_related("vendor_code"))
    counts = validation.validate_many(pos, now=amazon_now())
    planned = allocation.plan_all()
    return {
        "revalidated": counts["validated"],
        "still_blocked": counts["blocked"],
        "planned": planned["planned"],
    }


# --- orders ---------------------------------------------------------------------------------------


def _window_start(ctx: FlowContext, until: datetime) -> datetime:
    if ctx.since is not None:
        return ctx.since
    if ctx.cursor:
        try:
            return datetime.fromisoformat(ctx.cursor) - CURSOR_OVERLAP
        except ValueError:
            logger.warning("orders: unreadable cursor %r; starting from the default look-back", ctx.cursor)
    return until - timedelta(days=settings.ORDERS_INITIAL_LOOKBACK_DAYS)


def import_order(
    order: api.PurchaseOrder, *, source: str, raw: dict[str, Any], edi_lines: dict | None = None
) -> services.UpsertResult:
    """Upsert one PO; a PO Amazon changed after we acknowledged it is acknowledged again."""
    result = services.purchase_order_upsert(order=order, source=source, raw=raw, edi_lines=edi_lines)
    po = result.purchase_order
    if result.changed and po.status in (
        PurchaseOrderStatus.ACKNOWLEDGING,
        PurchaseOrderStatus.ACKNOWLEDGED,
        PurchaseOrderStatus.ACK_FAILED,
    ):
        allocation.replan_changed(po)
    elif result.changed and po.status in (PurchaseOrderStatus.READY, PurchaseOrderStatus.PENDING_APPROVAL):
        # Not sent yet: decide again from scratch with the new quantities.
        services.purchase_order_set_status(po=po, status=PurchaseOrderStatus.NEW, reason="changed by Amazon")
    return result


@register_flow(
    "orders",
    label="Purchase orders",
    description="Amazon POs by getPurchaseOrders (created and changed windows) and EDI 850 files; "
    "validation, sales orders and acknowledgement decisions.",
    owner_team=Team.OPS,
    order=20,
    every_seconds=_every(300),
    freshness_seconds=3600,
)
def orders_flow(ctx: FlowContext) -> FlowResult:
    until = amazon_now()
    since = min(_window_start(ctx, until), until - timedelta(minutes=1))
    counts = {"fetched": 0, "created": 0, "changed": 0, "unchanged": 0, "failed": 0, "blocked": 0}
    errors: list[str] = []
    resolver = validation.ItemResolver()
    with connections.amazon_client() as client:
        for window in (
            {"created_after": since, "created_before": until},
            {"changed_after": since, "changed_before": until},
        ):
            # Page by page: each page is imported and validated before the next is fetched, so
            # memory stays flat however many POs the window holds.
            for page in client.iter_purchase_order_pages(**window):
                touched: list[PurchaseOrder] = []
                lines: dict[int, list[PurchaseOrderLine]] = {}
                # One transaction per page (no network inside): a page's POs, their validation
                # and audit rows commit together, and the relay is nudged once per page.
                with transaction.atomic():
                    _import_page(page.orders, touched, counts, errors, resolver, lines)
                    counts["blocked"] += _validate(touched, until, resolver, lines)
    edi_touched: dict[int, PurchaseOrder] = {}

    counts |= read_inbound_folder(edi_touched, errors)
    counts["blocked"] += _validate(list(edi_touched.values()), until, resolver)
    counts |= {f"ack_{k}": v for k, v in allocation.plan_all().items() if k != "selected"}
    return FlowResult(
        counts=counts, cursor=until.isoformat(), partial=bool(errors), error="; ".join(errors)[:2000]
    )


def _import_page(
    orders: Any,
    touched: list[PurchaseOrder],
    counts: dict[str, int],
    errors: list[str],
    resolver: validation.ItemResolver | None = None,
    lines: dict[int, list[PurchaseOrderLine]] | None = None,
) -> None:
    """Import one page of Amazon POs: new ones set-based, the others upserted one by one.

    The lines of the POs created are put in ``lines`` (PO pk → lines) for validation.

    Every PO of the page ends in exactly one of: refused (``failed``, named in ``errors``),
    created, changed or unchanged. A PO we already hold whose payload is exactly what we stored
    is unchanged without a write (a re-sync of a window costs one query per page). A PO number
    twice in a page is created once and upserted by its repeat; a PO that appeared meanwhile
    (a concurrent import) makes the set-based create roll back to its savepoint and the page is
    upserted one by one.
    """
    importable: list[api.PurchaseOrder] = []
    for order in orders:
        counts["fetched"] += 1
        problem = services.purchase_order_problem(order)
        if problem:
            counts["failed"] += 1
            errors.append(problem)
        else:
            importable.append(order)
    if not importable:
        return
    vendors = {
        code: services.vendor_code_ensure(code=code)
        for code in sorted({_selling_party(order) for order in importable})
    }
    existing = {
        (po.vendor_code_id, po.number): po
        for po in PurchaseOrder.objects.filter(
            vendor_code__in=list(vendors.values()),
            number__in=sorted({order.purchase_order_number for order in importable}),
        ).only("id", "vendor_code_id", "number", "source", "raw")
    }
    fresh: list[api.PurchaseOrder] = []
    again: list[api.PurchaseOrder] = []  # held already, or a repeat within the page
    fresh_keys: set[tuple[int, str]] = set()
    for order in importable:
        key = (vendors[_selling_party(order)].pk, order.purchase_order_number)
        if key in existing or key in fresh_keys:
            again.append(order)
        else:
            fresh.append(order)
            fresh_keys.add(key)
    try:
        with transaction.atomic():
            created = services.purchase_orders_create(
                orders=fresh, vendors=vendors, source=Source.API, resolver=resolver
            )
    except IntegrityError:  # another import created some of them meanwhile: one by one instead
        logger.info("orders: a PO of this page appeared meanwhile; importing the page one by one")
        created, again = [], fresh + again
    counts["created"] += len(created)
    for po, po_lines in created:
        touched.append(po)
        if lines is not None:
            lines[po.pk] = po_lines
    for order in again:
        key = (vendors[_selling_party(order)].pk, order.purchase_order_number)
        held = existing.get(key)
        if held is not None and held.source == Source.API and held.raw == dict(order.raw):
            counts["unchanged"] += 1  # what purchase_order_upsert would find, without its queries
            continue
        existing.pop(key, None)  # what we held is stale once upserted: a repeat upserts too
        try:
            with transaction.atomic():  # a refused PO leaves nothing behind, the page goes on
                result = import_order(order, source=Source.API, raw=dict(order.raw))
        except ValueError as exc:
            counts["failed"] += 1
            errors.append(str(exc))
            continue
        _count(counts, result)
        if result.created or result.changed:
            touched.append(result.purchase_order)


def _selling_party(order: api.PurchaseOrder) -> str:
    assert order.details is not None and order.details.selling_party is not None
    return order.details.selling_party.party_id.strip()


def _validate(
    pos: list[PurchaseOrder],
    now: datetime,
    resolver: validation.ItemResolver,
    lines: dict[int, list[PurchaseOrderLine]] | None = None,
) -> int:
    pos = [po for po in pos if po.status in OPEN_PO_STATUSES or po.status == PurchaseOrderStatus.CANCELLED]
    return validation.validate_many(pos, now=now, resolver=resolver, lines=lines)["blocked"] if pos else 0


def _count(counts: dict[str, int], result: services.UpsertResult) -> None:
    key = "created" if result.created else "changed" if result.changed else "unchanged"
    counts[key] += 1


def _edi_extras(doc: EdiPurchaseOrder) -> dict[str, services.EdiLineExtras]:
    return {
        line.item_sequence_number: services.EdiLineExtras(
            qualifier=line.vendor_product_qualifier or "",
            product_ids=tuple((p.qualifier, p.value) for p in line.product_ids),
        )
        for line in doc.lines
    }


def _move(path: Path, folder: str) -> Path:
    target_dir = path.parent / folder
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():  # the same name again: keep both
        target = target_dir / f"{path.stem}.{timezone.now():%Y%m%d%H%M%S%f}{path.suffix}"
    path.replace(target)
    return target


def read_inbound_folder(touched: dict[int, PurchaseOrder], errors: list[str]) -> dict[str, int]:
    """Import 850s and read 997s from the inbound folder; answer each 850 group with a 997.

    A file whose every set was read goes to ``done/``; a file with a rejected set (or that cannot be
    read at all) goes to ``failed/``. Good sets of a partly bad file are still imported, and the 997
    accepts them and rejects the bad ones — what Amazon expects from a functional acknowledgement.
    """
    folder = edi.inbound_dir()
    counts = {"edi_files": 0, "edi_orders": 0, "edi_rejected_sets": 0, "edi_997_read": 0}
    if not folder.is_dir():
        return counts
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        counts["edi_files"] += 1
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
            result = read_documents(text)
            interchanges = parse_interchanges(text)
        except X12Error as exc:
            errors.append(f"{path.name}: unreadable X12 ({exc})")
            _move(path, "failed")
            _raise_edi_case(path.name, f"unreadable X12: {exc}")
            continue
        if not _ours(result, interchanges):
            counts["edi_left_for_others"] = counts.get("edi_left_for_others", 0) + 1
            continue
        rejected = list(result.rejected)
        for document in result:
            if isinstance(document, EdiPurchaseOrder):
                try:
                    upsert = import_order(
                        document.order,
                        source=Source.EDI,
                        raw={"edi": text[:200_000], "file": path.name},
                        edi_lines=_edi_extras(document),
                    )
                except ValueError as exc:
                    errors.append(f"{path.name}: {exc}")
                    continue
                counts["edi_orders"] += 1
                if upsert.created or upsert.changed:
                    touched[upsert.purchase_order.pk] = upsert.purchase_order
            elif isinstance(document, FunctionalAcknowledgement):
                counts["edi_997_read"] += 1
                close_loop(document)
        counts["edi_rejected_sets"] += len(rejected)
        for interchange in interchanges:
            for group in interchange.groups:
                if group.header.functional_id == "FA":
                    continue  # a 997 is never acknowledged
                answer = acknowledge_group(group, rejected)
                numbers = next_control_numbers()
                edi.write_outbound(
                    f"997_{group.header.functional_id}{group.header.control_number}_{numbers.interchange:09d}.edi",
                    write_997(answer, envelope=edi.envelope(), control_numbers=numbers, at=timezone.now()),
                )
        if rejected:
            errors.append(
                f"{path.name}: {len(rejected)} transaction set(s) rejected: "
                + "; ".join(str(r) for r in rejected)[:500]
            )
            _raise_edi_case(path.name, "; ".join(str(r) for r in rejected))
            _move(path, "failed")
        else:
            _move(path, "done")
    return counts


def _ours(result: Any, interchanges: Any) -> bool:
    """Only 850s and the 997s answering our 855s are the orders flow's; other documents in the
    shared inbound folder (820 remittances, 997s for 856/810) are left for the flows that own them."""
    groups = {group.header.functional_id for i in interchanges for group in i.groups}
    if not groups <= {"PO", "FA"}:
        return False
    return all(d.functional_id == "PR" for d in result if isinstance(d, FunctionalAcknowledgement))


def _raise_edi_case(name: str, problem: str) -> None:
    exception_raise(
        kind=ExceptionKind.SYNC_FAILED,
        dedupe_key=f"edi_inbound:{name}",
        message=f"EDI file {name} was rejected (moved to failed/, 997 sent where possible): {problem[:400]}",
        severity=Severity.HIGH,
        owner_team=Team.OPS,
        details={"rerun_flow": "orders", "file": name, "problem": problem[:2000]},
    )


def close_loop(document: FunctionalAcknowledgement) -> None:
    """A 997 for one of our 855s: accepted sets confirm the acknowledgement, a rejection raises a case."""
    if document.functional_id != "PR":
        return
    ack = (
        Acknowledgement.objects.filter(
            edi_group_control_number=document.group_control_number, channel=Channel.EDI
        )
        .select_related("purchase_order__vendor_code")
        .first()
    )
    if ack is None:
        logger.info("997 for 855 group %s matches no acknowledgement", document.group_control_number)
        return
    accepted = document.group_status in ("A", "E") and all(t.status != "R" for t in document.transactions)
    if accepted:
        services.acknowledgement_record_outcome(ack=ack, status="Success")
        _clear_ack_cases(ack.purchase_order)
    else:
        codes = [code for t in document.transactions for code in t.error_codes]
        services.acknowledgement_record_outcome(
            ack=ack, status="Failure", errors=[{"code": "997", "message": f"AK5 codes {codes}"}]
        )
        _raise_ack_failed(
            ack, f"Amazon's 997 rejected our 855 (group {document.group_control_number}, AK5 codes {codes})."
        )


# --- acknowledgements and transactions -----------------------------------------------------------


@register_flow(
    "acknowledgements",
    label="Acknowledgements",
    description="Sends ready acknowledgements to Amazon (API or EDI 855) once their sales order exists.",
    owner_team=Team.OPS,
    order=30,
    every_seconds=_every(300),
    freshness_seconds=3600,
)
def acknowledgements_flow(ctx: FlowContext) -> FlowResult:
    ready = Acknowledgement.objects.filter(status=AcknowledgementStatus.READY).select_related(
        "purchase_order"
    )
    counts = {"queued": 0, "waiting_for_sales_order": 0}
    for ack in ready:
        po = ack.purchase_order
        shipping = ack.lines.exclude(code="Rejected").exists()
        # Accept only what NetSuite has an order for: wait for the sales order of this revision.
        if shipping and po.sales_order_state != SalesOrderState.CREATED:
            counts["waiting_for_sales_order"] += 1
            continue
        services.acknowledgement_queue(ack=ack)
        counts["queued"] += 1
    return FlowResult(counts=counts)


def _raise_ack_failed(ack: Acknowledgement, message: str) -> None:
    po = ack.purchase_order
    exception_raise(
        kind=ExceptionKind.ACK_FAILED,
        dedupe_key=f"ack_failed:{po.vendor_code.code}:{po.number}",
        message=f"PO {po.number}: {message[:500]}",
        subject_type="orders.purchaseorder",
        subject_id=str(po.public_id),
        severity=Severity.HIGH,
        details={"rerun_flow": "transactions", "errors": ack.errors, "transaction_id": ack.transaction_id},
        amount_at_risk=_po_value(po),
    )


def _po_value(po: PurchaseOrder) -> Decimal | None:
    """What the PO is worth at Amazon's cost (what an unacknowledged PO puts at risk)."""
    value = po.lines.filter(cancelled=False).aggregate(
        value=Sum(
            F("net_cost") * F("ordered_quantity"), output_field=DecimalField(max_digits=24, decimal_places=10)
        )
    )["value"]
    return None if value is None else value.quantize(Decimal("0.01"))


def _clear_ack_cases(po: PurchaseOrder) -> None:
    note = f"Amazon accepted the acknowledgement of PO {po.number}."
    for kind in ("ack_failed", "ack_overdue"):
        exception_clear(dedupe_key=f"{kind}:{po.vendor_code.code}:{po.number}", note=note)


def follow_transactions(
    submissions: list[Any],
    *,
    record: Callable[[Any, str, list[dict[str, str]]], Any],
    on_success: Callable[[Any], None],
    on_failure: Callable[[Any, str], None],
) -> dict[str, int]:
    """Ask Amazon for the transaction status of each submission (acknowledgement, ASN, invoice).

    ``record(item, status, errors)`` stores the outcome and returns the fresh row; ``on_success`` and
    ``on_failure(item, detail)`` clear or raise the item's case. One client for the whole batch.
    Returns how many were checked, succeeded, failed and are still processing.
    """
    counts = {"checked": 0, "succeeded": 0, "failed": 0, "processing": 0}
    if not submissions:
        return counts
    with connections.amazon_client() as client:
        for item in submissions:
            status = client.get_transaction(item.transaction_id)
            counts["checked"] += 1
            errors = [{"code": e.code, "message": e.message} for e in status.errors]
            item = record(item, status.status, errors)
            if status.status == "Success":
                counts["succeeded"] += 1
                on_success(item)
            elif status.status == "Failure":
                counts["failed"] += 1
                on_failure(item, "; ".join(f"{e['code']}: {e['message']}" for e in errors) or "no details")
            else:
                counts["processing"] += 1
    return counts


@register_flow(
    "transactions",
    label="Transaction status",
    description="Follows Amazon's transaction status of submitted acknowledgements; flags late ones.",
    owner_team=Team.OPS,
    order=40,
    every_seconds=_every(300),
    freshness_seconds=3600,
)
def transactions_flow(ctx: FlowContext) -> FlowResult:
    pending = list(
        Acknowledgement.objects.filter(status=AcknowledgementStatus.SUBMITTED, channel=Channel.API)
        .exclude(transaction_id="")
        .select_related("purchase_order__vendor_code")
    )
    counts = follow_transactions(
        pending,
        record=lambda ack, status, errors: services.acknowledgement_record_outcome(
            ack=ack, status=status, errors=errors
        ),
        on_success=lambda ack: _clear_ack_cases(ack.purchase_order),
        on_failure=lambda ack, detail: _raise_ack_failed(
            ack, f"Amazon's transaction {ack.transaction_id} failed: {detail}"
        ),
    )
    counts["overdue"] = flag_overdue(amazon_now())
    return FlowResult(counts=counts)


def flag_overdue(now: datetime) -> int:
    """Raise ``ack_overdue`` for open POs with no accepted acknowledgement 24 h after the order."""
    late = (
        PurchaseOrder.objects.filter(status__in=OPEN_PO_STATUSES, ordered_at__lt=now - ACK_DEADLINE)
        # Submitted in time and still processing at Amazon is not late.
        .exclude(
            acknowledgements__status__in=[AcknowledgementStatus.ACCEPTED, AcknowledgementStatus.SUBMITTED]
        )
        .select_related("vendor_code")
        .distinct()
    )
    count = 0
    for po in late:
        count += 1
        hours = int((now - po.ordered_at).total_seconds() // 3600)
        exception_raise(
            kind=ExceptionKind.ACK_OVERDUE,
            dedupe_key=f"ack_overdue:{po.vendor_code.code}:{po.number}",
            message=f"PO {po.number} has no accepted acknowledgement {hours} h after Amazon sent it "
            f"(status: {po.get_status_display()}).",
            subject_type="orders.purchaseorder",
            subject_id=str(po.public_id),
            severity=Severity.HIGH,
            details={"rerun_flow": "acknowledgements", "status": po.status},
            amount_at_risk=_po_value(po),
        )
    return count
