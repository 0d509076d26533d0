"""Plain typed values in and out of the matching engine (no Django, no database).

The wiring (a later issue) builds ``RemittanceLineIn`` / ``OpenInvoiceIn`` from the
reconciliation models in bulk, calls ``match`` once, and writes the ``MatchProposal`` rows back
in bulk. Keys are whatever identifies a row to the caller (a pk or a public id); the engine only
hashes them and sorts by ``str(key)`` to stay deterministic.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

ZERO = Decimal("0.00")
CENT = Decimal("0.01")

type Key = Hashable


class LineType(StrEnum):
    """How the importer classified a remittance line (reference §10.2)."""

    INVOICE_PAYMENT = "invoice_payment"
    TERMS_DISCOUNT = "terms_discount"  # a discount shown on its own line
    SHORTAGE_CLAIM = "SC"
    SHORTAGE_REVERSAL = "SCR"
    REVISED_SHORTAGE = "SCRSC"
    PRICE_CLAIM = "PC"
    PRICE_CLAIM_REVERSAL = "PCR"
    CHARGEBACK = "VCBSINV"
    COOP = "coop"
    PRICE_PROTECTION = "price_protection"
    PROVISION = "provision"
    PROVISION_REVERSAL = "provision_reversal"
    RETURN = "return"
    UNKNOWN = "unknown"

    @property
    def is_deduction(self) -> bool:
        """Everything Amazon takes off (or gives back) that is coded to a GL account, not applied as cash."""
        return self not in (LineType.INVOICE_PAYMENT, LineType.UNKNOWN)

    @property
    def names_base_invoice(self) -> bool:
        """Deductions whose document number is ``<invoice><suffix>``: their base must be found."""
        return self in _SUFFIXED


_SUFFIXED = frozenset(
    {
        LineType.TERMS_DISCOUNT,
        LineType.SHORTAGE_CLAIM,
        LineType.SHORTAGE_REVERSAL,
        LineType.REVISED_SHORTAGE,
        LineType.PRICE_CLAIM,
        LineType.PRICE_CLAIM_REVERSAL,
    }
)


class Rule(StrEnum):
    """The rules of DESIGN.md §5, in the order they run."""

    EXACT_NUMBER = "exact_number"  # 1
    SUFFIX = "suffix"  # 2
    NORMALISED_NUMBER = "normalised_number"  # 3
    NEAR_NUMBER = "near_number"  # 3b: truncated / one character off, and the amount is equal
    PO_AMOUNT = "po_amount"  # 4
    COMBINATION = "combination"  # 5, suggestions only
    AMOUNT_DATE = "amount_date"  # 6, suggestions only

    @property
    def may_auto_accept(self) -> bool:
        """Rules 5 and 6 rest on amounts alone: never proof, whatever the threshold."""
        return self not in (Rule.COMBINATION, Rule.AMOUNT_DATE)


class Status(StrEnum):
    AUTO = "auto"
    SUGGESTED = "suggested"


class Flag(StrEnum):
    OVERPAYMENT = "overpayment"  # the line pays more than is open on the invoice
    AMOUNT_MISMATCH = "amount_mismatch"  # the number matches, the amounts do not reconcile
    AMBIGUOUS = "ambiguous"  # several invoices fit equally well


class UnmatchedReason(StrEnum):
    NO_CANDIDATE = "no_candidate"  # a payment line no rule could place
    BASE_INVOICE_UNKNOWN = "base_invoice_unknown"  # an SC/PC/... whose base invoice we do not have
    NOT_INVOICE_LINKED = "not_invoice_linked"  # co-op, chargeback, provision...: coded by type, no invoice
    UNCLASSIFIED_DEDUCTION = "unclassified_deduction"  # a negative line the importer could not classify
    NOTHING_PAID = "nothing_paid"  # zero amount


@dataclass(frozen=True, slots=True)
class RemittanceLineIn:
    key: Key
    payment_number: str
    document_number: str
    invoice_amount: Decimal  # negative for deductions
    amount_paid: Decimal  # what this line contributes to the payment (invoice amount − discount)
    discount: Decimal = ZERO  # terms discount taken on this line
    line_type: LineType = LineType.INVOICE_PAYMENT
    document_date: date | None = None
    payment_date: date | None = None  # orders partial payments across remittances
    description: str = ""
    base_invoice_number: str = ""  # set by the importer when it knows it
    po_number: str = ""

    @property
    def gross(self) -> Decimal:
        """What the line settles on an invoice: cash plus the terms discount taken."""
        return self.amount_paid + self.discount


@dataclass(frozen=True, slots=True)
class OpenInvoiceIn:
    """An invoice the engine may apply to. Include closed invoices named by a line (open 0) so
    deductions and duplicate payments can still be linked to them."""

    key: Key
    number: str
    amount: Decimal
    open_balance: Decimal
    date: date | None = None
    po_number: str = ""


@dataclass(frozen=True, slots=True)
class Tolerance:
    """A difference is tolerated when it is within ``absolute`` OR within ``percent`` % of the
    amount (whichever is larger: the usual cash-application rule)."""

    absolute: Decimal = Decimal("0.50")
    percent: Decimal = Decimal("0.10")

    def allowed(self, amount: Decimal) -> Decimal:
        by_percent = (abs(amount) * self.percent / 100).quantize(CENT)
        return max(self.absolute, by_percent)

    def within(self, difference: Decimal, amount: Decimal) -> bool:
        return abs(difference) <= self.allowed(amount)


@dataclass(frozen=True, slots=True)
class EngineConfig:
    tolerance: Tolerance = field(default_factory=Tolerance)
    auto_accept_threshold: float = 0.90  # auto when confidence >= this (rules 5 and 6 never)
    date_window_days: int = 10  # rule 6: |invoice date − document date|
    max_combination_size: int = 3  # rule 5: at most this many invoices in a combination
    max_combination_candidates: int = 12  # rule 5: the search looks at this many invoices per line
    max_suggestions: int = 3  # per line, for the ambiguous and amount-only rules

    def __post_init__(self) -> None:
        if not 0 <= self.auto_accept_threshold <= 1:
            raise ValueError("auto_accept_threshold must be between 0 and 1")
        if self.max_combination_size < 2 or self.max_combination_candidates < 2:
            raise ValueError("combinations need at least two invoices and two candidates")
        if self.date_window_days < 0 or self.max_suggestions < 1:
            raise ValueError("date_window_days must be >= 0 and max_suggestions >= 1")


@dataclass(frozen=True, slots=True)
class Allocation:
    """One edge of a many-to-many match: how much of one line goes to one invoice.

    ``amount`` is cash from the line; ``discount`` the terms discount taken; ``write_off`` the
    residual within tolerance that closes the invoice. amount + discount + write_off is what the
    invoice's open balance loses. ``deduction`` is a deduction line linked to its base invoice: it
    is coded to a GL account and does not consume the open balance.
    """

    line_key: Key
    invoice_key: Key
    invoice_number: str
    amount: Decimal = ZERO
    discount: Decimal = ZERO
    write_off: Decimal = ZERO
    deduction: Decimal = ZERO

    @property
    def consumed(self) -> Decimal:
        return self.amount + self.discount + self.write_off


@dataclass(frozen=True, slots=True)
class MatchProposal:
    rule: Rule
    confidence: float  # 0–1
    status: Status
    explanation: str  # one sentence a person can check
    allocations: tuple[Allocation, ...]
    flags: tuple[Flag, ...] = ()

    @property
    def line_keys(self) -> tuple[Key, ...]:
        return tuple(dict.fromkeys(a.line_key for a in self.allocations))

    @property
    def invoice_keys(self) -> tuple[Key, ...]:
        return tuple(dict.fromkeys(a.invoice_key for a in self.allocations))

    @property
    def amount(self) -> Decimal:
        """Cash applied to invoices."""
        return sum((a.amount for a in self.allocations), ZERO)

    @property
    def write_off(self) -> Decimal:
        return sum((a.write_off for a in self.allocations), ZERO)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (amounts as strings), the shape ``automatch --json`` prints per line."""
        return {
            "status": str(self.status),
            "rule": str(self.rule),
            "confidence": self.confidence,
            "explanation": self.explanation,
            "flags": [str(f) for f in self.flags],
            "invoices": [
                {
                    "invoice": a.invoice_number,
                    "amount": str(a.amount),
                    "discount": str(a.discount),
                    "write_off": str(a.write_off),
                    "deduction": str(a.deduction),
                }
                for a in self.allocations
            ],
        }


@dataclass(frozen=True, slots=True)
class Unmatched:
    line_key: Key
    reason: UnmatchedReason
    explanation: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    proposals: tuple[MatchProposal, ...]
    unmatched: tuple[Unmatched, ...]
    remaining_open: dict[Key, Decimal]  # every invoice's open balance after the auto matches

    @property
    def auto(self) -> tuple[MatchProposal, ...]:
        return tuple(p for p in self.proposals if p.status is Status.AUTO)

    @property
    def suggested(self) -> tuple[MatchProposal, ...]:
        return tuple(p for p in self.proposals if p.status is Status.SUGGESTED)

    def by_line(self) -> dict[Key, tuple[MatchProposal, ...]]:
        """Line key → its proposals (one auto match, or suggestions best first)."""
        grouped: dict[Key, list[MatchProposal]] = {}
        for proposal in self.proposals:
            for key in proposal.line_keys:
                grouped.setdefault(key, []).append(proposal)
        return {key: tuple(sorted(found, key=lambda p: -p.confidence)) for key, found in grouped.items()}

    def for_line(self, key: Key) -> tuple[MatchProposal, ...]:
        """One line's proposals (a scan: use ``by_line`` for many lines)."""
        return tuple(p for p in self.proposals if key in p.line_keys)
