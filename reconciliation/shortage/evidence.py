"""What our ASN said was shipped, what Amazon says it received, and the verdict on each claim.

``gather(line_ids)`` reads everything for any number of shortage-claim lines in a fixed number of
queries (lines, invoices, shipments, containers, contents, PO lines, invoice lines, the other
shipments of the same PO lines, SSCCs seen elsewhere): no query per claim. ``judge`` is pure.

How a claim is judged (units are eaches; a claim names its base invoice, which names one shipment):

* Amazon's received quantity is per PO line, across all shipments of that line. The part of it
  attributed to the claimed shipment is what remains after the line's *other* accepted shipments,
  counted as fully received: the claim names this invoice, so Amazon itself puts the loss here.
* ``provable`` = per line, min(shipped on our ASN, invoiced) − received: units our own cartons
  show we shipped and Amazon says it did not receive. The disputable amount is provable × the
  invoiced cost per each, never more than the claim.
* ``disputable`` needs an ASN Amazon accepted and a valid, unique SSCC-18 on every container;
  otherwise the cartons prove nothing and the verdict is ``accept`` (as it is when nothing is
  provable: our cartons agree with the claim). ``insufficient``: no shipment of ours behind the
  invoice (it predates VendorSync, or the claim names no invoice we sent), or Amazon has reported
  no receipt at all on its lines yet (received 0 everywhere is "not synced", not proof).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Sum

from orders.models import PurchaseOrder, PurchaseOrderLine
from orders.outbound import validation
from orders.outbound_models import (
    SENT_SHIPMENT_STATUSES,
    Container,
    ContainerItem,
    Invoice,
    InvoiceLine,
    Shipment,
    ShipmentStatus,
)
from reconciliation.models import LineType, OpenInvoice, RemittanceLine
from reconciliation.shortage_models import ShortageVerdict

CENT = Decimal("0.01")
CHUNK = 5000  # ids per IN (...) list
SHORTAGE_TYPES = (LineType.SHORTAGE, LineType.SHORTAGE_REVISED)
_SUFFIX = re.compile(r"(SCRSC|SC)$", re.IGNORECASE)

_STATUS_WORDS = {
    ShipmentStatus.PICKED: "was never sent (still picked/packed)",
    ShipmentStatus.BLOCKED: "was blocked by validation and never sent",
    ShipmentStatus.READY: "was never sent (ready, not transmitted)",
    ShipmentStatus.QUEUED: "is queued and not yet accepted",
    ShipmentStatus.SUBMITTED: "is not yet accepted by Amazon",
    ShipmentStatus.REJECTED: "was rejected by Amazon",
}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def base_invoice(document_number: str, base: str) -> str:
    """The invoice a claim deducts from: the classified base, else the number less its suffix."""
    return (base or _SUFFIX.sub("", document_number or "")).strip()


@dataclass
class ContainerEvidence:
    sequence: int
    kind: str
    sscc: str
    parent_sscc: str
    weight: Decimal | None
    weight_unit: str
    problem: str = ""  # why this container's SSCC proves nothing ("" when valid and unique)
    items: list[tuple[str, str, int]] = field(default_factory=list)  # (PO line, ASIN, eaches)

    @property
    def label(self) -> str:
        return f"{(self.kind or 'container').capitalize()} {self.sequence}"


@dataclass
class LineEvidence:
    po_line_id: int
    sequence: str
    asin: str
    invoiced: int
    shipped: int  # on this ASN
    received: int  # attributed to this shipment
    received_total: int  # Amazon's figure for the whole PO line
    cost_each: Decimal | None

    @property
    def shortfall(self) -> int:
        """Units Amazon counts as short against our invoice."""
        return max(0, self.invoiced - self.received)

    @property
    def provable(self) -> int:
        """Units our ASN shows shipped (and we invoiced) that Amazon says it did not receive."""
        return max(0, min(self.shipped, self.invoiced) - self.received)


@dataclass
class Evidence:
    line_id: int
    document_number: str
    line_type: str
    payment_number: str
    claim_date: date | None
    claimed_amount: Decimal
    invoice_number: str
    purchase_order_number: str = ""
    fc: str = ""
    invoice: dict[str, Any] | None = None
    shipment: dict[str, Any] | None = None
    containers: list[ContainerEvidence] = field(default_factory=list)
    lines: list[LineEvidence] = field(default_factory=list)
    # The verdict (set by ``judge``)
    verdict: str = ShortageVerdict.INSUFFICIENT
    reason: str = ""
    claimed_units: int | None = None
    disputable_units: int | None = None
    amount_at_risk: Decimal = Decimal("0.00")

    @property
    def invoiced_units(self) -> int | None:
        return sum(ln.invoiced for ln in self.lines) if self.lines else None

    @property
    def shipped_units(self) -> int | None:
        return sum(ln.shipped for ln in self.lines) if self.shipment else None

    @property
    def received_units(self) -> int | None:
        return sum(ln.received for ln in self.lines) if self.lines else None

    def fingerprint(self) -> str:
        data = [
            self.verdict,
            self.reason,
            str(self.amount_at_risk),
            str(self.claimed_amount),
            self.claimed_units,
            self.disputable_units,
            self.invoiced_units,
            self.shipped_units,
            self.received_units,
            (self.invoice or {}).get("id"),
            (self.shipment or {}).get("id"),
            self.purchase_order_number,
            self.fc,
            self.claim_date.isoformat() if self.claim_date else None,
        ]
        return hashlib.sha256(json.dumps(data, default=str).encode()).hexdigest()


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _in(model_qs: Any, name: str, values: Iterable[Any], *fields: str) -> list[dict[str, Any]]:
    values = sorted({v for v in values if v not in (None, "")})
    rows: list[dict[str, Any]] = []
    for part in _chunks(values):
        rows.extend(model_qs.filter(**{f"{name}__in": part}).values(*fields))
    return rows


def gather(line_ids: Iterable[int]) -> list[Evidence]:
    """The evidence and verdict for each shortage-claim line (other line types are ignored)."""
    lines = _in(
        RemittanceLine.objects.filter(line_type__in=SHORTAGE_TYPES),
        "pk",
        line_ids,
        "id",
        "document_number",
        "document_date",
        "amount_paid",
        "line_type",
        "base_invoice_number",
        "purchase_order",
        "remittance__payment_number",
        "remittance__payment_date",
    )
    if not lines:
        return []
    bases = {row["id"]: base_invoice(row["document_number"], row["base_invoice_number"]) for row in lines}
    invoices = {
        row["number"]: row
        for row in _in(
            Invoice.objects.order_by("id"),
            "number",
            bases.values(),
            "id",
            "number",
            "public_id",
            "total",
            "invoice_date",
            "status",
            "shipment_id",
            "purchase_order_id",
        )
    }
    # A claim on an invoice we did not send still shows its PO and FC (from NetSuite's A/R).
    ar_po = {
        row["number"]: row["purchase_order"]
        for row in _in(OpenInvoice.objects.all(), "number", bases.values(), "number", "purchase_order")
    }
    shipments = {
        row["id"]: row
        for row in _in(
            Shipment.objects.all(),
            "pk",
            [inv["shipment_id"] for inv in invoices.values()],
            "id",
            "public_id",
            "shipment_identifier",
            "status",
            "channel",
            "shipped_at",
            "carrier_scac",
            "bill_of_lading",
            "pro_number",
            "ship_from",
            "ship_to",
            "transaction_id",
            "transaction_status",
            "edi_group_control_number",
            "purchase_order_id",
        )
    }
    po_numbers = {row["purchase_order"] for row in lines} | set(ar_po.values())
    pos_by_id: dict[int, dict[str, Any]] = {}
    pos_by_number: dict[str, dict[str, Any]] = {}
    po_ids = [inv["purchase_order_id"] for inv in invoices.values()]
    for row in _in(PurchaseOrder.objects.all(), "pk", po_ids, "id", "number", "ship_to") + _in(
        PurchaseOrder.objects.all(), "number", po_numbers, "id", "number", "ship_to"
    ):
        pos_by_id[row["id"]] = row
        pos_by_number.setdefault(row["number"], row)

    containers = _in(
        Container.objects.order_by("sequence", "id"),
        "shipment_id",
        shipments,
        "id",
        "shipment_id",
        "sequence",
        "kind",
        "sscc",
        "parent__sscc",
        "weight",
        "weight_unit",
    )
    contents = _in(
        ContainerItem.objects.order_by("id"),
        "container__shipment_id",
        shipments,
        "container_id",
        "container__shipment_id",
        "po_line_id",
        "quantity",
    )
    invoice_lines = _in(
        InvoiceLine.objects.order_by("sequence"),
        "invoice_id",
        [inv["id"] for inv in invoices.values()],
        "invoice_id",
        "po_line_id",
        "quantity",
        "unit_size",
        "unit_cost",
    )
    po_line_ids = {row["po_line_id"] for row in contents} | {row["po_line_id"] for row in invoice_lines}
    po_lines = {
        row["id"]: row
        for row in _in(
            PurchaseOrderLine.objects.all(),
            "pk",
            po_line_ids,
            "id",
            "position",
            "sequence",
            "asin",
            "unit_size",
            "received_quantity",
        )
    }
    # Eaches of each PO line in every accepted shipment (to set the other shipments' share aside).
    accepted_by_line: dict[int, dict[int, int]] = defaultdict(dict)
    for row in _in(
        ContainerItem.objects.filter(container__shipment__status=ShipmentStatus.ACCEPTED)
        .values("po_line_id", "container__shipment_id")
        .annotate(units=Sum("quantity"))
        .order_by(),
        "po_line_id",
        po_line_ids,
        "po_line_id",
        "container__shipment_id",
        "units",
    ):
        accepted_by_line[row["po_line_id"]][row["container__shipment_id"]] = row["units"] or 0
    # Every shipment each of our SSCCs appears on: one SSCC on two shipments traces to neither.
    digits_of = {row["id"]: validation.sscc_digits(row["sscc"]) for row in containers if row["sscc"]}
    sscc_shipments: dict[str, set[int]] = defaultdict(set)
    raw = {row["sscc"] for row in containers if row["sscc"]} | set(digits_of.values())
    raw |= {"00" + d for d in digits_of.values()}
    # Only shipments Amazon was sent count: a later fulfilment that reused the label was blocked
    # before it left, and takes nothing from the ASN that carried it first.
    sent = Container.objects.filter(shipment__status__in=SENT_SHIPMENT_STATUSES)
    for row in _in(sent, "sscc", raw, "sscc", "shipment_id"):
        sscc_shipments[validation.sscc_digits(row["sscc"])].add(row["shipment_id"])

    containers_by_shipment: dict[int, list[ContainerEvidence]] = defaultdict(list)
    by_container: dict[int, ContainerEvidence] = {}
    for row in containers:
        if not row["sscc"]:
            problem = "has no SSCC"
        else:
            problem = validation.sscc_problem(row["sscc"]) or ""
            digits = digits_of[row["id"]]
            if not problem and len(sscc_shipments[digits] | {row["shipment_id"]}) > 1:
                problem = f"SSCC {digits} is also on another shipment"
        evidence = ContainerEvidence(
            sequence=row["sequence"],
            kind=row["kind"],
            sscc=row["sscc"],
            parent_sscc=row["parent__sscc"] or "",
            weight=row["weight"],
            weight_unit=row["weight_unit"],
            problem=problem,
        )
        containers_by_shipment[row["shipment_id"]].append(evidence)
        by_container[row["id"]] = evidence
    # The same SSCC twice within one shipment.
    for items in containers_by_shipment.values():
        counts: dict[str, int] = defaultdict(int)
        for c in items:
            if c.sscc:
                counts[validation.sscc_digits(c.sscc)] += 1
        for c in items:
            if c.sscc and not c.problem and counts[validation.sscc_digits(c.sscc)] > 1:
                c.problem = f"SSCC {validation.sscc_digits(c.sscc)} is on two containers of this shipment"

    shipped: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))  # shipment → line → eaches
    for row in contents:
        line = po_lines.get(row["po_line_id"], {})
        container = by_container.get(row["container_id"])
        if container is not None:
            container.items.append((line.get("sequence", ""), line.get("asin", ""), row["quantity"]))
        shipped[row["container__shipment_id"]][row["po_line_id"]] += row["quantity"]
    invoiced: dict[int, dict[int, tuple[int, Decimal]]] = defaultdict(dict)  # invoice → line → (eaches, cost)
    for row in invoice_lines:
        size = max(row["unit_size"] or 1, 1)
        units = row["quantity"] * size
        previous = invoiced[row["invoice_id"]].get(row["po_line_id"])
        cost_each = row["unit_cost"] / size
        invoiced[row["invoice_id"]][row["po_line_id"]] = ((previous[0] if previous else 0) + units, cost_each)

    result = []
    for row in lines:
        number = bases[row["id"]]
        evidence = Evidence(
            line_id=row["id"],
            document_number=row["document_number"],
            line_type=row["line_type"],
            payment_number=row["remittance__payment_number"],
            claim_date=row["document_date"] or row["remittance__payment_date"],
            claimed_amount=abs(row["amount_paid"]),
            invoice_number=number,
        )
        invoice = invoices.get(number) if number else None
        po = None
        if invoice is not None:
            evidence.invoice = invoice
            po = pos_by_id.get(invoice["purchase_order_id"])
            shipment = shipments.get(invoice["shipment_id"])
            if shipment is not None:
                evidence.shipment = shipment
                evidence.containers = containers_by_shipment.get(shipment["id"], [])
                evidence.lines = _line_evidence(
                    shipment["id"], invoiced.get(invoice["id"], {}), shipped[shipment["id"]], po_lines,
                    accepted_by_line,
                )  # fmt: skip
        if po is None:
            po = pos_by_number.get(row["purchase_order"] or ar_po.get(number, ""))
        evidence.purchase_order_number = (
            (po or {}).get("number") or row["purchase_order"] or ar_po.get(number, "")
        )
        evidence.fc = (evidence.shipment or {}).get("ship_to") or (po or {}).get("ship_to", "")
        judge(evidence)
        result.append(evidence)
    return result


def _line_evidence(
    shipment_id: int,
    invoiced: dict[int, tuple[int, Decimal]],
    shipped: dict[int, int],
    po_lines: dict[int, dict[str, Any]],
    accepted_by_line: dict[int, dict[int, int]],
) -> list[LineEvidence]:
    out = []
    for line_id in sorted(
        set(invoiced) | set(shipped), key=lambda pk: (po_lines.get(pk, {}).get("position", 0), pk)
    ):
        po_line = po_lines.get(line_id, {})
        units_invoiced, cost_each = invoiced.get(line_id, (0, None))
        units_shipped = shipped.get(line_id, 0)
        received_total = (po_line.get("received_quantity") or 0) * max(po_line.get("unit_size") or 1, 1)
        others = sum(u for sid, u in accepted_by_line.get(line_id, {}).items() if sid != shipment_id)
        received = min(max(received_total - others, 0), max(units_shipped, units_invoiced))
        out.append(
            LineEvidence(
                po_line_id=line_id,
                sequence=str(po_line.get("sequence", "")),
                asin=po_line.get("asin", ""),
                invoiced=units_invoiced,
                shipped=units_shipped,
                received=received,
                received_total=received_total,
                cost_each=cost_each,
            )
        )
    return out


def _claimed_units(evidence: Evidence) -> int | None:
    """The claim in units where the figures allow it: the shortfall it prices, or claim ÷ unit cost."""
    priced = [ln for ln in evidence.lines if ln.cost_each]
    short = sum(ln.shortfall for ln in priced)
    if short and abs(
        money(sum((ln.shortfall * ln.cost_each for ln in priced), Decimal(0))) - evidence.claimed_amount
    ) <= CENT * len(priced):
        return short
    costs = {ln.cost_each for ln in priced}
    if len(costs) == 1:
        units = evidence.claimed_amount / costs.pop()
        rounded = int(units.to_integral_value(rounding=ROUND_HALF_UP))
        if rounded > 0 and abs(units - rounded) < Decimal("0.02"):
            return rounded
    return None


def _units(count: int | None) -> str:
    return f"{count} unit" if count == 1 else f"{count} units"


def judge(evidence: Evidence) -> Evidence:
    """Set the verdict, its one-sentence reason and the amount at risk (pure; see the module doc)."""
    claim = f"{evidence.claimed_amount:,.2f}"
    evidence.claimed_units = _claimed_units(evidence) if evidence.lines else None
    evidence.disputable_units = None
    evidence.amount_at_risk = Decimal("0.00")
    shipment = evidence.shipment
    if not evidence.invoice_number:
        evidence.verdict = ShortageVerdict.INSUFFICIENT
        evidence.reason = (
            f"Claim {evidence.document_number} names no base invoice, so no shipment can be found."
        )
        return evidence
    if evidence.invoice is None or shipment is None:
        evidence.verdict = ShortageVerdict.INSUFFICIENT
        evidence.reason = (
            f"No shipment of ours is behind invoice {evidence.invoice_number} (not an invoice VendorSync sent, "
            "e.g. one that predates it): there are no cartons to compare with the claim."
        )
        return evidence
    asn = shipment["shipment_identifier"]
    if shipment["status"] != ShipmentStatus.ACCEPTED:
        words = _STATUS_WORDS.get(shipment["status"], f"is {shipment['status']}")
        evidence.verdict = ShortageVerdict.ACCEPT
        evidence.reason = f"Our ASN {asn} {words}, so it proves nothing against the claim of {claim}."
        return evidence
    if evidence.lines and not any(ln.received_total for ln in evidence.lines):
        evidence.verdict = ShortageVerdict.INSUFFICIENT
        evidence.reason = (
            f"Amazon reports no units received yet on the lines of ASN {asn} (the receipts sync has seen "
            "none): there is no receipt to hold our cartons against."
        )
        return evidence
    if not evidence.containers:
        evidence.verdict = ShortageVerdict.ACCEPT
        evidence.reason = (
            f"Our ASN {asn} lists no cartons, so nothing traces the units Amazon says are missing."
        )
        return evidence
    bad = next((c for c in evidence.containers if c.problem), None)
    if bad is not None:
        evidence.verdict = ShortageVerdict.ACCEPT
        evidence.reason = (
            f"{bad.label} of ASN {asn} {bad.problem}: the cartons cannot be traced, so the claim stands."
        )
        return evidence
    shipped = sum(ln.shipped for ln in evidence.lines)
    received = sum(ln.received for ln in evidence.lines)
    provable = [ln for ln in evidence.lines if ln.provable]
    value = money(sum((ln.provable * (ln.cost_each or 0) for ln in provable), Decimal(0)))
    claimed = f"{_units(evidence.claimed_units)} ({claim})" if evidence.claimed_units is not None else claim
    if not provable or value <= 0:
        evidence.verdict = ShortageVerdict.ACCEPT
        evidence.reason = (
            f"Amazon received {received} of the {shipped} units our accepted ASN {asn} shipped: "
            f"the claim of {claimed} agrees with our own cartons."
        )
        return evidence
    at_risk = min(value, evidence.claimed_amount)
    units_provable = sum(ln.provable for ln in provable)
    if evidence.claimed_units is not None:
        units_provable = min(units_provable, evidence.claimed_units)
    evidence.verdict = ShortageVerdict.DISPUTABLE
    evidence.amount_at_risk = at_risk
    evidence.disputable_units = units_provable
    evidence.reason = (
        f"Our accepted ASN {asn} shows {shipped} units in {len(evidence.containers)} containers with valid "
        f"SSCCs; Amazon reports {received} received and claims {claimed}: {_units(units_provable)} "
        f"({at_risk:,.2f}) {'is' if units_provable == 1 else 'are'} disputable."
    )
    return evidence
