"""Matching in the product: the pure engine (``reconciliation.matching``) wired to the database.

State changes (each under ``transaction.atomic``, audited, permission-checked; the system acts
with ``actor=None``):

* :func:`remittance_automatch` — one engine run over the unmatched lines of one or many
  remittances: lines loaded in bulk, then only the invoices those lines can reach
  (``matching.Reach``: number as written or normalised, PO, amount; rule 5's dates on demand) in
  one query, never the whole ledger, so a run costs what its lines cost; results written in bulk
  (COPY on PostgreSQL, ``bulk_create`` elsewhere; one UPDATE of the lines' states). About twenty
  queries whatever the size. Auto proposals become ``accepted`` matches, the rest ``suggested``;
  each remittance gets one audit row with the run's counts, each match keeps its own rule,
  confidence, sentence and flags.
* :func:`match_accept`, :func:`match_reject`, :func:`matches_bulk_accept`, :func:`match_manual`
  (selected lines + invoices; ``amounts`` splits one line across invoices), :func:`match_write_off`,
  :func:`match_undo`.

An invoice's balance available to matching is NetSuite's open balance less what accepted matches
of live remittances already consume (nothing is posted back yet). Accepting re-checks that balance
and the line's remaining cash, so two people (or a re-run) can never apply the same money twice.

After every change the lines' ``match_status`` / ``applied`` and the remittance's totals are
recomputed from the allocations (payment = matched + deductions + unexplained variance), and the
remittance's ``unmatched_remittance_line`` case is raised or cleared.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from reconciliation import matching as engine
from reconciliation.classification import MappingTable
from reconciliation.matching.engine import PO_GROUP_SCAN
from reconciliation.models import (
    DEDUCTION_TYPES,
    BatchKind,
    BatchStatus,
    GLAccount,
    LineMatchStatus,
    LineType,
    Match,
    MatchAllocation,
    MatchRule,
    MatchStatus,
    OpenInvoice,
    Remittance,
    RemittanceLine,
    RemittanceStatus,
)
from vendorsync.models import ExceptionCase, ExceptionKind, Severity
from vendorsync.roles import perm
from vendorsync.services import audit_event, audit_record, audit_record_many, exception_clear, exception_raise

ZERO = Decimal("0.00")
CHUNK = 5000  # ids per IN (...) list: under SQLite's variable limit, cheap on PostgreSQL

ENGINE_TYPES: dict[str, engine.LineType] = {
    LineType.INVOICE: engine.LineType.INVOICE_PAYMENT,
    LineType.TERMS_DISCOUNT: engine.LineType.TERMS_DISCOUNT,
    LineType.SHORTAGE: engine.LineType.SHORTAGE_CLAIM,
    LineType.SHORTAGE_REVERSAL: engine.LineType.SHORTAGE_REVERSAL,
    LineType.SHORTAGE_REVISED: engine.LineType.REVISED_SHORTAGE,
    LineType.PRICE_CLAIM: engine.LineType.PRICE_CLAIM,
    LineType.PRICE_CLAIM_REVERSAL: engine.LineType.PRICE_CLAIM_REVERSAL,
    LineType.CHARGEBACK: engine.LineType.CHARGEBACK,
    LineType.COOP: engine.LineType.COOP,
    LineType.PRICE_PROTECTION: engine.LineType.PRICE_PROTECTION,
    LineType.PROVISION: engine.LineType.PROVISION,
    LineType.PROVISION_REVERSAL: engine.LineType.PROVISION_REVERSAL,
    LineType.RETURN: engine.LineType.RETURN,
    LineType.UNKNOWN: engine.LineType.UNKNOWN,
}
LINE_FIELDS = (  # the engine's inputs, then the line's current matching state
    "id",
    "remittance_id",
    "document_number",
    "document_date",
    "invoice_amount",
    "discount",
    "amount_paid",
    "line_type",
    "base_invoice_number",
    "purchase_order",
    "description",
    "match_status",
    "applied",
)


def _require(actor: Any) -> None:
    if actor is not None and not actor.has_perm(perm("prepare_postings")):
        raise PermissionDenied("Your role cannot match remittances.")


def engine_config() -> engine.EngineConfig:
    """Tolerances and the auto-accept threshold from settings (``VENDORSYNC_MATCH_*``)."""
    return engine.EngineConfig(
        tolerance=engine.Tolerance(
            absolute=settings.MATCH_TOLERANCE_ABSOLUTE, percent=settings.MATCH_TOLERANCE_PERCENT
        ),
        auto_accept_threshold=float(settings.MATCH_AUTO_ACCEPT),
        date_window_days=settings.MATCH_DATE_WINDOW_DAYS,
    )


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _consumed_by_invoice(invoice_ids: Iterable[int] | None = None) -> dict[int, Decimal]:
    """What accepted matches of live remittances take from each invoice (one grouped query)."""
    allocations = _live_accepted()
    if invoice_ids is not None:
        allocations = allocations.filter(invoice_id__in=list(invoice_ids))
    return dict(
        allocations.order_by()
        .values("invoice_id")
        .annotate(total=Sum(F("amount") + F("discount") + F("write_off")))
        .values_list("invoice_id", "total")
    )


def _live_accepted() -> QuerySet[MatchAllocation]:
    return MatchAllocation.objects.filter(match__status=MatchStatus.ACCEPTED).exclude(
        match__remittance__status=RemittanceStatus.SUPERSEDED
    )


def _consumed_of_open_invoices() -> dict[int, tuple[Decimal, Decimal]]:
    """Invoice id → (room left, consumed) for open invoices that accepted matches draw on."""
    return {
        pk: (open_balance - total, total)
        for pk, open_balance, total in _live_accepted()
        .filter(invoice__open_balance__gt=0)
        .order_by()
        .values("invoice_id")
        .annotate(total=Sum(F("amount") + F("discount") + F("write_off")))
        .values_list("invoice_id", "invoice__open_balance", "total")
    }


def _room(invoice: OpenInvoice, consumed: dict[int, Decimal]) -> Decimal:
    return max(invoice.open_balance - consumed.get(invoice.pk, ZERO), ZERO)


# --- The engine run -------------------------------------------------------------------------------


@dataclass
class AutomatchRun:
    """What one run did; ``outcomes`` is ``automatch --json``'s list (one object per line)."""

    remittances: int = 0
    lines: int = 0
    auto: int = 0
    suggested: int = 0
    unmatched: int = 0
    outcomes: list[dict[str, Any]] = field(default_factory=list)


