"""The ordered rules of DESIGN.md §5 over in-memory indexes: ``match(lines, invoices, config)``.

Rules run one after the other over all lines still unplaced, so a weak rule never takes an
invoice a strong rule would have named for a later line:

1. exact document number = invoice number, amounts reconcile within tolerance;
2. suffix rules: deduction documents (SC, SCR, SCRSC, PC, PCR, VCBSINV, a discount line) link to
   their base invoice (exact, then normalised);
3. normalised numbers (case, spaces, separators, leading zeros), then "near" numbers (cut short or
   one character off) whose amount is also equal;
4. PO number + amount;
5. combinations of open invoices of the same PO (or, without a PO, the same date) summing to the
   line within tolerance — suggestions only;
6. amount + date window — suggestions only.

Only auto matches consume open balances (in line order: payment date, payment number, document
date, document number, key), so partial payments across remittances settle in the order they
were paid and a line can never be applied beyond what is open. Suggestions are computed against
the balances left at that point and consume nothing until a person accepts them.

Every lookup goes through a dict built once from the invoices; a line costs a bounded number of
lookups, so the run is linear in lines + invoices. The bounds (``AMOUNT_BUCKET_SCAN``,
``PO_GROUP_SCAN``, the combination limits of ``EngineConfig``) cap the work for pathological data
(thousands of invoices of one amount or one PO) at the price of missing a suggestion there.
"""

from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .numbers import compact, near_miss, normalise, strip_deduction_suffix
from .types import (
    ZERO,
    Allocation,
    EngineConfig,
    Flag,
    Key,
    LineType,
    MatchProposal,
    MatchResult,
    OpenInvoiceIn,
    RemittanceLineIn,
    Rule,
    Status,
    Unmatched,
    UnmatchedReason,
)

RULE_ORDER = {rule: i for i, rule in enumerate(Rule)}
AMOUNT_BUCKET_SCAN = 256  # invoices of one amount looked at per line (rules 3b and 6)
PO_GROUP_SCAN = 256  # invoices of one PO looked at per line (rules 4 and 5)

CONFIDENCE = {
    Rule.EXACT_NUMBER: 0.99,
    Rule.SUFFIX: 0.97,
    Rule.NORMALISED_NUMBER: 0.95,
    Rule.NEAR_NUMBER: 0.91,
    Rule.PO_AMOUNT: 0.90,
    Rule.COMBINATION: 0.55,
    Rule.AMOUNT_DATE: 0.40,
}
SUFFIX_NORMALISED_CONFIDENCE = 0.93  # base found only after normalising
UNCLASSIFIED_SUFFIX_CONFIDENCE = 0.80  # a negative "unknown" line whose number ends in a suffix
AMBIGUOUS_CONFIDENCE = 0.60  # several invoices fit the same evidence
MISMATCH_PENALTY = 0.30  # the number matches but the amounts do not reconcile
PERIOD_COMBINATION_CONFIDENCE = 0.45
SEVERAL_AMOUNT_DATE_CONFIDENCE = 0.25

LABELS = {
    LineType.TERMS_DISCOUNT: "terms discount",
    LineType.SHORTAGE_CLAIM: "shortage claim",
    LineType.SHORTAGE_REVERSAL: "shortage claim reversal",
    LineType.REVISED_SHORTAGE: "revised shortage claim",
    LineType.PRICE_CLAIM: "price claim",
    LineType.PRICE_CLAIM_REVERSAL: "price claim reversal",
    LineType.CHARGEBACK: "chargeback",
    LineType.COOP: "co-op deduction",
    LineType.PRICE_PROTECTION: "price protection",
    LineType.PROVISION: "provision",
    LineType.PROVISION_REVERSAL: "provision reversal",
    LineType.RETURN: "return",
    LineType.UNKNOWN: "unclassified deduction",
}
# What each reversal undoes, to say so in the sentence when both are in the run.
REVERSES = {
    LineType.SHORTAGE_REVERSAL: LineType.SHORTAGE_CLAIM,
    LineType.REVISED_SHORTAGE: LineType.SHORTAGE_REVERSAL,
    LineType.PRICE_CLAIM_REVERSAL: LineType.PRICE_CLAIM,
}


