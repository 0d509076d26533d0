"""Deduction analytics for a span of payment dates: by type, month, FC and ASIN, top reasons, aging.

Scope: every deduction line (``DEDUCTION_TYPES``) of the live remittances paid in the span; sizes
are positive for money Amazon kept (reversals count negative). FC is where the invoice the line
names was shipped (``orders.Invoice`` → shipment); ASIN is profitability's attribution (claims by
their invoice, co-op and chargebacks pro rata), so the two pages agree. Three queries for the
lines, the FCs and the aging, plus profitability's own — bounded whatever the volume.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse

from orders.models import Invoice
from reconciliation import selectors
from reconciliation.analytics.charts import Bar
from reconciliation.filters import NO_FC
from reconciliation.models import DEDUCTION_TYPES, LineType
from reconciliation.profitability.compute import profitability

ZERO = Decimal("0.00")
TOP_REASONS = 10
TOP_ASINS = 15


@dataclass
class Analytics:
    total: Decimal
    lines: int
    by_type: list[Bar]
    by_month: list[Bar]
    by_fc: list[Bar]
    by_asin: list[Bar]
    reasons: list[Bar]
    aging: list[Bar]


def _link(**params: str) -> str:
    return reverse("reconciliation:deductions") + "?" + urlencode({k: v for k, v in params.items() if v})


def deduction_analytics(start: date, end: date) -> Analytics:
    span = {"start": start.isoformat(), "end": end.isoformat()}
    queryset = selectors.deductions().filter(
        remittance__payment_date__gte=start, remittance__payment_date__lte=end
    )
    rows = list(
        queryset.order_by().values_list(
            "line_type", "amount_paid", "remittance__payment_date", "base_invoice_number", "description"
        )
    )
    bases = {r[3] for r in rows if r[3]}
    fc_of = (
        dict(Invoice.objects.filter(number__in=bases).values_list("number", "shipment__ship_to"))
        if bases
        else {}
    )
    by_type: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_month: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_fc: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_reason: dict[str, Decimal] = defaultdict(lambda: ZERO)
    total = ZERO
    for line_type, amount, paid, base, description in rows:
        size = -amount
        total += size
        by_type[line_type] += size
        by_month[paid.strftime("%Y-%m")] += size
        by_fc[fc_of.get(base) or NO_FC] += size
        by_reason[description or LineType(line_type).label] += size
    aging = selectors.deduction_totals(queryset)["aging"]
    asins: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for share in profitability(start, end).shares:
        if share.figure in ("claims", "discounts", "prorata"):
            asins[share.product] += share.amount
        elif share.figure == "recoveries":
            asins[share.product] -= share.amount
    lines_url = reverse("reconciliation:profitability_lines")
    month_q = f"start={start.isoformat()}&end={end.isoformat()}"
    return Analytics(
        total=total,
        lines=len(rows),
        by_type=[
            Bar(LineType(t).label, v, _link(line_type=t, **span))
            for t, v in sorted(by_type.items(), key=lambda kv: -kv[1])
            if t in DEDUCTION_TYPES
        ],
        by_month=[Bar(m, by_month[m], _link(month=m)) for m in sorted(by_month)],
        by_fc=[
            Bar("No invoice of ours" if fc == NO_FC else fc, v, _link(fc=fc, **span))
            for fc, v in sorted(by_fc.items(), key=lambda kv: -kv[1])
        ],
        by_asin=[
            Bar(a, v, f"{lines_url}?{urlencode({'product': a, 'figure': 'claims'})}&{month_q}")
            for a, v in sorted(asins.items(), key=lambda kv: -kv[1])[:TOP_ASINS]
        ],
        reasons=[
            Bar(reason, v, _link(reason=reason, **span))
            for reason, v in sorted(by_reason.items(), key=lambda kv: -kv[1])[:TOP_REASONS]
        ],
        aging=[Bar(f"{a['bucket']} days", -a["total"], _link(age=a["bucket"], **span)) for a in aging],
    )
