"""Dispute reads: the list, the claim lines one may dispute, and the recovery figures.

Figures (by kind and by the month of the claim): disputed, recovered, win rate (won or partly won
among the disputes whose outcome is known, and recovered ÷ disputed by amount) and the average days
from the claim's payment to its last recovery. One query over the disputes, summed in Python with
``Decimal``: exact to the cent, bounded whatever the number of disputes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet

from reconciliation.close_models import DECIDED_STATUSES, Dispute, DisputeKind, DisputeLine, DisputeStatus
from reconciliation.disputes.services import DISPUTABLE_TYPES
from reconciliation.models import RemittanceLine, RemittanceStatus

ZERO = Decimal("0.00")


def disputes() -> QuerySet[Dispute]:
    return Dispute.objects.select_related("opened_by")


def disputable_lines() -> QuerySet[RemittanceLine]:
    """Shortage and price-claim lines of live payments that no dispute covers yet."""
    return (
        RemittanceLine.objects.filter(line_type__in=list(DISPUTABLE_TYPES), amount_paid__lt=0)
        .exclude(remittance__status=RemittanceStatus.SUPERSEDED)
        .exclude(Exists(DisputeLine.objects.filter(line=OuterRef("pk"))))
        .select_related("remittance")
    )


@dataclass
class Figures:
    label: str
    disputes: int = 0
    decided: int = 0
    won: int = 0
    disputed: Decimal = ZERO
    recovered: Decimal = ZERO
    days: list[int] = field(default_factory=list)

    @property
    def win_rate(self) -> Decimal | None:
        """Share of decided disputes won in whole or in part (None until one is decided)."""
        if not self.decided:
            return None
        return (Decimal(self.won) * 100 / self.decided).quantize(Decimal("0.1"))

    @property
    def recovery_rate(self) -> Decimal | None:
        if not self.disputed:
            return None
        return (self.recovered * 100 / self.disputed).quantize(Decimal("0.1"))

    @property
    def average_days(self) -> Decimal | None:
        if not self.days:
            return None
        return (Decimal(sum(self.days)) / len(self.days)).quantize(Decimal("0.1"))

    def add(
        self, status: str, disputed: Decimal, recovered: Decimal, claimed: date, recovered_on: date | None
    ) -> None:
        self.disputes += 1
        self.disputed += disputed
        self.recovered += recovered
        if status in DECIDED_STATUSES:
            self.decided += 1
            self.won += status != DisputeStatus.LOST
        if recovered_on is not None and recovered > 0:
            self.days.append((recovered_on - claimed).days)


@dataclass
class DisputeFigures:
    total: Figures
    by_kind: list[Figures]
    by_month: list[Figures]
    open_count: int
    open_amount: Decimal


def dispute_figures(queryset: QuerySet[Dispute] | None = None) -> DisputeFigures:
    rows = (
        (queryset if queryset is not None else Dispute.objects.all())
        .order_by()
        .values_list("kind", "status", "disputed_amount", "recovered_amount", "claimed_on", "recovered_on")
    )
    total = Figures("All disputes")
    kinds = {k: Figures(DisputeKind(k).label) for k in DisputeKind.values}
    months: dict[str, Figures] = {}
    open_count, open_amount = 0, ZERO
    for kind, status, disputed, recovered, claimed, recovered_on in rows:
        month = claimed.strftime("%Y-%m")
        if month not in months:
            months[month] = Figures(month)
        for figures in (total, kinds[kind], months[month]):
            figures.add(status, disputed, recovered, claimed, recovered_on)
        if status == DisputeStatus.OPEN:
            open_count += 1
            open_amount += disputed - recovered
    return DisputeFigures(
        total=total,
        by_kind=list(kinds.values()),
        by_month=[months[m] for m in sorted(months)],
        open_count=open_count,
        open_amount=open_amount,
    )