def _fmt(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _line_order(line: RemittanceLineIn) -> tuple:
    return (
        line.payment_date or date.min,
        line.payment_number,
        line.document_date or date.min,
        line.document_number,
        str(line.key),
    )


class _Index:
    """Every lookup the rules need, built once over the invoices."""

    def __init__(self, invoices: Iterable[OpenInvoiceIn]) -> None:
        self.by_key: dict[Key, OpenInvoiceIn] = {}
        self.norm: dict[Key, str] = {}
        self.by_number: dict[str, list[OpenInvoiceIn]] = defaultdict(list)
        self.by_norm: dict[str, list[OpenInvoiceIn]] = defaultdict(list)
        self.by_po: dict[str, list[OpenInvoiceIn]] = defaultdict(list)
        self.by_amount: dict[Decimal, list[OpenInvoiceIn]] = defaultdict(list)
        self.by_date: dict[date, list[OpenInvoiceIn]] = defaultdict(list)
        # Candidate lists in (date, number) order, whatever order the caller loaded them in.
        ordered = sorted(invoices, key=lambda i: (i.date or date.min, i.number))
        po_norm: dict[str, str] = {}  # several invoices per PO: normalise each PO once
        # Locals, not attributes, in the loop: it runs once per invoice (250,000 in the bench).
        by_key, norms, by_number, by_norm = self.by_key, self.norm, self.by_number, self.by_norm
        by_po, by_amount, by_date = self.by_po, self.by_amount, self.by_date
        for inv in ordered:
            key, number, amount, open_balance = inv.key, inv.number, inv.amount, inv.open_balance
            if key in by_key:
                raise ValueError(f"invoice {number!r}: key {key!r} appears twice")
            if type(amount) is not Decimal or type(open_balance) is not Decimal:
                raise TypeError(f"invoice {number!r}: amount and open_balance must be Decimal")
            if open_balance < ZERO:
                raise ValueError(f"invoice {number!r}: open_balance {open_balance} is negative")
            by_key[key] = inv
            norm = norms[key] = normalise(number)
            by_number[number].append(inv)
            if norm:
                by_norm[norm].append(inv)
            if inv.po_number:
                po = po_norm.get(inv.po_number)
                if po is None:
                    po = po_norm[inv.po_number] = normalise(inv.po_number)
                by_po[po].append(inv)
            by_amount[open_balance].append(inv)
            if amount != open_balance:
                by_amount[amount].append(inv)
            if inv.date:
                by_date[inv.date].append(inv)

    def add_for_dates(self, invoices: Iterable[OpenInvoiceIn]) -> list[OpenInvoiceIn]:
        """Add invoices loaded late for rule 5's date buckets; returns the ones new to the index.

        Only ``by_date`` (and the key maps) learn them: the caller already gave every invoice of
        the numbers, POs and amounts the lines look up, so those buckets are complete.
        """
        added: list[OpenInvoiceIn] = []
        touched: set[date] = set()
        for inv in invoices:
            if inv.key in self.by_key or not inv.date:
                continue
            self.by_key[inv.key] = inv
            self.norm[inv.key] = normalise(inv.number)
            self.by_date[inv.date].append(inv)
            touched.add(inv.date)
            added.append(inv)
        for when in touched:
            self.by_date[when].sort(key=lambda i: i.number)
        return added

    def amount_candidates(self, *amounts: Decimal) -> list[OpenInvoiceIn]:
        seen: dict[Key, OpenInvoiceIn] = {}
        for amount in amounts:
            for inv in self.by_amount.get(amount, ())[:AMOUNT_BUCKET_SCAN]:
                seen.setdefault(inv.key, inv)
        return list(seen.values())


class _Engine:
    def __init__(
        self,
        index: _Index,
        config: EngineConfig,
        lines: Sequence[RemittanceLineIn],
        dated: Callable[[set[date]], Iterable[OpenInvoiceIn]] | None = None,
    ) -> None:
        self.index = index
        self.dated = dated
        self.config = config
        self.tolerance = config.tolerance
        self.balance: dict[Key, Decimal] = {k: inv.open_balance for k, inv in index.by_key.items()}
        # (base invoice key, type) -> document numbers in this run, for "reverses INV1SC".
        self.deductions_by_base: dict[tuple[Key, LineType], str] = {}
        self.lines = lines

    # ---- shared pieces -------------------------------------------------------------------

    def fits(self, line: RemittanceLineIn, inv: OpenInvoiceIn) -> bool:
        """The line's amounts agree with the invoice: it pays what is open, or restates its amount."""
        open_ = self.balance[inv.key]
        if open_ <= 0:
            return False
        return self.tolerance.within(line.gross - open_, open_) or (
            self.tolerance.within(line.invoice_amount - inv.amount, inv.amount) and line.gross <= open_
        )

    def status(self, rule: Rule, confidence: float, flags: Sequence[Flag]) -> Status:
        if rule.may_auto_accept and not flags and confidence >= self.config.auto_accept_threshold:
            return Status.AUTO
        return Status.SUGGESTED

    def settle(
        self,
        line: RemittanceLineIn,
        inv: OpenInvoiceIn,
        rule: Rule,
        confidence: float,
        head: str,
        *,
        ambiguous: bool = False,
    ) -> MatchProposal:
        """One payment line against one invoice: cash, discount, write-off, and the sentence."""
        open_ = self.balance[inv.key]
        paid, discount, gross = (
            line.amount_paid,
            max(line.discount, ZERO),
            line.amount_paid + max(line.discount, ZERO),
        )
        flags: list[Flag] = [Flag.AMBIGUOUS] if ambiguous else []
        if discount:
            money = f"paid {_fmt(paid)} = {_fmt(gross)} − terms discount {_fmt(discount)}"
        else:
            money = f"paid {_fmt(paid)}"
        write_off = ZERO
        if gross > open_:
            # Never apply beyond what is open: the excess stays unexplained until a person decides.
            flags.append(Flag.OVERPAYMENT)
            discount = min(discount, open_)
            paid = open_ - discount
            if open_:
                money += f", but only {_fmt(open_)} is open; {_fmt(gross - open_)} over-payment not applied"
            else:
                money += f", but nothing is open on it (already settled); {_fmt(gross)} not applied"
        else:
            residual = open_ - gross
            if residual and self.tolerance.within(residual, open_):
                write_off = residual
                allowed = self.tolerance.allowed(open_)
                money += f"; {_fmt(residual)} short of the {_fmt(open_)} open, written off (tolerance {_fmt(allowed)})"
            elif residual:
                if self.tolerance.within(line.invoice_amount - inv.amount, inv.amount):
                    money += f"; partial payment, {_fmt(residual)} of {_fmt(open_)} remains open"
                else:
                    flags.append(Flag.AMOUNT_MISMATCH)
                    confidence -= MISMATCH_PENALTY
                    money += (
                        f"; but {_fmt(open_)} is open and the remittance states invoice amount"
                        f" {_fmt(line.invoice_amount)} against {_fmt(inv.amount)}"
                    )
            elif open_ != inv.amount:
                money += f"; settles the {_fmt(open_)} still open of {_fmt(inv.amount)}"
        allocation = Allocation(
            line.key, inv.key, inv.number, amount=paid, discount=discount, write_off=write_off
        )
        confidence = round(max(confidence, 0.0), 2)
        return MatchProposal(
            rule=rule,
            confidence=confidence,
            status=self.status(rule, confidence, flags),
            explanation=f"{head}; {money}",
            allocations=(allocation,),
            flags=tuple(flags),
        )

    def by_number(
        self,
        line: RemittanceLineIn,
        candidates: Sequence[OpenInvoiceIn],
        rule: Rule,
        head: Callable[[OpenInvoiceIn], str],
    ) -> list[MatchProposal]:
        """A number found once settles against it; found several times, the amount decides."""
        if len(candidates) == 1:
            return [self.settle(line, candidates[0], rule, CONFIDENCE[rule], head(candidates[0]))]
        fitting = [inv for inv in candidates if self.fits(line, inv)]
        if len(fitting) == 1:
            inv = fitting[0]
            return [self.settle(line, inv, rule, CONFIDENCE[rule] - 0.02, head(inv))]
        pool = fitting or list(candidates)
        return [
            self.settle(
                line,
                inv,
                rule,
                AMBIGUOUS_CONFIDENCE,
                head(inv) + f" (one of {len(pool)} invoices with that number)",
                ambiguous=True,
            )
            for inv in pool[: self.config.max_suggestions]
        ]

    # ---- the rules for payment lines ------------------------------------------------------

    def rule_exact(self, line: RemittanceLineIn) -> list[MatchProposal]:
        candidates = self.index.by_number.get(line.document_number)
        if not candidates:
            return []
        return self.by_number(
            line,
            candidates,
            Rule.EXACT_NUMBER,
            lambda inv: f"document {line.document_number} = invoice {inv.number}",
        )

    def rule_normalised(self, line: RemittanceLineIn) -> list[MatchProposal]:
        norm = normalise(line.document_number)
        candidates = self.index.by_norm.get(norm) if norm else None
        if not candidates:
            return []
        return self.by_number(
            line,
            candidates,
            Rule.NORMALISED_NUMBER,
            lambda inv: (
                f"document {line.document_number!r} = invoice {inv.number} once case, spaces,"
                f" separators and leading zeros are ignored ({norm})"
            ),
        )

    def rule_near(self, line: RemittanceLineIn) -> list[MatchProposal]:
        norm = normalise(line.document_number)
        if not norm:
            return []
        loose = compact(line.document_number)
        hits: list[tuple[OpenInvoiceIn, str]] = []
        for inv in self.index.amount_candidates(line.gross, line.invoice_amount):
            if not self.fits(line, inv):
                continue
            if how := near_miss(loose, compact(inv.number)) or near_miss(norm, self.index.norm[inv.key]):
                hits.append((inv, how))
        if not hits:
            return []
        ambiguous = len(hits) > 1
        confidence = AMBIGUOUS_CONFIDENCE if ambiguous else CONFIDENCE[Rule.NEAR_NUMBER]
        return [
            self.settle(
                line,
                inv,
                Rule.NEAR_NUMBER,
                confidence,
                f"document {line.document_number} ≈ invoice {inv.number} ({how}) and the amounts agree",
                ambiguous=ambiguous,
            )
            for inv, how in hits[: self.config.max_suggestions]
        ]

    def rule_po_amount(self, line: RemittanceLineIn) -> list[MatchProposal]:
        po = normalise(line.po_number)
        group = self.index.by_po.get(po) if po else None
        if not group:
            return []
        hits = [inv for inv in group[:PO_GROUP_SCAN] if self.fits(line, inv)]
        if not hits:
            return []
        ambiguous = len(hits) > 1
        confidence = AMBIGUOUS_CONFIDENCE if ambiguous else CONFIDENCE[Rule.PO_AMOUNT]
        return [
            self.settle(
                line,
                inv,
                Rule.PO_AMOUNT,
                confidence,
                f"PO {line.po_number}: invoice {inv.number}"
                + (
                    f" is one of {len(hits)} open invoices of that PO for this amount"
                    if ambiguous
                    else " is the only open invoice of that PO for this amount"
                )
                + f" (document {line.document_number} is not an invoice number we know)",
                ambiguous=ambiguous,
            )
            for inv in hits[: self.config.max_suggestions]
        ]

    def rule_combination(self, line: RemittanceLineIn) -> list[MatchProposal]:
        po = normalise(line.po_number)
        if po:
            group, where, confidence = (
                self.index.by_po.get(po, []),
                f"of PO {line.po_number}",
                CONFIDENCE[Rule.COMBINATION],
            )
        elif line.document_date:
            group = self.index.by_date.get(line.document_date, [])
            where, confidence = f"dated {line.document_date.isoformat()}", PERIOD_COMBINATION_CONFIDENCE
        else:
            return []
        gross = line.gross
        allowed = self.tolerance.allowed(gross)
        low, high = gross - allowed, gross + allowed
        candidates = [
            (self.balance[inv.key], inv) for inv in group[:PO_GROUP_SCAN] if 0 < self.balance[inv.key] < high
        ][: self.config.max_combination_candidates]
        if len(candidates) < 2:
            return []
        candidates.sort(key=lambda c: c[0])  # ascending balances let the search stop early
        values = [value for value, _ in candidates]
        limit = self.config.max_suggestions
        found: list[tuple[int, ...]] = []

        def search(start: int, size: int, total: Decimal, chosen: tuple[int, ...]) -> None:
            if size == 1:  # the last invoice: every value in [low − total, high − total], by bisection
                first = bisect_left(values, low - total, start)
                for k in range(first, bisect_right(values, high - total, start)):
                    if len(found) < limit:
                        found.append((*chosen, k))
                return
            for i in range(start, len(values) - size + 1):
                if total + values[i] * size > high or len(found) >= limit:
                    return  # every later pick is at least as large
                search(i + 1, size - 1, total + values[i], (*chosen, i))

        for size in range(2, self.config.max_combination_size + 1):
            search(0, size, ZERO, ())
        return [
            self.combination(
                line,
                [candidates[i][1] for i in picked],
                sum((values[i] for i in picked), ZERO),
                where,
                confidence,
            )
            for picked in found
        ]

    def combination(
        self,
        line: RemittanceLineIn,
        combo: Sequence[OpenInvoiceIn],
        total: Decimal,
        where: str,
        confidence: float,
    ) -> MatchProposal:
        discount_left, cash_left = max(line.discount, ZERO), line.amount_paid
        allocations: list[Allocation] = []
        for i, inv in enumerate(combo):
            open_ = self.balance[inv.key]
            discount = min(discount_left, open_)
            cash = min(cash_left, open_ - discount)
            discount_left -= discount
            cash_left -= cash
            # The last invoice takes the residual within tolerance as a write-off.
            write_off = open_ - discount - cash if i == len(combo) - 1 else ZERO
            allocations.append(Allocation(line.key, inv.key, inv.number, cash, discount, write_off))
        numbers = " + ".join(f"{inv.number} ({_fmt(self.balance[inv.key])})" for inv in combo)
        sentence = f"invoices {numbers} {where} sum to {_fmt(total)}; line settles {_fmt(line.gross)}"
        flags: tuple[Flag, ...] = ()
        if cash_left > 0:
            flags = (Flag.OVERPAYMENT,)
            sentence += f"; {_fmt(cash_left)} over-payment not applied"
        elif total != line.gross:
            sentence += f"; difference {_fmt(total - line.gross)} written off"
        sentence += " — amounts only, check it"
        return MatchProposal(
            rule=Rule.COMBINATION,
            confidence=confidence,
            status=Status.SUGGESTED,
            explanation=sentence,
            allocations=tuple(allocations),
            flags=flags,
        )

    def rule_amount_date(self, line: RemittanceLineIn) -> list[MatchProposal]:
        when = line.document_date or line.payment_date
        if not when:
            return []
        window = self.config.date_window_days
        hits = [
            inv
            for inv in self.index.amount_candidates(line.gross, line.invoice_amount)
            if inv.date and abs((inv.date - when).days) <= window and self.fits(line, inv)
        ]
        if not hits:
            return []
        hits.sort(key=lambda inv: (abs((inv.date - when).days), inv.number))  # type: ignore[operator]
        confidence = CONFIDENCE[Rule.AMOUNT_DATE] if len(hits) == 1 else SEVERAL_AMOUNT_DATE_CONFIDENCE
        return [
            self.settle(
                line,
                inv,
                Rule.AMOUNT_DATE,
                confidence,
                f"amount only: invoice {inv.number} of {inv.date} is open for this amount,"  # type: ignore[union-attr]
                f" {_days(abs((inv.date - when).days))} from the document"  # type: ignore[operator]
                + (f" (one of {len(hits)})" if len(hits) > 1 else "")
                + f"; document {line.document_number} names no invoice we know",
                ambiguous=len(hits) > 1,
            )
            for inv in hits[: self.config.max_suggestions]
        ]

    # ---- rule 2: deductions ----------------------------------------------------------------

    def rule_suffix(self, line: RemittanceLineIn) -> MatchProposal | Unmatched:
        # A negative line classified as an invoice payment is a deduction nobody recognised.
        kind = line.line_type if line.line_type.is_deduction else LineType.UNKNOWN
        base = line.base_invoice_number.strip()
        if not base:
            base = strip_deduction_suffix(line.document_number)
        if not base and kind is LineType.TERMS_DISCOUNT:
            base = line.document_number.strip()  # a discount line carries the invoice's own number
        label = LABELS.get(kind, str(kind))
        candidates: Sequence[OpenInvoiceIn] = ()
        confidence = CONFIDENCE[Rule.SUFFIX]
        if base:
            candidates = self.index.by_number.get(base, ())
            if not candidates and (norm := normalise(base)):
                candidates = self.index.by_norm.get(norm, ())
                confidence = SUFFIX_NORMALISED_CONFIDENCE
        if not candidates:
            if kind is LineType.UNKNOWN:
                return Unmatched(
                    line.key,
                    UnmatchedReason.UNCLASSIFIED_DEDUCTION,
                    f"{line.document_number}: a deduction of {_fmt(line.amount_paid)} the importer could not classify",
                )
            if kind.names_base_invoice or line.base_invoice_number.strip():
                return Unmatched(
                    line.key,
                    UnmatchedReason.BASE_INVOICE_UNKNOWN,
                    f"{label} {line.document_number}: base invoice {base or '(none in the number)'} is not"
                    f" one of ours; {_fmt(line.amount_paid)} is coded by type without an invoice",
                )
            return Unmatched(
                line.key,
                UnmatchedReason.NOT_INVOICE_LINKED,
                f"{label} {line.document_number}: not tied to an invoice; {_fmt(line.amount_paid)} is coded by type",
            )
        flags: tuple[Flag, ...] = ()
        if kind is LineType.UNKNOWN:
            confidence = UNCLASSIFIED_SUFFIX_CONFIDENCE
        if len(candidates) > 1:
            flags, confidence = (Flag.AMBIGUOUS,), AMBIGUOUS_CONFIDENCE
        inv = candidates[0]
        verb = "deducted" if line.amount_paid < 0 else "given back"
        sentence = f"{label} {line.document_number} → base invoice {inv.number}; {_fmt(abs(line.amount_paid))} {verb}"
        if len(candidates) > 1:
            sentence += f" (first of {len(candidates)} invoices with that number)"
        if (undone := REVERSES.get(kind)) and (earlier := self.deductions_by_base.get((inv.key, undone))):
            sentence += f"; follows {earlier}"
        self.deductions_by_base.setdefault((inv.key, kind), line.document_number)
        return MatchProposal(
            rule=Rule.SUFFIX,
            confidence=confidence,
            status=self.status(Rule.SUFFIX, confidence, flags),
            explanation=sentence,
            allocations=(Allocation(line.key, inv.key, inv.number, deduction=line.amount_paid),),
            flags=flags,
        )

    def load_dates(self, lines: Iterable[RemittanceLineIn]) -> None:
        """Rule 5 groups a line without a PO with the invoices of its document date: fetch the
        dates of the lines still unplaced, once, from the caller (the database)."""
        dates = {line.document_date for line in lines if line.document_date and not normalise(line.po_number)}
        if not dates or self.dated is None:
            return
        for inv in self.index.add_for_dates(self.dated(dates)):
            self.balance[inv.key] = inv.open_balance

    def names_invoice(self, line: RemittanceLineIn) -> bool:
        """The whole document number is one of our invoice numbers (as written, or normalised)."""
        return (
            line.document_number in self.index.by_number
            or normalise(line.document_number) in self.index.by_norm
        )

    # ---- the run -----------------------------------------------------------------------------

    def run(self) -> MatchResult:
        proposals: list[tuple[int, int, MatchProposal]] = []
        unmatched: list[tuple[int, Unmatched]] = []
        payments: list[tuple[int, RemittanceLineIn]] = []
        deductions: list[tuple[int, RemittanceLineIn]] = []
        for position, line in enumerate(self.lines):
            if line.gross == 0 and line.amount_paid == 0:
                unmatched.append(
                    (
                        position,
                        Unmatched(
                            line.key, UnmatchedReason.NOTHING_PAID, f"{line.document_number}: nothing paid"
                        ),
                    )
                )
            elif line.amount_paid > 0 and line.line_type.is_deduction and self.names_invoice(line):
                # The number is one of our invoices, the money comes in: a payment whose invoice
                # number happens to end like a suffix (a PO ending in "PC"), misread as a claim.
                payments.append((position, line))
            elif line.line_type.is_deduction or line.amount_paid < 0:
                deductions.append((position, line))
            else:
                payments.append((position, line))

        def emit(position: int, rule: Rule, found: Iterable[MatchProposal]) -> None:
            for proposal in found:
                proposals.append((position, RULE_ORDER[rule], proposal))
                if proposal.status is Status.AUTO:
                    for allocation in proposal.allocations:
                        self.balance[allocation.invoice_key] -= allocation.consumed

        # Payment lines: exact numbers for every line first (rule 1), then the deductions (rule 2,
        # which consumes nothing), then the weaker rules over what is left.
        rules = (
            (Rule.EXACT_NUMBER, self.rule_exact),
            (Rule.NORMALISED_NUMBER, self.rule_normalised),
            (Rule.NEAR_NUMBER, self.rule_near),
            (Rule.PO_AMOUNT, self.rule_po_amount),
            (Rule.COMBINATION, self.rule_combination),
            (Rule.AMOUNT_DATE, self.rule_amount_date),
        )
        for rule, apply in rules:
            if rule is Rule.COMBINATION and self.dated is not None:
                self.load_dates(line for _, line in payments)
            left: list[tuple[int, RemittanceLineIn]] = []
            for position, line in payments:
                found = apply(line)
                if found:
                    emit(position, rule, found)
                else:
                    left.append((position, line))
            payments = left
            if rule is Rule.EXACT_NUMBER:
                for position, line in deductions:
                    outcome = self.rule_suffix(line)
                    if isinstance(outcome, Unmatched):
                        unmatched.append((position, outcome))
                    else:
                        emit(position, Rule.SUFFIX, [outcome])
        for position, line in payments:
            unmatched.append(
                (
                    position,
                    Unmatched(
                        line.key,
                        UnmatchedReason.NO_CANDIDATE,
                        f"document {line.document_number} (paid {_fmt(line.amount_paid)}): no open invoice by number,"
                        " PO, combination or amount",
                    ),
                )
            )
        proposals.sort(key=lambda item: (item[0], item[1]))
        unmatched.sort(key=lambda item: item[0])
        return MatchResult(
            proposals=tuple(p for _, _, p in proposals),
            unmatched=tuple(u for _, u in unmatched),
            remaining_open=self.balance,
        )


@dataclass
class Reach:
    """What lines can look invoices up by: the keys of every bucket the rules consult.

    An invoice is reachable when its number is in ``names`` or its normalised number in ``keys``
    (open or not: a duplicate payment must still find its settled invoice), or it is open and
    its normalised PO is in ``pos`` or its open balance or amount in ``amounts``. Giving ``match`` the reachable invoices (plus ``dated``) gives the result of
    giving it all of them: this is how the database loads a run's candidates.
    """

    names: set[str] = field(default_factory=set)  # numbers as written: open or closed invoices
    keys: set[str] = field(default_factory=set)  # normalised numbers: open or closed invoices
    pos: set[str] = field(default_factory=set)  # normalised PO numbers: open invoices
    amounts: set[Decimal] = field(default_factory=set)  # open balance or amount: open invoices

    @classmethod
    def of(cls, lines: Iterable[RemittanceLineIn]) -> Reach:
        reach = cls()
        names, pos, amounts = reach.names, set(), reach.amounts
        for line in lines:
            number = line.document_number
            names.add(number)
            names.add(number.strip())
            if line.line_type.is_deduction or line.amount_paid < 0:  # rule 2 looks up the base too
                names.add(line.base_invoice_number.strip() or strip_deduction_suffix(number))
            pos.add(line.po_number)
            gross, stated = line.gross, line.invoice_amount
            if gross > 0:
                amounts.add(gross)
            if stated > 0:
                amounts.add(stated)
        names.discard("")
        # Each distinct spelling normalised once (a run repeats numbers and POs a lot).
        reach.keys = {key[:100] for name in names if (key := normalise(name))}
        reach.pos = {key[:40] for po in pos if (key := normalise(po))}
        return reach

    def reaches(self, invoice: OpenInvoiceIn) -> bool:
        """The predicate the database query applies, for callers that hold plain values."""
        if invoice.number in self.names or normalise(invoice.number)[:100] in self.keys:
            return True
        return invoice.open_balance > 0 and (
            normalise(invoice.po_number)[:40] in self.pos
            or invoice.open_balance in self.amounts
            or invoice.amount in self.amounts
        )


def _checked(lines: Iterable[RemittanceLineIn]) -> list[RemittanceLineIn]:
    seen: set[Key] = set()
    out: list[RemittanceLineIn] = []
    for line in lines:
        if line.key in seen:
            raise ValueError(f"remittance line {line.document_number!r}: key {line.key!r} appears twice")
        seen.add(line.key)
        for name in ("invoice_amount", "amount_paid", "discount"):
            if not isinstance(getattr(line, name), Decimal):
                raise TypeError(
                    f"remittance line {line.document_number!r} ({line.key!r}): {name} must be a Decimal"
                )
        out.append(line)
    out.sort(key=_line_order)
    return out


def match(
    lines: Iterable[RemittanceLineIn],
    invoices: Iterable[OpenInvoiceIn],
    config: EngineConfig | None = None,
    *,
    dated: Callable[[set[date]], Iterable[OpenInvoiceIn]] | None = None,
) -> MatchResult:
    """Run the rules over ``lines`` against ``invoices``; pure, deterministic, no I/O of its own.

    Give every open invoice plus any closed one a line names (open balance 0), so deductions and
    duplicate payments still find their invoice. Proposals come in line order; a line has one
    proposal, several alternative suggestions, or one ``Unmatched``.

    A caller holding many more invoices than lines (the database) may instead give only the
    invoices the lines can reach — every one whose number or normalised number is a line's
    document or base number (or its normalised form), whose normalised PO is a line's, or whose
    open balance or amount equals a line's gross or invoice amount — plus ``dated``: called at
    most once, before rule 5, with the document dates of the lines still unplaced that carry no
    PO, it returns the open invoices of those dates (the first ``PO_GROUP_SCAN`` of each date by
    number suffice: rule 5 reads no further). The result is the same as with every invoice.
    """
    config = config or EngineConfig()
    # The run allocates a few million small objects and creates no reference cycles: the cyclic
    # collector would only rescan them again and again (it tripled the index build time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Engine(_Index(invoices), config, _checked(lines), dated).run()
    finally:
        if collecting:
            gc.enable()
