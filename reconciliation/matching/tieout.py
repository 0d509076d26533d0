"""Does a remittance tie? payment = matched + deductions + unexplained variance.

Computed line by line from the allocations, not by subtraction, so it checks the proposals:
each line's cash is either applied to invoices (matched), or the line is a deduction coded by
type (deductions), or whatever of it no allocation took is unexplained variance. A set of
proposals that applied more cash than a line has, or counted a line twice, shows up as a
negative unexplained amount on that line (``over_applied``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .types import ZERO, Key, MatchProposal, RemittanceLineIn


@dataclass(frozen=True, slots=True)
class TieOut:
    payment_number: str
    payment: Decimal  # Σ amount paid over the remittance's lines
    matched: Decimal  # cash applied to invoices
    deductions: Decimal  # deduction lines (negative), reversals (positive), coded by type
    unexplained: Decimal  # cash on payment lines that no allocation took
    written_off: Decimal  # invoice residuals closed within tolerance (invoice side; not in the payment)
    over_applied: tuple[Key, ...]  # lines whose allocations exceed what they paid (must be empty)

    @property
    def ties(self) -> bool:
        return not self.over_applied and self.payment == self.matched + self.deductions + self.unexplained


def tie_out(lines: Iterable[RemittanceLineIn], proposals: Iterable[MatchProposal]) -> dict[str, TieOut]:
    """Per payment number. Pass the proposals in force (auto and accepted), not alternatives."""
    applied: dict[Key, Decimal] = defaultdict(lambda: ZERO)
    written_off: dict[Key, Decimal] = defaultdict(lambda: ZERO)
    for proposal in proposals:
        for allocation in proposal.allocations:
            applied[allocation.line_key] += allocation.amount
            written_off[allocation.line_key] += allocation.write_off
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    over: dict[str, list[Key]] = defaultdict(list)
    for line in lines:
        t = totals[line.payment_number]
        t["payment"] += line.amount_paid
        t["written_off"] += written_off[line.key]
        if not applied[line.key] and (line.line_type.is_deduction or line.amount_paid < 0):
            t["deductions"] += line.amount_paid
            continue
        # A payment line (or a line typed as a deduction that the engine applied as a payment).
        t["matched"] += applied[line.key]
        left = line.amount_paid - applied[line.key]
        if left < 0:
            over[line.payment_number].append(line.key)
        t["unexplained"] += left
    return {
        number: TieOut(
            payment_number=number,
            payment=t["payment"],
            matched=t["matched"],
            deductions=t["deductions"],
            unexplained=t["unexplained"],
            written_off=t["written_off"],
            over_applied=tuple(over[number]),
        )
        for number, t in totals.items()
    }
