"""The matching engine: remittance lines against open invoices, by the ordered rules of DESIGN.md §5.

Pure Python over plain typed values (``types``): no Django, no database, no I/O. The wiring
loads ``RemittanceLineIn`` / ``OpenInvoiceIn`` in bulk, calls ``match`` once and writes the
``MatchProposal`` rows in bulk; ``line_outcomes`` gives the per-line objects of
``automatch --json``; ``tie_out`` checks a remittance (payment = matched + deductions
+ unexplained variance).

Wiring it (issue 10's database half): per vendor code and currency, after each import, pass the
lines not yet matched and every open invoice (open balance net of matches already stored), plus
the closed invoices those lines name (their numbers, and base numbers with the suffix stripped,
looked up exactly and normalised) with open balance 0. Store auto proposals as matches and
suggestions as pending candidates; ``MatchResult.remaining_open`` is each invoice's balance after
the auto matches. Accepting a suggestion later must re-check the balance it consumes.

Why hand-written: record-linkage libraries (recordlinkage, dedupe, splink) score pairs of
records by similarity and need training or blocking set-up; they have no notion of an open
balance that is consumed as payments are applied, of partial payments across remittances, of
deduction suffixes linking to a base invoice, of a write-off within tolerance, or of a rule
that may never auto-accept. Those are the whole problem here, and each decision must come with
a sentence finance can check; a few hundred lines of explicit rules over dict indexes do that
and run 100,000 lines in seconds.
"""

from .engine import CONFIDENCE, Reach, match
from .numbers import compact, near_miss, normalise, strip_deduction_suffix
from .report import line_outcomes
from .tieout import TieOut, tie_out
from .types import (
    Allocation,
    EngineConfig,
    Flag,
    LineType,
    MatchProposal,
    MatchResult,
    OpenInvoiceIn,
    RemittanceLineIn,
    Rule,
    Status,
    Tolerance,
    Unmatched,
    UnmatchedReason,
)

__all__ = [
    "CONFIDENCE",
    "Allocation",
    "EngineConfig",
    "Flag",
    "LineType",
    "MatchProposal",
    "MatchResult",
    "OpenInvoiceIn",
    "Reach",
    "RemittanceLineIn",
    "Rule",
    "Status",
    "TieOut",
    "Tolerance",
    "Unmatched",
    "UnmatchedReason",
    "compact",
    "line_outcomes",
    "match",
    "near_miss",
    "normalise",
    "strip_deduction_suffix",
    "tie_out",
]