def _line_in(row: tuple, payments: dict[int, Remittance]) -> engine.RemittanceLineIn:
    (pk, remittance_id, number, doc_date, invoice_amount, discount, paid, line_type, base, po, text, *_) = row
    remittance = payments[remittance_id]
    return engine.RemittanceLineIn(
        key=pk,
        payment_number=remittance.payment_number,
        document_number=number,
        invoice_amount=invoice_amount if invoice_amount is not None else paid + discount,
        amount_paid=paid,
        discount=discount,
        line_type=ENGINE_TYPES.get(line_type, engine.LineType.UNKNOWN),
        document_date=doc_date,
        payment_date=remittance.payment_date,
        description=text,
        base_invoice_number=base,
        po_number=po,
    )


INVOICE_COLUMNS = ("id", "number", "amount", "open_balance", "date", "purchase_order")
DATE_GROUP_SCAN = PO_GROUP_SCAN  # rule 5 reads this many invoices of one date (by number), no more


SEPARATOR = "\x1f"  # ASCII unit separator: never part of a document number we could match


def _joined(values: Iterable[str]) -> str:
    return SEPARATOR.join(v for v in values if SEPARATOR not in v)


def _invoice_rows(reach: engine.Reach, extra_ids: Iterable[int]) -> dict[int, tuple]:
    """The invoices ``reach`` names, each once: one query on PostgreSQL (arrays bound as one
    parameter each, index scans OR-ed by the planner), chunked ``IN`` lists elsewhere."""
    extra = list(extra_ids)
    if connection.vendor == "postgresql":
        table = OpenInvoice._meta.db_table
        with connection.cursor() as cursor:
            # Each key set travels as one delimited string split by the server: psycopg adapting
            # 400,000 array elements one by one cost seconds. No document number holds the separator.
            cursor.execute(
                f"SELECT {', '.join(INVOICE_COLUMNS)} FROM {table}"  # noqa: S608 - our names
                " WHERE number = ANY(string_to_array(%s, %s)) OR number_key = ANY(string_to_array(%s, %s))"
                " OR (open_balance > 0 AND (po_key = ANY(string_to_array(%s, %s))"
                " OR open_balance = ANY(string_to_array(%s, ',')::numeric[])"
                " OR amount = ANY(string_to_array(%s, ',')::numeric[]) OR id = ANY(%s)))",
                [
                    _joined(reach.names),
                    SEPARATOR,
                    _joined(reach.keys),
                    SEPARATOR,
                    _joined(reach.pos),
                    SEPARATOR,
                    ",".join(map(str, reach.amounts)),
                    ",".join(map(str, reach.amounts)),
                    extra,
                ],
            )
            return {row[0]: row for row in cursor.fetchall()}
    rows: dict[int, tuple] = {}
    is_open = Q(open_balance__gt=0)
    lookups: list[tuple[str, Sequence[Any], Q]] = [
        ("number__in", list(reach.names), Q()),
        ("number_key__in", list(reach.keys), Q()),
        ("po_key__in", list(reach.pos), is_open),
        ("open_balance__in", list(reach.amounts), is_open),
        ("amount__in", list(reach.amounts), is_open),
        ("pk__in", extra, is_open),
    ]
    for lookup, values, condition in lookups:
        for chunk in _chunks(values):
            for row in OpenInvoice.objects.filter(condition, **{lookup: chunk}).values_list(*INVOICE_COLUMNS):
                rows[row[0]] = row
    return rows


def _engine_invoices(rows: Iterable[tuple], consumed: dict[int, Decimal]) -> list[engine.OpenInvoiceIn]:
    return [
        engine.OpenInvoiceIn(
            key=pk,
            number=number,
            amount=amount,
            open_balance=max(open_balance - consumed.get(pk, ZERO), ZERO),
            date=when,
            po_number=po,
        )
        for pk, number, amount, open_balance, when, po in rows
    ]


def _invoices_for(
    lines: Sequence[engine.RemittanceLineIn],
) -> tuple[list[engine.OpenInvoiceIn], Callable[[set[date]], list[engine.OpenInvoiceIn]]]:
    """The invoices the lines can reach, and the loader of rule 5's date buckets (``engine.match``).

    Loads only what the lines name — by number (as written or normalised), PO or amount — never
    the whole ledger: the cost follows the lines. An invoice partly consumed by accepted matches
    is matched on what is left, an amount no line index can guess, so those few come along too.
    """
    consumed = _consumed_of_open_invoices()
    partly = (pk for pk, (left, used) in consumed.items() if left > 0 and used > 0)
    used = {pk: spent for pk, (_, spent) in consumed.items()}
    rows = _invoice_rows(engine.Reach.of(lines), partly)

    def dated(dates: set[date]) -> list[engine.OpenInvoiceIn]:
        # Rule 5 looks at the first PO_GROUP_SCAN invoices of a date by number: only those come.
        found: list[tuple] = []
        rank = Window(RowNumber(), partition_by=F("date"), order_by=[F("number"), F("id")])
        for chunk in _chunks(sorted(dates)):
            found += (
                OpenInvoice.objects.filter(open_balance__gt=0, date__in=chunk)
                .annotate(rank=rank)
                .filter(rank__lte=DATE_GROUP_SCAN)
                .values_list(*INVOICE_COLUMNS)
            )
        return _engine_invoices(found, used)

    return _engine_invoices(rows.values(), used), dated


