"""ASIN profitability net of Amazon's deductions, for a span of dates (issue 12 item 3).

What belongs to the period:
- revenue: our invoices (``orders.Invoice``) dated in it, each invoice's total spread over its
  lines by their amounts (so the products add up to the invoices to the cent);
- deductions and recoveries: lines of the live remittances *paid* in it, attributed to products:
  * directly through the invoice they name (``base_invoice_number``; an invoice payment line's own
    number for its terms discount): shortage claims by the units short on each PO line
    (shipped − received) × cost, price claims by the excess of the invoiced over the PO cost, terms
    discounts by line amount; reversals (SCR, PCR) come back the way their claim went;
  * pro rata for co-op, chargebacks and price protection (charges that name no invoice): by what
    Amazon received of the period's invoiced PO lines, received units × invoiced cost (the basis
    shown per product); by revenue when nothing was received;
- anything that cannot be attributed (an invoice we do not hold, an empty basis) stays in one
  "Not attributed" row, so the rows always add up: Σ net = revenue − deductions + recoveries.
Provisions (a reserve Amazon reverses later), returns and unknown lines are not product costs and
are left out; the page says so.

Set-based: five queries whatever the number of products, amounts summed in Python with Decimal.
Every amount is split with the largest-remainder rule, so each split adds up to its line exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from functools import lru_cache
from uuid import UUID

from django.urls import reverse

from orders.models import InvoiceLine
from reconciliation.models import LineType, RemittanceLine, RemittanceStatus

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
UNATTRIBUTED = "(not attributed)"

# How each attributed line type reaches a product, and which figure it feeds.
SHORTAGE_TYPES = {LineType.SHORTAGE, LineType.SHORTAGE_REVISED, LineType.SHORTAGE_REVERSAL}
PRICE_TYPES = {LineType.PRICE_CLAIM, LineType.PRICE_CLAIM_REVERSAL}
DIRECT_TYPES = SHORTAGE_TYPES | PRICE_TYPES | {LineType.TERMS_DISCOUNT}
PRORATA_TYPES = {LineType.COOP, LineType.CHARGEBACK, LineType.PRICE_PROTECTION}
RECOVERY_TYPES = {LineType.SHORTAGE_REVERSAL, LineType.PRICE_CLAIM_REVERSAL}
ATTRIBUTED_TYPES = DIRECT_TYPES | PRORATA_TYPES
LEFT_OUT_TYPES = [LineType.PROVISION, LineType.PROVISION_REVERSAL, LineType.RETURN, LineType.UNKNOWN]

FIGURES = ("revenue", "claims", "discounts", "prorata", "recoveries")


def allocate(amount: Decimal, weights: list[tuple[str, Decimal]]) -> list[tuple[str, Decimal]] | None:
    """Split ``amount`` over keys in proportion to positive weights, in cents that add up exactly
    (largest remainder; ties go to the earlier key). None when no weight is positive."""
    usable = [(k, w) for k, w in weights if w > 0]
    total = sum((w for _k, w in usable), Decimal("0"))
    if not usable or total <= 0:
        return None
    sign = -1 if amount < 0 else 1
    cents = int((abs(amount) / CENT).to_integral_value())
    exact = [cents * w / total for _k, w in usable]
    floors = [int(x.to_integral_value(rounding=ROUND_FLOOR)) for x in exact]
    left = cents - sum(floors)
    order = sorted(range(len(usable)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [(usable[i][0], sign * Decimal(floors[i]) * CENT) for i in range(len(usable)) if floors[i]]


@dataclass
class Share:
    """One line's part of one product's figure (the drill-down row)."""

    product: str
    figure: str  # one of FIGURES
    document: str
    line_type: str
    payment: str
    url: str
    line_amount: Decimal
    amount: Decimal
    basis: str


@dataclass
class ProductRow:
    asin: str
    sku: str = ""
    description: str = ""
    units: int = 0
    basis: Decimal = ZERO  # received units × invoiced cost (the pro-rata basis)
    revenue: Decimal = ZERO
    claims: Decimal = ZERO  # shortage and price claims (positive = money kept by Amazon)
    discounts: Decimal = ZERO  # terms discounts
    prorata: Decimal = ZERO  # co-op, chargebacks, price protection
    recoveries: Decimal = ZERO  # reversals paid back

    @property
    def deductions(self) -> Decimal:
        return self.claims + self.discounts + self.prorata

    @property
    def net(self) -> Decimal:
        return self.revenue - self.deductions + self.recoveries

    @property
    def rate(self) -> Decimal | None:
        """Net realised as a share of revenue (None without revenue)."""
        if not self.revenue:
            return None
        return (self.net * 100 / self.revenue).quantize(Decimal("0.1"))


@dataclass
class Report:
    start: date
    end: date
    rows: list[ProductRow]
    shares: list[Share] = field(default_factory=list)
    prorata_basis: str = "received units × invoiced cost"
    left_out: Decimal = ZERO  # provisions, returns, unknown lines paid in the period (not attributed)

    def total(self, name: str) -> Decimal:
        return sum((getattr(r, name) for r in self.rows), ZERO)

    @property
    def totals(self) -> ProductRow:
        row = ProductRow(asin="Total")
        for name in (*FIGURES, "basis", "units"):
            setattr(row, name, sum((getattr(r, name) for r in self.rows), ZERO if name != "units" else 0))
        return row


def _invoice_lines(
    invoices: Iterable[str] | None = None, *, start: date | None = None, end: date | None = None
):
    qs = InvoiceLine.objects.order_by("invoice_id", "sequence")
    if invoices is not None:
        qs = qs.filter(invoice__number__in=list(invoices))
    else:
        qs = qs.filter(invoice__invoice_date__gte=start, invoice__invoice_date__lte=end)
    return list(
        qs.values_list(
            "invoice_id",
            "invoice__number",
            "invoice__public_id",
            "invoice__total",
            "quantity",
            "unit_cost",
            "po_line_id",
            "po_line__asin",
            "po_line__vendor_product_id",
            "po_line__item__sku",
            "po_line__item__description",
            "po_line__shipped_quantity",
            "po_line__received_quantity",
            "po_line__net_cost",
        )
    )


_PLACEHOLDER = UUID(int=0)


@lru_cache(maxsize=8)
def _url_pattern(name: str) -> str:
    return reverse(name, args=[_PLACEHOLDER])


def _url(name: str, public_id: UUID) -> str:
    """``reverse`` once per page name, not once per line (a year has tens of thousands of lines)."""
    return _url_pattern(name).replace(str(_PLACEHOLDER), str(public_id))


def _product(row: tuple) -> str:
    return row[7] or row[8] or "(no ASIN)"


def profitability(start: date, end: date) -> Report:
    products: dict[str, ProductRow] = {}
    shares: list[Share] = []

    def product(key: str, row: tuple | None = None) -> ProductRow:
        if key not in products:
            products[key] = ProductRow(asin=key)
        if row is not None and not products[key].sku:
            products[key].sku = row[9] or row[8] or ""
            products[key].description = row[10] or ""
        return products[key]

    # 1. Revenue: each invoice's total over its lines; the pro-rata basis from the same PO lines.
    period_lines = _invoice_lines(start=start, end=end)
    by_invoice: dict[int, list[tuple]] = defaultdict(list)
    for row in period_lines:
        by_invoice[row[0]].append(row)
    basis_seen: set[int] = set()
    for lines in by_invoice.values():
        number, public_id, total = lines[0][1], lines[0][2], lines[0][3]
        split = allocate(total, [(str(i), ln[5] * ln[4]) for i, ln in enumerate(lines)])
        if split is None:  # an invoice whose lines are all zero: its total still counts, unattributed
            split = [(UNATTRIBUTED, total)] if total else []
        for index, amount in split:
            if index == UNATTRIBUTED:
                product(UNATTRIBUTED).revenue += amount
                continue
            ln = lines[int(index)]
            row = product(_product(ln), ln)
            row.revenue += amount
            shares.append(
                Share(
                    _product(ln),
                    "revenue",
                    number,
                    "invoice",
                    "",
                    _url("orders:invoice_detail", public_id),
                    total,
                    amount,
                    f"{ln[4]} × {ln[5].normalize():f}",
                )
            )
        for ln in lines:
            product(_product(ln), ln).units += ln[4]
            if ln[6] not in basis_seen:  # a PO line's receipts count once, however many invoices
                basis_seen.add(ln[6])
                product(_product(ln)).basis += (ln[12] * ln[5]).quantize(CENT)

    # 2. The period's deduction and recovery lines, and the invoices they name.
    paid = (
        RemittanceLine.objects.filter(remittance__payment_date__gte=start, remittance__payment_date__lte=end)
        .exclude(remittance__status=RemittanceStatus.SUPERSEDED)
        .order_by("remittance__payment_date", "remittance_id", "sequence")
    )
    lines = list(
        paid.filter(line_type__in=list(ATTRIBUTED_TYPES) + [LineType.INVOICE])
        .exclude(line_type=LineType.INVOICE, discount=0)
        .values_list(
            "line_type",
            "document_number",
            "base_invoice_number",
            "amount_paid",
            "discount",
            "sequence",
            "remittance__payment_number",
            "remittance__public_id",
        )
    )
    left_out = sum(
        (a for a in paid.filter(line_type__in=LEFT_OUT_TYPES).values_list("amount_paid", flat=True)), ZERO
    )
    named = {ln[1] if ln[0] == LineType.INVOICE else ln[2] for ln in lines if ln[0] not in PRORATA_TYPES}
    named.discard("")
    invoiced: dict[str, list[tuple]] = defaultdict(list)
    for row in _invoice_lines(named) if named else []:
        invoiced[row[1]].append(row)

    prorata_weights = [(k, r.basis) for k, r in products.items()]
    basis_label = "received units × invoiced cost"
    if not any(w > 0 for _k, w in prorata_weights):
        prorata_weights = [(k, r.revenue) for k, r in products.items()]
        basis_label = "invoiced revenue (nothing received in the period)"

    for line_type, document, base, amount_paid, discount, sequence, payment, payment_id in lines:
        url = _url("reconciliation:remittance_detail", payment_id) + f"#line-{sequence}"
        if line_type == LineType.INVOICE:  # the terms discount taken on an invoice payment
            figure, size, invoice, weigh = "discounts", discount, document, "amount"
        elif line_type in PRORATA_TYPES:
            figure, size, invoice, weigh = "prorata", -amount_paid, None, "prorata"
        elif line_type in RECOVERY_TYPES:
            figure, size, invoice = "recoveries", amount_paid, base
            weigh = "shortage" if line_type in SHORTAGE_TYPES else "price"
        else:
            figure = "discounts" if line_type == LineType.TERMS_DISCOUNT else "claims"
            size, invoice = -amount_paid, base
            weigh = (
                "shortage"
                if line_type in SHORTAGE_TYPES
                else "price"
                if line_type in PRICE_TYPES
                else "amount"
            )
        if weigh == "prorata":
            split, basis = allocate(size, prorata_weights), basis_label
        else:
            rows = invoiced.get(invoice or "", [])
            split, basis = _direct(size, rows, weigh)
        if split is None:
            split = [(UNATTRIBUTED, size)]
            basis = f"invoice {invoice} not found" if invoice else "no basis in the period"
        for key, amount in split:
            row = product(key)
            setattr(row, figure, getattr(row, figure) + amount)
            shares.append(Share(key, figure, document, line_type, payment, url, size, amount, basis))

    rows = sorted(products.values(), key=lambda r: (r.asin == UNATTRIBUTED, r.asin))
    return Report(
        start=start, end=end, rows=rows, shares=shares, prorata_basis=basis_label, left_out=left_out
    )


def _direct(size: Decimal, rows: list[tuple], weigh: str) -> tuple[list[tuple[str, Decimal]] | None, str]:
    """Split a claim over the products of the invoice it names, by what the claim is about."""
    if not rows:
        return None, ""
    amounts = [(_product(r), r[5] * r[4]) for r in rows]
    if weigh == "shortage":
        weights = [(_product(r), max(r[11] - r[12], 0) * r[5]) for r in rows]
        label = "units short (shipped − received) × cost"
    elif weigh == "price":
        weights = [(_product(r), max(r[5] - (r[13] if r[13] is not None else r[5]), 0) * r[4]) for r in rows]
        label = "invoiced cost above PO cost × units"
    else:
        weights, label = amounts, "invoice line amounts"
    split = allocate(size, _merge(weights))
    if split is None:
        split, label = allocate(size, _merge(amounts)), "invoice line amounts (no units short / price gap)"
    return split, f"{label}, invoice {rows[0][1]}"


def _merge(weights: list[tuple[str, Decimal]]) -> list[tuple[str, Decimal]]:
    merged: dict[str, Decimal] = defaultdict(Decimal)
    for key, weight in weights:
        merged[key] += weight
    return list(merged.items())
