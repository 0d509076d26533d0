"""Match quality where the truth is known: a simulated year of Amazon remittances, with noise,
through the product's own import and auto-match on a database.

Usage: .venv/bin/python bench/matching_quality.py [--days 430] [--seed 2026] [--workdir DIR]
       BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_m_bench \
       .venv/bin/python bench/matching_quality.py ...   # PostgreSQL: the database is DROPPED and recreated

1. The Amazon simulator (``vendorsync/sandbox/amazon``) plays ``--days`` days of a vendor's life
   on a fixed clock (POs, ASNs, receipts short now and then, invoices, and the payment runs of
   ``payments.py``, which pay invoices net of terms discount and deduct shortage and price
   claims, reversals, chargebacks, co-op, price protection and provisions). Its store records
   the truth: which invoice each payment line pays and, in ``claims``, the base invoice of every
   SC / PC / SCR / SCRSC.
2. Its invoices become NetSuite's open invoices through ``open_invoices_sync`` (the sync's own
   service), plus decoys: open invoices whose amount equals a real one by coincidence (one invoice
   in ten has one, a third of them on the same PO).
3. Noise real remittances have, added with a seeded RNG (the simulator writes clean numbers):
   truncated numbers, zero padding, case and spaces, a one-character typo, separators on
   deduction suffixes, invoices paid in two payments, and lines naming nothing whose amount
   equals an open invoice by coincidence. Each noisy remittance is written by the simulator's
   own writers — the Vendor Central CSV (no PO numbers, as the export has none) and the EDI 820
   (PO numbers) in turn — and imported through ``remittance_import`` (the upload's path:
   parse, classify, code, store) in payment order. Each import queues auto-match, which runs at
   once (Celery eager): the worker's ``automatch_remittance`` over that remittance, against the
   balances earlier payments' auto matches consumed.
4. The outcome is read back from the database (matches and allocations) and scored against the
   truth: hit rate (lines auto-matched to the right invoice ÷ lines that name one), suggestion
   rate, unmatched rate, wrong auto-matches (any auto match to an invoice other than the truth,
   or of a line that names none), and the breakdown per kind of noise.

SQLite (a temporary file) unless ``BENCH_DATABASE_URL`` names a PostgreSQL database.
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
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TODAY = datetime(2026, 12, 1, 12, tzinfo=UTC)
CENT = Decimal("0.01")
ALNUM = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


@dataclass
class Truth:
    invoice: str | None  # the invoice the line pays or deducts from; None when it names none
    noise: str = ""


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


def database(workdir: Path) -> str:
    """Point Django at the bench database (PostgreSQL, recreated, or a fresh SQLite file)."""
    url = os.environ.get("BENCH_DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg
        from psycopg import sql

        server, name = url.rsplit("/", 1)
        with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    else:
        path = workdir / "quality.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("VENDORSYNC_VAR_DIR", str(workdir / "var"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vendorsync.settings")
    os.environ["DJANGO_DEBUG"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from vendorsync.celery import app

    app.conf.task_always_eager = True  # each import's auto-match runs as the worker would, at once
    import logging

    for noisy in ("celery.app.trace", "kombu.connection"):  # a line per task would bury the result
        logging.getLogger(noisy).setLevel(logging.ERROR)
    return "PostgreSQL" if url.startswith("postgres") else "SQLite"


def simulate(days: int, workdir: Path):  # noqa: ANN201 - the simulator
    """Seed a simulator (a no-op when ``workdir`` holds one seeded by an earlier run)."""
    from vendorsync.sandbox.amazon.simulator import AmazonSimulator
    from vendorsync.sandbox.clock import SimClock

    class FixedClock(SimClock):
        """The simulator's clock pinned to one instant, so every run plays the same year."""

        def now(self) -> datetime:
            return TODAY

    workdir.mkdir(parents=True, exist_ok=True)
    simulator = AmazonSimulator(workdir / "amazon.sqlite3", clock=FixedClock(workdir / "clock.json"))
    simulator.seed(days=days)
    return simulator