def _write_off_accounts(payment_dates: dict[int, date]) -> dict[int, int | None]:
    table = MappingTable.load()
    out: dict[int, int | None] = {}
    for remittance_id, when in payment_dates.items():
        version = table.lookup(LineType.WRITE_OFF, "", when)
        out[remittance_id] = version.gl_account_id if version else None
    return out


def remittance_automatch(
    *,
    remittances: QuerySet[Remittance] | Sequence[Remittance] | None = None,
    actor: Any = None,
    config: engine.EngineConfig | None = None,
    outcomes: bool = False,
) -> AutomatchRun:
    """Run the engine over the not-yet-matched lines of ``remittances`` (default: every live one).

    Replaces the pending suggestions of those remittances; decisions (accepted, rejected, undone)
    are kept, a rejected pairing is not suggested again and an undone one comes back only as a
    suggestion. Idempotent: a second run over the same data writes the same state. ``outcomes``
    fills ``AutomatchRun.outcomes`` (``automatch --json``).
    """
    _require(actor)
    config = config or engine_config()
    with transaction.atomic():
        base = Remittance.objects.exclude(status__in=[RemittanceStatus.SUPERSEDED, RemittanceStatus.POSTED])
        if remittances is not None:
            base = base.filter(pk__in=[r.pk for r in remittances])
        payments = {r.pk: r for r in base.select_for_update().order_by("payment_date", "id")}
        run = AutomatchRun(remittances=len(payments))
        if not payments:
            return run
        ids = list(payments)
        Match.objects.filter(remittance_id__in=ids, status=MatchStatus.SUGGESTED).delete()
        rows = list(
            RemittanceLine.objects.filter(remittance_id__in=ids)
            .exclude(match_status=LineMatchStatus.MATCHED)
            .order_by("remittance_id", "sequence")
            .values_list(*LINE_FIELDS)
        )
        lines = [_line_in(row, payments) for row in rows]
        invoices, dated = _invoices_for(lines)
        result = engine.match(lines, invoices, config, dated=dated)
        decided: dict[tuple[int, int], str] = {
            (line_id, invoice_id): status
            for line_id, invoice_id, status in MatchAllocation.objects.filter(
                match__remittance_id__in=ids, match__status__in=[MatchStatus.REJECTED, MatchStatus.UNDONE]
            ).values_list("line_id", "invoice_id", "match__status")
        }
        remittance_of = {line.key: row[1] for line, row in zip(lines, rows, strict=True)}
        accounts = _write_off_accounts({pk: r.payment_date for pk, r in payments.items()})
        now = timezone.now()
        unmapped_write_offs: set[int] = set()
        pending: list[tuple[_NewMatch, engine.MatchProposal]] = []
        for proposal in result.proposals:
            pairs = [decided.get((a.line_key, a.invoice_key)) for a in proposal.allocations]
            if MatchStatus.REJECTED in pairs:
                continue  # a person said no to this pairing: never again
            auto = proposal.status is engine.Status.AUTO and MatchStatus.UNDONE not in pairs
            remittance_id = remittance_of[proposal.allocations[0].line_key]
            writes_off = auto and any(a.write_off for a in proposal.allocations)
            account = accounts[remittance_id] if writes_off else None
            pending.append((_NewMatch(remittance_id, auto, account), proposal))
            if writes_off and account is None:
                unmapped_write_offs.add(remittance_id)
        _insert_matches(pending, now)
        _write_line_states(_line_states(rows, pending))
        _refresh_remittances(ids, unmapped_write_offs=unmapped_write_offs)
        run.lines = len(lines)
        run.auto = sum(1 for m, _ in pending if m.auto)
        run.suggested = len(pending) - run.auto
        run.unmatched = len(result.unmatched)
        # One audit row per remittance, with what the run did to it; each match row itself keeps
        # its rule, confidence, explanation and flags (the detail a reviewer reads).
        per_remittance = Counter(row[1] for row in rows)
        done: dict[int, Counter] = defaultdict(Counter)
        for m, _ in pending:
            done[m.remittance_id]["auto" if m.auto else "suggested"] += 1
        summary = _config_summary(config)
        audit_record_many(
            events=[
                audit_event(
                    actor=actor,
                    action="remittance.automatched",
                    subject=remittance,
                    after={
                        "lines": per_remittance.get(pk, 0),
                        "auto": done[pk]["auto"],
                        "suggested": done[pk]["suggested"],
                        "config": summary,
                    },
                )
                for pk, remittance in payments.items()
            ],
        )
        if outcomes:
            run.outcomes = engine.line_outcomes(lines, result)
    return run


@dataclass(slots=True)
class _NewMatch:
    """A match the run writes (plain values: 100,000 model instances are the slow part)."""

    remittance_id: int
    auto: bool
    write_off_account_id: int | None


