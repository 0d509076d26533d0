"""Match quality where the truth is known: a simulated year of Amazon remittances, with noise.

Usage: .venv/bin/python bench/matching_quality.py [--days 430] [--seed 2026] [--workdir DIR]

1. The Amazon simulator (``vendorsync/sandbox/amazon``) plays ``--days`` days of a vendor's life
   on a fixed clock (POs, ASNs, receipts short now and then, invoices, and the payment runs of
   ``payments.py``, which pay invoices net of terms discount and deduct shortage and price
   claims, reversals, chargebacks, co-op, price protection and provisions). Its store records
   the truth: which invoice each payment line pays and, in ``claims``, the base invoice of every
   SC / PC / SCR / SCRSC.
2. Noise real remittances have, added here with a seeded RNG (the simulator writes clean
   numbers): truncated numbers, zero padding, case and spaces, a one-character typo, separators
   on deduction suffixes, invoices paid in two payments, half the remittances without PO numbers
   (CSV exports carry none; the 820 does), decoy open invoices of the same amount (one invoice in ten has
   one, a third of them on the same PO), and lines naming nothing whose amount equals an open invoice by coincidence.
3. Lines are classified the way reference §10.4 says the importer will (suffix patterns; the
   real classifier is issue 9's), then the engine runs once per remittance in payment order, as
   the worker will after each import, each run starting from the open balances the earlier
   runs' auto matches left.

IN MEMORY: the import and the database are not wired to the engine yet. Prints the hit rate
(lines auto-matched to the right invoice ÷ lines that name one), the suggestion and unmatched
rates, wrong auto-matches, and per-rule figures.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorsync.settings")

import django  # noqa: E402

django.setup()

from reconciliation.matching import (  # noqa: E402
    LineType,
    MatchResult,
    OpenInvoiceIn,
    RemittanceLineIn,
    Status,
    match,
    tie_out,
)
from vendorsync.sandbox.amazon.simulator import AmazonSimulator  # noqa: E402
from vendorsync.sandbox.amazon.store import loads  # noqa: E402
from vendorsync.sandbox.clock import SimClock  # noqa: E402

TODAY = datetime(2026, 12, 1, 12, tzinfo=UTC)
CENT = Decimal("0.01")
ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"

# Reference §10.4, step 2, in its order (the importer of issue 9 owns the real classifier).
PATTERNS = [
    (re.compile(r"SCRSC$"), LineType.REVISED_SHORTAGE),
    (re.compile(r"SCR$"), LineType.SHORTAGE_REVERSAL),
    (re.compile(r"SC$"), LineType.SHORTAGE_CLAIM),
    (re.compile(r"PCR$"), LineType.PRICE_CLAIM_REVERSAL),
    (re.compile(r"PC$"), LineType.PRICE_CLAIM),
    (re.compile(r"VCBSINV$"), LineType.CHARGEBACK),
    (re.compile(r"^IPAPUS\d{7}"), LineType.PRICE_PROTECTION),
    (re.compile(r"PROVISION FOR RECEIVABLESR$"), LineType.PROVISION_REVERSAL),
    (re.compile(r"PROVISION FOR RECEIVABLES$"), LineType.PROVISION),
    (re.compile(r"^\d{4}-\d{8}$"), LineType.COOP),
]


class FixedClock(SimClock):
    """The simulator's clock pinned to one instant, so every run plays the same year."""

    def now(self) -> datetime:
        return TODAY


@dataclass
class Truth:
    invoice: str | None  # the invoice the line pays or deducts from; None when it names none
    noise: str = ""


def classify(document: str, amount: Decimal) -> LineType:
    upper = document.strip().upper()
    for pattern, kind in PATTERNS:
        if pattern.search(upper):
            return kind
    return LineType.INVOICE_PAYMENT if amount > 0 else LineType.UNKNOWN


def noisy_number(number: str, rng: random.Random) -> tuple[str, str]:
    roll = rng.random()
    head, _, tail = number.partition("-")  # INV-<PO>
    if roll < 0.04:
        return number[:10], "truncated"
    if roll < 0.07:
        return f"{head}-000{tail}", "zero padded"
    if roll < 0.10:
        return f"{head.lower()} {tail.lower()}", "case and spaces"
    if roll < 0.14:
        position = rng.randrange(len(number) - len(tail), len(number))
        replacement = rng.choice([c for c in ALNUM if c != number[position]])
        return number[:position] + replacement + number[position + 1 :], "typo"
    return number, ""