def netsuite_invoices(simulator, rng: random.Random) -> tuple[list[dict[str, str]], list[Decimal]]:  # noqa: ANN001
    """NetSuite's invoices of the Amazon customer (as the sync reads them), decoys included."""
    from vendorsync.sandbox.amazon.store import loads

    with simulator.store.tx() as db:
        invoice_rows = db.execute("SELECT id, date, total, lines FROM invoices ORDER BY date, id").fetchall()
    rows: list[dict[str, str]] = []
    for row in invoice_rows:
        matched = loads(row["lines"])
        rows.append(
            {
                "id": f"ns-{len(rows) + 1}",
                "tranid": row["id"],
                "trandate": row["date"],
                "foreigntotal": str(row["total"]),
                "foreignamountunpaid": str(row["total"]),
                "otherrefnum": matched[0]["po"] if matched else "",
                "status": "open",
            }
        )
    real = list(rows)
    for inv in rng.sample(real, k=len(real) // 10):
        same_po = rng.random() < 0.35
        when = datetime.fromisoformat(inv["trandate"][:10]).date()
        rows.append(
            inv
            | {
                "id": f"ns-{len(rows) + 1}",
                "tranid": f"{inv['tranid']}-B" if same_po else f"INV-Z{rng.randrange(10**7)}",
                "trandate": (when.fromordinal(when.toordinal() + rng.randrange(-3, 4))).isoformat(),
                "otherrefnum": inv["otherrefnum"] if same_po else f"ZZ{rng.randrange(10**6)}",
            }
        )
    return rows, [Decimal(r["foreigntotal"]) for r in rows]


def noisy_remittances(simulator, amounts: list[Decimal], rng: random.Random):  # noqa: ANN001, ANN201
    """The simulator's payments with the noise of real ones: (remittance, format, truth per line)."""
    from vendorsync.sandbox.amazon.remittance import Remittance, RemittanceLine

    with simulator.store.tx() as db:
        claims = {
            row["document"]: row["base_invoice"]
            for row in db.execute("SELECT document, base_invoice FROM claims")
        }
    out = []
    carried: list[tuple[RemittanceLine, Truth]] = []  # second halves of split payments, paid next run
    remittances = simulator.remittances()
    for index, remittance in enumerate(remittances):
        fmt = "820" if index % 2 == 0 else "csv"  # the 820 carries PO numbers, the CSV export none
        incoming, carried = carried, []
        batch: list[tuple[RemittanceLine, Truth]] = []
        for raw in remittance.lines:
            number, noise, line = raw.document_number, "", raw
            if raw.description == "Invoice payment":
                target: str | None = raw.document_number
                number, noise = noisy_number(number, rng)
                if rng.random() < 0.08 and index + 1 < len(remittances):  # paid in two payments
                    first = (raw.amount_paid * Decimal(rng.choice(("0.3", "0.5", "0.7")))).quantize(CENT)
                    rest = raw.amount_paid - first
                    noise = noise or "split"
                    line = RemittanceLine(**{**raw.__dict__, "amount_paid": first, "document_number": number})
                    second = RemittanceLine(
                        **{
                            **raw.__dict__,
                            "amount_paid": rest,
                            "discount": Decimal("0.00"),
                            "document_number": number,
                        }
                    )
                    carried.append((second, Truth(target, "split (second payment)")))
            else:
                target = claims.get(raw.document_number)
                if target and rng.random() < 0.2:
                    number, noise = re.sub(r"(SCRSC|SCR|SC|PC)$", r"-\1", number), "suffix separator"
            if line is raw:
                line = RemittanceLine(**{**raw.__dict__, "document_number": number})
            batch.append((line, Truth(target, noise)))
        batch += incoming
        # Now and then a line that names nothing, for the amount of some open invoice.
        if rng.random() < 0.25:
            amount = rng.choice(amounts)
            batch.append(
                (
                    RemittanceLine(
                        document_number=f"ACH ADJ {rng.randrange(10**5)}",
                        document_date=remittance.payment_date,
                        invoice_amount=amount,
                        discount=Decimal("0.00"),
                        amount_paid=amount,
                        description="Invoice payment",
                    ),
                    Truth(None, "coincidental amount"),
                )
            )
        lines = tuple(
            line if fmt == "820" else RemittanceLine(**{**line.__dict__, "purchase_order": ""})
            for line, _ in batch
        )
        out.append(
            (
                Remittance(remittance.payment_number, remittance.payment_date, lines),
                fmt,
                [t for _, t in batch],
            )
        )
    return out


def file_bytes(remittance, fmt: str, serial: int) -> bytes:  # noqa: ANN001
    from vendorsync.sandbox.amazon import remittance as files

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"remittance-{remittance.payment_number}.{fmt}"
        if fmt == "820":
            files.write_820(remittance, path, control_number=serial, created=TODAY)
        else:
            files.write_csv(remittance, path)
        return path.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--days", type=int, default=430, help="days simulated (a year of payments needs ~430)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workdir", type=Path, help="keep (or reuse) the simulated year here")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="vs-matching-quality-"))
    engine_name = database(workdir)

    from reconciliation.models import (
        DEDUCTION_TYPES,
        DeductionMapping,
        GLAccount,
        ImportDoor,
        LineType,
        Match,
        MatchAllocation,
        MatchStatus,
        Remittance,
        RemittanceLine,
    )
    from reconciliation.services import open_invoices_sync, remittance_import

    started = time.perf_counter()
    simulator = simulate(args.days, workdir)
    simulated = time.perf_counter() - started
    rng = random.Random(args.seed)
    rows, amounts = netsuite_invoices(simulator, rng)
    open_invoices_sync(rows=rows, customer_id="1001")
    account = GLAccount.objects.create(netsuite_id="1", number="4500", name="Deductions")
    mapped = set(DeductionMapping.objects.values_list("line_type", flat=True))
    for line_type in {*DEDUCTION_TYPES, LineType.WRITE_OFF} - mapped:
        DeductionMapping.objects.create(line_type=line_type, gl_account=account, effective_from="2020-01-01")
    payments = noisy_remittances(simulator, amounts, rng)

    started, cpu_started = time.perf_counter(), time.process_time()
    refused = []
    for serial, (remittance, fmt, _) in enumerate(payments, start=1):
        batch = remittance_import(
            data=file_bytes(remittance, fmt, serial),
            name=f"remittance-{remittance.payment_number}.{fmt}",
            door=ImportDoor.UPLOAD,
        )
        if batch.status != "imported":
            refused.append((remittance.payment_number, batch.status, batch.errors[:3]))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started

    # Read the outcome back: per line, its auto match's invoices, its suggestions, or nothing.
    truth: dict[int, Truth] = {}
    documents: dict[int, str] = {}
    for remittance, _, truths in payments:
        stored = list(
            RemittanceLine.objects.filter(
                remittance__payment_number=remittance.payment_number, remittance__status="imported"
            )
            .order_by("sequence")
            .values_list("id", "document_number")
        )
        for (pk, number), line, line_truth in zip(stored, remittance.lines, truths, strict=True):
            assert number == line.document_number.strip(), (number, line.document_number)
            truth[pk], documents[pk] = line_truth, number
    auto: dict[int, set[str]] = defaultdict(set)
    suggested: dict[int, list[set[str]]] = defaultdict(list)
    rules: dict[int, str] = {}
    by_match: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for match_id, line_id, number in MatchAllocation.objects.values_list(
        "match_id", "line_id", "invoice__number"
    ):
        by_match[match_id].append((line_id, number))
    for match_id, status, is_auto, rule in Match.objects.values_list("id", "status", "auto", "rule"):
        for line_id, number in by_match[match_id]:
            if status == MatchStatus.ACCEPTED and is_auto:
                auto[line_id].add(number)
                rules[line_id] = rule
        if status == MatchStatus.SUGGESTED:
            for line_id in {line for line, _ in by_match[match_id]}:
                suggested[line_id].append({n for line, n in by_match[match_id] if line == line_id})
    naming = [pk for pk, t in truth.items() if t.invoice]
    hits = [pk for pk in naming if auto.get(pk) == {truth[pk].invoice}]
    wrong = [pk for pk, invoices in auto.items() if invoices != {truth[pk].invoice}]
    suggested_only = [pk for pk in naming if pk not in auto and pk in suggested]
    right_suggestion = [pk for pk in suggested_only if {truth[pk].invoice} in suggested[pk]]
    unmatched = [pk for pk in naming if pk not in auto and pk not in suggested]
    tied = sum(
        1
        for r in Remittance.objects.filter(status="imported")
        if r.amount == r.matched_amount + r.deductions_amount + r.unexplained_amount
    )

    print(f"matching quality through import + auto-match on {engine_name}")
    print(
        f"simulated {args.days} days (ready in {simulated:.0f} s): {len(payments)} remittances"
        f" ({len(refused)} refused), {len(truth):,} lines ({len(naming):,} name an invoice),"
        f" {len(rows):,} invoices incl. decoys; import + auto-match {elapsed:.1f} s (CPU {cpu:.1f} s)"
    )
    print(
        f"hit rate {100 * len(hits) / len(naming):.1f}%, suggestion rate {100 * len(suggested_only) / len(naming):.1f}%"
        f" (right invoice among them {len(right_suggestion)}/{len(suggested_only)}),"
        f" unmatched rate {100 * len(unmatched) / len(naming):.1f}%, wrong auto-matches {len(wrong)}"
    )
    print(f"remittances that tie: {tied}/{len(payments)}")
    by_noise: dict[str, Counter] = defaultdict(Counter)
    for pk in naming:
        outcome = (
            "hit"
            if pk in hits
            else "suggested"
            if pk in suggested_only
            else "unmatched"
            if pk in unmatched
            else "wrong"
        )
        by_noise[truth[pk].noise or "clean"][outcome] += 1
    for noise, counts in sorted(by_noise.items()):
        print(f"  {noise:24} {dict(counts)}")
    print(f"  auto by rule: {dict(Counter(rules.values()))}")
    coincidences = [pk for pk, t in truth.items() if t.noise == "coincidental amount"]
    print(
        f"  lines naming nothing, amount equal to an open invoice: {len(coincidences)},"
        f" auto-matched {len([pk for pk in coincidences if pk in auto])}"
    )
    for number, status, errors in refused[:5]:
        print(f"  REFUSED {number}: {status} {errors}")
    for pk in unmatched[:5]:
        print(f"  unmatched {documents[pk]!r} (truth {truth[pk].invoice}, {truth[pk].noise or 'clean'})")
    for pk in suggested_only[:5]:
        first = Match.objects.filter(allocations__line_id=pk, status=MatchStatus.SUGGESTED).first()
        print(
            f"  suggested {documents[pk]!r}: {first.explanation if first else ''}"
            f" (truth {truth[pk].invoice}, {truth[pk].noise or 'clean'})"
        )
    for pk in wrong[:10]:
        print(f"  WRONG {documents[pk]!r} truth {truth[pk].invoice} got {sorted(auto[pk])}")


if __name__ == "__main__":
    main()