MATCH_COPY_COLUMNS = (  # the PostgreSQL path's column order (see the row format below)
    "id", "public_id", "remittance_id", "rule", "confidence", "status", "auto", "explanation", "flags",
    "write_off_account_id", "created_at", "decided_at",
)  # fmt: skip
ALLOCATION_COLUMNS = ("match_id", "line_id", "invoice_id", "amount", "discount", "write_off", "deduction")


def _insert_matches(pending: Sequence[tuple[_NewMatch, engine.MatchProposal]], now: Any) -> None:
    """Matches and their allocations in bulk: COPY with reserved ids on PostgreSQL, bulk_create elsewhere."""
    if not pending:
        return
    if connection.vendor != "postgresql":
        created = Match.objects.bulk_create(
            [
                Match(
                    remittance_id=m.remittance_id,
                    rule=str(p.rule),
                    confidence=Decimal(f"{p.confidence:.2f}"),
                    status=MatchStatus.ACCEPTED if m.auto else MatchStatus.SUGGESTED,
                    auto=m.auto,
                    explanation=p.explanation,
                    flags=[str(f) for f in p.flags],
                    write_off_account_id=m.write_off_account_id,
                    created_at=now,
                    decided_at=now if m.auto else None,
                )
                for m, p in pending
            ],
            batch_size=2000,
        )
        MatchAllocation.objects.bulk_create(
            (
                MatchAllocation(
                    match_id=match.pk,
                    line_id=a.line_key,
                    invoice_id=a.invoice_key,
                    amount=a.amount,
                    discount=a.discount,
                    write_off=a.write_off,
                    deduction=a.deduction,
                )
                for match, (_, proposal) in zip(created, pending, strict=True)
                for a in proposal.allocations
            ),
            batch_size=2000,
        )
        return
    match_table, allocation_table = Match._meta.db_table, MatchAllocation._meta.db_table
    stamp = now.isoformat()
    accepted, suggested = str(MatchStatus.ACCEPTED), str(MatchStatus.SUGGESTED)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [match_table, len(pending)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        # COPY's text format written directly: psycopg's write_row adapts value by value (a
        # third of the run at 100,000 matches); these values are ids, Decimals, fixed words,
        # timestamps and the explanation, escaped as COPY requires. Confidence is the engine's
        # float rounded to two places: "%.2f" gives those two places.
        matches = [
            f"{pk}\t{public_id}\t{m.remittance_id}\t{p.rule}\t{p.confidence:.2f}\t"
            + (f"{accepted}\tt\t" if m.auto else f"{suggested}\tf\t")
            + f"{_copy_text(p.explanation)}\t{_copy_text(json.dumps([str(f) for f in p.flags]))}\t"
            f"{_copy_value(m.write_off_account_id)}\t{stamp}\t{stamp if m.auto else NULL}\n"
            for pk, (m, p), public_id in zip(ids, pending, _uuid4s(len(pending)), strict=True)
        ]
        with cursor.cursor.copy(f"COPY {match_table} ({', '.join(MATCH_COPY_COLUMNS)}) FROM STDIN") as copy:  # noqa: S608
            _copy_lines(copy, matches)
        allocations = [
            f"{pk}\t{a.line_key}\t{a.invoice_key}\t{a.amount}\t{a.discount}\t{a.write_off}\t{a.deduction}\n"
            for pk, (_, proposal) in zip(ids, pending, strict=True)
            for a in proposal.allocations
        ]
        with cursor.cursor.copy(
            f"COPY {allocation_table} ({', '.join(ALLOCATION_COLUMNS)}) FROM STDIN"  # noqa: S608
        ) as copy:
            _copy_lines(copy, allocations)


NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    # str.translate walks every character (slow on non-ASCII text like "−" and "→"); the four
    # characters COPY escapes are rare, so look for them first.
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


def _copy_value(value: Any) -> str:
    return NULL if value is None else str(value)


def _uuid4s(count: int) -> list[str]:
    """``count`` random (version 4) UUIDs as text, from one read of the OS's random source
    (``uuid.uuid4()`` one by one was a tenth of the run at 100,000 matches)."""
    pool = bytearray(os.urandom(16 * count))
    out = []
    for i in range(0, 16 * count, 16):
        pool[i + 6] = (pool[i + 6] & 0x0F) | 0x40  # version 4
        pool[i + 8] = (pool[i + 8] & 0x3F) | 0x80  # RFC 4122 variant
        h = pool[i : i + 16].hex()
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def _copy_lines(copy: Any, lines: Sequence[str], every: int = 5000) -> None:
    for start in range(0, len(lines), every):
        copy.write("".join(lines[start : start + every]))


def _line_states(
    rows: Sequence[tuple], pending: Sequence[tuple[_NewMatch, engine.MatchProposal]]
) -> dict[int, tuple[str, Decimal]]:
    """The lines of a run whose state the run changes: id → (match status, cash applied).

    The run's lines had no accepted match before it (matched lines are not re-run), so their new
    state follows from the proposals alone — no query needed (same rules as ``_refresh_lines``).
    """
    applied: dict[int, Decimal] = defaultdict(lambda: ZERO)
    auto: set[int] = set()
    suggested: set[int] = set()
    for match, proposal in pending:
        for allocation in proposal.allocations:
            if match.auto:
                auto.add(allocation.line_key)
                applied[allocation.line_key] += allocation.amount
            else:
                suggested.add(allocation.line_key)
    states = {}
    for row in rows:
        pk, line_type, was_status, was_applied = row[0], row[7], row[-2], row[-1]
        if pk in auto:
            status = LineMatchStatus.MATCHED
        elif pk in suggested:
            status = LineMatchStatus.SUGGESTED
        elif line_type in DEDUCTION_TYPES:
            status = LineMatchStatus.DEDUCTION
        else:
            status = LineMatchStatus.UNMATCHED
        now_applied = applied[pk] if pk in auto else ZERO
        if (status, now_applied) != (was_status, was_applied):
            states[pk] = (str(status), now_applied)
    return states


def _write_line_states(states: dict[int, tuple[str, Decimal]]) -> None:
    """Write many lines' states at once: COPY into a temporary table and one UPDATE … FROM on
    PostgreSQL (100,000 rows in about a second); ``bulk_update`` elsewhere."""
    if not states:
        return
    if connection.vendor != "postgresql":
        RemittanceLine.objects.bulk_update(
            [
                RemittanceLine(pk=pk, match_status=status, applied=applied)
                for pk, (status, applied) in states.items()
            ],
            ["match_status", "applied"],
            batch_size=500,
        )
        return
    table = RemittanceLine._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE vs_match_line_state (id bigint PRIMARY KEY, match_status varchar(12),"
            " applied numeric(14, 2))"
        )
        with cursor.cursor.copy("COPY vs_match_line_state (id, match_status, applied) FROM STDIN") as copy:
            _copy_lines(copy, [f"{pk}\t{status}\t{applied}\n" for pk, (status, applied) in states.items()])
        cursor.execute(
            f"UPDATE {table} AS line SET match_status = state.match_status, applied = state.applied"  # noqa: S608 - our names
            " FROM vs_match_line_state AS state WHERE line.id = state.id"
        )
        cursor.execute("DROP TABLE vs_match_line_state")


def _config_summary(config: engine.EngineConfig) -> dict[str, str]:
    return {
        "tolerance_absolute": str(config.tolerance.absolute),
        "tolerance_percent": str(config.tolerance.percent),
        "auto_accept": str(config.auto_accept_threshold),
    }


# --- Derived state: lines and remittance totals ----------------------------------------------------


def _refresh_lines(remittance_ids: Sequence[int], line_ids: Sequence[int] | None = None) -> dict[int, int]:
    """Recompute ``applied`` and ``match_status`` of lines from the allocations (set-based UPDATEs)."""
    lines = RemittanceLine.objects.filter(remittance_id__in=list(remittance_ids))
    if line_ids is not None:
        lines = lines.filter(pk__in=list(line_ids))
    accepted = MatchAllocation.objects.filter(line_id=OuterRef("pk"), match__status=MatchStatus.ACCEPTED)
    money = DecimalField(max_digits=14, decimal_places=2)
    lines.update(
        applied=Coalesce(
            Subquery(accepted.order_by().values("line_id").annotate(s=Sum("amount")).values("s")[:1]),
            Value(ZERO),
            output_field=money,
        )
    )
    mine = MatchAllocation.objects.filter(match__remittance_id__in=list(remittance_ids))
    has_accepted = Q(pk__in=mine.filter(match__status=MatchStatus.ACCEPTED).values("line_id"))
    has_suggested = Q(pk__in=mine.filter(match__status=MatchStatus.SUGGESTED).values("line_id"))
    lines.filter(has_accepted).update(match_status=LineMatchStatus.MATCHED)
    rest = lines.exclude(has_accepted)
    rest.filter(has_suggested).update(match_status=LineMatchStatus.SUGGESTED)
    rest = rest.exclude(has_suggested)
    rest.filter(line_type__in=DEDUCTION_TYPES).update(match_status=LineMatchStatus.DEDUCTION)
    rest.exclude(line_type__in=DEDUCTION_TYPES).update(match_status=LineMatchStatus.UNMATCHED)
    return dict(
        RemittanceLine.objects.filter(remittance_id__in=list(remittance_ids))
        .order_by()
        .values("remittance_id")
        .annotate(n=Count("id"))
        .values_list("remittance_id", "n")
    )


def _refresh_remittances(
    remittance_ids: Sequence[int], *, unmapped_write_offs: set[int] | None = None
) -> None:
    """Totals per remittance in two grouped queries; raise or clear its unmatched-line case."""
    is_deduction = Q(line_type__in=DEDUCTION_TYPES) | Q(amount_paid__lt=0)
    totals = {
        row["remittance_id"]: row
        for row in RemittanceLine.objects.filter(remittance_id__in=list(remittance_ids))
        .order_by()
        .values("remittance_id")
        .annotate(
            payment=Sum("amount_paid"),
            matched=Sum("applied"),
            deductions=Sum("amount_paid", filter=is_deduction & Q(applied=0)),
            lines=Count("id"),
            explained=Count(
                "id", filter=Q(match_status__in=[LineMatchStatus.MATCHED, LineMatchStatus.DEDUCTION])
            ),
            unmatched=Count("id", filter=Q(match_status=LineMatchStatus.UNMATCHED)),
            unmatched_amount=Sum("amount_paid", filter=Q(match_status=LineMatchStatus.UNMATCHED)),
        )
    }
    written = dict(
        MatchAllocation.objects.filter(
            match__remittance_id__in=list(remittance_ids), match__status=MatchStatus.ACCEPTED
        )
        .order_by()
        .values("match__remittance_id")
        .annotate(w=Sum("write_off"))
        .values_list("match__remittance_id", "w")
    )
    now = timezone.now()
    changed = []
    remittances = list(Remittance.objects.filter(pk__in=list(remittance_ids)))
    keys = {r.pk: f"{ExceptionKind.UNMATCHED_REMITTANCE_LINE}:match:{r.payment_number}" for r in remittances}
    open_keys = set(  # one query, so a run over hundreds of payments clears only what is open
        ExceptionCase.objects.open()
        .filter(dedupe_key__in=list(keys.values()))
        .values_list("dedupe_key", flat=True)
    )
    for remittance in remittances:
        t = totals.get(remittance.pk) or {}
        payment = t.get("payment") or ZERO
        remittance.matched_amount = t.get("matched") or ZERO
        remittance.deductions_amount = t.get("deductions") or ZERO
        remittance.unexplained_amount = payment - remittance.matched_amount - remittance.deductions_amount
        remittance.written_off_amount = written.get(remittance.pk) or ZERO
        lines = t.get("lines") or 0
        remittance.matched_pct = (
            (Decimal(t.get("explained") or 0) * 100 / lines).quantize(Decimal("0.1")) if lines else ZERO
        )
        remittance.matched_at = now
        changed.append(remittance)
        key = keys[remittance.pk]
        if t.get("unmatched"):
            exception_raise(
                kind=ExceptionKind.UNMATCHED_REMITTANCE_LINE,
                dedupe_key=key,
                message=(
                    f"Payment {remittance.payment_number}: {t['unmatched']} line(s) paying"
                    f" {t['unmatched_amount']} {remittance.currency} match no open invoice."
                ),
                subject_type=Remittance._meta.label_lower,
                subject_id=str(remittance.public_id),
                details={"lines": t["unmatched"], "amount": str(t["unmatched_amount"])},
                severity=Severity.MEDIUM,
                amount_at_risk=abs(t["unmatched_amount"] or ZERO),
            )
        elif key in open_keys:
            exception_clear(dedupe_key=key, note="Every payment line is matched or written off.")
        if unmapped_write_offs and remittance.pk in unmapped_write_offs:
            _raise_unmapped_write_off(remittance)
    Remittance.objects.bulk_update(
        changed,
        [
            "matched_amount",
            "deductions_amount",
            "unexplained_amount",
            "written_off_amount",
            "matched_pct",
            "matched_at",
        ],
    )


def _raise_unmapped_write_off(remittance: Remittance) -> None:
    exception_raise(
        kind=ExceptionKind.UNMAPPED_DEDUCTION_CODE,
        dedupe_key=f"{ExceptionKind.UNMAPPED_DEDUCTION_CODE}:{remittance.payment_number}:{LineType.WRITE_OFF}",
        message=(
            f"Payment {remittance.payment_number}: residuals were written off within tolerance but no GL"
            " mapping for write-offs is in force; add one (type 'Write-off') before posting."
        ),
        subject_type=Remittance._meta.label_lower,
        subject_id=str(remittance.public_id),
        details={"line_type": LineType.WRITE_OFF},
        amount_at_risk=remittance.written_off_amount,
    )


# --- Decisions in the workbench ---------------------------------------------------------------------

FROZEN_BY_BATCH = (
    BatchStatus.PENDING_APPROVAL,
    BatchStatus.APPROVED,
    BatchStatus.POSTING,
    BatchStatus.POSTED,
    BatchStatus.FAILED,
)


def _lock(remittance_id: int) -> Remittance:
    remittance = Remittance.objects.select_for_update().get(pk=remittance_id)
    if remittance.status != RemittanceStatus.IMPORTED:
        raise ValidationError(
            f"Payment {remittance.payment_number} is {remittance.get_status_display().lower()}; its matches are frozen."
        )
    # A batch past its draft was built (and perhaps approved or posted) from these matches: changing
    # them would make the ledger disagree with what was approved. Reject or reverse the batch first.
    batch = (
        remittance.posting_batches.filter(kind=BatchKind.POSTING, status__in=FROZEN_BY_BATCH)
        .order_by("id")
        .first()
    )
    if batch is not None:
        raise ValidationError(
            f"Payment {remittance.payment_number} is in batch {batch.number} "
            f"({batch.get_status_display().lower()}); its matches are frozen until the batch is "
            "rejected or reversed."
        )
    return remittance


def _locked_match(match: Match, *expected: str) -> tuple[Remittance, Match]:
    remittance = _lock(match.remittance_id)
    match = Match.objects.select_for_update().get(pk=match.pk)
    if match.status not in expected:
        raise ValidationError(f"This match is already {match.get_status_display().lower()}.")
    return remittance, match


def _check_room(allocations: Sequence[MatchAllocation]) -> None:
    """The invoices still have the balance and the lines the cash this match would take."""
    consumed = _consumed_by_invoice({a.invoice_id for a in allocations})
    need_invoice: dict[int, Decimal] = defaultdict(lambda: ZERO)
    need_line: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for a in allocations:
        need_invoice[a.invoice_id] += a.consumed
        need_line[a.line_id] += a.amount
    for a in allocations:
        room = _room(a.invoice, consumed)
        if need_invoice[a.invoice_id] > room:
            raise ValidationError(
                f"Invoice {a.invoice.number} has {room} open; this match would take {need_invoice[a.invoice_id]}."
            )
        line = a.line
        if a.amount and need_line[a.line_id] > line.amount_paid - line.applied:
            raise ValidationError(
                f"Line {line.document_number} has {line.amount_paid - line.applied} left to apply;"
                f" this match would apply {need_line[a.line_id]}."
            )
        if a.deduction and line.match_status == LineMatchStatus.MATCHED:
            raise ValidationError(f"Line {line.document_number} is already linked to an invoice.")


def _after_change(remittance: Remittance, line_ids: Iterable[int]) -> None:
    _refresh_lines([remittance.pk], list(set(line_ids)))
    _refresh_remittances([remittance.pk])


def _allocations(match: Match) -> list[MatchAllocation]:
    return list(match.allocations.select_related("line", "invoice"))


def _match_summary(match: Match, allocations: Sequence[MatchAllocation]) -> dict[str, Any]:
    return {
        "rule": match.rule,
        "confidence": str(match.confidence),
        "status": match.status,
        "allocations": [
            {
                "line": a.line.document_number,
                "invoice": a.invoice.number,
                "amount": str(a.amount),
                "discount": str(a.discount),
                "write_off": str(a.write_off),
                "deduction": str(a.deduction),
            }
            for a in allocations
        ],
    }


def match_accept(*, match: Match, actor: Any) -> Match:
    """Accept a suggestion after re-checking the balance it consumes."""
    _require(actor)
    with transaction.atomic():
        remittance, match = _locked_match(match, MatchStatus.SUGGESTED)
        allocations = _allocations(match)
        _check_room(allocations)
        match.status = MatchStatus.ACCEPTED
        match.decided_by = actor if getattr(actor, "is_authenticated", False) else None
        match.decided_at = timezone.now()
        if any(a.write_off for a in allocations):
            match.write_off_account_id = _write_off_accounts({remittance.pk: remittance.payment_date})[
                remittance.pk
            ]
        match.save(update_fields=["status", "decided_by", "decided_at", "write_off_account"])
        audit_record(
            actor=actor,
            action="match.accepted",
            subject=match,
            before={"status": MatchStatus.SUGGESTED},
            after=_match_summary(match, allocations),
        )
        _after_change(remittance, [a.line_id for a in allocations])
        if match.write_off_account_id is None and any(a.write_off for a in allocations):
            remittance.refresh_from_db()
            _raise_unmapped_write_off(remittance)
    return match


def match_reject(*, match: Match, actor: Any, reason: str = "") -> Match:
    _require(actor)
    with transaction.atomic():
        remittance, match = _locked_match(match, MatchStatus.SUGGESTED)
        allocations = _allocations(match)
        match.status = MatchStatus.REJECTED
        match.decided_by = actor if getattr(actor, "is_authenticated", False) else None
        match.decided_at = timezone.now()
        match.save(update_fields=["status", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action="match.rejected",
            subject=match,
            before={"status": MatchStatus.SUGGESTED},
            after=_match_summary(match, allocations),
            reason=reason,
        )
        _after_change(remittance, [a.line_id for a in allocations])
    return match


def match_undo(*, match: Match, actor: Any, reason: str = "") -> Match:
    """Undo an accepted match (auto or by hand): its lines and invoices are free again."""
    _require(actor)
    with transaction.atomic():
        remittance, match = _locked_match(match, MatchStatus.ACCEPTED)
        allocations = _allocations(match)
        match.status = MatchStatus.UNDONE
        match.undone_by = actor if getattr(actor, "is_authenticated", False) else None
        match.undone_at = timezone.now()
        match.save(update_fields=["status", "undone_by", "undone_at"])
        audit_record(
            actor=actor,
            action="match.undone",
            subject=match,
            before=_match_summary(match, allocations) | {"status": MatchStatus.ACCEPTED},
            after={"status": MatchStatus.UNDONE},
            reason=reason,
        )
        _after_change(remittance, [a.line_id for a in allocations])
    return match


def matches_bulk_accept(*, remittance: Remittance, min_confidence: Decimal, actor: Any) -> int:
    """Accept the best suggestion of each line at or above ``min_confidence`` (that still fits)."""
    _require(actor)
    accepted = 0
    with transaction.atomic():
        remittance = _lock(remittance.pk)
        suggestions = (
            Match.objects.filter(
                remittance=remittance, status=MatchStatus.SUGGESTED, confidence__gte=min_confidence
            )
            .order_by("-confidence", "id")
            .prefetch_related("allocations__line", "allocations__invoice")
        )
        lines_done: set[int] = set()
        touched: list[int] = []
        for match in suggestions:
            allocations = list(match.allocations.all())
            line_ids = {a.line_id for a in allocations}
            if line_ids & lines_done:
                continue
            try:
                _check_room(allocations)
            except ValidationError:
                continue
            match.status = MatchStatus.ACCEPTED
            match.decided_by = actor if getattr(actor, "is_authenticated", False) else None
            match.decided_at = timezone.now()
            match.save(update_fields=["status", "decided_by", "decided_at"])
            audit_record(
                actor=actor, action="match.accepted", subject=match, after=_match_summary(match, allocations)
            )
            # Later checks must see this one's consumption: refresh the lines it touched now.
            _refresh_lines([remittance.pk], list(line_ids))
            for a in allocations:
                a.line.refresh_from_db(fields=["applied", "match_status"])
            lines_done |= line_ids
            touched += line_ids
            accepted += 1
        _after_change(remittance, touched)
    return accepted


def match_manual(
    *,
    remittance: Remittance,
    lines: Sequence[RemittanceLine],
    invoices: Sequence[OpenInvoice],
    actor: Any,
    amounts: dict[int, Decimal] | None = None,
    note: str = "",
) -> Match:
    """Match selected lines to selected invoices by hand.

    Without ``amounts`` the lines' remaining cash is applied to the invoices in the order given, up
    to each invoice's balance. With ``amounts`` (invoice pk → amount) one line is split across the
    invoices: each gets exactly its amount. A deduction line (negative) selected with one invoice
    is linked to it as its base invoice. Nothing is applied beyond what is open on either side.
    """
    _require(actor)
    if not lines or not invoices:
        raise ValidationError("Select at least one line and one invoice.")
    if amounts is not None and len(lines) != 1:
        raise ValidationError("A split takes exactly one line.")
    with transaction.atomic():
        remittance = _lock(remittance.pk)
        line_ids = [line.pk for line in lines]
        fresh = {
            line.pk: line for line in RemittanceLine.objects.filter(pk__in=line_ids, remittance=remittance)
        }
        if len(fresh) != len(set(line_ids)):
            raise ValidationError("Every selected line must belong to this payment.")
        consumed = _consumed_by_invoice(inv.pk for inv in invoices)
        rooms = {inv.pk: _room(inv, consumed) for inv in invoices}
        allocations: list[MatchAllocation] = []
        selected = [fresh[pk] for pk in dict.fromkeys(line_ids)]
        if all(line.amount_paid < 0 for line in selected):
            if len(selected) != 1 or len(invoices) != 1:
                raise ValidationError("Link one deduction line to one base invoice at a time.")
            line = selected[0]
            if line.match_status == LineMatchStatus.MATCHED:
                raise ValidationError(f"Line {line.document_number} is already linked to an invoice.")
            allocations.append(MatchAllocation(line=line, invoice=invoices[0], deduction=line.amount_paid))
        elif amounts is not None:
            line = selected[0]
            left = line.amount_paid - line.applied
            total = sum(amounts.values(), ZERO)
            if total <= 0 or total > left:
                raise ValidationError(
                    f"Line {line.document_number} has {left} left to apply; the split totals {total}."
                )
            for inv in invoices:
                amount = amounts.get(inv.pk, ZERO)
                if amount < 0:
                    raise ValidationError(f"Invoice {inv.number}: the amount {amount} is negative.")
                if amount > rooms[inv.pk]:
                    raise ValidationError(
                        f"Invoice {inv.number} has {rooms[inv.pk]} open; the split gives it {amount}."
                    )
                if amount:
                    allocations.append(MatchAllocation(line=line, invoice=inv, amount=amount))
        else:
            cash = {line.pk: max(line.amount_paid - line.applied, ZERO) for line in selected}
            for inv in invoices:
                for line in selected:
                    take = min(cash[line.pk], rooms[inv.pk])
                    if take > 0:
                        allocations.append(MatchAllocation(line=line, invoice=inv, amount=take))
                        cash[line.pk] -= take
                        rooms[inv.pk] -= take
        if not allocations:
            raise ValidationError(
                "Nothing to apply: the lines have no cash left or the invoices nothing open."
            )
        applied = sum((a.amount for a in allocations), ZERO)
        selected_cash = sum((line.amount_paid - line.applied for line in selected), ZERO)
        who = getattr(actor, "username", "") or "the system"
        explanation = (
            f"matched by hand by {who}: {', '.join(line.document_number for line in selected)} →"
            f" {', '.join(inv.number for inv in invoices)}; applied {applied:.2f} of {selected_cash:.2f}"
            + (f" ({note})" if note else "")
        )
        match = Match.objects.create(
            remittance=remittance,
            rule=MatchRule.SPLIT if amounts is not None else MatchRule.MANUAL,
            confidence=Decimal("1.00"),
            status=MatchStatus.ACCEPTED,
            auto=False,
            explanation=explanation,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            decided_by=actor if getattr(actor, "is_authenticated", False) else None,
            decided_at=timezone.now(),
        )
        for a in allocations:
            a.match = match
        MatchAllocation.objects.bulk_create(allocations)
        audit_record(
            actor=actor, action="match.manual", subject=match, after=_match_summary(match, allocations)
        )
        _after_change(remittance, [a.line_id for a in allocations])
        for line in selected:
            # The import's per-line case for an unclassified line is settled by a person's match.
            exception_clear(
                dedupe_key=f"{ExceptionKind.UNMATCHED_REMITTANCE_LINE}:{remittance.payment_number}:{line.document_number}",
                note="Matched by hand.",
            )
    return match


def match_write_off(*, match: Match, actor: Any) -> Match:
    """Close the residual its invoices still have open, when within tolerance, to the write-off account."""
    _require(actor)
    tolerance = engine_config().tolerance
    with transaction.atomic():
        remittance, match = _locked_match(match, MatchStatus.ACCEPTED)
        allocations = _allocations(match)
        consumed = _consumed_by_invoice({a.invoice_id for a in allocations})
        last: dict[int, MatchAllocation] = {a.invoice_id: a for a in allocations if not a.deduction}
        written = []
        for allocation in last.values():
            residual = _room(allocation.invoice, consumed)
            if not residual:
                continue
            if not tolerance.within(residual, allocation.invoice.amount):
                raise ValidationError(
                    f"Invoice {allocation.invoice.number}: {residual} open is beyond the write-off tolerance"
                    f" of {tolerance.allowed(allocation.invoice.amount)}."
                )
            allocation.write_off += residual
            allocation.save(update_fields=["write_off"])
            written.append((allocation.invoice.number, residual))
        if not written:
            raise ValidationError("Nothing is left open on this match's invoices.")
        account = _write_off_accounts({remittance.pk: remittance.payment_date})[remittance.pk]
        match.write_off_account_id = account
        match.explanation += "; written off " + ", ".join(
            f"{amount:.2f} on {number}" for number, amount in written
        )
        match.save(update_fields=["write_off_account", "explanation"])
        audit_record(
            actor=actor,
            action="match.written_off",
            subject=match,
            after={
                "written_off": {number: str(amount) for number, amount in written},
                "gl_account": str(GLAccount.objects.filter(pk=account).first() or "") if account else None,
            },
        )
        _after_change(remittance, [a.line_id for a in allocations])
        if account is None:
            remittance.refresh_from_db()
            _raise_unmapped_write_off(remittance)
    return match