def simulate(days: int, workdir: Path | None) -> AmazonSimulator:
    """Seed a simulator (a no-op when ``workdir`` holds one seeded by an earlier run)."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="vs-matching-quality-"))
    workdir.mkdir(parents=True, exist_ok=True)
    simulator = AmazonSimulator(workdir / "amazon.sqlite3", clock=FixedClock(workdir / "clock.json"))
    simulator.seed(days=days)
    return simulator


def build(simulator: AmazonSimulator, rng: random.Random):
    with simulator.store.tx() as db:
        invoice_rows = db.execute("SELECT id, date, total, lines FROM invoices ORDER BY date, id").fetchall()
        claims = {
            row["document"]: row["base_invoice"]
            for row in db.execute("SELECT document, base_invoice FROM claims")
        }
    invoices: list[OpenInvoiceIn] = []
    by_amount: dict[Decimal, list[OpenInvoiceIn]] = defaultdict(list)
    for row in invoice_rows:
        matched = loads(row["lines"])
        total = Decimal(row["total"])
        inv = OpenInvoiceIn(
            key=row["id"],
            number=row["id"],
            amount=total,
            open_balance=total,
            date=date.fromisoformat(row["date"]),
            po_number=matched[0]["po"] if matched else "",
        )
        invoices.append(inv)
        by_amount[total].append(inv)
    # Decoys: open invoices whose amount equals a real one by coincidence (a third on the same PO).
    for inv in rng.sample(invoices, k=len(invoices) // 10):
        same_po = rng.random() < 0.35
        decoy = OpenInvoiceIn(
            key=f"decoy-{inv.key}",
            number=f"{inv.number}-B" if same_po else f"INV-Z{rng.randrange(10**7)}",
            amount=inv.amount,
            open_balance=inv.amount,
            date=inv.date + timedelta(days=rng.randrange(-3, 4)),  # type: ignore[operator]
            po_number=inv.po_number if same_po else f"ZZ{rng.randrange(10**6)}",
        )
        invoices.append(decoy)
        by_amount[decoy.amount].append(decoy)

    lines: list[RemittanceLineIn] = []
    truth: dict[str, Truth] = {}
    carried: list[tuple[dict, Truth]] = []  # second halves of split payments, paid with the next run
    remittances = simulator.remittances()
    for index, remittance in enumerate(remittances):
        with_po = index % 2 == 0  # alternate 820 (PO numbers) and CSV exports (none)
        incoming, carried = carried, []
        batch: list[tuple[RemittanceLineIn, Truth]] = []
        for line_no, raw in enumerate(remittance.lines):
            key = f"{remittance.payment_number}/{line_no}"
            description = raw.description
            number, noise = raw.document_number, ""
            target: str | None = None
            paid, discount, invoice_amount = raw.amount_paid, raw.discount, raw.invoice_amount
            if description == "Invoice payment":
                target = raw.document_number
                number, noise = noisy_number(number, rng)
                if rng.random() < 0.08 and index + 1 < len(remittances):  # paid in two payments
                    first = (paid * Decimal(rng.choice(("0.3", "0.5", "0.7")))).quantize(CENT)
                    rest = paid - first
                    paid, noise = first, noise or "split"
                    carried_line = {
                        "document_number": number,
                        "invoice_amount": invoice_amount,
                        "amount_paid": rest,
                        "document_date": raw.document_date,
                        "po_number": raw.purchase_order,
                    }
                    carried.append((carried_line, Truth(target, "split (second payment)")))
            else:
                target = claims.get(raw.document_number)
                if target and rng.random() < 0.2:
                    number, noise = re.sub(r"(SCRSC|SCR|SC|PC)$", r"-\1", number), "suffix separator"
            line = RemittanceLineIn(
                key=key,
                payment_number=remittance.payment_number,
                document_number=number,
                invoice_amount=invoice_amount,
                amount_paid=paid,
                discount=discount,
                line_type=classify(number, paid),
                document_date=raw.document_date,
                payment_date=remittance.payment_date,
                description=description,
                po_number=raw.purchase_order if with_po else "",
            )
            batch.append((line, Truth(target, noise)))
        for n, (fields, carried_truth) in enumerate(incoming):
            line = RemittanceLineIn(
                key=f"{remittance.payment_number}/carried/{n}",
                payment_number=remittance.payment_number,
                line_type=LineType.INVOICE_PAYMENT,
                payment_date=remittance.payment_date,
                description="Invoice payment",
                **{**fields, "po_number": fields["po_number"] if with_po else ""},
            )
            batch.append((line, carried_truth))
        # Now and then a line that names nothing, for the amount of some open invoice.
        if rng.random() < 0.25:
            amount = rng.choice(invoices).amount
            line = RemittanceLineIn(
                key=f"{remittance.payment_number}/adj",
                payment_number=remittance.payment_number,
                document_number=f"ACH ADJ {rng.randrange(10**5)}",
                invoice_amount=amount,
                amount_paid=amount,
                line_type=LineType.UNKNOWN,
                document_date=remittance.payment_date,
                payment_date=remittance.payment_date,
            )
            batch.append((line, Truth(None, "coincidental amount")))
        for line, line_truth in batch:
            lines.append(line)
            truth[line.key] = line_truth
    return invoices, lines, truth


def run_per_import(lines: list[RemittanceLineIn], invoices: list[OpenInvoiceIn]) -> MatchResult:
    """The engine as the worker will run it: once after each import (one remittance), against the
    open balances the earlier runs' auto matches left. Results are gathered into one."""
    by_payment: dict[str, list[RemittanceLineIn]] = defaultdict(list)
    for line in lines:
        by_payment[line.payment_number].append(line)
    order = sorted(by_payment, key=lambda number: (by_payment[number][0].payment_date, number))
    proposals: list = []
    unmatched: list = []
    current = list(invoices)
    for number in order:
        result = match(by_payment[number], current)
        proposals += result.proposals
        unmatched += result.unmatched
        remaining = result.remaining_open
        current = [
            inv if remaining[inv.key] == inv.open_balance else replace(inv, open_balance=remaining[inv.key])
            for inv in current
        ]
    return MatchResult(tuple(proposals), tuple(unmatched), {inv.key: inv.open_balance for inv in current})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--days", type=int, default=430, help="days simulated (a year of payments needs ~430)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workdir", type=Path, help="keep (or reuse) the simulated year here")
    args = parser.parse_args()
    started = time.perf_counter()
    simulator = simulate(args.days, args.workdir)
    simulated = time.perf_counter() - started
    invoices, lines, truth = build(simulator, random.Random(args.seed))
    started = time.perf_counter()
    result = run_per_import(lines, invoices)
    elapsed = time.perf_counter() - started

    auto: dict[str, tuple] = {}
    suggested: dict[str, list[tuple]] = defaultdict(list)
    rules: dict[str, str] = {}
    for proposal in result.proposals:
        for key in proposal.line_keys:
            if proposal.status is Status.AUTO:
                auto[key] = proposal.invoice_keys
                rules[key] = str(proposal.rule)
            else:
                suggested[key].append(proposal.invoice_keys)
    naming = [key for key, t in truth.items() if t.invoice]
    hits = [key for key in naming if auto.get(key) == (truth[key].invoice,)]
    wrong = [key for key, invoices_ in auto.items() if invoices_ != (truth[key].invoice,)]
    suggested_only = [key for key in naming if key not in auto and key in suggested]
    right_suggestion = [key for key in suggested_only if (truth[key].invoice,) in suggested[key]]
    unmatched = [key for key in naming if key not in auto and key not in suggested]
    ties = tie_out(lines, result.auto)

    print("matching quality, in memory (import and database not wired yet)")
    print(
        f"simulated {args.days} days (ready in {simulated:.0f} s): {len(simulator.remittances())} remittances,"
        f" {len(lines):,} lines ({len(naming):,} name an invoice), {len(invoices):,} invoices incl. decoys;"
        f" engine {elapsed * 1000:.0f} ms"
    )
    print(
        f"hit rate {100 * len(hits) / len(naming):.1f}%, wrong auto-matches {len(wrong)},"
        f" suggestion rate {100 * len(suggested_only) / len(naming):.1f}%"
        f" (right invoice among them {len(right_suggestion)}/{len(suggested_only)}),"
        f" unmatched rate {100 * len(unmatched) / len(naming):.1f}%"
    )
    print(f"remittances that tie: {sum(t.ties for t in ties.values())}/{len(ties)}")
    by_noise: dict[str, Counter] = defaultdict(Counter)
    for key in naming:
        outcome = (
            "hit"
            if key in hits
            else "suggested"
            if key in suggested_only
            else "unmatched"
            if key in unmatched
            else "wrong"
        )
        by_noise[truth[key].noise or "clean"][outcome] += 1
    for noise, counts in sorted(by_noise.items()):
        print(f"  {noise:24} {dict(counts)}")
    print(f"  auto by rule: {dict(Counter(rules.values()))}")
    coincidences = [key for key, t in truth.items() if t.noise == "coincidental amount"]
    print(
        f"  lines naming nothing, amount equal to an open invoice: {len(coincidences)}, auto-matched {len([k for k in coincidences if k in auto])}"
    )
    reasons = {u.line_key: u.explanation for u in result.unmatched}
    for key in unmatched[:5]:
        print(
            f"  unmatched {key}: {reasons.get(key, '')} (truth {truth[key].invoice}, {truth[key].noise or 'clean'})"
        )
    for key in suggested_only[:5]:
        first = next(p for p in result.proposals if key in p.line_keys)
        print(
            f"  suggested {key}: {first.explanation} (truth {truth[key].invoice}, {truth[key].noise or 'clean'})"
        )
    for key in wrong[:10]:
        line = next(line for line in lines if line.key == key)
        print(f"  WRONG {key} {line.document_number!r} truth {truth[key].invoice} got {auto[key]}")


if __name__ == "__main__":
    main()
